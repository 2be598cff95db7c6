import { sql } from 'drizzle-orm';
import { bigint, check, date, foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { accounts } from './account.table.js';

export const ENTRY_KINDS = ['principal', 'interest', 'fee', 'payment', 'waiver', 'adjustment', 'reversal'] as const;
export const COMPONENTS = ['principal', 'interest', 'fee'] as const;

/**
 * Append-only: the app role has INSERT and SELECT only, and a trigger refuses UPDATE, DELETE and TRUNCATE.
 * Amounts are signed minor units: charges positive, payments and waivers negative, a reversal the exact
 * negation of the entry it reverses. Each entry moves one component's balance.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    tenantId: tenantId(),
    id: id(),
    accountId: uuid('account_id').notNull(),
    /** Entries posted by one operation (a payment split across components) share it. */
    groupId: uuid('group_id').notNull(),
    kind: text('kind', { enum: ENTRY_KINDS }).notNull(),
    component: text('component', { enum: COMPONENTS }).notNull(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    effectiveOn: date('effective_on', { mode: 'string' }).notNull(),
    postedAt: tstz('posted_at').notNull().defaultNow(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    memo: text('memo'),
    reversesEntryId: uuid('reverses_entry_id'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'ledger_entries_account_fk' }),
    foreignKey({ columns: [t.tenantId, t.reversesEntryId], foreignColumns: [t.tenantId, t.id], name: 'ledger_entries_reverses_fk' }),
    // An entry can be reversed once.
    uniqueIndex('ledger_entries_reverses_key').on(t.tenantId, t.reversesEntryId).where(sql`${t.reversesEntryId} is not null`),
    index('ledger_entries_account_idx').on(t.tenantId, t.accountId, t.effectiveOn, t.id),
    index('ledger_entries_kind_idx').on(t.tenantId, t.kind, t.effectiveOn),
    check('ledger_entries_kind_check', sql`${t.kind} in ('principal', 'interest', 'fee', 'payment', 'waiver', 'adjustment', 'reversal')`),
    check('ledger_entries_component_check', sql`${t.component} in ('principal', 'interest', 'fee')`),
    check(
      'ledger_entries_sign_check',
      sql`case ${t.kind} when 'payment' then ${t.amount} < 0 when 'waiver' then ${t.amount} < 0 when 'adjustment' then ${t.amount} <> 0 when 'reversal' then ${t.amount} <> 0 else ${t.amount} > 0 end`,
    ),
    check('ledger_entries_reversal_check', sql`(${t.kind} = 'reversal') = (${t.reversesEntryId} is not null)`),
    check('ledger_entries_charge_component_check', sql`${t.kind} not in ('principal', 'interest', 'fee') or ${t.kind} = ${t.component}`),
    tenantPolicy('ledger_entries'),
  ],
).enableRLS();

/** A retried money-moving request returns the first result and writes nothing. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: tenantId(),
    operation: text('operation').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    resultRef: text('result_ref').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.operation, t.key] }), tenantPolicy('idempotency_keys')],
).enableRLS();

