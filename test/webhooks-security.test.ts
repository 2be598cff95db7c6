import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../src/shared/network.js';
import { createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import { agencyWithToken } from './agency-fixtures.js';
import { engine, startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { asApp, count, failure } from './sql-fixtures.js';
import { createEndpoint, deliveries, drain, emit, quietLogger, startReceiver, worker } from './webhooks-fixtures.js';
import { WebhookWorker } from '../src/modules/webhooks/webhook.worker.js';

/**
 * Webhooks belong to the creditor as a whole. Another tenant's endpoints and deliveries answer NOT_FOUND (worded
 * as for ids that exist nowhere) and nothing of theirs changes; portfolio-scoped keys, keys without admin and
 * agencies are refused every operation; the database hides every webhook table from other tenants and from
 * scoped sessions by itself. Receiver URLs cannot reach this machine or its network unless a test setting
 * allows it: refused at registration and again at delivery (including names that resolve to private
 * addresses), and production mode requires https. `any` appears where GraphQL results are handled.
 */

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';
const TABLES = ['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts'] as const;

/** The receiver is on 127.0.0.1, so this harness allows private URLs; the SSRF suites below use harnesses that do not. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '1000' } });
});
afterAll(async () => h?.close());
// Workers claim across tenants: nothing a test leaves behind may be picked up by the next one's worker.
afterEach(async () => {
  await h.db.admin.query(`update webhook_endpoints set status = 'disabled', disabled_reason = 'test over' where status = 'active'`);
});

interface Seeded {
  t: TestTenant;
  endpointId: string;
  deliveryId: string;
  eventId: string;
}

/** A tenant with an endpoint, a delivered event (with its attempt) and a portfolio. */
async function seeded(): Promise<Seeded & { portfolioId: string; close: () => Promise<void> }> {
  const t = await h.tenant();
  const rx = await startReceiver();
  const { endpoint } = await createEndpoint(t, rx.url, ['PAYMENT_RECORDED', 'GRANT_RECALLED']);
  await emit(h, t.id, 'payment.recorded', [{ object: 'payment', id: randomUUID() }]);
  await drain(worker(h));
  const [d] = await deliveries(t, { endpointId: endpoint.id });
  expect(d.status).toBe('SUCCEEDED');
  const portfolioId = (await createPortfolio(t)).id;
  return { t, endpointId: endpoint.id, deliveryId: d.id, eventId: d.event.id, portfolioId, close: () => rx.close() };
}

type Ids = { endpointId: string; deliveryId: string; eventId: string };
const OPS: Record<string, { query: string; vars: (ids: Ids) => Record<string, unknown>; byId: boolean }> = {
  webhookEndpoints: { query: `{ webhookEndpoints { id } }`, vars: () => ({}), byId: false },
  webhookEndpoint: { query: `query($id: ID!) { webhookEndpoint(id: $id) { id url } }`, vars: (i) => ({ id: i.endpointId }), byId: true },
  webhookDeliveries: { query: `query($e: ID) { webhookDeliveries(endpointId: $e) { edges { node { id } } } }`, vars: (i) => ({ e: i.endpointId }), byId: true },
  webhookDelivery: { query: `query($id: ID!) { webhookDelivery(id: $id) { id attempts { id } } }`, vars: (i) => ({ id: i.deliveryId }), byId: true },
  createWebhookEndpoint: {
    query: `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }`,
    vars: () => ({ i: { url: 'https://hooks.example.com/x', eventTypes: ['PAYMENT_RECORDED'] } }),
    byId: false,
  },
  updateWebhookEndpoint: {
    query: `mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: 1, input: $i) { id } }`,
    vars: (i) => ({ id: i.endpointId, i: { url: 'https://attacker.example.com/' } }),
    byId: true,
  },
  rotateWebhookSecret: { query: `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, vars: (i) => ({ id: i.endpointId }), byId: true },
  disableWebhookEndpoint: { query: `mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: "mine now") { id } }`, vars: (i) => ({ id: i.endpointId }), byId: true },
  enableWebhookEndpoint: { query: `mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }`, vars: (i) => ({ id: i.endpointId }), byId: true },
  redeliverWebhook: { query: `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, vars: (i) => ({ id: i.deliveryId }), byId: true },
};

/** Everything of a tenant's webhook state, as the owner sees it (to prove nothing changed). */
async function snapshot(tenantId: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) out[table] = await h.db.admin.query(`select * from ${table} where tenant_id = $1 order by id`, [tenantId]);
  out.audit = (await h.db.admin.query<{ n: number }>(`select count(*)::int as n from audit_events where tenant_id = $1`, [tenantId]))[0]!.n;
  return out;
}

describe('across tenants', () => {
  it('B reaches none of A’s endpoints or deliveries: NOT_FOUND worded as for unknown ids, lists without them, nothing of A’s changed', async () => {
    const A = await seeded();
    const B = await seeded();
    try {
      const before = await snapshot(A.t.id);
      for (const [op, { query, vars, byId }] of Object.entries(OPS)) {
        if (!byId) continue;
        const real = expectError(await B.t.gql(query, vars(A)), 'NOT_FOUND');
        const none = expectError(await B.t.gql(query, vars({ endpointId: NOWHERE, deliveryId: NOWHERE, eventId: NOWHERE })), 'NOT_FOUND');
        expect(real.message.replace(/[0-9a-f-]{36}/g, '<id>'), op).toBe(none.message.replace(/[0-9a-f-]{36}/g, '<id>'));
      }
      // B's lists hold only B's rows; filtering by A's event finds nothing.
      expect(ok(await B.t.gql(`{ webhookEndpoints { id } }`)).webhookEndpoints.map((e: any) => e.id)).toEqual([B.endpointId]);
      expect((await deliveries(B.t)).map((d) => d.id)).toEqual([B.deliveryId]);
      expect(await deliveries(B.t, { eventId: A.eventId })).toEqual([]);
      expect(await snapshot(A.t.id)).toEqual(before);
      // A's own key still reaches them (the refusals above are not a broken query).
      expect(ok(await A.t.gql(OPS.webhookDelivery!.query, OPS.webhookDelivery!.vars(A))).webhookDelivery.attempts).toHaveLength(1);
    } finally {
      await Promise.all([A.close(), B.close()]);
    }
  });

  it('an event raised in B reaches only B’s endpoints', async () => {
    const A = await seeded();
    const B = await seeded();
    try {
      expect(await emit(h, B.t.id, 'payment.recorded', [{ object: 'payment', id: randomUUID() }])).toBe(1);
      expect((await deliveries(A.t)).map((d) => d.id)).toEqual([A.deliveryId]);
      expect(await deliveries(B.t)).toHaveLength(2);
    } finally {
      await Promise.all([A.close(), B.close()]);
    }
  });
});

describe('who may call', () => {
  async function expectRefusedEverywhere(gql: (q: string, v: Record<string, unknown>) => Promise<GqlResult>, s: Seeded, label: string): Promise<void> {
    const before = await snapshot(s.t.id);
    for (const [op, { query, vars }] of Object.entries(OPS)) {
      const r = await gql(query, vars(s));
      expectError(r, 'FORBIDDEN');
      expect(r.data, `${label}: ${op}`).toBeNull();
    }
    expect(await snapshot(s.t.id)).toEqual(before);
  }

  it('a portfolio-scoped key, even with admin, is refused every webhook operation (FORBIDDEN) and changes nothing', async () => {
    const s = await seeded();
    try {
      const key = await scopedKey(s.t, ['read', 'write', 'admin', 'pii:reveal'], [s.portfolioId]);
      await expectRefusedEverywhere((q, v) => h.gql(key, q, v), s, 'scoped admin');
      // The same key works elsewhere: the refusal is about webhooks, not the key.
      expect(ok(await h.gql(key, `query($id: ID!) { portfolio(id: $id) { id } }`, { id: s.portfolioId })).portfolio.id).toBe(s.portfolioId);
    } finally {
      await s.close();
    }
  });

  it('a tenant-wide key without admin is refused every webhook operation', async () => {
    const s = await seeded();
    try {
      const { key } = await s.t.keyWith(['read', 'write', 'pii:reveal']);
      await expectRefusedEverywhere((q, v) => h.gql(key, q, v), s, 'read/write');
    } finally {
      await s.close();
    }
  });

  it('an agency token, granted every scope, is refused every webhook operation', async () => {
    const s = await seeded();
    try {
      const ag = await agencyWithToken(h, s.t, [s.portfolioId]);
      await expectRefusedEverywhere((q, v) => ag.gql(q, v), s, 'agency');
      expect(ok(await ag.gql(`query($id: ID!) { portfolio(id: $id) { id } }`, { id: s.portfolioId })).portfolio.id).toBe(s.portfolioId);
    } finally {
      await s.close();
    }
  });
});

describe('the database itself', () => {
  let A: Awaited<ReturnType<typeof seeded>>;
  let B: Awaited<ReturnType<typeof seeded>>;
  beforeAll(async () => {
    A = await seeded();
    B = await seeded();
  });
  afterAll(async () => {
    await A?.close();
    await B?.close();
  });

  const counts = async (q: AdminQuery, tenantId: string) => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(q, `select count(*)::int as n from ${t} where tenant_id = $1`, [tenantId])] as const)));

  it('as the app role: A sees its own rows in every webhook table (so the checks below are not vacuous)', async () => {
    const own = await asApp(h, A.t.id, (q) => counts(q, A.t.id));
    for (const t of TABLES) expect(own[t], t).toBeGreaterThan(0);
  });

  it('with no tenant, or tenant B, none of A’s rows are visible or changeable', async () => {
    for (const tenant of [null, B.t.id]) {
      await asApp(h, tenant, async (q) => {
        for (const [t, n] of Object.entries(await counts(q, A.t.id))) expect(n, `${tenant}: ${t}`).toBe(0);
        expect((await q(`update webhook_endpoints set url = 'https://attacker.example.com/' where id = $1 returning id`, [A.endpointId])).length).toBe(0);
        expect((await q(`update webhook_deliveries set status = 'pending' where id = $1 returning id`, [A.deliveryId])).length).toBe(0);
      });
    }
  });

  it('A’s own session scoped to a portfolio, or as an agency, sees no webhook row at all', async () => {
    for (const setting of ['app.portfolio_ids', 'app.agency_id'] as const) {
      const seen = await asApp(h, A.t.id, async (q) => {
        await q(`select set_config($1, $2, true)`, [setting, setting === 'app.portfolio_ids' ? `{${A.portfolioId}}` : randomUUID()]);
        const n = await counts(q, A.t.id);
        const all = await Promise.all(TABLES.map((t) => count(q, `select count(*)::int as n from ${t}`)));
        const updated = (await q(`update webhook_endpoints set status = 'disabled' where id = $1 returning id`, [A.endpointId])).length;
        return { n, all, updated };
      });
      for (const [t, n] of Object.entries(seen.n)) expect(n, `${setting}: ${t}`).toBe(0);
      expect(seen.all, setting).toEqual([0, 0, 0, 0]);
      expect(seen.updated, setting).toBe(0);
    }
  });

  it("rows for another tenant cannot be written or removed; the attempt log cannot be altered; the app role cannot claim endpoints", async () => {
    const planted = await failure(
      asApp(h, A.t.id, (q) => q(`insert into webhook_endpoints (tenant_id, id, url, event_types, secret_ciphertext, secret_key_id) values ($1, $2, 'https://x.example.com/', '{payment.recorded}', '\\x00', 'k')`, [B.t.id, randomUUID()])),
    );
    expect(planted.code).toBe('42501');
    expect(planted.message).toMatch(/row-level security/);
    const altered = await failure(asApp(h, A.t.id, (q) => q(`update webhook_attempts set status_code = 200 where tenant_id = $1`, [A.t.id])));
    expect(altered.code).toBe('42501');
    // The retention purge deletes finished deliveries as the app role: only ever its own tenant's.
    const before = await count(h.db.admin.query, `select count(*)::int as n from webhook_deliveries where tenant_id = $1`, [B.t.id]);
    expect(before).toBeGreaterThan(0);
    await asApp(h, A.t.id, (q) => q(`delete from webhook_deliveries where tenant_id = $1`, [B.t.id]));
    await asApp(h, A.t.id, (q) => q(`delete from webhook_events where tenant_id = $1`, [B.t.id]));
    expect(await count(h.db.admin.query, `select count(*)::int as n from webhook_deliveries where tenant_id = $1`, [B.t.id])).toBe(before);
    const claimed = await failure(asApp(h, A.t.id, (q) => q(`select * from arrears_webhook_claim('intruder', 10, 60)`)));
    expect(claimed.code).toBe('42501');
  });
});

describe('receiver URLs and private addresses', () => {
  let strict: Harness;
  let production: Harness;
  beforeAll(async () => {
    strict = await startHarness({ env: { WEBHOOK_TIMEOUT_MS: '1000' } }); // WEBHOOK_ALLOW_PRIVATE_URLS is false by default
    production = await startHarness({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused' } });
  });
  afterAll(async () => {
    await strict?.close();
    await production?.close();
  });

  const CREATE = `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }`;

  it('refuses loopback, private, link-local and local names, and credentials, at registration and on update', async () => {
    const t = await strict.tenant();
    const refused = [
      'http://127.0.0.1:8080/hooks',
      'http://127.1/hooks',
      'http://2130706433/hooks',
      'http://0x7f.0.0.1/hooks',
      'http://10.1.2.3/hooks',
      'http://172.16.0.5/hooks',
      'http://192.168.1.1/hooks',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:9/hooks',
      'http://[::ffff:127.0.0.1]/hooks',
      'http://[fd00::1]/hooks',
      'http://localhost/hooks',
      'http://localhost./hooks',
      'http://api.localhost/hooks',
      'http://printer.local/hooks',
      'http://metadata.internal/hooks',
      'http://0.0.0.0/hooks',
      'https://user:secret@hooks.example.com/in',
      'https://token@hooks.example.com/in',
      'file:///etc/passwd',
      'javascript:alert(1)',
    ];
    for (const url of refused) {
      const r = await t.gql(CREATE, { i: { url, eventTypes: ['PAYMENT_RECORDED'] } });
      expectError(r, 'BAD_USER_INPUT', 'input.url');
    }
    const { endpoint } = ok(await t.gql(CREATE, { i: { url: 'https://hooks.example.com/in', eventTypes: ['PAYMENT_RECORDED'] } })).createWebhookEndpoint;
    for (const url of ['http://127.0.0.1/x', 'http://169.254.169.254/', 'https://a:b@hooks.example.com/']) {
      const r = await t.gql(`mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: 1, input: $i) { id } }`, { id: endpoint.id, i: { url } });
      expectError(r, 'BAD_USER_INPUT', 'input.url');
    }
    expect(ok(await t.gql(`{ webhookEndpoints { url version } }`)).webhookEndpoints).toEqual([{ url: 'https://hooks.example.com/in', version: 1 }]);
  });

  it('checks again at delivery: a stored private URL is not called, and neither is a public-looking name that resolves to a private address', async () => {
    const rx = await startReceiver();
    try {
      const t = await strict.tenant();
      // A URL that passed registration, then pointed at this machine behind the API's back.
      const { endpoint } = await createEndpoint(t, 'https://hooks.example.com/in');
      await strict.db.admin.query(`update webhook_endpoints set url = $1 where id = $2`, [rx.url, endpoint.id]);
      const w = new WebhookWorker(strict.app.services.webhooks, quietLogger, { concurrency: 2, pollMs: 20 });
      await emit(strict, t.id, 'payment.recorded', [{ object: 'payment', id: randomUUID() }]);
      expect(await w.runOnce()).toMatchObject({ leases: 1, delivered: 0, failedAttempts: 1 });
      const [d] = await deliveries(t, { endpointId: endpoint.id });
      expect(d).toMatchObject({ status: 'PENDING', lastStatusCode: null });
      expect(d.lastError).toBe('refused: the URL must not point at a loopback, private or link-local address');

      // This machine's own name: /etc/hosts maps it to a loopback address, which no check of the URL can know.
      const machine = hostname();
      const resolvesPrivate = await lookup(machine, { all: true }).then((a) => a.length > 0 && a.every((x) => isPrivateAddress(x.address)), () => false);
      expect(resolvesPrivate, `this test needs ${machine} to resolve to a private address (it does on these machines)`).toBe(true);
      const t2 = await strict.tenant();
      const sneaky = await createEndpoint(t2, rx.url.replace('127.0.0.1', machine));
      await emit(strict, t2.id, 'payment.recorded', [{ object: 'payment', id: randomUUID() }]);
      expect(await w.runOnce()).toMatchObject({ leases: 1, delivered: 0, failedAttempts: 1 });
      const [d2] = await deliveries(t2, { endpointId: sneaky.endpoint.id });
      expect(d2.lastError).toMatch(/^refused: .* resolves to a private address$/);
      expect(rx.requests).toHaveLength(0);
      await w.stop();
    } finally {
      await rx.close();
    }
  });

  it('in production mode only https is accepted, at registration and at delivery', async () => {
    const t = await production.tenant();
    expectError(await t.gql(CREATE, { i: { url: 'http://hooks.example.com/in', eventTypes: ['PAYMENT_RECORDED'] } }), 'BAD_USER_INPUT', 'input.url');
    expectError(await t.gql(CREATE, { i: { url: 'https://u:p@hooks.example.com/in', eventTypes: ['PAYMENT_RECORDED'] } }), 'BAD_USER_INPUT', 'input.url');
    const { endpoint } = ok(await t.gql(CREATE, { i: { url: 'https://hooks.example.com/in', eventTypes: ['PAYMENT_RECORDED'] } })).createWebhookEndpoint;
    // A plain-http URL stored earlier (say, before the switch to production) is not called.
    await production.db.admin.query(`update webhook_endpoints set url = 'http://hooks.example.com/in' where id = $1`, [endpoint.id]);
    await emit(production, t.id, 'payment.recorded', [{ object: 'payment', id: randomUUID() }]);
    const w = new WebhookWorker(production.app.services.webhooks, quietLogger, { concurrency: 2, pollMs: 20 });
    expect(await w.runOnce()).toMatchObject({ leases: 1, delivered: 0, failedAttempts: 1 });
    const [d] = await deliveries(t, { endpointId: endpoint.id });
    expect(d.lastError).toBe('refused: the URL must use https');
    await w.stop();
  });
});

describe('claims under contention', () => {
  it.skipIf(engine !== 'postgres')('eight workers claiming at the same instant lease each endpoint to one of them only (needs PostgreSQL: PGlite runs one statement at a time)', async () => {
    const t = await h.tenant();
    const rx = await startReceiver();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createEndpoint(t, rx.url)).endpoint.id);
      await emit(h, t.id, 'payment.recorded', Array.from({ length: 20 }, () => ({ object: 'payment', id: randomUUID() })));
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => h.db.database.query<{ endpoint_id: string }>('select endpoint_id from arrears_webhook_claim($1, 3, 60)', [`racer-${i}`])));
      const leased = claims.flat().map((c) => c.endpoint_id).filter((id) => ids.includes(id));
      expect(leased.sort()).toEqual([...ids].sort());
    } finally {
      await rx.close();
    }
  });
});
