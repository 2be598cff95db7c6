import { setPlan } from './billing-fixtures.js';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, createAccount, createDebtor, createPortfolio } from './accounts-fixtures.js';
import { cutMidBody, deadUrl, delayed, hang, json, sleep, stallMidBody, status, type FakeBureau, type Reply } from './fake-bureau.js';
import { errorOf, startHarness, type Harness, type TestTenant } from './harness.js';
import { pay } from './plans-fixtures.js';
import { WebhookSender } from '../src/modules/webhooks/webhook.delivery.js';
import { createEndpoint, DELIVERY, deliveries, drain, emit, ENDPOINT, makeDue, startReceiver, verifiedBy, worker } from './webhooks-fixtures.js';

/**
 * Outbound webhooks against receivers on 127.0.0.1 (real sockets, real timeouts): endpoint management, the
 * Standard Webhooks signature (checked by an implementation written in the fixtures, not the module's), retries
 * with backoff, every receiver fault, disabling, strict order per endpoint, at-least-once across a worker crash,
 * redelivery, giving up. Workers are driven round by round with runOnce(); a retry's backoff is skipped by
 * moving next_attempt_at through the admin connection. `any` appears where GraphQL results are handled.
 */

const DISABLE_AFTER = 4;
let h: Harness;
const receivers: FakeBureau[] = [];
beforeAll(async () => {
  h = await startHarness({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_DISABLE_AFTER_FAILURES: String(DISABLE_AFTER) } });
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  // Workers claim across tenants: nothing a test leaves behind may be picked up by the next one's worker.
  await h.db.admin.query(`update webhook_endpoints set status = 'disabled', disabled_reason = 'test over' where status = 'active'`);
});
afterAll(async () => h?.close());

/** A receiver answering 204 unless told otherwise. */
async function receiver(standing: Reply = status(204)): Promise<FakeBureau> {
  const r = await startReceiver();
  r.always(standing);
  receivers.push(r);
  return r;
}

const payment = () => ({ object: 'payment', id: randomUUID(), accountId: randomUUID() });

async function oneDelivery(t: TestTenant, endpointId: string): Promise<any> {
  const [d, ...more] = await deliveries(t, { endpointId });
  expect(more).toEqual([]);
  return d;
}

async function setup(reply?: Reply, eventTypes?: string[]) {
  const t = await h.tenant();
  const rx = await receiver(reply);
  const { endpoint, secret } = await createEndpoint(t, rx.url, eventTypes);
  return { t, rx, endpoint, secret };
}

async function auditOf(t: TestTenant, entityId: string): Promise<any[]> {
  const r = ok(await t.gql(`query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { edges { node { action actorKind actorId before after } } } }`, { f: { entityId } }));
  return r.auditEvents.edges.map((e: any) => e.node).reverse();
}

describe('endpoints', () => {
  it('registers an endpoint and shows its secret once; reads, updates (optimistically), rotates, disables and enables it, all audited without the secret', async () => {
    const t = await h.tenant();
    const { endpoint, secret } = await createEndpoint(t, 'https://hooks.example.com/arrears', ['PLAN_BROKEN', 'PAYMENT_RECORDED', 'PAYMENT_RECORDED'], '  CRM sync  ');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ version: 1, url: 'https://hooks.example.com/arrears', description: 'CRM sync', status: 'ACTIVE', failureStreak: 0, previousSecretExpiresAt: null, disabledReason: null });
    // Once each, in the enum's order, however they were listed.
    expect(endpoint.eventTypes).toEqual(['PAYMENT_RECORDED', 'PLAN_BROKEN']);

    const listed = ok(await t.gql(`{ webhookEndpoints { ${ENDPOINT} } }`)).webhookEndpoints;
    expect(listed).toEqual([endpoint]);
    expect(ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { ${ENDPOINT} } }`, { id: endpoint.id })).webhookEndpoint).toEqual(endpoint);
    // There is no field to read a secret back.
    const noSecret = errorOf(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { secret } }`, { id: endpoint.id }));
    expect(noSecret.code).toBe('BAD_USER_INPUT');
    expect(noSecret.message).toMatch(/Cannot query field "secret"/);

    const UPDATE = `mutation($id: ID!, $v: Int!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: $v, input: $i) { ${ENDPOINT} } }`;
    const updated = ok(await t.gql(UPDATE, { id: endpoint.id, v: 1, i: { eventTypes: ['DISPUTE_OPENED'], description: '' } })).updateWebhookEndpoint;
    expect(updated).toMatchObject({ version: 2, url: endpoint.url, eventTypes: ['DISPUTE_OPENED'], description: null });
    const stale = errorOf(await t.gql(UPDATE, { id: endpoint.id, v: 1, i: { url: 'https://other.example.com/' } }));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.ext.currentVersion).toBe(2);

    const rotated = ok(await t.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { version previousSecretExpiresAt } } }`, { id: endpoint.id })).rotateWebhookSecret;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    const overlap = new Date(rotated.endpoint.previousSecretExpiresAt).getTime() - Date.now();
    expect(overlap).toBeGreaterThan(23.9 * 3_600_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3_600_000);

    const disabled = ok(await t.gql(`mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: "receiver migration") { ${ENDPOINT} } }`, { id: endpoint.id })).disableWebhookEndpoint;
    expect(disabled).toMatchObject({ status: 'DISABLED', disabledReason: 'receiver migration' });
    const enabled = ok(await t.gql(`mutation($id: ID!) { enableWebhookEndpoint(id: $id) { ${ENDPOINT} } }`, { id: endpoint.id })).enableWebhookEndpoint;
    expect(enabled).toMatchObject({ status: 'ACTIVE', disabledReason: null, failureStreak: 0 });

    const trail = await auditOf(t, endpoint.id);
    expect(trail.map((e) => e.action)).toEqual([
      'webhook_endpoint.create',
      'webhook_endpoint.update',
      'webhook_endpoint.rotate_secret',
      'webhook_endpoint.disable',
      'webhook_endpoint.enable',
    ]);
    expect(trail[0].after).toMatchObject({ url: 'https://hooks.example.com/arrears', eventTypes: ['payment.recorded', 'plan.broken'], status: 'active' });
    expect(trail[2].after.previousSecretUntil).toBe(rotated.endpoint.previousSecretExpiresAt);
    const text = JSON.stringify(trail);
    expect(text).not.toContain(secret.slice(6));
    expect(text).not.toContain(rotated.secret.slice(6));
    // Nor anywhere in the database in clear.
    const [row] = await h.db.admin.query<{ t: string }>(`select row_to_json(e)::text as t from webhook_endpoints e where id = $1`, [endpoint.id]);
    expect(row!.t).not.toContain(rotated.secret.slice(6));
  });

  it('refuses bad input, naming each field', async () => {
    const t = await h.tenant();
    const CREATE = `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ url: 'not a url', eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /absolute URL/],
      [{ url: '/relative/path', eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /absolute URL/],
      [{ url: 'ftp://files.example.com/in', eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /https/],
      [{ url: 'https://hooks.example.com/#frag', eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /fragment/],
      [{ url: 'https://hooks.example.com/' + 'x'.repeat(2100), eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /2048/],
      [{ url: '', eventTypes: ['PAYMENT_RECORDED'] }, 'input.url', /empty/],
      [{ url: 'https://hooks.example.com/', eventTypes: [] }, 'input.eventTypes', /at least one/],
      [{ url: 'https://hooks.example.com/', eventTypes: ['PAYMENT_RECORDED'], description: 'a\u0007b' }, 'input.description', /control/],
      [{ url: 'https://hooks.example.com/', eventTypes: ['PAYMENT_RECORDED'], description: 'x'.repeat(501) }, 'input.description', /500/],
    ];
    for (const [i, field, message] of cases) {
      const e = errorOf(await t.gql(CREATE, { i }));
      expect({ code: e.code, field: e.field }, JSON.stringify(i).slice(0, 80)).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(e.message).toMatch(message);
    }
    // Every problem at once.
    const many = errorOf(await t.gql(CREATE, { i: { url: 'nope', eventTypes: [], description: '\u0000' } }));
    expect(many.ext.problems.map((p: any) => p.field)).toEqual(['input.url', 'input.eventTypes', 'input.description']);
    // An unknown event type never reaches the service.
    expect(errorOf(await t.gql(CREATE, { i: { url: 'https://hooks.example.com/', eventTypes: ['PAYMENT_EATEN'] } })).code).toBe('BAD_USER_INPUT');

    const { endpoint } = await createEndpoint(t, 'https://hooks.example.com/a');
    const update = (id: string, i: Record<string, unknown>) =>
      t.gql(`mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: 1, input: $i) { id } }`, { id, i });
    expect(errorOf(await update(endpoint.id, { url: 'gopher://x' })).field).toBe('input.url');
    expect(errorOf(await update(endpoint.id, { eventTypes: [] })).field).toBe('input.eventTypes');
    expect(errorOf(await update('nope', { description: 'x' })).field).toBe('id');
    expect(errorOf(await t.gql(`mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: "  ") { id } }`, { id: endpoint.id })).field).toBe('reason');
    expect(errorOf(await t.gql(`mutation { redeliverWebhook(deliveryId: "42") { id } }`)).field).toBe('deliveryId');
    expect(errorOf(await t.gql(`{ webhookDeliveries(first: 0) { edges { cursor } } }`)).field).toBe('first');
    expect(errorOf(await t.gql(`{ webhookDeliveries(after: "garbage") { edges { cursor } } }`)).field).toBe('after');
    expect(errorOf(await t.gql(`{ webhookDeliveries(endpointId: "x") { edges { cursor } } }`)).field).toBe('endpointId');
    // Nothing was changed by any of it.
    expect(ok(await t.gql(`{ webhookEndpoints { id version } }`)).webhookEndpoints).toEqual([{ id: endpoint.id, version: 1 }]);
  });

  it("a tenant registers at most its plan's endpoints (20 on growth), concurrency notwithstanding", async () => {
    const t = await h.tenant();
    await setPlan(h, t.id, 'growth');
    await Promise.all(Array.from({ length: 22 }, (_, i) => t.gql(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`, { i: { url: `https://h${i}.example.com/`, eventTypes: ['PAYMENT_RECORDED'] } })));
    expect(ok(await t.gql(`{ webhookEndpoints { id } }`)).webhookEndpoints).toHaveLength(20);
    const e = errorOf(await t.gql(`mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`, { i: { url: 'https://one-more.example.com/', eventTypes: ['PAYMENT_RECORDED'] } }));
    expect(e.code).toBe('PLAN_LIMIT_EXCEEDED');
    expect(e.message).toMatch(/^webhookEndpoints: the Growth plan allows 20 webhook endpoints, 20 in use, 1 more requested; the Enterprise plan \(enterprise\) allows 100/);
    expect(e.ext).toMatchObject({ limit: 'webhookEndpoints', allowed: 20, usage: 20, requested: 1, plan: 'growth', upgradeTo: 'enterprise' });
  });
});

describe('delivery', () => {
  it('POSTs the thin event as JSON with Standard Webhooks headers, verifiable with the secret; records the attempt', async () => {
    const { t, rx, endpoint, secret } = await setup(status(200, 'thanks'));
    const data = payment();
    expect(await emit(h, t.id, 'payment.recorded', [data])).toBe(1);
    const before = await oneDelivery(t, endpoint.id);
    expect(before).toMatchObject({ status: 'PENDING', attemptCount: 0, attempts: [], event: { type: 'PAYMENT_RECORDED', data } });

    const w = worker(h);
    expect(await w.runOnce()).toMatchObject({ leases: 1, delivered: 1, failedAttempts: 0 });
    expect(rx.requests).toHaveLength(1);
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/arrears');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('Arrears-Webhooks/1');
    expect(req.headers['webhook-id']).toBe(before.event.id);
    expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(req.json).toEqual({ type: 'payment.recorded', timestamp: new Date(before.event.createdAt).toISOString(), data });
    expect(verifiedBy(secret, req.headers, req.body)).toBe(true);
    // A wrong secret, or a body changed in transit, does not verify.
    const other = await createEndpoint(t, 'https://elsewhere.example.com/');
    expect(verifiedBy(other.secret, req.headers, req.body)).toBe(false);
    expect(verifiedBy(secret, req.headers, req.body.replace(data.id, randomUUID()))).toBe(false);

    const after = await oneDelivery(t, endpoint.id);
    expect(after).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
    expect(after.deliveredAt).not.toBeNull();
    expect(after.attempts).toHaveLength(1);
    expect(after.attempts[0]).toMatchObject({ statusCode: 200, error: null, responseExcerpt: 'thanks' });
    // Nothing left: another round finds no work.
    expect((await w.runOnce()).leases).toBe(0);
    expect(rx.requests).toHaveLength(1);
  });

  it('only subscribed, active endpoints get an event; a tenant with none writes nothing to the outbox', async () => {
    const t = await h.tenant();
    expect(await emit(h, t.id, 'payment.recorded', [payment()])).toBe(0);
    expect((await h.db.admin.query<{ n: number }>(`select count(*)::int as n from webhook_events where tenant_id = $1`, [t.id]))[0]!.n).toBe(0);
    const rx = await receiver();
    const a = await createEndpoint(t, rx.url, ['PAYMENT_RECORDED', 'PLAN_BROKEN']);
    const b = await createEndpoint(t, rx.url, ['PLAN_BROKEN']);
    expect(await emit(h, t.id, 'payment.recorded', [payment(), payment()])).toBe(2);
    expect(await emit(h, t.id, 'plan.broken', [{ object: 'plan', id: randomUUID() }])).toBe(2);
    expect(await emit(h, t.id, 'dispute.opened', [{ object: 'dispute', id: randomUUID() }])).toBe(0);
    expect((await deliveries(t, { endpointId: a.endpoint.id })).map((d) => d.event.type).sort()).toEqual(['PAYMENT_RECORDED', 'PAYMENT_RECORDED', 'PLAN_BROKEN']);
    expect((await deliveries(t, { endpointId: b.endpoint.id })).map((d) => d.event.type)).toEqual(['PLAN_BROKEN']);
    await drain(worker(h));
    expect(rx.requests).toHaveLength(4);
  });

  it('recordPayment raises payment.recorded in its transaction, delivered with the payment id', async () => {
    const { t, rx, secret } = await setup();
    const p = await createPortfolio(t);
    const a = await createAccount(t, { debtorId: await createDebtor(t), portfolioId: p.id });
    const paid = await pay(t, { accountId: a.id, amount: '5000' });
    await drain(worker(h));
    expect(rx.requests).toHaveLength(1);
    expect(rx.requests[0]!.json).toMatchObject({ type: 'payment.recorded', data: { object: 'payment', id: paid.payment.id, accountId: a.id } });
    expect(verifiedBy(secret, rx.requests[0]!.headers, rx.requests[0]!.body)).toBe(true);
  });

  it('a receiver that fails the first 3 times gets the same event again after each backoff, then succeeds; the log keeps every attempt', async () => {
    const { t, rx, endpoint, secret } = await setup();
    rx.queue(status(500, 'db down'), status(503), status(500, 'still down'));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    const w = worker(h);
    for (let i = 1; i <= 3; i++) {
      expect(await w.runOnce(), `round ${i}`).toMatchObject({ leases: 1, delivered: 0, failedAttempts: 1 });
      const d = await oneDelivery(t, endpoint.id);
      expect(d).toMatchObject({ status: 'PENDING', attemptCount: i });
      // Backoff: base 5 s doubling, equal jitter — between half and all of the nominal delay.
      const delay = new Date(d.nextAttemptAt).getTime() - new Date(d.lastAttemptAt).getTime();
      expect(delay).toBeGreaterThanOrEqual(5_000 * 2 ** (i - 1) * 0.5 - 1_000);
      expect(delay).toBeLessThanOrEqual(5_000 * 2 ** (i - 1) + 1_000);
      // While the retry is not due, nothing is claimed or sent (pushed an hour out, so a slow machine cannot make it due).
      await h.db.admin.query(`update webhook_deliveries set next_attempt_at = now() + interval '1 hour' where id = $1`, [d.id]);
      expect((await w.runOnce()).leases).toBe(0);
      expect(rx.requests).toHaveLength(i);
      await makeDue(h, t.id);
    }
    expect(await w.runOnce()).toMatchObject({ delivered: 1 });
    const d = await oneDelivery(t, endpoint.id);
    expect(d).toMatchObject({ status: 'SUCCEEDED', attemptCount: 4, lastStatusCode: 204, lastError: null });
    expect(d.attempts.map((a: any) => [a.statusCode, a.error])).toEqual([
      [500, 'answered 500'],
      [503, 'answered 503'],
      [500, 'answered 500'],
      [204, null],
    ]);
    expect(d.attempts[0].responseExcerpt).toBe('db down');
    expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.event.id]));
    expect(new Set(rx.requests.map((r) => r.body)).size).toBe(1);
    for (const r of rx.requests) expect(verifiedBy(secret, r.headers, r.body)).toBe(true);
    expect(ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { failureStreak } }`, { id: endpoint.id })).webhookEndpoint.failureStreak).toBe(0);
  });

  it('survives every receiver fault: each is a failed attempt with its reason, retried later', async () => {
    const target = await receiver();
    const dead = await deadUrl();
    const faults: [string, Reply | string, { statusCode: number | null; error: RegExp }][] = [
      ['times out', hang, { statusCode: null, error: /^timeout: no answer within 1000 ms$/ }],
      ['stalls mid-answer', stallMidBody, { statusCode: 200, error: /^timeout: the answer did not finish/ }],
      ['closes the connection mid-answer', cutMidBody, { statusCode: 200, error: /^connection closed before the answer was complete/ }],
      ['closes the connection without answering', (res) => void res.socket?.destroy(), { statusCode: null, error: /^connection reset before an answer$/ }],
      ['refuses connections', dead, { statusCode: null, error: /^connection refused$/ }],
      ['answers 500', status(500), { statusCode: 500, error: /^answered 500$/ }],
      ['answers 400', json({ error: 'bad' }, 400), { statusCode: 400, error: /^answered 400$/ }],
      ['redirects', status(307, '', { location: target.url }), { statusCode: 307, error: /redirects are not followed/ }],
    ];
    for (const [label, fault, expected] of faults) {
      const t = await h.tenant();
      const rx = typeof fault === 'string' ? null : await receiver(fault);
      const { endpoint } = await createEndpoint(t, rx ? rx.url : (fault as string));
      await emit(h, t.id, 'payment.recorded', [payment()]);
      const s = await worker(h).runOnce();
      expect(s, label).toMatchObject({ leases: 1, delivered: 0, failedAttempts: 1, gaveUp: 0, disabled: 0 });
      const d = await oneDelivery(t, endpoint.id);
      expect(d, label).toMatchObject({ status: 'PENDING', attemptCount: 1, lastStatusCode: expected.statusCode });
      expect(d.lastError, label).toMatch(expected.error);
      expect(d.attempts[0].error, label).toMatch(expected.error);
      // The first retry comes 2.5–5 s later (5 s with equal jitter).
      expect(new Date(d.nextAttemptAt).getTime() - new Date(d.lastAttemptAt).getTime(), label).toBeGreaterThanOrEqual(2_400);
      expect(ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { status failureStreak } }`, { id: endpoint.id })).webhookEndpoint, label).toEqual({ status: 'ACTIVE', failureStreak: 1 });
    }
    // The redirect's target never heard from us.
    expect(target.requests).toHaveLength(0);
  });

  it('a slow receiver within the timeout is a success; a long answer is kept to its first 1 KB', async () => {
    const { t, rx, endpoint } = await setup(delayed(300, status(202)));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    expect(await worker(h).runOnce()).toMatchObject({ delivered: 1 });
    expect((await oneDelivery(t, endpoint.id)).status).toBe('SUCCEEDED');
    rx.always(status(500, 'é'.repeat(2000)));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    await worker(h).runOnce();
    const [d] = await deliveries(t, { endpointId: endpoint.id, status: 'PENDING' });
    expect(Buffer.byteLength(d.attempts[0].responseExcerpt)).toBeLessThanOrEqual(1024 + 2);
    expect(d.attempts[0].responseExcerpt).toMatch(/^é{500}/);
  });

  it('410 Gone disables the endpoint at once (audited, by the worker); nothing is queued while disabled; enabling resumes the pending delivery', async () => {
    const { t, rx, endpoint } = await setup(status(410));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    expect(await worker(h, { workerId: 'gone-worker' }).runOnce()).toMatchObject({ failedAttempts: 1, disabled: 1 });
    const e = ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { status disabledReason failureStreak version } }`, { id: endpoint.id })).webhookEndpoint;
    expect(e).toMatchObject({ status: 'DISABLED', disabledReason: 'the receiver answered 410 Gone', failureStreak: 1, version: 2 });
    const [disable] = (await auditOf(t, endpoint.id)).filter((a) => a.action === 'webhook_endpoint.disable');
    expect(disable).toMatchObject({ actorKind: 'system', actorId: 'webhook-worker', after: { status: 'disabled', lastStatusCode: 410 } });
    // Nothing new is queued for it, and its pending delivery is not sent.
    expect(await emit(h, t.id, 'payment.recorded', [payment()])).toBe(0);
    await makeDue(h, t.id);
    expect((await worker(h).runOnce()).leases).toBe(0);
    expect(rx.requests).toHaveLength(1);

    rx.always(status(200));
    ok(await t.gql(`mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }`, { id: endpoint.id }));
    expect(await worker(h).runOnce()).toMatchObject({ delivered: 1 });
    expect(rx.requests).toHaveLength(2);
    expect((await oneDelivery(t, endpoint.id)).status).toBe('SUCCEEDED');
  });

  it(`an endpoint failing ${DISABLE_AFTER} attempts in a row is disabled (audited); a success in between resets the count`, async () => {
    const { t, rx, endpoint } = await setup(status(500));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    const w = worker(h);
    const streak = async () => ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { status failureStreak } }`, { id: endpoint.id })).webhookEndpoint;
    for (let i = 1; i < DISABLE_AFTER; i++) {
      await w.runOnce();
      await makeDue(h, t.id);
    }
    expect(await streak()).toEqual({ status: 'ACTIVE', failureStreak: DISABLE_AFTER - 1 });
    // A success resets the streak.
    rx.queue(status(200));
    await w.runOnce();
    expect(await streak()).toEqual({ status: 'ACTIVE', failureStreak: 0 });
    await emit(h, t.id, 'payment.recorded', [payment()]);
    for (let i = 1; i <= DISABLE_AFTER; i++) {
      await w.runOnce();
      await makeDue(h, t.id);
    }
    expect(await streak()).toEqual({ status: 'DISABLED', failureStreak: DISABLE_AFTER });
    const audit = (await auditOf(t, endpoint.id)).filter((a) => a.action === 'webhook_endpoint.disable');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorKind: 'system', after: { disabledReason: `${DISABLE_AFTER} failed attempts in a row`, failureStreak: DISABLE_AFTER } });
    expect((await w.runOnce()).leases).toBe(0);
    // Enabling resets the streak.
    const enabled = ok(await t.gql(`mutation($id: ID!) { enableWebhookEndpoint(id: $id) { status failureStreak } }`, { id: endpoint.id })).enableWebhookEndpoint;
    expect(enabled).toEqual({ status: 'ACTIVE', failureStreak: 0 });
  });

  it('an endpoint disabled while a worker sends to it: the worker stops at its next page and lets go of the lease', async () => {
    const { t, rx, endpoint } = await setup();
    await emit(h, t.id, 'payment.recorded', Array.from({ length: 5 }, () => payment()));
    // The first request disables the endpoint before it is answered (on PGlite this also shows that no transaction is
    // open during a request: the mutation would wait forever behind it).
    rx.queue(async (res) => {
      ok(await t.gql(`mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: "maintenance") { id } }`, { id: endpoint.id }));
      res.writeHead(204).end();
    });
    expect(await worker(h, { batchSize: 2 }).runOnce()).toMatchObject({ leases: 1, delivered: 2 });
    expect(rx.requests).toHaveLength(2);
    expect((await deliveries(t, { endpointId: endpoint.id })).map((d) => d.status).sort()).toEqual(['PENDING', 'PENDING', 'PENDING', 'SUCCEEDED', 'SUCCEEDED']);
    const [row] = await h.db.admin.query<{ lease_owner: string | null; status: string }>(`select lease_owner, status from webhook_endpoints where id = $1`, [endpoint.id]);
    expect(row).toEqual({ lease_owner: null, status: 'disabled' });
  });

  it('an endpoint re-pointed while a worker sends to it: the worker stops at its next record, and the rest go to the new URL', async () => {
    const { t, rx, endpoint } = await setup();
    const moved = await receiver();
    await emit(h, t.id, 'payment.recorded', Array.from({ length: 4 }, () => payment()));
    rx.queue(async (res) => {
      ok(await t.gql(`mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: 1, input: $i) { id } }`, { id: endpoint.id, i: { url: moved.url } }));
      res.writeHead(204).end();
    });
    // Records after every request (flushMs 0): the change is seen before the second request, which is not sent.
    expect(await worker(h, { flushMs: 0 }).runOnce()).toMatchObject({ leases: 1, delivered: 1 });
    expect(rx.requests).toHaveLength(1);
    const [row] = await h.db.admin.query<{ lease_owner: string | null }>(`select lease_owner from webhook_endpoints where id = $1`, [endpoint.id]);
    expect(row!.lease_owner).toBeNull();
    expect(await drain(worker(h))).toMatchObject({ delivered: 3 });
    expect([rx.requests.length, moved.requests.length]).toEqual([1, 3]);
  });

  it('keeps order per endpoint: a failing delivery holds back everything behind it until it goes through', async () => {
    const { t, rx, endpoint } = await setup();
    const other = await receiver();
    const second = await createEndpoint(t, other.url);
    const sent: string[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const items = Array.from({ length: 10 }, () => payment());
      await emit(h, t.id, 'payment.recorded', items);
      sent.push(...items.map((i) => i.id));
    }
    // The 5th and 6th requests fail, then the 12th.
    rx.queue(status(204), status(204), status(204), status(204), status(500), status(500), status(204), status(204), status(204), status(204), status(204), status(502));
    const w = worker(h, { batchSize: 7 });
    for (let round = 0; round < 20; round++) {
      await drain(w);
      if (!(await deliveries(t, { status: 'PENDING' })).length) break;
      await makeDue(h, t.id);
    }
    const got = rx.requests.map((r) => r.json.data.id as string);
    expect(got).toHaveLength(33);
    // Repeats are consecutive (the retry comes before anything behind it); without them, exactly the order sent.
    const distinct = got.filter((id, i) => id !== got[i - 1]);
    expect(distinct).toEqual(sent);
    expect(got[4]).toBe(sent[4]);
    expect(got[5]).toBe(sent[4]);
    expect(got[6]).toBe(sent[4]);
    // The other endpoint, unaffected by the first one's failures, got everything in order once.
    expect(other.requests.map((r) => r.json.data.id)).toEqual(sent);
    expect((await deliveries(t, { endpointId: endpoint.id })).every((d) => d.status === 'SUCCEEDED')).toBe(true);
    expect((await deliveries(t, { endpointId: second.endpoint.id })).every((d) => d.attemptCount === 1)).toBe(true);
  });

  it('a worker that sent but died before recording: its lease expires, the next worker sends the same deliveries again (same webhook-id), and nothing a third time', async () => {
    const { t, rx, endpoint, secret } = await setup();
    const items = [payment(), payment(), payment()];
    await emit(h, t.id, 'payment.recorded', items);
    // The crash: recording the attempts fails after the requests went out (the database went away, the process died).
    await h.db.admin.query(`create or replace function test_webhook_crash() returns trigger language plpgsql as $$ begin raise exception 'simulated crash'; end $$`);
    await h.db.admin.query(`create trigger test_webhook_crash before insert on webhook_attempts for each row when (new.tenant_id = '${t.id}') execute function test_webhook_crash()`);
    try {
      const crashed = worker(h, { workerId: 'doomed' });
      expect(await crashed.runOnce()).toMatchObject({ leases: 1, delivered: 0 });
    } finally {
      await h.db.admin.query(`drop trigger test_webhook_crash on webhook_attempts`);
    }
    expect(rx.requests).toHaveLength(3);
    const [held] = await h.db.admin.query<{ lease_owner: string; live: boolean }>(`select lease_owner, lease_until > now() as live from webhook_endpoints where id = $1`, [endpoint.id]);
    expect(held).toEqual({ lease_owner: 'doomed', live: true });
    expect((await deliveries(t, { endpointId: endpoint.id })).map((d) => [d.status, d.attemptCount])).toEqual([
      ['PENDING', 0],
      ['PENDING', 0],
      ['PENDING', 0],
    ]);

    // While the dead worker's lease lasts, nobody else sends.
    const rescuer = worker(h, { workerId: 'rescuer' });
    expect((await rescuer.runOnce()).leases).toBe(0);
    expect(rx.requests).toHaveLength(3);
    // The lease runs out.
    await h.db.admin.query(`update webhook_endpoints set lease_until = now() - interval '1 second' where id = $1`, [endpoint.id]);
    expect(await rescuer.runOnce()).toMatchObject({ leases: 1, delivered: 3 });
    expect(await drain(rescuer)).toMatchObject({ leases: 0 });
    expect(rx.requests).toHaveLength(6);
    const byId = new Map<string, number>();
    for (const r of rx.requests) byId.set(r.json.data.id, (byId.get(r.json.data.id) ?? 0) + 1);
    expect([...byId.values()]).toEqual([2, 2, 2]);
    expect(rx.requests.map((r) => r.json.data.id)).toEqual([...items, ...items].map((i) => i.id));
    // The resend carries the same webhook-id as the lost attempt, freshly signed.
    for (let i = 0; i < 3; i++) expect(rx.requests[i + 3]!.headers['webhook-id']).toBe(rx.requests[i]!.headers['webhook-id']);
    for (const r of rx.requests) expect(verifiedBy(secret, r.headers, r.body)).toBe(true);
    const after = await deliveries(t, { endpointId: endpoint.id });
    expect(after.map((d) => [d.status, d.attemptCount, d.attempts.length])).toEqual([
      ['SUCCEEDED', 1, 1],
      ['SUCCEEDED', 1, 1],
      ['SUCCEEDED', 1, 1],
    ]);
    const [released] = await h.db.admin.query<{ lease_owner: string | null }>(`select lease_owner from webhook_endpoints where id = $1`, [endpoint.id]);
    expect(released!.lease_owner).toBeNull();
  });

  it('redeliverWebhook queues the event again as a new delivery (same webhook-id), audited; a pending delivery cannot be redelivered', async () => {
    const { t, rx, endpoint } = await setup();
    await emit(h, t.id, 'payment.recorded', [payment()]);
    await drain(worker(h));
    const original = await oneDelivery(t, endpoint.id);
    expect(original.status).toBe('SUCCEEDED');
    const REDELIVER = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY} } }`;
    const again = ok(await t.gql(REDELIVER, { id: original.id })).redeliverWebhook;
    expect(again).toMatchObject({ status: 'PENDING', attemptCount: 0, endpointId: endpoint.id, event: original.event, attempts: [] });
    expect(again.id).not.toBe(original.id);
    const pending = errorOf(await t.gql(REDELIVER, { id: again.id }));
    expect(pending.code).toBe('CONFLICT');
    await drain(worker(h));
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[1]!.headers['webhook-id']).toBe(rx.requests[0]!.headers['webhook-id']);
    expect(rx.requests[1]!.body).toBe(rx.requests[0]!.body);
    const all = await deliveries(t, { eventId: original.event.id });
    expect(all.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(all.find((d) => d.id === original.id)).toEqual(original);
    const [audit] = await auditOf(t, again.id);
    expect(audit).toMatchObject({ action: 'webhook_delivery.redeliver', actorKind: 'api_key', after: { redeliveryOf: original.id, eventId: original.event.id, endpointId: endpoint.id } });
  });

  it('gives a delivery up once it is older than the maximum age (three days), and a given-up delivery can be redelivered', async () => {
    const { t, rx, endpoint } = await setup(status(500));
    const [first, second] = [payment(), payment()];
    await emit(h, t.id, 'payment.recorded', [first, second]);
    // Backdate the first: 71 h 59 m old. Its next attempt may not fall after its deadline.
    const [d1] = (await deliveries(t, { endpointId: endpoint.id })).filter((d) => d.event.data.id === first.id);
    await h.db.admin.query(`update webhook_deliveries set created_at = now() - interval '71 hours 59 minutes', attempts = 20 where id = $1`, [d1.id]);
    const w = worker(h);
    await w.runOnce();
    const retried = (await deliveries(t, { endpointId: endpoint.id })).find((d) => d.id === d1.id);
    expect(retried.status).toBe('PENDING');
    expect(new Date(retried.nextAttemptAt).getTime()).toBeLessThanOrEqual(new Date(retried.createdAt).getTime() + 72 * 3_600_000);
    // Past the deadline, a failed attempt gives it up; the next delivery goes next.
    await h.db.admin.query(`update webhook_deliveries set created_at = now() - interval '73 hours', next_attempt_at = now() where id = $1`, [d1.id]);
    rx.queue(status(500));
    expect(await w.runOnce()).toMatchObject({ gaveUp: 1 });
    const given = (await deliveries(t, { endpointId: endpoint.id })).find((d) => d.id === d1.id);
    expect(given).toMatchObject({ status: 'FAILED', attemptCount: 22, nextAttemptAt: null, lastStatusCode: 500 });
    expect(ok(await t.gql(`{ webhookDeliveries(status: FAILED) { edges { node { id } } } }`)).webhookDeliveries.edges.map((e: any) => e.node.id)).toEqual([d1.id]);
    rx.always(status(200));
    expect(await w.runOnce()).toMatchObject({ delivered: 1 });
    expect(rx.requests.at(-1)!.json.data.id).toBe(second.id);
    // Redelivered, it gets a fresh three days and goes through.
    ok(await t.gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: d1.id }));
    expect(await w.runOnce()).toMatchObject({ delivered: 1 });
    expect(rx.requests.at(-1)!.json.data.id).toBe(first.id);
  });

  it('after a rotation both secrets sign for the overlap, then only the new one', async () => {
    const { t, rx, endpoint, secret: oldSecret } = await setup();
    const rotated = ok(await t.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id })).rotateWebhookSecret;
    await emit(h, t.id, 'payment.recorded', [payment()]);
    await drain(worker(h));
    const during = rx.requests[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifiedBy(rotated.secret, during.headers, during.body)).toBe(true);
    expect(verifiedBy(oldSecret, during.headers, during.body)).toBe(true);
    // The overlap ends.
    await h.db.admin.query(`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [endpoint.id]);
    await emit(h, t.id, 'payment.recorded', [payment()]);
    await drain(worker(h));
    const afterwards = rx.requests[1]!;
    expect(String(afterwards.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifiedBy(rotated.secret, afterwards.headers, afterwards.body)).toBe(true);
    expect(verifiedBy(oldSecret, afterwards.headers, afterwards.body)).toBe(false);
    expect(ok(await t.gql(`query($id: ID!) { webhookEndpoint(id: $id) { previousSecretExpiresAt } }`, { id: endpoint.id })).webhookEndpoint.previousSecretExpiresAt).toBeNull();
  });

  it('purges finished deliveries, their attempts and events after the retention period; pending ones stay however old', async () => {
    const { t, rx, endpoint } = await setup();
    await emit(h, t.id, 'payment.recorded', [payment(), payment()]);
    await drain(worker(h));
    rx.always(status(500));
    await emit(h, t.id, 'payment.recorded', [payment()]);
    await drain(worker(h));
    const all = await deliveries(t, { endpointId: endpoint.id });
    expect(all.map((d) => d.status).sort()).toEqual(['PENDING', 'SUCCEEDED', 'SUCCEEDED']);
    const q = h.db.admin.query;
    const counts = async () => (await q<{ d: number; a: number; e: number }>(
      `select (select count(*) from webhook_deliveries where tenant_id = $1)::int as d, (select count(*) from webhook_attempts where tenant_id = $1)::int as a,
              (select count(*) from webhook_events where tenant_id = $1)::int as e`, [t.id]))[0];
    // Within the retention period (30 days by default) nothing goes.
    expect(await h.app.services.webhooks.purge(t.id)).toEqual({ deliveries: 0, events: 0 });
    // 31 days on: everything is old, but the pending delivery (and its event) stays.
    await q(`update webhook_deliveries set updated_at = updated_at - interval '31 days', created_at = created_at - interval '31 days' where tenant_id = $1`, [t.id]);
    await q(`update webhook_events set created_at = created_at - interval '31 days' where tenant_id = $1`, [t.id]);
    expect(await h.app.services.webhooks.purge(t.id, 1)).toEqual({ deliveries: 2, events: 2 });
    expect(await counts()).toEqual({ d: 1, a: 1, e: 1 });
    expect((await deliveries(t, { endpointId: endpoint.id })).map((d) => d.status)).toEqual(['PENDING']);
  });

  it('pages through deliveries newest event first', async () => {
    const { t, endpoint } = await setup();
    const items = Array.from({ length: 7 }, () => payment());
    for (const i of items) await emit(h, t.id, 'payment.recorded', [i]);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const r: any = ok(await t.gql(`query($a: String, $e: ID) { webhookDeliveries(first: 3, after: $a, endpointId: $e) { edges { cursor node { event { data } } } pageInfo { hasNextPage endCursor } } }`, { a: after, e: endpoint.id }));
      seen.push(...r.webhookDeliveries.edges.map((e: any) => e.node.event.data.id));
      if (!r.webhookDeliveries.pageInfo.hasNextPage) break;
      after = r.webhookDeliveries.pageInfo.endCursor;
    }
    expect(seen).toEqual(items.map((i) => i.id).reverse());
  });
});

describe('the sender', () => {
  it('reuses connections, and retries once on a fresh one when the receiver had closed a kept-alive connection', async () => {
    // Answers the first request of each connection and drops the connection at the second, as a receiver whose idle
    // timeout fires just as the connection is reused.
    const perSocket = new WeakMap<object, number>();
    let connections = 0;
    const server = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      req.resume();
      req.on('end', () => (n === 1 ? res.writeHead(204).end() : req.socket.destroy()));
    });
    server.on('connection', (socket) => {
      connections++;
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sender = new WebhookSender({ allowPrivateUrls: true, requireHttps: false, timeoutMs: 1000 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      for (let i = 0; i < 3; i++) expect(await sender.send(url, '{}', {}), `send ${i}`).toMatchObject({ statusCode: 204, complete: true, error: null });
      // Each later send found its kept-alive connection dropped and went through on a new one.
      expect(connections).toBe(3);
    } finally {
      sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the worker loop', () => {
  it('delivers on its own while started, and releases its leases when stopped', async () => {
    const { t, rx, endpoint } = await setup();
    const w = worker(h, { pollMs: 20 });
    w.start();
    try {
      await emit(h, t.id, 'payment.recorded', [payment(), payment()]);
      for (let i = 0; i < 2400 && rx.requests.length < 2; i++) await sleep(25);
    } finally {
      await w.stop();
    }
    expect(rx.requests).toHaveLength(2);
    expect(w.totals.delivered).toBeGreaterThanOrEqual(2);
    const [row] = await h.db.admin.query<{ lease_owner: string | null }>(`select lease_owner from webhook_endpoints where id = $1`, [endpoint.id]);
    expect(row!.lease_owner).toBeNull();
  });

  it('two workers side by side deliver every event exactly once, in order per endpoint', async () => {
    const t = await h.tenant();
    const rxs = await Promise.all([receiver(), receiver(), receiver()]);
    for (const rx of rxs) await createEndpoint(t, rx.url);
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) {
      const items = Array.from({ length: 10 }, () => payment());
      await emit(h, t.id, 'payment.recorded', items);
      sent.push(...items.map((x) => x.id));
    }
    const workers = [worker(h, { workerId: 'w-a', batchSize: 5, maxPerLease: 15, concurrency: 2 }), worker(h, { workerId: 'w-b', batchSize: 5, maxPerLease: 15, concurrency: 2 })];
    for (const w of workers) w.start();
    try {
      for (let i = 0; i < 2400 && rxs.some((rx) => rx.requests.length < sent.length); i++) await sleep(25);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    for (const rx of rxs) expect(rx.requests.map((r) => r.json.data.id)).toEqual(sent);
    // Both took part (each lease carries at most 15 deliveries, so the 240 needed many leases).
    expect(workers.every((w) => w.totals.delivered > 0)).toBe(true);
    expect(workers[0]!.totals.delivered + workers[1]!.totals.delivered).toBe(240);
  });
});
