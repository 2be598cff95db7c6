import { bigint, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantId, tenantPolicy, tstz } from '../../db/columns.js';

/**
 * Append-only and hash-chained per tenant. The app role has INSERT and SELECT only, and a trigger refuses
 * UPDATE, DELETE and TRUNCATE for everyone (migration 0002).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    tenantId: tenantId(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    id: uuid('id').notNull(),
    occurredAt: tstz('occurred_at').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    before: jsonb('before').$type<Record<string, unknown> | null>(),
    after: jsonb('after').$type<Record<string, unknown> | null>(),
    requestId: text('request_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.seq] }),
    index('audit_events_entity_idx').on(t.tenantId, t.entityType, t.entityId, t.seq),
    index('audit_events_actor_idx').on(t.tenantId, t.actorId, t.seq),
    index('audit_events_occurred_idx').on(t.tenantId, t.occurredAt),
    tenantPolicy('audit_events'),
  ],
).enableRLS();

/**
 * One row per tenant: the chain's head. Appending takes this row's lock, which serialises concurrent
 * writers of one tenant (and only that tenant) so `seq` has no gaps and each event links to the last.
 */
export const auditHeads = pgTable(
  'audit_heads',
  {
    tenantId: tenantId().primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
    /**
     * The hash before the last single append: set by the same upsert that moves `hash`, so that statement can
     * hand the event its prev_hash (RETURNING sees only new values). Not read anywhere else.
     */
    prevHash: text('prev_hash'),
  },
  () => [tenantPolicy('audit_heads')],
).enableRLS();

