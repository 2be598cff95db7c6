import { sql } from 'drizzle-orm';
import { bigint, check, date, foreignKey, index, integer, json, jsonb, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { ledgerEntries } from '../accounts/ledger.table.js';
import { portfolios } from '../accounts/portfolio.table.js';
import { tenants } from '../tenancy/tenant.table.js';

const money = (name: string) => bigint(name, { mode: 'bigint' });

/** A named policy; its rules live in immutable versions, and `currentVersion` is the one new fees use. */
export const lateFeePolicies = pgTable(
  'late_fee_policies',
  {
    tenantId: tenantId(),
    id: id(),
    name: text('name').notNull(),
    currentVersion: integer('current_version').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'late_fee_policies_tenant_fk' }),
    uniqueIndex('late_fee_policies_name_key').on(t.tenantId, t.name),
    tenantPolicy('late_fee_policies'),
  ],
).enableRLS();

/** Written once, never changed: a fee points at the version that produced it. */
export const lateFeePolicyVersions = pgTable(
  'late_fee_policy_versions',
  {
    tenantId: tenantId(),
    id: id(),
    policyId: uuid('policy_id').notNull(),
    version: integer('version').notNull(),
    rules: jsonb('rules').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.policyId], foreignColumns: [lateFeePolicies.tenantId, lateFeePolicies.id], name: 'late_fee_policy_versions_policy_fk' }),
    uniqueIndex('late_fee_policy_versions_key').on(t.tenantId, t.policyId, t.version),
    check('late_fee_policy_versions_version_check', sql`${t.version} >= 1`),
    tenantPolicy('late_fee_policy_versions'),
  ],
).enableRLS();

/**
 * Where a policy applies. One of: an account; a portfolio, optionally narrowed to a product type; a
 * product type tenant-wide; or the tenant default (all null). One policy per target.
 */
export const lateFeeAttachments = pgTable(
  'late_fee_attachments',
  {
    tenantId: tenantId(),
    id: id(),
    policyId: uuid('policy_id').notNull(),
    accountId: uuid('account_id'),
    portfolioId: uuid('portfolio_id'),
    productType: text('product_type'),
    /** Periods that fell due before this date are not charged under this attachment: no back-fees. */
    chargeFrom: date('charge_from', { mode: 'string' }),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.policyId], foreignColumns: [lateFeePolicies.tenantId, lateFeePolicies.id], name: 'late_fee_attachments_policy_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'late_fee_attachments_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.portfolioId], foreignColumns: [portfolios.tenantId, portfolios.id], name: 'late_fee_attachments_portfolio_fk' }),
    unique('late_fee_attachments_target_key').on(t.tenantId, t.accountId, t.portfolioId, t.productType).nullsNotDistinct(),
    index('late_fee_attachments_account_idx').on(t.tenantId, t.accountId).where(sql`${t.accountId} is not null`),
    check('late_fee_attachments_target_check', sql`${t.accountId} is null or (${t.portfolioId} is null and ${t.productType} is null)`),
    tenantPolicy('late_fee_attachments'),
  ],
).enableRLS();

/**
 * One row per account and period, ever: the unique key is what makes accrual exactly-once under re-runs,
 * crashes and concurrent runs. Zero-amount rows (capped or below the minimum) mark the period as done.
 * Written once: the app role may only insert, and a trigger refuses UPDATE and DELETE.
 */
export const lateFeeAssessments = pgTable(
  'late_fee_assessments',
  {
    tenantId: tenantId(),
    id: id(),
    accountId: uuid('account_id').notNull(),
    periodKey: text('period_key').notNull(),
    policyVersionId: uuid('policy_version_id').notNull(),
    runId: uuid('run_id'),
    anchorOn: date('anchor_on', { mode: 'string' }).notNull(),
    assessedOn: date('assessed_on', { mode: 'string' }).notNull(),
    currency: text('currency').notNull(),
    uncapped: money('uncapped').notNull(),
    amount: money('amount').notNull(),
    cappedBy: text('capped_by').array().notNull().default(sql`'{}'::text[]`),
    /** The ledger entry that charged it (the same id as the assessment); null when nothing was charged. */
    ledgerEntryId: uuid('ledger_entry_id'),
    /** The figures behind the amount (StoredExplanation): opaque to SQL, so json (kept as written), not jsonb. */
    explanation: json('explanation').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'late_fee_assessments_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.policyVersionId], foreignColumns: [lateFeePolicyVersions.tenantId, lateFeePolicyVersions.id], name: 'late_fee_assessments_version_fk' }),
    uniqueIndex('late_fee_assessments_period_key').on(t.tenantId, t.accountId, t.periodKey),
    // A charged assessment and its fee entry share one id, so the primary key also finds a fee's assessment.
    check('late_fee_assessments_amount_check', sql`${t.amount} >= 0 and ${t.amount} <= ${t.uncapped} and case when ${t.amount} > 0 then ${t.ledgerEntryId} = ${t.id} else ${t.ledgerEntryId} is null end`),
    tenantPolicy('late_fee_assessments'),
  ],
).enableRLS();

/** A full or partial waiver of one fee entry, with the waiver ledger entry that carries it. */
export const feeWaivers = pgTable(
  'fee_waivers',
  {
    tenantId: tenantId(),
    id: id(),
    accountId: uuid('account_id').notNull(),
    feeEntryId: uuid('fee_entry_id').notNull(),
    ledgerEntryId: uuid('ledger_entry_id').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    /** Set when the amount was above the policy's approval threshold: the admin who approved it. */
    approvedBy: text('approved_by'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'fee_waivers_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.feeEntryId], foreignColumns: [ledgerEntries.tenantId, ledgerEntries.id], name: 'fee_waivers_fee_fk' }),
    foreignKey({ columns: [t.tenantId, t.ledgerEntryId], foreignColumns: [ledgerEntries.tenantId, ledgerEntries.id], name: 'fee_waivers_entry_fk' }),
    index('fee_waivers_fee_idx').on(t.tenantId, t.feeEntryId),
    check('fee_waivers_amount_check', sql`${t.amount} > 0`),
    tenantPolicy('fee_waivers'),
  ],
).enableRLS();

export const RUN_STATUSES = ['running', 'completed', 'failed'] as const;

/** What an accrual run did; counters are updated in the same transaction as each batch it commits. */
export const lateFeeRuns = pgTable(
  'late_fee_runs',
  {
    tenantId: tenantId(),
    id: id(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    trigger: text('trigger', { enum: ['api', 'schedule', 'cli'] }).notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('running'),
    startedAt: tstz('started_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
    examined: integer('examined').notNull().default(0),
    assessed: integer('assessed').notNull().default(0),
    feesPosted: integer('fees_posted').notNull().default(0),
    /** {currency: minor units as a string}: one run can span currencies. */
    totals: jsonb('totals').notNull().default(sql`'{}'::jsonb`),
    /** {reason: count} */
    skipped: jsonb('skipped').notNull().default(sql`'{}'::jsonb`),
    error: text('error'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'late_fee_runs_tenant_fk' }),
    check('late_fee_runs_status_check', sql`${t.status} in ('running', 'completed', 'failed')`),
    check('late_fee_runs_trigger_check', sql`${t.trigger} in ('api', 'schedule', 'cli')`),
    tenantPolicy('late_fee_runs'),
  ],
).enableRLS();

/** A tenant's own legal ceilings, overriding the shipped presets of the same code. */
export const feeJurisdictionCaps = pgTable(
  'fee_jurisdiction_caps',
  {
    tenantId: tenantId(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    annualRateBps: bigint('annual_rate_bps', { mode: 'bigint' }),
    currency: text('currency'),
    maxFirstAssessment: money('max_first_assessment'),
    maxLaterAssessment: money('max_later_assessment'),
    source: text('source').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.code] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'fee_jurisdiction_caps_tenant_fk' }),
    check('fee_jurisdiction_caps_values_check', sql`coalesce(${t.annualRateBps}, 0) >= 0 and coalesce(${t.maxFirstAssessment}, 0) >= 0 and coalesce(${t.maxLaterAssessment}, 0) >= 0`),
    check('fee_jurisdiction_caps_currency_check', sql`(${t.currency} is null) = (${t.maxFirstAssessment} is null and ${t.maxLaterAssessment} is null)`),
    tenantPolicy('fee_jurisdiction_caps'),
  ],
).enableRLS();
