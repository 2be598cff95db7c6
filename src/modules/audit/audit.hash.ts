import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface HashableEvent {
  tenantId: string;
  seq: number;
  id: string;
  occurredAt: Date;
  actorKind: string;
  actorId: string;
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** hash = SHA-256(canonical(event) ‖ prevHash): changing any field, or any earlier event, changes it. */
export function hashEvent(e: HashableEvent, prevHash: string): string {
  const body = canonicalBody(e);
  return createHash('sha256').update(body).update('\n').update(prevHash).digest('hex');
}

/**
 * The canonical body around its `seq`: prefix + String(seq) + suffix is exactly what hashEvent hashes. Lets
 * the database compute the hash in the statement that takes the next seq (one round trip under the head's
 * lock instead of two). Nested objects (before/after) sort before "seq" and the members after it are
 * scalars, and quotes inside strings are escaped, so the last `"seq":` is the event's own.
 */
export function hashParts(e: Omit<HashableEvent, 'seq'>): { prefix: string; suffix: string } {
  const body = canonicalBody({ ...e, seq: 0 });
  const at = body.lastIndexOf('"seq":0,') + '"seq":'.length;
  return { prefix: body.slice(0, at), suffix: body.slice(at + 1) };
}

function canonicalBody(e: HashableEvent): string {
  return canonicalJson({
    v: 1,
    tenantId: e.tenantId,
    seq: e.seq,
    id: e.id,
    occurredAt: e.occurredAt.toISOString(),
    actorKind: e.actorKind,
    actorId: e.actorId,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    before: e.before,
    after: e.after,
    requestId: e.requestId,
    ip: e.ip,
    userAgent: e.userAgent,
  });
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

export interface StoredEvent extends HashableEvent {
  prevHash: string;
  hash: string;
}

/**
 * Walks events in seq order; the first one whose link, sequence or own hash does not hold is named.
 * Stateful so it can be fed in pages.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  checked = 0;
  broken: { seq: number; reason: string } | null = null;

  feed(e: StoredEvent): boolean {
    if (this.broken) return false;
    this.checked++;
    if (e.seq !== this.expectedSeq) this.broken = { seq: this.expectedSeq, reason: `sequence gap: expected ${this.expectedSeq}, found ${e.seq}` };
    else if (e.prevHash !== this.prevHash) this.broken = { seq: e.seq, reason: 'prev_hash does not match the previous event' };
    else if (hashEvent(e, e.prevHash) !== e.hash) this.broken = { seq: e.seq, reason: 'content does not match its hash' };
    if (this.broken) return false;
    this.expectedSeq = e.seq + 1;
    this.prevHash = e.hash;
    return true;
  }

  result(head: { seq: number; hash: string } | null): ChainCheck {
    if (!this.broken && head && (head.seq !== this.expectedSeq - 1 || (head.seq > 0 && head.hash !== this.prevHash))) {
      // Events missing at the end (or a head that moved without its event) show up here.
      this.broken = { seq: this.expectedSeq, reason: `chain ends at ${this.expectedSeq - 1} but head records ${head.seq}` };
    }
    return {
      ok: !this.broken,
      checked: this.checked,
      firstBrokenSeq: this.broken?.seq ?? null,
      reason: this.broken?.reason ?? null,
    };
  }
}
