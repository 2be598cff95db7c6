import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { debtors } from '../debtors/debtor.table.js';

export const CONTACT_CHANNELS = ['call', 'sms', 'email', 'letter', 'visit', 'legal_notice'] as const;
export const CONTACT_DIRECTIONS = ['outbound', 'inbound'] as const;
export const CONTACT_OUTCOMES = ['no_answer', 'left_message', 'right_party_contact', 'wrong_number', 'promise_made', 'refused', 'dispute_raised', 'sent', 'undeliverable'] as const;
export const CONSENT_STATES = ['granted', 'opted_out'] as const;

/**
 * The communications log (催收记录): every attempt and conversation, outbound or inbound, on one account.
 * Append-only (a trigger refuses UPDATE and DELETE even for the owner): a record kept for regulators — China
 * expects collection records kept at least two years — is worth nothing if it can be edited.
 */
export const contactAttempts = pgTable(
  'contact_attempts',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    accountId: uuid('account_id').notNull(),
    channel: text('channel', { enum: CONTACT_CHANNELS }).notNull(),
    direction: text('direction', { enum: CONTACT_DIRECTIONS }).notNull(),
    outcome: text('outcome', { enum: CONTACT_OUTCOMES }).notNull(),
    occurredAt: tstz('occurred_at').notNull(),
    /** The debtor's local wall-clock time and zone the guard judged, kept so the record explains itself. */
    debtorLocalTime: text('debtor_local_time').notNull(),
    timeZone: text('time_zone').notNull(),
    collector: text('collector'),
    agencyId: uuid('agency_id'),
    notes: text('notes'),
    promiseId: uuid('promise_id'),
    planId: uuid('plan_id'),
    /** When an admin overrode blocks: the codes overridden and why. */
    overriddenCodes: text('overridden_codes').array().notNull().default(sql`'{}'::text[]`),
    overrideReason: text('override_reason'),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'contact_attempts_debtor_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'contact_attempts_account_fk' }),
    // The guard reads an account's contacts around one time, every channel; lists page by id.
    index('contact_attempts_account_idx').on(t.tenantId, t.accountId, t.occurredAt),
    index('contact_attempts_account_id_idx').on(t.tenantId, t.accountId, t.id),
    index('contact_attempts_debtor_idx').on(t.tenantId, t.debtorId, t.id),
    check('contact_attempts_channel_check', sql`${t.channel} in ('call', 'sms', 'email', 'letter', 'visit', 'legal_notice')`),
    check('contact_attempts_direction_check', sql`${t.direction} in ('outbound', 'inbound')`),
    check(
      'contact_attempts_outcome_check',
      sql`${t.outcome} in ('no_answer', 'left_message', 'right_party_contact', 'wrong_number', 'promise_made', 'refused', 'dispute_raised', 'sent', 'undeliverable')`,
    ),
    check('contact_attempts_override_check', sql`(cardinality(${t.overriddenCodes}) = 0) = (${t.overrideReason} is null)`),
    tenantPolicy('contact_attempts'),
  ],
).enableRLS();

/**
 * A debtor's consent or opt-out per channel. SMS and email need consent on record; any channel can be opted
 * out of (Reg F §1006.14(h): a consumer may forbid a medium). The latest row per channel wins; rows are kept.
 */
export const contactPreferences = pgTable(
  'contact_preferences',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    channel: text('channel', { enum: CONTACT_CHANNELS }).notNull(),
    state: text('state', { enum: CONSENT_STATES }).notNull(),
    source: text('source').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'contact_preferences_debtor_fk' }),
    index('contact_preferences_debtor_idx').on(t.tenantId, t.debtorId, t.channel, t.id),
    check('contact_preferences_channel_check', sql`${t.channel} in ('call', 'sms', 'email', 'letter', 'visit', 'legal_notice')`),
    check('contact_preferences_state_check', sql`${t.state} in ('granted', 'opted_out')`),
    tenantPolicy('contact_preferences'),
  ],
).enableRLS();

/**
 * A tenant's own contact rules for one jurisdiction (or its default, jurisdiction '*'): only ever stricter
 * than the jurisdiction's preset, which the service checks on every write.
 */
export const contactRules = pgTable(
  'contact_rules',
  {
    tenantId: tenantId(),
    id: id(),
    jurisdiction: text('jurisdiction').notNull(),
    version: integer('version').notNull().default(1),
    rules: jsonb('rules').notNull(),
    updatedById: text('updated_by_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex('contact_rules_jurisdiction_key').on(t.tenantId, t.jurisdiction), tenantPolicy('contact_rules')],
).enableRLS();
