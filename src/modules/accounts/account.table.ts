import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, foreignKey, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { debtors } from '../debtors/debtor.table.js';
import { portfolios } from './portfolio.table.js';

export const ACCOUNT_STATUSES = ['current', 'delinquent', 'in_plan', 'disputed', 'settled', 'paid_off', 'charged_off', 'written_off', 'recalled', 'closed'] as const;
export const PRODUCT_TYPES = ['loan', 'credit_card', 'invoice', 'utility', 'telecom', 'other'] as const;

const money = (name: string) => bigint(name, { mode: 'bigint' });

export const accounts = pgTable(
  'accounts',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    debtorId: uuid('debtor_id').notNull(),
    portfolioId: uuid('portfolio_id').notNull(),
    externalRef: text('external_ref').notNull(),
    productType: text('product_type', { enum: PRODUCT_TYPES }).notNull(),
    currency: text('currency').notNull(),
    originalPrincipal: money('original_principal').notNull(),
    openedOn: date('opened_on', { mode: 'string' }).notNull(),
    dueOn: date('due_on', { mode: 'string' }).notNull(),
    chargedOffOn: date('charged_off_on', { mode: 'string' }),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('current'),
    statusChangedAt: tstz('status_changed_at').notNull().defaultNow(),
    /**
     * Materialised from the ledger in the same transaction as every entry (tests check them against the sums):
     * balances by component, and the effective date of the oldest charge not yet covered by credits.
     */
    principalBalance: money('principal_balance').notNull().default(sql`0`),
    interestBalance: money('interest_balance').notNull().default(sql`0`),
    feeBalance: money('fee_balance').notNull().default(sql`0`),
    oldestUnpaidDueOn: date('oldest_unpaid_due_on', { mode: 'string' }),
    /** The bucket last recorded in account_bucket_history (by the delinquency refresh), to detect changes. */
    bucketLabel: text('bucket_label'),
    /**
     * Late-fee bookkeeping, so a run skips accounts with nothing due without reading their history: the
     * anchor (oldest unpaid due date) and policy fingerprint last assessed, and when the next fee can fall
     * due. Only a shortcut: the unique key on late_fee_assessments is what prevents double charging.
     */
    /** See LedgerSummary.feeBasisDueOn: the oldest unpaid principal or interest due date (late fees' anchor). */
    feeBasisDueOn: date('fee_basis_due_on', { mode: 'string' }),
    feeAnchorOn: date('fee_anchor_on', { mode: 'string' }),
    feeNextOn: date('fee_next_on', { mode: 'string' }),
    feeRulesGen: text('fee_rules_gen'),
    /**
     * Set while an installment plan holds the account: whether its terms freeze late fees. null when no plan
     * does (an account put in_plan by hand follows its late-fee policy's freezeWhileInPlan).
     */
    planFreezesFees: boolean('plan_freezes_fees'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'accounts_debtor_fk' }),
    foreignKey({ columns: [t.tenantId, t.portfolioId], foreignColumns: [portfolios.tenantId, portfolios.id], name: 'accounts_portfolio_fk' }),
    uniqueIndex('accounts_external_ref_key').on(t.tenantId, t.externalRef),
    index('accounts_portfolio_idx').on(t.tenantId, t.portfolioId, t.id),
    index('accounts_debtor_idx').on(t.tenantId, t.debtorId, t.id),
    index('accounts_oldest_unpaid_idx').on(t.tenantId, t.oldestUnpaidDueOn),
    check('accounts_status_check', sql`${t.status} in ('current', 'delinquent', 'in_plan', 'disputed', 'settled', 'paid_off', 'charged_off', 'written_off', 'recalled', 'closed')`),
    check('accounts_product_type_check', sql`${t.productType} in ('loan', 'credit_card', 'invoice', 'utility', 'telecom', 'other')`),
    check('accounts_dates_check', sql`${t.dueOn} >= ${t.openedOn} and (${t.chargedOffOn} is null or ${t.chargedOffOn} >= ${t.openedOn})`),
    check('accounts_principal_check', sql`${t.originalPrincipal} >= 0`),
    tenantPolicy('accounts'),
  ],
).enableRLS();
