import { date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { accounts } from './account.table.js';

export interface BucketRange {
  label: string;
  minDays: number;
  /** null: open-ended (the last range). */
  maxDays: number | null;
}

/** Versioned: a change adds a version, so history keeps the ranges it was computed with. */
export const delinquencyBucketSets = pgTable(
  'delinquency_bucket_sets',
  {
    tenantId: tenantId(),
    version: integer('version').notNull(),
    buckets: jsonb('buckets').$type<BucketRange[]>().notNull(),
    createdAt: createdAt(),
    createdById: text('created_by_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] }), tenantPolicy('delinquency_bucket_sets')],
).enableRLS();

/** One row each time an account enters a bucket, dated, so an account's path through the buckets can be shown. */
export const accountBucketHistory = pgTable(
  'account_bucket_history',
  {
    tenantId: tenantId(),
    id: id(),
    accountId: uuid('account_id').notNull(),
    bucketLabel: text('bucket_label').notNull(),
    bucketSetVersion: integer('bucket_set_version').notNull(),
    daysPastDue: integer('days_past_due').notNull(),
    changedOn: date('changed_on', { mode: 'string' }).notNull(),
    recordedAt: tstz('recorded_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'account_bucket_history_account_fk' }),
    index('account_bucket_history_account_idx').on(t.tenantId, t.accountId, t.changedOn),
    tenantPolicy('account_bucket_history'),
  ],
).enableRLS();
