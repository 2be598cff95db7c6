import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { debtors } from '../debtors/debtor.table.js';

const money = (name: string) => bigint(name, { mode: 'bigint' });

export const SETTLEMENT_STATUSES = ['pending_approval', 'offered', 'accepted', 'settled', 'expired', 'rejected', 'withdrawn'] as const;

/**
 * A discounted lump sum (settlement): nothing on the ledger changes until it is paid in time, when the rest of
 * each account's balance is waived by ledger entries. Expiry therefore has nothing to undo.
 */
export const settlementOffers = pgTable(
  'settlement_offers',
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
    amount: money('amount').notNull(),
    /** The accounts' total balance when offered, and the discount it makes, in basis points (rounded up). */
    balance: money('balance').notNull(),
    discountBps: integer('discount_bps').notNull(),
    expiresOn: date('expires_on', { mode: 'string' }).notNull(),
    status: text('status', { enum: SETTLEMENT_STATUSES }).notNull(),
    violations: jsonb('violations').notNull(),
    /** Paid toward it since it was accepted (payments not reversed). */
    paid: money('paid').notNull().default(sql`0`),
    acceptedOn: date('accepted_on', { mode: 'string' }),
    note: text('note'),
    createdByKind: text('created_by_kind').notNull(),
    createdById: text('created_by_id').notNull(),
    approvedById: text('approved_by_id'),
    acceptedAt: tstz('accepted_at'),
    settledAt: tstz('settled_at'),
    endedAt: tstz('ended_at'),
    endReason: text('end_reason'),
    /** The payment that completed it: reversing that payment re-opens the settlement. */
    settledByPaymentId: uuid('settled_by_payment_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'settlement_offers_debtor_fk' }),
    index('settlement_offers_debtor_idx').on(t.tenantId, t.debtorId, t.id),
    index('settlement_offers_live_idx').on(t.tenantId, t.expiresOn).where(sql`${t.status} in ('offered', 'accepted', 'pending_approval')`),
    check('settlement_offers_status_check', sql`${t.status} in ('pending_approval', 'offered', 'accepted', 'settled', 'expired', 'rejected', 'withdrawn')`),
    check('settlement_offers_amount_check', sql`${t.amount} > 0 and ${t.amount} <= ${t.balance} and ${t.paid} >= 0`),
    tenantPolicy('settlement_offers'),
  ],
).enableRLS();

export const settlementAccounts = pgTable(
  'settlement_accounts',
  {
    tenantId: tenantId(),
    settlementId: uuid('settlement_id').notNull(),
    accountId: uuid('account_id').notNull(),
    balance: money('balance').notNull(),
    priorStatus: text('prior_status'),
    /** The waiver entries that settled it (reversed if the completing payment is reversed). */
    waiverGroupId: uuid('waiver_group_id'),
    open: boolean('open').notNull().default(true),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.settlementId, t.accountId] }),
    foreignKey({ columns: [t.tenantId, t.settlementId], foreignColumns: [settlementOffers.tenantId, settlementOffers.id], name: 'settlement_accounts_offer_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'settlement_accounts_account_fk' }),
    uniqueIndex('settlement_accounts_open_key').on(t.tenantId, t.accountId).where(sql`${t.open}`),
    tenantPolicy('settlement_accounts'),
  ],
).enableRLS();
