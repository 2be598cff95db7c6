import { sql } from 'drizzle-orm';
import { bigint, check, date, foreignKey, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { debtors } from '../debtors/debtor.table.js';
import { plans } from './plan.table.js';

export const PROMISE_STATUSES = ['pending', 'kept', 'partially_kept', 'broken', 'cancelled'] as const;

/**
 * A promise to pay (承诺还款): an amount by a date, on one account or on a plan. Its outcome is decided from
 * the payments made to that account or plan from the day it was made to the date plus grace.
 */
export const promises = pgTable(
  'promises',
  {
    tenantId: tenantId(),
    id: id(),
    debtorId: uuid('debtor_id').notNull(),
    accountId: uuid('account_id'),
    planId: uuid('plan_id'),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    /** Payments count from this date (the tenant's today when the promise was made). */
    madeOn: date('made_on', { mode: 'string' }).notNull(),
    promisedOn: date('promised_on', { mode: 'string' }).notNull(),
    graceDays: integer('grace_days').notNull(),
    status: text('status', { enum: PROMISE_STATUSES }).notNull().default('pending'),
    /** Paid toward it so far (payments not reversed), refreshed by every payment, reversal and evaluation. */
    paid: bigint('paid', { mode: 'bigint' }).notNull().default(sql`0`),
    resolvedAt: tstz('resolved_at'),
    note: text('note'),
    createdByKind: text('created_by_kind').notNull(),
    createdById: text('created_by_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'promises_debtor_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'promises_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.planId], foreignColumns: [plans.tenantId, plans.id], name: 'promises_plan_fk' }),
    index('promises_account_idx').on(t.tenantId, t.accountId),
    index('promises_plan_idx').on(t.tenantId, t.planId),
    index('promises_pending_idx').on(t.tenantId, t.promisedOn).where(sql`${t.status} = 'pending'`),
    check('promises_target_check', sql`(${t.accountId} is null) <> (${t.planId} is null)`),
    check('promises_status_check', sql`${t.status} in ('pending', 'kept', 'partially_kept', 'broken', 'cancelled')`),
    check('promises_amount_check', sql`${t.amount} > 0 and ${t.paid} >= 0 and ${t.graceDays} >= 0`),
    tenantPolicy('promises'),
  ],
).enableRLS();
