import { and, asc, desc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Database, type Tx } from '../../db/client.js';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from './webhook.table.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type DeliveryStatus = (typeof webhookDeliveries.$inferSelect)['status'];

/** A delivery with what it carries: its event's type, thin data and time. */
export type DeliveryRow = typeof webhookDeliveries.$inferSelect & { eventType: string; eventData: unknown; eventCreatedAt: Date };

/** A pending delivery as the worker sees it: `due` is judged by the database clock, as the claim is. */
export type WorkRow = DeliveryRow & { due: boolean };

export interface DeliveryFilter {
  endpointId?: string | null;
  status?: DeliveryStatus | null;
  eventId?: string | null;
}

export interface AttemptRecord {
  id: string;
  deliveryId: string;
  endpointId: string;
  attemptedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  workerId: string;
}

const deliveryColumns = {
  ...getTableColumns(webhookDeliveries),
  eventType: webhookEvents.type,
  eventData: webhookEvents.data,
  eventCreatedAt: webhookEvents.createdAt,
};

const joinEvent = and(eq(webhookEvents.tenantId, webhookDeliveries.tenantId), eq(webhookEvents.id, webhookDeliveries.eventId));

export const webhookRepository = {
  // Endpoints

  async insertEndpoint(tx: Tx, tenantId: string, row: Omit<typeof webhookEndpoints.$inferInsert, 'tenantId'>): Promise<EndpointRow> {
    return (await tx.insert(webhookEndpoints).values({ ...row, tenantId }).returning())[0]!;
  },

  async findEndpoint(tx: Tx, tenantId: string, id: string): Promise<EndpointRow | null> {
    return (await tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id))))[0] ?? null;
  },

  async endpoints(tx: Tx, tenantId: string): Promise<EndpointRow[]> {
    return tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
  },

  /** A change made by a person: bumps the version; null when `version` is no longer current. */
  async updateEndpoint(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<typeof webhookEndpoints.$inferInsert>): Promise<EndpointRow | null> {
    const rows = await tx
      .update(webhookEndpoints)
      .set({ ...patch, version: sql`${webhookEndpoints.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id), eq(webhookEndpoints.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  /** After re-enabling: the pending deliveries are due now rather than at the end of their last backoff. */
  async resumeDeliveries(tx: Tx, tenantId: string, endpointId: string): Promise<number> {
    const rows = await tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending'), sql`${webhookDeliveries.nextAttemptAt} > now()`))
      .returning({ id: webhookDeliveries.id });
    return rows.length;
  },

  // Deliveries

  /** Newest event first (event ids are time-ordered), then by delivery id; `after` is the last row of the previous page. */
  async deliveries(tx: Tx, tenantId: string, f: DeliveryFilter, limit: number, after: { eventId: string; id: string } | null): Promise<DeliveryRow[]> {
    const where: (SQL | undefined)[] = [eq(webhookDeliveries.tenantId, tenantId)];
    if (f.endpointId) where.push(eq(webhookDeliveries.endpointId, f.endpointId));
    if (f.status) where.push(eq(webhookDeliveries.status, f.status));
    if (f.eventId) where.push(eq(webhookDeliveries.eventId, f.eventId));
    if (after) where.push(sql`(${webhookDeliveries.eventId}, ${webhookDeliveries.id}) < (${after.eventId}::uuid, ${after.id}::uuid)`);
    return tx
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, joinEvent)
      .where(and(...where))
      .orderBy(desc(webhookDeliveries.eventId), desc(webhookDeliveries.id))
      .limit(limit);
  },

  async findDelivery(tx: Tx, tenantId: string, id: string): Promise<DeliveryRow | null> {
    const rows = await tx
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, joinEvent)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id)));
    return rows[0] ?? null;
  },

  async insertDelivery(tx: Tx, tenantId: string, row: { id: string; endpointId: string; eventId: string }): Promise<void> {
    await tx.insert(webhookDeliveries).values({ ...row, tenantId });
  },

  /** The attempt log of several deliveries, oldest attempt first. */
  async attemptsOf(tx: Tx, tenantId: string, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
    if (!deliveryIds.length) return [];
    return tx
      .select()
      .from(webhookAttempts)
      .where(and(eq(webhookAttempts.tenantId, tenantId), inArray(webhookAttempts.deliveryId, [...deliveryIds])))
      .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.attemptedAt), asc(webhookAttempts.id));
  },

  // The worker

  /**
   * Leases up to `limit` endpoints with due work, across tenants (arrears_webhook_claim, migration 0016). Runs as
   * the connecting role outside any tenant transaction, as arrears_active_tenant_ids() does for the scheduler.
   */
  async claim(db: Database, workerId: string, limit: number, leaseSeconds: number): Promise<{ tenantId: string; endpointId: string }[]> {
    const rows = await db.query<{ tenant_id: string; endpoint_id: string }>('select tenant_id, endpoint_id from arrears_webhook_claim($1, $2, $3)', [workerId, limit, leaseSeconds]);
    return rows.map((r) => ({ tenantId: r.tenant_id, endpointId: r.endpoint_id }));
  },

  /**
   * Extends the worker's lease and returns the endpoint, or null when the lease is no longer the worker's
   * (it expired and another worker took it) or the endpoint was disabled meanwhile.
   */
  async holdLease(tx: Tx, tenantId: string, endpointId: string, workerId: string, leaseSeconds: number): Promise<EndpointRow | null> {
    const rows = await tx
      .update(webhookEndpoints)
      .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds}::int)` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.leaseOwner, workerId), eq(webhookEndpoints.status, 'active')))
      .returning();
    return rows[0] ?? null;
  },

  /** The endpoint's pending deliveries in order (the partial index on pending deliveries serves this). */
  async pendingDeliveries(tx: Tx, tenantId: string, endpointId: string, limit: number): Promise<WorkRow[]> {
    return tx
      .select({ ...deliveryColumns, due: sql<boolean>`${webhookDeliveries.nextAttemptAt} <= now()` })
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, joinEvent)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')))
      .orderBy(asc(webhookDeliveries.seq))
      .limit(limit);
  },

  async insertAttempts(tx: Tx, tenantId: string, attempts: readonly AttemptRecord[]): Promise<void> {
    if (!attempts.length) return;
    await tx.insert(webhookAttempts).values(attempts.map((a) => ({ ...a, tenantId })));
  },

  /** Marks deliveries delivered, in one statement. Only pending ones: another worker's verdict is not overwritten. */
  async markDelivered(tx: Tx, tenantId: string, items: readonly { id: string; at: Date; statusCode: number }[]): Promise<number> {
    if (!items.length) return 0;
    const rows = rowsOf<{ id: string }>(
      await tx.execute(sql`
        update webhook_deliveries d
           set status = 'succeeded', attempts = d.attempts + 1, last_attempt_at = u.at, last_status_code = u.code, last_error = null,
               delivered_at = u.at, updated_at = now()
          from jsonb_to_recordset(${JSON.stringify(items.map((i) => ({ id: i.id, at: i.at.toISOString(), code: i.statusCode })))}::jsonb) as u(id uuid, at timestamptz, code int)
         where d.tenant_id = ${tenantId} and d.id = u.id and d.status = 'pending'
        returning d.id`),
    );
    return rows.length;
  },

  /**
   * Records a failed attempt: the next one after `delayMs` (never later than the end of the delivery's life, so the
   * last attempt falls at its deadline), or gives the delivery up when it is already past that deadline.
   * null when the delivery is no longer pending (another worker recorded it first).
   */
  async markFailed(
    tx: Tx,
    tenantId: string,
    f: { id: string; at: Date; statusCode: number | null; error: string; delayMs: number; maxAgeHours: number },
  ): Promise<{ status: DeliveryStatus; attempts: number } | null> {
    const rows = rowsOf<{ status: DeliveryStatus; attempts: number }>(
      await tx.execute(sql`
        update webhook_deliveries d
           set attempts = d.attempts + 1, last_attempt_at = ${f.at.toISOString()}::timestamptz, last_status_code = ${f.statusCode}::int, last_error = ${f.error},
               status = case when d.created_at + make_interval(hours => ${f.maxAgeHours}::int) <= now() then 'failed' else 'pending' end,
               next_attempt_at = least(now() + make_interval(secs => ${f.delayMs}::int / 1000.0), d.created_at + make_interval(hours => ${f.maxAgeHours}::int)),
               updated_at = now()
         where d.tenant_id = ${tenantId} and d.id = ${f.id} and d.status = 'pending'
        returning d.status, d.attempts`),
    );
    return rows[0] ? { status: rows[0].status, attempts: Number(rows[0].attempts) } : null;
  },

  /**
   * After a run of attempts: the failure streak (reset by a success, one more for a failure) and the lease (extended,
   * or released — expired now rather than emptied, so that the endpoint queues behind those that waited longer).
   * The lease is touched only while it is still this worker's. Returns the new streak, and whether the worker
   * still holds the lease afterwards.
   */
  async afterAttempts(
    tx: Tx,
    tenantId: string,
    endpointId: string,
    r: { workerId: string; anySuccess: boolean; failed: boolean; release: boolean; leaseSeconds: number },
  ): Promise<{ streak: number; held: boolean; version: number; status: string }> {
    const rows = rowsOf<{ failure_streak: number; held: boolean | null; version: number; status: string }>(
      await tx.execute(sql`
        update webhook_endpoints
           set failure_streak = case when ${r.failed}::boolean then (case when ${r.anySuccess}::boolean then 0 else failure_streak end) + 1
                                     when ${r.anySuccess}::boolean then 0 else failure_streak end,
               lease_owner = case when lease_owner = ${r.workerId} and ${r.release}::boolean then null else lease_owner end,
               lease_until = case when lease_owner = ${r.workerId} then (case when ${r.release}::boolean then now() else now() + make_interval(secs => ${r.leaseSeconds}::int) end)
                                  else lease_until end
         where tenant_id = ${tenantId} and id = ${endpointId}
        returning failure_streak, lease_owner is not distinct from ${r.workerId} as held, version, status`),
    );
    return { streak: Number(rows[0]?.failure_streak ?? 0), held: rows[0]?.held === true, version: Number(rows[0]?.version ?? 0), status: rows[0]?.status ?? 'disabled' };
  },

  /** Disabled by the worker (410 Gone, or too many failures in a row); null when it was no longer active. */
  async disableEndpoint(tx: Tx, tenantId: string, endpointId: string, reason: string): Promise<EndpointRow | null> {
    const rows = await tx
      .update(webhookEndpoints)
      .set({ status: 'disabled', disabledReason: reason, version: sql`${webhookEndpoints.version} + 1`, updatedAt: sql`now()`, leaseOwner: null, leaseUntil: sql`now()` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.status, 'active')))
      .returning();
    return rows[0] ?? null;
  },

  /**
   * One batch of the retention purge: finished deliveries last changed before `cutoff`, their attempts, then the
   * events older than `cutoff` that no delivery refers to any more.
   */
  async purgeFinished(tx: Tx, tenantId: string, cutoff: Date, limit: number): Promise<{ deliveries: number; events: number }> {
    const rows = rowsOf<{ deliveries: number; events: number }>(
      await tx.execute(sql`
        with d as (
          select id, event_id from webhook_deliveries
           where tenant_id = ${tenantId} and status in ('succeeded', 'failed') and updated_at < ${cutoff.toISOString()}::timestamptz
           order by id limit ${limit}
        ), a as (
          delete from webhook_attempts x using d where x.tenant_id = ${tenantId} and x.delivery_id = d.id returning 1
        ), gone as (
          delete from webhook_deliveries x using d where x.tenant_id = ${tenantId} and x.id = d.id returning x.event_id
        )
        select (select count(*) from gone)::int as deliveries, (select count(*) from a)::int as attempts, 0 as events`),
    );
    // Events in a second statement: the first one's deletions are visible to it, so "no delivery left" is exact.
    const ev = rowsOf<{ n: number }>(
      await tx.execute(sql`
        with e as (
          delete from webhook_events e
           where e.tenant_id = ${tenantId} and e.created_at < ${cutoff.toISOString()}::timestamptz
             and not exists (select 1 from webhook_deliveries d where d.tenant_id = e.tenant_id and d.event_id = e.id)
          returning 1
        ) select count(*)::int as n from e`),
    );
    return { deliveries: Number(rows[0]?.deliveries ?? 0), events: Number(ev[0]?.n ?? 0) };
  },

  async releaseLease(tx: Tx, tenantId: string, endpointId: string, workerId: string): Promise<void> {
    await tx
      .update(webhookEndpoints)
      .set({ leaseOwner: null, leaseUntil: sql`now()` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.leaseOwner, workerId)));
  },
};
