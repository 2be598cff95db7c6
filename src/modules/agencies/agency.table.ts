import { sql } from 'drizzle-orm';
import { bigint, check, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { portfolios } from '../accounts/portfolio.table.js';
import { tenants } from '../tenancy/tenant.table.js';

export const AGENCY_STATUSES = ['active', 'suspended', 'terminated'] as const;
export type AgencyStatus = (typeof AGENCY_STATUSES)[number];

/**
 * Scopes a creditor grants an agency on a portfolio. `pii:reveal` is never implied: without it national ids
 * stay masked and revealNationalId is refused.
 */
export const AGENCY_SCOPES = ['debtors:read', 'accounts:read', 'contacts:write', 'promises:write', 'plans:propose', 'payments:record', 'pii:reveal'] as const;
export type AgencyScope = (typeof AGENCY_SCOPES)[number];

/** Stored commission plan: a flat rate, or marginal brackets by amount collected, or a rate by days past due at placement. */
export interface CommissionPlan {
  rateBps: number;
  tierBasis?: 'amount_collected' | 'days_past_due' | null;
  /** Ascending `from` (minor units for amount_collected, days for days_past_due); the first starts at 0. */
  tiers?: { from: string; rateBps: number }[] | null;
}

export const agencies = pgTable(
  'agencies',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    name: text('name').notNull(),
    contactName: text('contact_name'),
    contactEmail: text('contact_email'),
    contactPhone: text('contact_phone'),
    status: text('status', { enum: AGENCY_STATUSES }).notNull().default('active'),
    commission: jsonb('commission').$type<CommissionPlan>().notNull(),
    /** The data-processing agreement the agency signed: required before any portfolio is placed with it. */
    dataProtectionRef: text('data_protection_ref').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'agencies_tenant_fk' }),
    uniqueIndex('agencies_name_key').on(t.tenantId, t.name),
    check('agencies_status_check', sql`${t.status} in ('active', 'suspended', 'terminated')`),
    tenantPolicy('agencies'),
  ],
).enableRLS();

/**
 * Client credentials (OAuth client_credentials). Only SHA-256 of the secret is stored; the secret is shown once.
 * `public_id` is unique per tenant; the client id embeds the tenant, as API keys do.
 */
export const agencyCredentials = pgTable(
  'agency_credentials',
  {
    tenantId: tenantId(),
    id: id(),
    agencyId: uuid('agency_id').notNull(),
    publicId: text('public_id').notNull(),
    secretHash: text('secret_hash').notNull(),
    label: text('label'),
    createdAt: createdAt(),
    createdById: text('created_by_id').notNull(),
    revokedAt: tstz('revoked_at'),
    revokedById: text('revoked_by_id'),
    lastUsedAt: tstz('last_used_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.agencyId], foreignColumns: [agencies.tenantId, agencies.id], name: 'agency_credentials_agency_fk' }),
    uniqueIndex('agency_credentials_public_id_key').on(t.tenantId, t.publicId),
    index('agency_credentials_agency_idx').on(t.tenantId, t.agencyId),
    tenantPolicy('agency_credentials'),
  ],
).enableRLS();

/**
 * A placement: one portfolio with one agency, for a window, with scopes. A portfolio is placed with at most
 * one agency at a time (the partial unique index): two agencies working the same debtors would double the
 * contact pressure the contact rules are meant to cap, and blur whose commission a payment earns.
 * `ended_at` is set by a recall, by a replacement, or when an expired grant is tidied up.
 */
export const agencyGrants = pgTable(
  'agency_grants',
  {
    tenantId: tenantId(),
    id: id(),
    agencyId: uuid('agency_id').notNull(),
    portfolioId: uuid('portfolio_id').notNull(),
    scopes: text('scopes').array().notNull(),
    validFrom: tstz('valid_from').notNull().defaultNow(),
    validUntil: tstz('valid_until'),
    createdAt: createdAt(),
    createdById: text('created_by_id').notNull(),
    endedAt: tstz('ended_at'),
    endReason: text('end_reason', { enum: ['recalled', 'expired', 'agency_suspended', 'agency_terminated'] }),
    endedById: text('ended_by_id'),
    recallNote: text('recall_note'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.agencyId], foreignColumns: [agencies.tenantId, agencies.id], name: 'agency_grants_agency_fk' }),
    foreignKey({ columns: [t.tenantId, t.portfolioId], foreignColumns: [portfolios.tenantId, portfolios.id], name: 'agency_grants_portfolio_fk' }),
    uniqueIndex('agency_grants_one_open_per_portfolio').on(t.tenantId, t.portfolioId).where(sql`ended_at is null`),
    index('agency_grants_agency_idx').on(t.tenantId, t.agencyId, t.portfolioId),
    check('agency_grants_window_check', sql`${t.validUntil} is null or ${t.validUntil} > ${t.validFrom}`),
    check('agency_grants_scopes_check', sql`cardinality(${t.scopes}) > 0`),
    tenantPolicy('agency_grants'),
  ],
).enableRLS();

/**
 * Which agency held which account, and when: written when a portfolio is granted, when an account is created
 * in or moved into a granted portfolio (triggers, so no code path can forget it), and closed by a recall or a
 * move out. What the account owed and since when at placement are kept for commission and recovery figures.
 */
export const agencyPlacements = pgTable(
  'agency_placements',
  {
    tenantId: tenantId(),
    id: id().default(sql`gen_random_uuid()`),
    grantId: uuid('grant_id').notNull(),
    agencyId: uuid('agency_id').notNull(),
    portfolioId: uuid('portfolio_id').notNull(),
    accountId: uuid('account_id').notNull(),
    placedAt: tstz('placed_at').notNull(),
    endedAt: tstz('ended_at'),
    endReason: text('end_reason'),
    currency: text('currency').notNull(),
    balanceAtPlacement: bigint('balance_at_placement', { mode: 'bigint' }).notNull(),
    /** The oldest unpaid due date when placed: days past due at placement, computed in the tenant's time zone. */
    dueSinceAtPlacement: date('due_since_at_placement', { mode: 'string' }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.grantId], foreignColumns: [agencyGrants.tenantId, agencyGrants.id], name: 'agency_placements_grant_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'agency_placements_account_fk' }),
    index('agency_placements_account_idx').on(t.tenantId, t.accountId, t.placedAt),
    index('agency_placements_agency_idx').on(t.tenantId, t.agencyId, t.portfolioId, t.placedAt),
    index('agency_placements_grant_idx').on(t.tenantId, t.grantId),
    tenantPolicy('agency_placements'),
  ],
).enableRLS();


/**
 * Token signing keys, platform-wide (the JWKS is one document). Not a tenant table: only the connecting role
 * reads it, the app role has no grant. Private keys are sealed with the PII key ring.
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg').notNull(),
    publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
    privateKeySealed: bytea('private_key_sealed').notNull(),
    sealKeyId: text('seal_key_id').notNull(),
    createdAt: createdAt(),
    /** The newest unretired key signs. Set when a newer key takes over signing; the key stays published until tokens it signed have expired. */
    retiredAt: tstz('retired_at'),
  },
  (t) => [index('signing_keys_created_idx').on(t.createdAt)],
).enableRLS();
