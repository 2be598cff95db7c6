import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { portfolios } from '../accounts/portfolio.table.js';
import { debtors } from '../debtors/debtor.table.js';

const money = (name: string) => bigint(name, { mode: 'bigint' });

export const PLAN_STATUSES = ['proposed', 'active', 'completed', 'broken', 'cancelled', 'rejected'] as const;
export const PLAN_FREQUENCIES = ['weekly', 'biweekly', 'monthly'] as const;
export const INSTALLMENT_STATUSES = ['open', 'paid', 'missed'] as const;

/**
 * The creditor's negotiation rules (see PlanRules in plan-rules.logic.ts for the fields). One row for the
 * tenant (portfolio_id null) and optionally one per portfolio, which replaces the tenant's as a whole.
 */
export const planRules = pgTable(
  'plan_rules',
  {
    tenantId: tenantId(),
    id: id(),
    portfolioId: uuid('portfolio_id'),
    version: integer('version').notNull().default(1),
    rules: jsonb('rules').notNull(),
    updatedById: text('updated_by_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.portfolioId], foreignColumns: [portfolios.tenantId, portfolios.id], name: 'plan_rules_portfolio_fk' }),
    uniqueIndex('plan_rules_tenant_key').on(t.tenantId).where(sql`${t.portfolioId} is null`),
    uniqueIndex('plan_rules_portfolio_key').on(t.tenantId, t.portfolioId).where(sql`${t.portfolioId} is not null`),
    tenantPolicy('plan_rules'),
  ],
).enableRLS();

export const plans = pgTable(
  'plans',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    debtorId: uuid('debtor_id').notNull(),
    /**
     * The portfolios of its accounts: a portfolio-scoped principal reaches it only when all of them are in scope
     * (checked here rather than through the account rows, which such a session cannot all see).
     */
    portfolioIds: uuid('portfolio_ids').array().notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: PLAN_STATUSES }).notNull(),
    /** null for a custom schedule. */
    frequency: text('frequency', { enum: PLAN_FREQUENCIES }),
    startOn: date('start_on', { mode: 'string' }).notNull(),
    installmentCount: integer('installment_count').notNull(),
    downPayment: money('down_payment').notNull(),
    /** What the schedule adds up to: the covered balance when proposed. */
    total: money('total').notNull(),
    /** Whether the plan covers the accounts' fees; false when the rules waive fees on completion. */
    coversFees: boolean('covers_fees').notNull(),
    /** The rules in force when proposed (the terms agreed), and which of them the proposal exceeds. */
    terms: jsonb('terms').notNull(),
    violations: jsonb('violations').notNull(),
    paid: money('paid').notNull().default(sql`0`),
    /** Installments past due + grace and not yet made good. */
    missedCount: integer('missed_count').notNull().default(0),
    note: text('note'),
    proposedByKind: text('proposed_by_kind').notNull(),
    proposedById: text('proposed_by_id').notNull(),
    proposedAt: tstz('proposed_at').notNull().defaultNow(),
    approvedById: text('approved_by_id'),
    activatedAt: tstz('activated_at'),
    completedAt: tstz('completed_at'),
    brokenAt: tstz('broken_at'),
    cancelledAt: tstz('cancelled_at'),
    rejectedAt: tstz('rejected_at'),
    /** Why it was rejected, cancelled or broken. */
    endReason: text('end_reason'),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'plans_debtor_fk' }),
    index('plans_debtor_idx').on(t.tenantId, t.debtorId, t.id),
    index('plans_active_idx').on(t.tenantId, t.id).where(sql`${t.status} = 'active'`),
    check('plans_status_check', sql`${t.status} in ('proposed', 'active', 'completed', 'broken', 'cancelled', 'rejected')`),
    check('plans_frequency_check', sql`${t.frequency} is null or ${t.frequency} in ('weekly', 'biweekly', 'monthly')`),
    check('plans_amounts_check', sql`${t.downPayment} >= 0 and ${t.total} > 0 and ${t.paid} >= 0 and ${t.installmentCount} > 0`),
    tenantPolicy('plans'),
  ],
).enableRLS();

/** The accounts a plan covers. `open` while the plan is proposed or active: one open plan per account. */
export const planAccounts = pgTable(
  'plan_accounts',
  {
    tenantId: tenantId(),
    planId: uuid('plan_id').notNull(),
    accountId: uuid('account_id').notNull(),
    /** The part of the account's balance the plan covers, when proposed. */
    covered: money('covered').notNull(),
    /** The account's status before the plan took it (restored when a plan ends without being paid). */
    priorStatus: text('prior_status'),
    open: boolean('open').notNull().default(true),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.planId, t.accountId] }),
    foreignKey({ columns: [t.tenantId, t.planId], foreignColumns: [plans.tenantId, plans.id], name: 'plan_accounts_plan_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'plan_accounts_account_fk' }),
    uniqueIndex('plan_accounts_open_key').on(t.tenantId, t.accountId).where(sql`${t.open}`),
    index('plan_accounts_account_idx').on(t.tenantId, t.accountId),
    tenantPolicy('plan_accounts'),
  ],
).enableRLS();

/** seq 0 is the down payment; 1…n the installments. */
export const planInstallments = pgTable(
  'plan_installments',
  {
    tenantId: tenantId(),
    id: id(),
    planId: uuid('plan_id').notNull(),
    seq: integer('seq').notNull(),
    dueOn: date('due_on', { mode: 'string' }).notNull(),
    amount: money('amount').notNull(),
    paid: money('paid').notNull().default(sql`0`),
    status: text('status', { enum: INSTALLMENT_STATUSES }).notNull().default('open'),
    /** Set once, by the evaluation that first found it unpaid after due + grace (kept when paid later). */
    missedAt: tstz('missed_at'),
    paidAt: tstz('paid_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.planId], foreignColumns: [plans.tenantId, plans.id], name: 'plan_installments_plan_fk' }),
    uniqueIndex('plan_installments_seq_key').on(t.tenantId, t.planId, t.seq),
    // The nightly evaluation's way in: open installments by due date.
    index('plan_installments_open_idx').on(t.tenantId, t.dueOn).where(sql`${t.status} = 'open'`),
    check('plan_installments_status_check', sql`${t.status} in ('open', 'paid', 'missed')`),
    check('plan_installments_amount_check', sql`${t.amount} > 0 and ${t.paid} >= 0 and ${t.paid} <= ${t.amount}`),
    tenantPolicy('plan_installments'),
  ],
).enableRLS();
