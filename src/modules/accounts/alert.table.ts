import { sql } from 'drizzle-orm';
import { bigint, boolean, check, foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { accounts } from './account.table.js';

export const ALERT_METRICS = ['days_past_due', 'outstanding_balance', 'overdue_ratio', 'broken_promises'] as const;

/**
 * An early-warning threshold (预警). days_past_due: days; outstanding_balance: minor units of `currency`;
 * overdue_ratio: basis points of overdue / total owed (5000 = 50%); broken_promises: promises to pay on the
 * account (directly or through its plan) broken in the last 180 days.
 */
export const alertRules = pgTable(
  'alert_rules',
  {
    tenantId: tenantId(),
    id: id(),
    name: text('name').notNull(),
    metric: text('metric', { enum: ALERT_METRICS }).notNull(),
    threshold: bigint('threshold', { mode: 'bigint' }).notNull(),
    currency: text('currency'),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    check('alert_rules_metric_check', sql`${t.metric} in ('days_past_due', 'outstanding_balance', 'overdue_ratio', 'broken_promises')`),
    check('alert_rules_currency_check', sql`(${t.metric} = 'outstanding_balance') = (${t.currency} is not null)`),
    check('alert_rules_threshold_check', sql`${t.threshold} >= 0`),
    tenantPolicy('alert_rules'),
  ],
).enableRLS();

export const alerts = pgTable(
  'alerts',
  {
    tenantId: tenantId(),
    id: id(),
    ruleId: uuid('rule_id').notNull(),
    accountId: uuid('account_id').notNull(),
    /** The metric's value when raised, in the rule's unit. */
    value: bigint('value', { mode: 'bigint' }).notNull(),
    raisedAt: tstz('raised_at').notNull().defaultNow(),
    acknowledgedAt: tstz('acknowledged_at'),
    acknowledgedById: text('acknowledged_by_id'),
    /** Set when the condition no longer holds; a later breach raises a new alert. */
    clearedAt: tstz('cleared_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.ruleId], foreignColumns: [alertRules.tenantId, alertRules.id], name: 'alerts_rule_fk' }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id], name: 'alerts_account_fk' }),
    // No duplicates while the condition holds.
    uniqueIndex('alerts_open_key').on(t.tenantId, t.ruleId, t.accountId).where(sql`${t.clearedAt} is null`),
    index('alerts_raised_idx').on(t.tenantId, t.raisedAt),
    tenantPolicy('alerts'),
  ],
).enableRLS();

