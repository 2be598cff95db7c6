import { sql } from 'drizzle-orm';
import { bigint, check, date, foreignKey, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { debtors } from '../debtors/debtor.table.js';
import { planInstallments, plans } from './plan.table.js';
import { settlementOffers } from './settlement.table.js';

const money = (name: string) => bigint(name, { mode: 'bigint' });

export const PAYMENT_METHODS = ['bank_transfer', 'card', 'direct_debit', 'cash', 'check', 'mobile_wallet', 'other'] as const;
export const PAYMENT_STATUSES = ['posted', 'reversed'] as const;
export const REVERSAL_KINDS = ['returned', 'chargeback', 'error'] as const;

/**
 * Money received from a debtor. `applied` went to the ledger (entries share `ledger_group_id`); `unapplied` is
 * an overpayment held as credit (when the rules allow it). `effects` records what the payment closed
 * (installments, a plan, a settlement, account statuses) so that reversing it restores exactly that.
 */
export const payments = pgTable(
  'payments',
  {
    tenantId: tenantId(),
    id: id(),
    idempotencyKey: text('idempotency_key').notNull(),
    debtorId: uuid('debtor_id').notNull(),
    /**
     * The portfolios of the accounts it named or reached: a portfolio-scoped principal reaches it only when all of them are in scope
     * (checked here rather than through the account rows, which such a session cannot all see).
     */
    portfolioIds: uuid('portfolio_ids').array().notNull(),
    accountId: uuid('account_id'),
    planId: uuid('plan_id'),
    settlementId: uuid('settlement_id'),
    amount: money('amount').notNull(),
    applied: money('applied').notNull(),
    unapplied: money('unapplied').notNull(),
    currency: text('currency').notNull(),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    receivedAt: tstz('received_at').notNull(),
    /** receivedAt as a date in the tenant's zone: the ledger entries' effective date. */
    effectiveOn: date('effective_on', { mode: 'string' }).notNull(),
    externalReference: text('external_reference'),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('posted'),
    ledgerGroupId: uuid('ledger_group_id'),
    explanation: jsonb('explanation').notNull(),
    effects: jsonb('effects').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
    reversedAt: tstz('reversed_at'),
    reversalKind: text('reversal_kind', { enum: REVERSAL_KINDS }),
    reversalReason: text('reversal_reason'),
    reversalGroupId: uuid('reversal_group_id'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'payments_debtor_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'payments_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.planId], foreignColumns: [plans.tenantId, plans.id], name: 'payments_plan_fk' }),
    foreignKey({ columns: [t.tenantId, t.settlementId], foreignColumns: [settlementOffers.tenantId, settlementOffers.id], name: 'payments_settlement_fk' }),
    uniqueIndex('payments_idempotency_key').on(t.tenantId, t.idempotencyKey),
    index('payments_debtor_idx').on(t.tenantId, t.debtorId, t.id),
    index('payments_account_idx').on(t.tenantId, t.accountId, t.id),
    index('payments_plan_idx').on(t.tenantId, t.planId, t.id),
    check('payments_status_check', sql`${t.status} in ('posted', 'reversed')`),
    check('payments_amounts_check', sql`${t.amount} > 0 and ${t.applied} >= 0 and ${t.unapplied} >= 0 and ${t.applied} + ${t.unapplied} = ${t.amount}`),
    check('payments_reversal_check', sql`(${t.status} = 'reversed') = (${t.reversedAt} is not null)`),
    tenantPolicy('payments'),
  ],
).enableRLS();

/** Which account a payment reached (one row per account touched): portfolio scope and promises read it. */
export const paymentAccounts = pgTable(
  'payment_accounts',
  {
    tenantId: tenantId(),
    paymentId: uuid('payment_id').notNull(),
    accountId: uuid('account_id').notNull(),
    amount: money('amount').notNull(),
    effectiveOn: date('effective_on', { mode: 'string' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.paymentId, t.accountId] }),
    foreignKey({ columns: [t.tenantId, t.paymentId], foreignColumns: [payments.tenantId, payments.id], name: 'payment_accounts_payment_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'payment_accounts_account_fk' }),
    index('payment_accounts_account_idx').on(t.tenantId, t.accountId, t.effectiveOn),
    tenantPolicy('payment_accounts'),
  ],
).enableRLS();

/** How much of a payment went to each installment (oldest open first). */
export const installmentPayments = pgTable(
  'installment_payments',
  {
    tenantId: tenantId(),
    paymentId: uuid('payment_id').notNull(),
    installmentId: uuid('installment_id').notNull(),
    amount: money('amount').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.paymentId, t.installmentId] }),
    foreignKey({ columns: [t.tenantId, t.paymentId], foreignColumns: [payments.tenantId, payments.id], name: 'installment_payments_payment_fk' }),
    foreignKey({ columns: [t.tenantId, t.installmentId], foreignColumns: [planInstallments.tenantId, planInstallments.id], name: 'installment_payments_installment_fk' }),
    index('installment_payments_installment_idx').on(t.tenantId, t.installmentId),
    check('installment_payments_amount_check', sql`${t.amount} > 0`),
    tenantPolicy('installment_payments'),
  ],
).enableRLS();

