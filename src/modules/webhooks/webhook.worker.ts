import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Tx } from '../../db/client.js';
import { uuidv7 } from '../../shared/ids.js';
import { safeError } from '../../shared/logger.js';
import { systemActor } from '../tenancy/principal.js';
import { WebhookSender, type SendResult } from './webhook.delivery.js';
import { backoffMs, verdictOf, type AttemptVerdict } from './webhook.logic.js';
import { webhookRepository, type EndpointRow, type WorkRow } from './webhook.repository.js';
import { signedHeaders } from './webhook.signature.js';
import type { WebhookService } from './webhook.service.js';

export interface WebhookWorkerOptions {
  /** Names this worker's leases (and its attempts in the log). Default: host, pid and a random suffix. */
  workerId?: string;
  /** Endpoints in flight at once (each sent to in order, one request at a time). */
  concurrency: number;
  /** How long an idle worker waits before looking for due deliveries again. */
  pollMs: number;
  /** Deliveries loaded per page, and recorded per transaction at most (the re-send window after a crash). */
  batchSize?: number;
  /** Deliveries sent per lease before the endpoint goes back in the queue behind the others (fairness). */
  maxPerLease?: number;
  /** Results are recorded at least this often while an endpoint's deliveries keep succeeding. */
  flushMs?: number;
  /** Lease length; a crashed worker's endpoints are taken over after this. Default: 3 × timeout, at least 30 s. */
  leaseSeconds?: number;
}

export interface WorkerStats {
  /** Endpoint leases taken. */
  leases: number;
  delivered: number;
  /** Attempts that failed (each one is retried later unless given up). */
  failedAttempts: number;
  gaveUp: number;
  disabled: number;
}

const emptyStats = (): WorkerStats => ({ leases: 0, delivered: 0, failedAttempts: 0, gaveUp: 0, disabled: 0 });

/** Never start a request whose deadline could outlive the lease: another worker could send the same delivery meanwhile. */
const LEASE_MARGIN_MS = 2_000;

interface Page {
  endpoint: EndpointRow;
  deliveries: WorkRow[];
}

interface Sent {
  delivery: WorkRow;
  at: Date;
  result: SendResult;
  verdict: AttemptVerdict;
}

/** What the log says about an answer that did not deliver. */
function failureText(s: SendResult): string {
  if (s.error) return s.error;
  const code = s.statusCode ?? 0;
  if (code === 410) return 'answered 410 Gone: the endpoint is disabled';
  if (code >= 300 && code < 400) return `answered ${code}: redirects are not followed`;
  return `answered ${code}`;
}

/**
 * Delivers the outbox. Several workers (in any number of processes) share the work through endpoint leases
 * (arrears_webhook_claim): the holder of an endpoint's lease sends its deliveries in order, one at a time, and
 * stops at the first failure, which is retried after a backoff before anything behind it (strict order per
 * endpoint). No transaction is open during a request: deliveries are read, sent, then the attempts are recorded
 * — in batches while they keep succeeding, at once after a failure. A worker that dies between sending and
 * recording leaves its lease to expire; the next holder sends those deliveries again with the same webhook-id
 * (at-least-once: receivers dedupe on it).
 */
export class WebhookWorker {
  readonly id: string;
  /** Totals since the worker was made (the benchmark reads them). */
  readonly totals: WorkerStats = emptyStats();
  private readonly sender: WebhookSender;
  private readonly batchSize: number;
  private readonly maxPerLease: number;
  private readonly flushMs: number;
  private readonly leaseSeconds: number;
  private readonly sessions = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** A session ended (a slot came free) since the loop last looked: it must not sleep through that. */
  private woken = false;

  constructor(
    private readonly service: WebhookService,
    private readonly log: Logger,
    private readonly options: WebhookWorkerOptions,
  ) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.sender = new WebhookSender({ allowPrivateUrls: service.options.allowPrivateUrls, requireHttps: service.options.requireHttps, timeoutMs: service.options.timeoutMs });
    this.batchSize = options.batchSize ?? 100;
    this.maxPerLease = options.maxPerLease ?? 1000;
    this.flushMs = options.flushMs ?? 1000;
    this.leaseSeconds = options.leaseSeconds ?? Math.max(30, Math.ceil((3 * service.options.timeoutMs) / 1000));
    if (this.leaseSeconds * 1000 < service.options.timeoutMs + 2 * LEASE_MARGIN_MS) throw new Error('leaseSeconds must exceed the request timeout by a few seconds');
  }

  /** Runs until stop(): claims endpoints while it has free slots, loops at once while it finds work, else polls. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Finishes the requests in flight, records them, releases the leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.sessions]);
    this.loop = null;
    this.sender.close();
  }

  /**
   * One round: claims up to `concurrency` endpoints with due work and sends to each until it runs out, fails or
   * has sent its share. For tests and scripts; not to be mixed with start() on the same instance.
   */
  async runOnce(): Promise<WorkerStats> {
    const stats = emptyStats();
    const leases = await webhookRepository.claim(this.service.db, this.id, this.options.concurrency, this.leaseSeconds);
    stats.leases = leases.length;
    await Promise.all(leases.map((l) => this.session(l.tenantId, l.endpointId, stats)));
    return stats;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      const free = this.options.concurrency - this.sessions.size;
      if (free > 0) {
        try {
          const leases = await webhookRepository.claim(this.service.db, this.id, free, this.leaseSeconds);
          claimed = leases.length;
          for (const l of leases) {
            const s: Promise<void> = this.session(l.tenantId, l.endpointId, this.totals).finally(() => {
              this.sessions.delete(s);
              this.woken = true;
              this.wake?.();
            });
            this.sessions.add(s);
          }
          this.totals.leases += claimed;
        } catch (err) {
          this.log.error({ err: safeError(err), workerId: this.id }, 'webhook claim failed');
        }
      }
      if (this.stopping) break;
      // Found work and have room for more: look again at once. Otherwise wait for a free slot or the poll interval.
      if (claimed > 0 && this.sessions.size < this.options.concurrency) continue;
      if (this.woken) {
        this.woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, free > 0 && claimed === 0 ? this.options.pollMs : 60_000);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
      this.wake = null;
      this.woken = false;
    }
  }

  /** Sends one endpoint's due deliveries while holding its lease. Never throws: a failure is logged and the lease left to expire. */
  private async session(tenantId: string, endpointId: string, stats: WorkerStats): Promise<void> {
    let unrecorded: Sent[] = [];
    let firstUnrecordedAt = 0;
    let leaseDeadline = 0;
    let sent = 0;
    /** The endpoint's version the current page is being sent with (URL, secrets, status). */
    let sendingVersion: number | null = null;
    /**
     * One transaction: records what was sent since the last commit (extending the lease, or releasing it), then,
     * if asked, loads the next page of pending deliveries; counted in the stats once committed. `held` is false
     * when the lease is no longer this worker's (it expired and another worker took it) or the endpoint was
     * disabled meanwhile: that holder, or nobody, sends now.
     */
    const commit = async (release: boolean, loadNext: boolean): Promise<{ held: boolean; page: Page | null }> => {
      const startedAt = Date.now();
      const batch = unrecorded;
      const first = leaseDeadline === 0;
      const out = await this.service.db.tenant({ tenantId }, async (tx): Promise<{ counts: WorkerStats | null; disabled: string | null; held: boolean; page: Page | null }> => {
        const rec = first ? null : await this.record(tx, tenantId, endpointId, batch, release, sendingVersion);
        const done = { counts: rec?.counts ?? null, disabled: rec?.disabled ?? null };
        if (rec && !rec.held) return { ...done, held: false, page: null };
        if (!loadNext) return { ...done, held: true, page: null };
        const endpoint = await webhookRepository.holdLease(tx, tenantId, endpointId, this.id, this.leaseSeconds);
        if (!endpoint) {
          // Let go at once (if it is still ours), so that enabling the endpoint again is not held up by this lease.
          await webhookRepository.releaseLease(tx, tenantId, endpointId, this.id);
          return { ...done, held: false, page: null };
        }
        sendingVersion = endpoint.version;
        return { ...done, held: true, page: { endpoint, deliveries: await webhookRepository.pendingDeliveries(tx, tenantId, endpointId, this.batchSize) } };
      });
      unrecorded = [];
      if (out.counts) for (const k of Object.keys(out.counts) as (keyof WorkerStats)[]) stats[k] += out.counts[k];
      if (out.disabled) this.log.warn({ tenantId, endpointId, reason: out.disabled, workerId: this.id }, 'webhook endpoint disabled');
      leaseDeadline = startedAt + this.leaseSeconds * 1000;
      return { held: out.held, page: out.page };
    };

    try {
      let { page } = await commit(false, true);
      while (page) {
        const secrets = this.service.signingSecrets(page.endpoint, this.service.clock.now());
        let stop = page.deliveries.length < this.batchSize;
        for (const d of page.deliveries) {
          if (!d.due || this.stopping || sent >= this.maxPerLease) {
            stop = true;
            break;
          }
          // Record as we go while deliveries keep succeeding (bounding what a crash would send twice), and never
          // start a request that could outlast the lease.
          const nearDeadline = Date.now() + this.service.options.timeoutMs + LEASE_MARGIN_MS > leaseDeadline;
          if (nearDeadline || (unrecorded.length && Date.now() - firstUnrecordedAt >= this.flushMs)) {
            if (!(await commit(false, false)).held) return;
          }
          const at = this.service.clock.now();
          const body = JSON.stringify({ type: d.eventType, timestamp: d.eventCreatedAt.toISOString(), data: d.eventData });
          const result = await this.sender.send(page.endpoint.url, body, signedHeaders(secrets, d.eventId, Math.floor(at.getTime() / 1000), body));
          sent++;
          const verdict = verdictOf(result.statusCode, result.complete);
          if (!unrecorded.length) firstUnrecordedAt = Date.now();
          unrecorded.push({ delivery: d, at, result, verdict });
          if (verdict !== 'delivered') {
            stop = true;
            break;
          }
        }
        if (stop) {
          await commit(true, false);
          return;
        }
        ({ page } = await commit(false, true));
      }
    } catch (err) {
      // Attempts not recorded are sent again by the next lease holder (at-least-once).
      this.log.error({ err: safeError(err), workerId: this.id, tenantId, endpointId, unrecorded: unrecorded.length }, 'webhook delivery session failed; the lease will expire');
    }
  }

  /**
   * Records attempts (all successes but perhaps the last), updates the deliveries and the endpoint's failure streak,
   * disables the endpoint after a 410 or too many failures in a row (audited), and extends or releases the lease.
   */
  private async record(tx: Tx, tenantId: string, endpointId: string, batch: readonly Sent[], release: boolean, sendingVersion: number | null): Promise<{ held: boolean; counts: WorkerStats; disabled: string | null }> {
    const opts = this.service.options;
    const counts = emptyStats();
    await webhookRepository.insertAttempts(
      tx,
      tenantId,
      batch.map((s) => ({
        id: uuidv7(),
        deliveryId: s.delivery.id,
        endpointId,
        attemptedAt: s.at,
        durationMs: s.result.durationMs,
        statusCode: s.result.statusCode,
        error: s.verdict === 'delivered' ? null : failureText(s.result),
        responseExcerpt: s.result.excerpt,
        workerId: this.id,
      })),
    );
    const delivered = batch.filter((s) => s.verdict === 'delivered');
    await webhookRepository.markDelivered(tx, tenantId, delivered.map((s) => ({ id: s.delivery.id, at: s.at, statusCode: s.result.statusCode! })));
    counts.delivered = delivered.length;
    const failure = batch.find((s) => s.verdict !== 'delivered') ?? null;
    if (failure) {
      counts.failedAttempts = 1;
      const m = await webhookRepository.markFailed(tx, tenantId, {
        id: failure.delivery.id,
        at: failure.at,
        statusCode: failure.result.statusCode,
        error: failureText(failure.result),
        delayMs: backoffMs(failure.delivery.attempts + 1),
        maxAgeHours: opts.maxAgeHours,
      });
      if (m?.status === 'failed') counts.gaveUp = 1;
    }
    const lease = await webhookRepository.afterAttempts(tx, tenantId, endpointId, { workerId: this.id, anySuccess: delivered.length > 0, failed: failure !== null, release, leaseSeconds: this.leaseSeconds });
    let reason: string | null = null;
    if (failure?.verdict === 'gone') reason = 'the receiver answered 410 Gone';
    else if (failure && lease.streak >= opts.disableAfterFailures) reason = `${lease.streak} failed attempts in a row`;
    if (reason) {
      const row = await webhookRepository.disableEndpoint(tx, tenantId, endpointId, reason);
      if (row) {
        counts.disabled = 1;
        await this.service.audit.record(tx, systemActor(tenantId, 'webhook-worker', this.id), {
          action: 'webhook_endpoint.disable',
          entityType: 'webhook_endpoint',
          entityId: endpointId,
          before: { status: 'active' },
          after: { status: 'disabled', disabledReason: reason, failureStreak: lease.streak, lastStatusCode: failure!.result.statusCode, lastError: failureText(failure!.result) },
        });
      }
      return { held: false, counts, disabled: row ? reason : null };
    }
    // Changed since this page was loaded (new URL, rotated secret, disabled by a person): stop sending with the
    // old settings and let the lease go, so the next holder starts from the endpoint as it is now.
    if (lease.held && (lease.status !== 'active' || (sendingVersion !== null && lease.version !== sendingVersion))) {
      await webhookRepository.releaseLease(tx, tenantId, endpointId, this.id);
      return { held: false, counts, disabled: null };
    }
    return { held: lease.held, counts, disabled: null };
  }
}
