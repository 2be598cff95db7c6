import { sql } from 'drizzle-orm';
import { boolean, check, date, foreignKey, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { accounts } from '../accounts/account.table.js';
import { debtors } from '../debtors/debtor.table.js';

export const DISPUTE_REASONS = ['not_my_debt', 'wrong_amount', 'already_paid', 'identity_theft', 'statute_barred', 'other'] as const;
export const DISPUTE_OUTCOMES = ['upheld', 'rejected', 'corrected'] as const;

/**
 * A debtor's dispute of an account. While open, collection pauses: the account is `disputed` (no late fees),
 * outbound contact is blocked and the account's plans stop counting missed installments. At most one open
 * dispute per account.
 */
export const disputes = pgTable(
  'disputes',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    accountId: uuid('account_id').notNull(),
    debtorId: uuid('debtor_id').notNull(),
    reason: text('reason', { enum: DISPUTE_REASONS }).notNull(),
    details: text('details'),
    status: text('status', { enum: ['open', 'resolved'] }).notNull().default('open'),
    outcome: text('outcome', { enum: DISPUTE_OUTCOMES }),
    resolutionNotes: text('resolution_notes'),
    /** The account's status when the dispute opened: what a rejected or corrected dispute returns it to. */
    priorAccountStatus: text('prior_account_status').notNull(),
    /** Whether it arrived by the validation notice's dispute-by date (which obliges verification first). */
    withinValidationPeriod: boolean('within_validation_period').notNull().default(false),
    openedAt: tstz('opened_at').notNull(),
    openedByKind: text('opened_by_kind').notNull(),
    openedById: text('opened_by_id').notNull(),
    resolvedAt: tstz('resolved_at'),
    resolvedById: text('resolved_by_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'disputes_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.debtorId], foreignColumns: [debtors.tenantId, debtors.id], name: 'disputes_debtor_fk' }),
    uniqueIndex('disputes_open_key').on(t.tenantId, t.accountId).where(sql`${t.status} = 'open'`),
    index('disputes_account_idx').on(t.tenantId, t.accountId, t.id),
    index('disputes_debtor_open_idx').on(t.tenantId, t.debtorId).where(sql`${t.status} = 'open'`),
    check('disputes_reason_check', sql`${t.reason} in ('not_my_debt', 'wrong_amount', 'already_paid', 'identity_theft', 'statute_barred', 'other')`),
    check('disputes_status_check', sql`(${t.status} = 'open' and ${t.outcome} is null and ${t.resolvedAt} is null) or (${t.status} = 'resolved' and ${t.outcome} in ('upheld', 'rejected', 'corrected') and ${t.resolvedAt} is not null)`),
    tenantPolicy('disputes'),
  ],
).enableRLS();

/** Validation notices sent for an account (Reg F §1006.34): when, and the date disputes are due by. */
export const validationNotices = pgTable(
  'validation_notices',
  {
    tenantId: tenantId(),
    id: id(),
    accountId: uuid('account_id').notNull(),
    sentAt: tstz('sent_at').notNull(),
    disputeBy: date('dispute_by', { mode: 'string' }).notNull(),
    method: text('method').notNull(),
    reference: text('reference'),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'validation_notices_account_fk' }),
    index('validation_notices_account_idx').on(t.tenantId, t.accountId, t.sentAt),
    tenantPolicy('validation_notices'),
  ],
).enableRLS();
