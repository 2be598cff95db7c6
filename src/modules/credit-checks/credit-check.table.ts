import { sql } from 'drizzle-orm';
import { bigint, boolean, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { debtors } from '../debtors/debtor.table.js';
import { tenants } from '../tenancy/tenant.table.js';

/**
 * Why a report may be pulled (a permissible purpose, as the US FCRA §604 and its equivalents require). The
 * codes are ours; each provider maps them to its own (Experian's permissible purpose codes, for one).
 */
export const CREDIT_PURPOSES = ['collection', 'account_review', 'credit_application', 'written_instruction'] as const;
export type CreditPurpose = (typeof CREDIT_PURPOSES)[number];
/** Purposes that need the consumer's consent whatever the pull type. */
export const CONSENT_PURPOSES: readonly CreditPurpose[] = ['credit_application', 'written_instruction'];

export const PULL_TYPES = ['soft', 'hard'] as const;
export type PullType = (typeof PULL_TYPES)[number];

export const CHECK_STATUSES = ['pending', 'completed', 'failed', 'reused'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const BUREAU_PROVIDERS = ['sandbox', 'http_json'] as const;
export type BureauProviderCode = (typeof BUREAU_PROVIDERS)[number];

export const SCORE_BANDS = ['excellent', 'good', 'fair', 'poor', 'very_poor', 'unscored'] as const;
export type ScoreBand = (typeof SCORE_BANDS)[number];

/** Where the generic HTTP provider finds each figure in the bureau's JSON (dot paths). */
export interface FieldMapping {
  score?: string | null;
  scoreModel?: string | null;
  delinquencies?: string | null;
  tradelines?: string | null;
  publicRecords?: string | null;
  inquiries?: string | null;
  noHit?: string | null;
  fraudAlert?: string | null;
}

/**
 * A bureau integration of one tenant. Credentials are sealed like national ids (AES-256-GCM, bound to the
 * row); the sandbox needs none.
 */
export const creditBureaus = pgTable(
  'credit_bureaus',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    name: text('name').notNull(),
    provider: text('provider', { enum: BUREAU_PROVIDERS }).notNull(),
    baseUrl: text('base_url'),
    credentialSealed: bytea('credential_sealed'),
    credentialKeyId: text('credential_key_id'),
    /** Subscriber / member code sent with each request, when the bureau wants one. */
    subscriberCode: text('subscriber_code'),
    timeoutMs: integer('timeout_ms').notNull().default(10_000),
    maxRetries: integer('max_retries').notNull().default(2),
    fieldMapping: jsonb('field_mapping').$type<FieldMapping>().notNull().default(sql`'{}'::jsonb`),
    costPerPull: bigint('cost_per_pull', { mode: 'bigint' }).notNull().default(sql`0`),
    costCurrency: text('cost_currency').notNull().default('USD'),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'credit_bureaus_tenant_fk' }),
    uniqueIndex('credit_bureaus_name_key').on(t.tenantId, t.name),
    check('credit_bureaus_provider_check', sql`${t.provider} in ('sandbox', 'http_json')`),
    check('credit_bureaus_credential_check', sql`(${t.credentialSealed} is null) = (${t.credentialKeyId} is null)`),
    check('credit_bureaus_timeout_check', sql`${t.timeoutMs} between 100 and 60000 and ${t.maxRetries} between 0 and 5`),
    tenantPolicy('credit_bureaus'),
  ],
).enableRLS();

/** Per tenant: how long a report may be reused instead of paying again, and how long it is kept. */
export const creditSettings = pgTable(
  'credit_settings',
  {
    tenantId: tenantId().primaryKey(),
    version: integer('version').notNull().default(1),
    reuseWindowDays: integer('reuse_window_days').notNull().default(30),
    retentionDays: integer('retention_days').notNull().default(365),
    /** Ordered rules, first match wins: the collection strategy suggested for a risk segment. */
    strategyRules: jsonb('strategy_rules').$type<StrategyRule[] | null>(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'credit_settings_tenant_fk' }),
    check('credit_settings_days_check', sql`${t.reuseWindowDays} between 0 and 365 and ${t.retentionDays} between 1 and 3660 and ${t.reuseWindowDays} <= ${t.retentionDays}`),
    tenantPolicy('credit_settings'),
  ],
).enableRLS();

export interface StrategyRule {
  riskRatings?: string[] | null;
  scoreBands?: string[] | null;
  fraudAlert?: boolean | null;
  minPublicRecords?: number | null;
  strategy: string;
  note?: string | null;
}

/**
 * One request for a report: recorded before the bureau is called (pending), then completed, failed or — when a
 * recent report was reused — reused. The partial unique index lets one pull per debtor and purpose be in flight:
 * a concurrent request for the same finds it and waits for its outcome instead of paying twice.
 */
export const creditChecks = pgTable(
  'credit_checks',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    bureauId: uuid('bureau_id').notNull(),
    purpose: text('purpose', { enum: CREDIT_PURPOSES }).notNull(),
    pullType: text('pull_type', { enum: PULL_TYPES }).notNull(),
    consentReference: text('consent_reference'),
    status: text('status', { enum: CHECK_STATUSES }).notNull(),
    failureCode: text('failure_code'),
    failureReason: text('failure_reason'),
    attempts: integer('attempts').notNull().default(0),
    reportId: uuid('report_id'),
    cost: bigint('cost', { mode: 'bigint' }).notNull().default(sql`0`),
    costCurrency: text('cost_currency').notNull(),
    requestedAt: tstz('requested_at').notNull().defaultNow(),
    completedAt: tstz('completed_at'),
    requestedByKind: text('requested_by_kind').notNull(),
    requestedById: text('requested_by_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'credit_checks_debtor_fk' }),
    foreignKey({ columns: [t.tenantId, t.bureauId], foreignColumns: [creditBureaus.tenantId, creditBureaus.id], name: 'credit_checks_bureau_fk' }),
    uniqueIndex('credit_checks_one_in_flight').on(t.tenantId, t.debtorId, t.purpose, t.pullType).where(sql`status = 'pending'`),
    index('credit_checks_debtor_idx').on(t.tenantId, t.debtorId, t.requestedAt),
    index('credit_checks_month_idx').on(t.tenantId, t.requestedAt),
    check('credit_checks_status_check', sql`${t.status} in ('pending', 'completed', 'failed', 'reused')`),
    check('credit_checks_purpose_check', sql`${t.purpose} in ('collection', 'account_review', 'credit_application', 'written_instruction')`),
    check('credit_checks_pull_check', sql`${t.pullType} in ('soft', 'hard')`),
    check('credit_checks_hard_consent_check', sql`${t.pullType} = 'soft' or ${t.consentReference} is not null`),
    tenantPolicy('credit_checks'),
  ],
).enableRLS();

/** A normalised report. The bureau's raw answer is sealed; it is purged (set null) when the report expires. */
export const creditReports = pgTable(
  'credit_reports',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    bureauId: uuid('bureau_id').notNull(),
    checkId: uuid('check_id').notNull(),
    purpose: text('purpose', { enum: CREDIT_PURPOSES }).notNull(),
    pullType: text('pull_type', { enum: PULL_TYPES }).notNull(),
    pulledAt: tstz('pulled_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    noHit: boolean('no_hit').notNull(),
    thinFile: boolean('thin_file').notNull(),
    fraudAlert: boolean('fraud_alert').notNull(),
    score: integer('score'),
    scoreModel: text('score_model'),
    scoreBand: text('score_band', { enum: SCORE_BANDS }).notNull(),
    riskRating: text('risk_rating', { enum: ['low', 'medium', 'high', 'critical'] }).notNull(),
    delinquencies: integer('delinquencies').notNull(),
    tradelines: integer('tradelines').notNull(),
    publicRecords: integer('public_records').notNull(),
    inquiries: integer('inquiries').notNull(),
    payloadSealed: bytea('payload_sealed'),
    payloadKeyId: text('payload_key_id'),
    purgedAt: tstz('purged_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'credit_reports_debtor_fk' }),
    index('credit_reports_reuse_idx').on(t.tenantId, t.debtorId, t.bureauId, t.pulledAt),
    index('credit_reports_expiry_idx').on(t.tenantId, t.expiresAt).where(sql`payload_sealed is not null`),
    check('credit_reports_payload_check', sql`(${t.payloadSealed} is null) = (${t.payloadKeyId} is null)`),
    tenantPolicy('credit_reports'),
  ],
).enableRLS();

/** Every change of a debtor's risk rating, with the report that caused it. */
export const debtorRiskHistory = pgTable(
  'debtor_risk_history',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    riskRating: text('risk_rating').notNull(),
    previousRating: text('previous_rating'),
    scoreBand: text('score_band').notNull(),
    score: integer('score'),
    reportId: uuid('report_id').notNull(),
    at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'debtor_risk_history_debtor_fk' }),
    index('debtor_risk_history_debtor_idx').on(t.tenantId, t.debtorId, t.at),
    tenantPolicy('debtor_risk_history'),
  ],
).enableRLS();
