import { and, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { auditEvents, auditHeads } from './audit.table.js';
import type { StoredEvent } from './audit.hash.js';

export type AuditRow = typeof auditEvents.$inferSelect;

export interface AuditFilter {
  entityType?: string | null;
  entityId?: string | null;
  actorId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
}

function filterWhere(tenantId: string, filter: AuditFilter): SQL[] {
    const where: SQL[] = [eq(auditEvents.tenantId, tenantId)];
    if (filter.entityType) where.push(eq(auditEvents.entityType, filter.entityType));
    if (filter.entityId) where.push(eq(auditEvents.entityId, filter.entityId));
    if (filter.actorId) where.push(eq(auditEvents.actorId, filter.actorId));
    if (filter.action) where.push(eq(auditEvents.action, filter.action));
    if (filter.from) where.push(gte(auditEvents.occurredAt, filter.from));
    if (filter.to) where.push(lte(auditEvents.occurredAt, filter.to));
  return where;
}

export const auditRepository = {
  /**
   * One event as one statement: an upsert of the tenant's head takes the next seq, computes the hash in SQL from
   * the body's parts and the previous hash (SHA-256 of body ‖ "\n" ‖ prevHash, exactly as hashEvent) and keeps
   * the previous hash for the insert that follows. Every SET expression reads the old row, so seq, hash and
   * prev_hash move together; the first event of a tenant inserts the head. The caller runs it at commit
   * (Database.atCommit), so the head's lock is held for no round trip at all.
   */
  appendStatement(tenantId: string, e: Omit<StoredEvent, 'seq' | 'prevHash' | 'hash'>, parts: { prefix: string; suffix: string }, genesis: string): SQL {
    const hashOf = (prev: SQL, seq: SQL) => sql`encode(sha256(convert_to(${parts.prefix}::text || (${seq})::text || ${parts.suffix}::text || E'\n' || ${prev}, 'UTF8')), 'hex')`;
    return sql`
      with h as (
        insert into ${auditHeads} as ah (tenant_id, seq, hash, prev_hash)
        values (${tenantId}, 1, ${hashOf(sql`${genesis}::text`, sql`1`)}, ${genesis})
        on conflict (tenant_id) do update
          set seq = ah.seq + 1, hash = ${hashOf(sql`ah.hash`, sql`ah.seq + 1`)}, prev_hash = ah.hash
        returning seq, hash, prev_hash
      )
      insert into ${auditEvents} (tenant_id, seq, id, occurred_at, actor_kind, actor_id, action, entity_type, entity_id, before, after, request_id, ip, user_agent, prev_hash, hash)
      select ${tenantId}, h.seq, ${e.id}, ${e.occurredAt.toISOString()}::timestamptz, ${e.actorKind}, ${e.actorId}, ${e.action}, ${e.entityType}, ${e.entityId},
             ${e.before === null ? null : JSON.stringify(e.before)}::text::jsonb, ${e.after === null ? null : JSON.stringify(e.after)}::text::jsonb,
             ${e.requestId}, ${e.ip}, ${e.userAgent}, h.prev_hash, h.hash
        from h`;
  },

  /** Reserves `n` sequence numbers: returns the last one, and the hash the first links to. */
  async advanceHeadBy(tx: Tx, tenantId: string, n: number, genesis: string): Promise<{ seq: number; prevHash: string }> {
    const rows = await tx
      .insert(auditHeads)
      .values({ tenantId, seq: n, hash: genesis })
      .onConflictDoUpdate({ target: auditHeads.tenantId, set: { seq: sql`${auditHeads.seq} + ${n}` } })
      .returning({ seq: auditHeads.seq, prevHash: auditHeads.hash });
    const row = rows[0];
    if (!row) throw new Error('audit head upsert returned nothing');
    return row;
  },

  async appendMany(tx: Tx, tenantId: string, events: readonly StoredEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 1000) {
      const chunk = events.slice(i, i + 1000);
      const insert = tx.insert(auditEvents).values(chunk.map((e) => ({ ...e, tenantId })));
      const q = sql`with ins as (${insert.getSQL()}) update ${auditHeads} set hash = ${chunk[chunk.length - 1]!.hash} where ${auditHeads.tenantId} = ${tenantId}`;
      await tx.execute(q);
    }
  },

  async head(tx: Tx, tenantId: string): Promise<{ seq: number; hash: string } | null> {
    const rows = await tx.select({ seq: auditHeads.seq, hash: auditHeads.hash }).from(auditHeads).where(eq(auditHeads.tenantId, tenantId));
    return rows[0] ?? null;
  },

  async list(tx: Tx, tenantId: string, filter: AuditFilter, limit: number, beforeSeq: number | null): Promise<AuditRow[]> {
    const where = filterWhere(tenantId, filter);
    if (beforeSeq !== null) where.push(lt(auditEvents.seq, beforeSeq));
    return tx.select().from(auditEvents).where(and(...where)).orderBy(desc(auditEvents.seq)).limit(limit);
  },

  async count(tx: Tx, tenantId: string, filter: AuditFilter): Promise<number> {
    const rows = await tx.select({ n: sql<string>`count(*)` }).from(auditEvents).where(and(...filterWhere(tenantId, filter)));
    return Number(rows[0]?.n ?? 0);
  },

  /** Ascending pages for verification. */
  async page(tx: Tx, tenantId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return tx
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, tenantId), gt(auditEvents.seq, afterSeq)))
      .orderBy(asc(auditEvents.seq))
      .limit(limit);
  },
};
