import { atCommit, type Database, type Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { uuidv7 } from '../../shared/ids.js';
import type { TenantActor } from '../tenancy/principal.js';
import { ChainVerifier, GENESIS_HASH, hashEvent, hashParts, type ChainCheck, type HashableEvent, type StoredEvent } from './audit.hash.js';
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

  /**
   * Call inside the mutation's own transaction: the event commits or rolls back with the change. It is written
   * as the transaction's last statement, sent together with COMMIT: the tenant's chain head is locked only
   * while the server runs those two, so a tenant's writers do not queue behind each other's round trips.
   */
  async record(tx: Tx, actor: TenantActor, entry: AuditEntry): Promise<void> {
    const body = eventBody(actor, entry, this.clock.now());
    atCommit(tx, auditRepository.appendStatement(actor.principal.tenantId, body, hashParts(body), GENESIS_HASH));
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
    const now = this.clock.now();
    const stored: StoredEvent[] = entries.map((entry, i) => {
      const event = { ...eventBody(actor, entry, now), seq: last - entries.length + 1 + i };
      const hash = hashEvent(event, prevHash);
      const out = { ...event, prevHash, hash };
      prevHash = hash;
      return out;
    });
    await auditRepository.appendMany(tx, tenantId, stored);
  }

  list(actor: TenantActor, filter: AuditFilter, limit: number, beforeSeq: number | null): Promise<AuditRow[]> {
    const { tenantId, agencyId } = readerScope(actor);
    const f = ownEventsOnly(actor, filter);
    if (!f) return Promise.resolve([]);
    return this.db.tenant({ tenantId, agencyId }, (tx) => auditRepository.list(tx, tenantId, f, limit, beforeSeq));
  }

  count(actor: TenantActor, filter: AuditFilter): Promise<number> {
    const { tenantId, agencyId } = readerScope(actor);
    const f = ownEventsOnly(actor, filter);
    if (!f) return Promise.resolve(0);
    return this.db.tenant({ tenantId, agencyId }, (tx) => auditRepository.count(tx, tenantId, f));
  }

  /** Recomputes the whole chain in one snapshot, page by page, and names the first event that fails. */
  verify(actor: TenantActor): Promise<ChainCheck> {
    const { tenantId } = readerScope(actor);
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

/**
 * Who may read the trail: a tenant-wide key all of it, an agency what it caused. A portfolio-scoped key none:
 * events carry before/after snapshots of whatever they touched (other portfolios' accounts, tenant settings),
 * and cannot be limited to portfolios after the fact.
 */
function readerScope(actor: TenantActor): { tenantId: string; agencyId: string | null } {
  const p = actor.principal;
  if (p.kind !== 'agency' && p.portfolioIds) throw AppError.forbidden('The audit log needs a tenant-wide key: its events cannot be limited to portfolios');
  return { tenantId: p.tenantId, agencyId: p.agencyId ?? null };
}

/**
 * An agency reads the trail of what it did, nothing else (the database enforces the same: migration 0012).
 * null: the filter asks for another actor's events, so there is nothing to read.
 */
function ownEventsOnly(actor: TenantActor, filter: AuditFilter): AuditFilter | null {
  if (actor.principal.kind !== 'agency') return filter;
  if (filter.actorId && filter.actorId !== actor.principal.actorId) return null;
  return { ...filter, actorId: actor.principal.actorId };
}

function eventBody(actor: TenantActor, entry: AuditEntry, occurredAt: Date): Omit<HashableEvent, 'seq'> {
  return {
    tenantId: actor.principal.tenantId,
    id: uuidv7(),
    occurredAt,
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
}
