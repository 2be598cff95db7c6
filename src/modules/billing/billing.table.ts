import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, foreignKey, index, integer, pgPolicy, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenancy/tenant.table.js';

/** Stripe's subscription statuses, plus `none` for a tenant that never subscribed (it is on the default plan). */
export const SUBSCRIPTION_STATUSES = ['none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * A tenant's subscription as last reported by Stripe. One row per tenant; a tenant without a row is on the
 * default plan. `state_at` is the Stripe time (event `created`) of the state applied: an event older than it
 * is stale and ignored, whatever order the events arrive in.
 */
export const billingSubscriptions = pgTable(
  'billing_subscriptions',
  {
    tenantId: tenantId(),
    planCode: text('plan_code').notNull(),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull().default('none'),
    stripeCustomerId: text('stripe_customer_id'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    currentPeriodEnd: tstz('current_period_end'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    /** When the subscription fell past due (grace runs from here); null when it is not. */
    pastDueSince: tstz('past_due_since'),
    stateAt: tstz('state_at'),
    statusAt: tstz('status_at'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'billing_subscriptions_tenant_fk' }),
    uniqueIndex('billing_subscriptions_customer_idx').on(t.stripeCustomerId).where(sql`${t.stripeCustomerId} is not null`),
    check('billing_subscriptions_status_check', sql`${t.status} in ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused')`),
    tenantPolicy('billing_subscriptions'),
  ],
).enableRLS();

export const USAGE_METRICS = ['credit_checks'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

/**
 * Counted usage per period (credit checks per UTC month): the source of truth for enforcement. A pull reserves
 * its unit in the transaction that records its intent, so two pulls cannot both take the last one.
 */
export const billingUsage = pgTable(
  'billing_usage',
  {
    tenantId: tenantId(),
    metric: text('metric', { enum: USAGE_METRICS }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    quantity: bigint('quantity', { mode: 'number' }).notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.metric, t.periodStart] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'billing_usage_tenant_fk' }),
    check('billing_usage_quantity_check', sql`${t.quantity} >= 0`),
    tenantPolicy('billing_usage'),
  ],
).enableRLS();

export const METER_METRICS = ['credit_checks', 'active_accounts'] as const;
export type MeterMetric = (typeof METER_METRICS)[number];

/**
 * Usage reports to Stripe's meters: the intent is written first with its identifier (Stripe's deduplication
 * key, also sent as the Idempotency-Key), then sent outside any transaction, then marked sent. A report that
 * failed or whose sender died is sent again with the same identifier, so Stripe counts it once.
 */
export const billingMeterReports = pgTable(
  'billing_meter_reports',
  {
    tenantId: tenantId(),
    id: id(),
    metric: text('metric', { enum: METER_METRICS }).notNull(),
    /** The period the value belongs to: a UTC month (credit checks) or day (active accounts). */
    period: text('period').notNull(),
    value: bigint('value', { mode: 'number' }).notNull(),
    /** Credit checks: the running total this report brings the period to (so the next report knows where it starts). */
    cumulative: bigint('cumulative', { mode: 'number' }).notNull(),
    identifier: text('identifier').notNull(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    /** Stripe's event timestamp: inside the period, so the value lands in it. */
    eventAt: tstz('event_at').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull(),
    lastError: text('last_error'),
    sentAt: tstz('sent_at'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'billing_meter_reports_tenant_fk' }),
    uniqueIndex('billing_meter_reports_identifier_idx').on(t.tenantId, t.identifier),
    index('billing_meter_reports_due_idx').on(t.tenantId, t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    check('billing_meter_reports_value_check', sql`${t.value} >= 0`),
    tenantPolicy('billing_meter_reports'),
  ],
).enableRLS();

/**
 * Every Stripe event received, by id: a repeat is answered without being applied again. Platform-wide (an
 * event may name no known tenant), not granted to the app role: only the connecting role reads it.
 */
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    stripeCreatedAt: tstz('stripe_created_at').notNull(),
    tenantId: uuid('tenant_id'),
    outcome: text('outcome', { enum: ['processing', 'applied', 'unchanged', 'stale', 'ignored', 'unknown_customer', 'failed'] }).notNull().default('processing'),
    detail: text('detail'),
    attempts: integer('attempts').notNull().default(1),
    receivedAt: tstz('received_at').notNull(),
    processedAt: tstz('processed_at'),
  },
  () => [
    pgPolicy('stripe_events_platform_only', { as: 'permissive', for: 'all', to: 'current_user', using: sql`true`, withCheck: sql`true` }),
  ],
).enableRLS();

/**
 * Requests per key (or agency credential) in the current one-minute window, shared by every API process.
 * Written only by the authentication functions (one statement with the key lookup); the app role has no access.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    tenantId: tenantId(),
    subject: text('subject').notNull(),
    windowStart: tstz('window_start').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.subject] }),
    pgPolicy('rate_limit_counters_auth_only', { as: 'permissive', for: 'all', to: 'arrears_auth', using: sql`true`, withCheck: sql`true` }),
  ],
).enableRLS();
