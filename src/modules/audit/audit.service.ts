import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { uuidv7 } from '../../shared/ids.js';
import type { TenantActor } from '../tenancy/principal.js';
import { ChainVerifier, GENESIS_HASH, hashEvent, type ChainCheck, type StoredEvent } from './audit.hash.js';
import { auditRepository, type AuditFilter, type AuditRow } from './audit.repository.js';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  /** Already redacted by the caller's audit view: no secrets, no national ids. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const VERIFY_PAGE = 2000;

export class AuditService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Call inside the mutation's own transaction: the event commits or rolls back with the change. */
  async record(tx: Tx, actor: TenantActor, entry: AuditEntry): Promise<void> {
    const tenantId = actor.principal.tenantId;
    const { seq, prevHash } = await auditRepository.advanceHead(tx, tenantId, GENESIS_HASH);
    const event = {
      tenantId,
      seq,
      id: uuidv7(),
      occurredAt: this.clock.now(),
      actorKind: actor.principal.kind,
      actorId: actor.principal.actorId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: entry.before,
      after: entry.after,
      requestId: actor.requestId,
      ip: actor.ip,
      userAgent: actor.userAgent,
    };
    const stored: StoredEvent = { ...event, prevHash, hash: hashEvent(event, prevHash) };
    await auditRepository.append(tx, tenantId, stored);
  }

  /**
   * Many events in one transaction with one head advance and one insert (a job's per-entity events): the chain
   * is the same as recording them one by one, in order.
   */
  async recordMany(tx: Tx, actor: TenantActor, entries: readonly AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    if (entries.length === 1) return this.record(tx, actor, entries[0]!);
    const tenantId = actor.principal.tenantId;
    const { seq: last, prevHash: head } = await auditRepository.advanceHeadBy(tx, tenantId, entries.length, GENESIS_HASH);
    let prevHash = head;
    const stored: StoredEvent[] = [];
    const now = this.clock.now();
    entries.forEach((entry, i) => {
      const event = {
        tenantId,
        seq: last - entries.length + 1 + i,
        id: uuidv7(),
        occurredAt: now,
        actorKind: actor.principal.kind,
        actorId: actor.principal.actorId,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId,
        before: entry.before,
        after: entry.after,
        requestId: actor.requestId,
        ip: actor.ip,
        userAgent: actor.userAgent,
      };
      const hash = hashEvent(event, prevHash);
      stored.push({ ...event, prevHash, hash });
      prevHash = hash;
    });
    await auditRepository.appendMany(tx, tenantId, stored);
  }

  list(actor: TenantActor, filter: AuditFilter, limit: number, beforeSeq: number | null): Promise<AuditRow[]> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, (tx) => auditRepository.list(tx, tenantId, filter, limit, beforeSeq));
  }

  count(actor: TenantActor, filter: AuditFilter): Promise<number> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, (tx) => auditRepository.count(tx, tenantId, filter));
  }

  /** Recomputes the whole chain in one snapshot, page by page, and names the first event that fails. */
  verify(actor: TenantActor): Promise<ChainCheck> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, async (tx) => {
      const verifier = new ChainVerifier();
      let after = 0;
      for (;;) {
        const page = await auditRepository.page(tx, tenantId, after, VERIFY_PAGE);
        for (const row of page) if (!verifier.feed(row)) return verifier.result(null);
        if (page.length < VERIFY_PAGE) break;
        after = page[page.length - 1]!.seq;
      }
      return verifier.result(await auditRepository.head(tx, tenantId));
    });
  }
}
