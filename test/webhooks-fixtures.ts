import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createLogger } from '../src/shared/logger.js';
import { webhookEventRepository, type WebhookEventData } from '../src/modules/webhooks/webhook-event.repository.js';
import type { WebhookEventType } from '../src/modules/webhooks/webhook.table.js';
import { WebhookWorker, type WebhookWorkerOptions, type WorkerStats } from '../src/modules/webhooks/webhook.worker.js';
import { ok } from './accounts-fixtures.js';
import { startFakeBureau, status, type FakeBureau } from './fake-bureau.js';
import type { Harness, TestTenant } from './harness.js';

/**
 * Builders for the webhook suites: endpoints through GraphQL, events written to the outbox as a service would
 * (inside a tenant transaction), workers driven round by round, and a Standard Webhooks verifier written here
 * from the specification, independently of src/modules/webhooks/webhook.signature.ts.
 */

export const ENDPOINT = `id version url description eventTypes status disabledReason failureStreak previousSecretExpiresAt createdAt updatedAt`;
export const DELIVERY = `id endpointId status attemptCount nextAttemptAt lastAttemptAt lastStatusCode lastError deliveredAt createdAt
  event { id type data createdAt } attempts { id attemptedAt durationMs statusCode error responseExcerpt }`;

export async function createEndpoint(t: TestTenant, url: string, eventTypes: string[] = ['PAYMENT_RECORDED'], description?: string): Promise<{ endpoint: any; secret: string }> {
  const r = await t.gql(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { ${ENDPOINT} } } }`, {
    i: { url, eventTypes, ...(description !== undefined ? { description } : {}) },
  });
  return ok(r).createWebhookEndpoint;
}

/** Events written to the outbox in a tenant transaction, as the services do. Returns the deliveries queued. */
export function emit(h: Harness, tenantId: string, type: WebhookEventType, items: WebhookEventData[]): Promise<number> {
  return h.db.database.tenant({ tenantId }, (tx) => webhookEventRepository.emit(tx, tenantId, type, items));
}

export async function deliveries(t: TestTenant, args: { endpointId?: string; status?: string; eventId?: string; first?: number } = {}): Promise<any[]> {
  const r = await t.gql(`query($e: ID, $s: WebhookDeliveryStatus, $ev: ID, $f: Int) { webhookDeliveries(endpointId: $e, status: $s, eventId: $ev, first: $f) { edges { node { ${DELIVERY} } } } }`, {
    e: args.endpointId,
    s: args.status,
    ev: args.eventId,
    f: args.first ?? 100,
  });
  return ok(r).webhookDeliveries.edges.map((e: any) => e.node);
}

export const quietLogger = createLogger('silent');

export function worker(h: Harness, options: Partial<WebhookWorkerOptions> = {}): WebhookWorker {
  return new WebhookWorker(h.app.services.webhooks, quietLogger, { concurrency: 4, pollMs: 20, ...options });
}

/** Rounds of runOnce until one finds nothing due; the rounds' totals. */
export async function drain(w: WebhookWorker, maxRounds = 50): Promise<WorkerStats> {
  const total: WorkerStats = { leases: 0, delivered: 0, failedAttempts: 0, gaveUp: 0, disabled: 0 };
  for (let i = 0; i < maxRounds; i++) {
    const s = await w.runOnce();
    for (const k of Object.keys(total) as (keyof WorkerStats)[]) total[k] += s[k];
    if (s.leases === 0) return total;
  }
  throw new Error(`still finding work after ${maxRounds} rounds`);
}

/** Brings the tenant's pending retries forward (instead of waiting out the backoff). */
export async function makeDue(h: Harness, tenantId: string): Promise<void> {
  await h.db.admin.query(`update webhook_deliveries set next_attempt_at = now() where tenant_id = $1 and status = 'pending'`, [tenantId]);
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  if (typeof v !== 'string') throw new Error(`missing header ${name}`);
  return v;
}

/**
 * A receiver's check, from the Standard Webhooks specification: HMAC-SHA256 keyed with the base64 after
 * "whsec_", over "<webhook-id>.<webhook-timestamp>.<raw body>", compared with each "v1,<base64>" in the header.
 */
export function verifiedBy(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${header(headers, 'webhook-id')}.${header(headers, 'webhook-timestamp')}.${body}`).digest();
  return header(headers, 'webhook-signature')
    .split(' ')
    .some((s) => {
      if (!s.startsWith('v1,')) return false;
      const got = Buffer.from(s.slice(3), 'base64');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

/** A webhook receiver on 127.0.0.1: fake-bureau's recorder and scripted replies, answering 204 unless scripted. */
export function startReceiver(path = '/hooks/arrears'): Promise<FakeBureau> {
  return startFakeBureau(path, status(204));
}
