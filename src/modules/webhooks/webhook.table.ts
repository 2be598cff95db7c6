import { sql } from 'drizzle-orm';
import { bigint, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, tenantPolicy, tstz, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenancy/tenant.table.js';

export const WEBHOOK_EVENT_TYPES = [
  'payment.recorded',
  'payment.reversed',
  'plan.activated',
  'plan.broken',
  'plan.completed',
  'promise.broken',
  'account.bucket_changed',
  'alert.raised',
  'dispute.opened',
  'dispute.resolved',
  'grant.recalled',
  'fee.assessed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A tenant's receiver. The signing secret is sealed with the PII key ring (it must be read back to sign). */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    url: text('url').notNull(),
    description: text('description'),
    eventTypes: text('event_types').array().notNull(),
    status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
    disabledReason: text('disabled_reason'),
    secretCiphertext: bytea('secret_ciphertext').notNull(),
    secretKeyId: text('secret_key_id').notNull(),
    /** After a rotation the previous secret also signs until this time, so receivers can switch over. */
    previousSecretCiphertext: bytea('previous_secret_ciphertext'),
    previousSecretKeyId: text('previous_secret_key_id'),
    previousSecretExpiresAt: tstz('previous_secret_expires_at'),
    /** Consecutive failed attempts; reset by any success. */
    failureStreak: integer('failure_streak').notNull().default(0),
    /** A worker's claim on the endpoint (one sender at a time keeps its deliveries in order). */
    leaseOwner: text('lease_owner'),
    leaseUntil: tstz('lease_until'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'webhook_endpoints_tenant_fk' }),
    check('webhook_endpoints_status_check', sql`${t.status} in ('active', 'disabled')`),
    tenantPolicy('webhook_endpoints'),
  ],
).enableRLS();

/**
 * The outbox: one row per event, written in the transaction that made the change. Thin payloads (type and
 * ids): a receiver fetches details through the API, where access is checked and audited.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    tenantId: tenantId(),
    id: id(),
    type: text('type').notNull(),
    data: jsonb('data').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'webhook_events_tenant_fk' }),
    tenantPolicy('webhook_events'),
  ],
).enableRLS();

/** One event for one endpoint: fanned out in the same transaction as the event. `seq` orders an endpoint's deliveries. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    tenantId: tenantId(),
    id: id(),
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    endpointId: uuid('endpoint_id').notNull(),
    eventId: uuid('event_id').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lastAttemptAt: tstz('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: tstz('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.endpointId], foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id], name: 'webhook_deliveries_endpoint_fk' }),
    foreignKey({ columns: [t.tenantId, t.eventId], foreignColumns: [webhookEvents.tenantId, webhookEvents.id], name: 'webhook_deliveries_event_fk' }),
    index('webhook_deliveries_pending_idx').on(t.tenantId, t.endpointId, t.seq).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_endpoint_idx').on(t.tenantId, t.endpointId, t.id),
    index('webhook_deliveries_event_idx').on(t.tenantId, t.eventId),
    check('webhook_deliveries_status_check', sql`${t.status} in ('pending', 'succeeded', 'failed')`),
    tenantPolicy('webhook_deliveries'),
  ],
).enableRLS();

/** Every attempt, successful or not: the delivery log a tenant reads when its receiver misbehaves. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    tenantId: tenantId(),
    id: id(),
    deliveryId: uuid('delivery_id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    attemptedAt: tstz('attempted_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    /** The first 1 KB of the receiver's answer. */
    responseExcerpt: text('response_excerpt'),
    workerId: text('worker_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.deliveryId], foreignColumns: [webhookDeliveries.tenantId, webhookDeliveries.id], name: 'webhook_attempts_delivery_fk' }),
    index('webhook_attempts_delivery_idx').on(t.tenantId, t.deliveryId, t.id),
    tenantPolicy('webhook_attempts'),
  ],
).enableRLS();
