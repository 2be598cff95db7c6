import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenancy/tenant.table.js';


export interface PostalAddressData {
  label: string | null;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string | null;
  /** ISO 3166-1 alpha-2 */
  country: string;
}

export const debtors = pgTable(
  'debtors',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    kind: text('kind', { enum: ['person', 'business'] }).notNull(),
    legalName: text('legal_name').notNull(),
    displayName: text('display_name').notNull(),
    externalRef: text('external_ref'),
    addresses: jsonb('addresses').$type<PostalAddressData[]>().notNull().default(sql`'[]'::jsonb`),
    preferredLanguage: text('preferred_language'),
    timeZone: text('time_zone'),
    dateOfBirth: date('date_of_birth', { mode: 'string' }),
    /** AES-256-GCM: iv(12) ‖ tag(16) ‖ ciphertext, with (tenant, debtor) as associated data. */
    nationalIdCiphertext: bytea('national_id_ciphertext'),
    nationalIdKeyId: text('national_id_key_id'),
    nationalIdLast4: text('national_id_last4'),
    deceased: boolean('deceased').notNull().default(false),
    bankrupt: boolean('bankrupt').notNull().default(false),
    ceaseCommunication: boolean('cease_communication').notNull().default(false),
    vulnerable: boolean('vulnerable').notNull().default(false),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    notes: text('notes'),
    riskRating: text('risk_rating', { enum: ['low', 'medium', 'high', 'critical'] }),
    /** Lower-cased, accent-stripped, width-folded names and reference: the trigram index's input. */
    searchText: text('search_text').notNull(),
    /** CJK unigrams/bigrams and 1–2 letter word prefixes: answers queries too short for trigrams. */
    searchKeys: text('search_keys').array().notNull(),
    archivedAt: tstz('archived_at'),
    archivedReason: text('archived_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'debtors_tenant_fk' }),
    uniqueIndex('debtors_external_ref_key').on(t.tenantId, t.externalRef),
    index('debtors_display_name_idx').on(t.tenantId, sql`${t.displayName} collate "C"`, t.id),
    index('debtors_search_text_trgm_idx').using('gin', t.tenantId, t.searchText.op('gin_trgm_ops')),
    index('debtors_search_keys_idx').using('gin', t.tenantId, t.searchKeys),
    index('debtors_tags_idx').using('gin', t.tenantId, t.tags),
    check('debtors_kind_check', sql`${t.kind} in ('person', 'business')`),
    check(
      'debtors_risk_rating_check',
      sql`${t.riskRating} is null or ${t.riskRating} in ('low', 'medium', 'high', 'critical')`,
    ),
    check('debtors_national_id_check', sql`(${t.nationalIdCiphertext} is null) = (${t.nationalIdKeyId} is null)`),
    tenantPolicy('debtors'),
  ],
).enableRLS();

export const debtorContactPoints = pgTable(
  'debtor_contact_points',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    kind: text('kind', { enum: ['email', 'phone'] }).notNull(),
    position: integer('position').notNull(),
    /** As shown: the email as entered, the phone in E.164. */
    value: text('value').notNull(),
    /** Lower-cased email, or the E.164 digits reversed (so "ends with" searches use a btree prefix scan). */
    searchValue: text('search_value').notNull(),
    label: text('label'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({
      columns: [t.tenantId, t.debtorId],
      foreignColumns: [debtors.tenantId, debtors.id],
      name: 'debtor_contact_points_debtor_fk',
    }),
    index('debtor_contact_points_debtor_idx').on(t.tenantId, t.debtorId, t.kind, t.position),
    index('debtor_contact_points_search_idx').on(t.tenantId, t.kind, sql`${t.searchValue} text_pattern_ops`),
    check('debtor_contact_points_kind_check', sql`${t.kind} in ('email', 'phone')`),
    tenantPolicy('debtor_contact_points'),
  ],
).enableRLS();
