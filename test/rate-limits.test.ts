import { randomBytes } from 'node:crypto';
import { tcpReachable } from '../src/shared/network.js';
import { connect, createServer, Socket, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { parseConfig } from '../src/config/env.js';
import { openPostgres, type Database } from '../src/db/client.js';
import { RateLimiter, RedisCounterStore } from '../src/modules/billing/rate-limit.service.js';
import { windowStart } from '../src/modules/billing/subscription.logic.js';
import { checksum, toBase62 } from '../src/modules/tenancy/api-key.format.js';
import type { Principal } from '../src/modules/tenancy/principal.js';
import type { Clock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { createPortfolio } from './accounts-fixtures.js';
import { credential, agencyWithToken, token } from './agency-fixtures.js';
import { setPlan } from './billing-fixtures.js';
import { engine, errorOf, PLATFORM_TOKEN, startHarness, type GqlResult, type Harness } from './harness.js';

/**
 * Per-key (and per-agency-credential) rate limits: fixed one-minute windows on the app clock, limits from the
 * tenant's plan. The default store is memory on PGlite and the key lookup itself (rate_limit_counters) on
 * PostgreSQL; Redis and "off" are chosen by RATE_LIMIT_STORE. Every test pins the clock 10 s into a fresh
 * minute, so no window rolls over mid-test and Retry-After is exactly 50 s.
 */

const FREE = 5; // the default plan of these tenants
const STARTER = 3;
const PLANS = JSON.stringify({
  free: { limits: { apiRequestsPerMinute: FREE } },
  starter: { limits: { apiRequestsPerMinute: STARTER } },
  enterprise: { limits: { apiRequestsPerMinute: null } },
});
const ENV = { BILLING_DEFAULT_PLAN: 'free', BILLING_PLANS: PLANS };
const REDIS_URL = 'redis://127.0.0.1:6379';
const Q = '{ __typename }';

/** A clock that only moves when told: 20 minutes in the past (grants' validity is checked against the server's now()). */
class TestClock implements Clock {
  t = windowStart(new Date()).getTime() - 20 * 60_000 + 10_000;
  now(): Date {
    return new Date(this.t);
  }
  /** 10 s into the next minute: a fresh window with 50 s left. */
  nextMinute(): void {
    this.t = windowStart(new Date(this.t)).getTime() + 60_000 + 10_000;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const tcpOpen = (port: number): Promise<boolean> => tcpReachable('127.0.0.1', port);

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const redisUp = await tcpOpen(6379);

async function post(url: string, auth: string, query = Q): Promise<GqlResult> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: GqlResult['errors'] };
  return { status: res.status, data: body.data ?? null, errors: body.errors, headers: res.headers };
}

/** A request that got through, with the headers of a limit of `limit` and `remaining` left, `reset` s to the window's end. */
function expectAllowed(r: GqlResult, limit: number, remaining: number, reset = 50): void {
  expect(r.status, JSON.stringify(r.errors)).toBe(200);
  expect(r.data).toEqual({ __typename: 'Query' });
  expect({
    limit: r.headers.get('ratelimit-limit'),
    remaining: r.headers.get('ratelimit-remaining'),
    reset: r.headers.get('ratelimit-reset'),
    policy: r.headers.get('ratelimit-policy'),
  }).toEqual({ limit: String(limit), remaining: String(remaining), reset: String(reset), policy: `${limit};w=60` });
  expect(r.headers.get('retry-after')).toBeNull();
}

function expectRefused(r: GqlResult, limit: number, plan: string, retryAfter = 50): void {
  expect(r.status).toBe(429);
  const e = errorOf(r);
  expect(e.code).toBe('RATE_LIMITED');
  expect(e.ext).toMatchObject({ retryAfter, limit, plan });
  expect(r.headers.get('retry-after')).toBe(String(retryAfter));
  expect(r.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(r.headers.get('ratelimit-remaining')).toBe('0');
  expect(r.headers.get('ratelimit-reset')).toBe(String(retryAfter));
}

function expectUnlimited(r: GqlResult): void {
  expect(r.status, JSON.stringify(r.errors)).toBe(200);
  for (const h of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy', 'retry-after']) expect(r.headers.get(h), h).toBeNull();
}

/** The same key with another (well-formed, checksummed) secret: passes the syntax check, fails the hash. */
function wrongSecret(key: string): string {
  const m = /^(ark_[0-9A-Za-z]{22}_[0-9A-Za-z]{11})_([0-9A-Za-z]{33})[0-9A-Za-z]{6}$/.exec(key);
  if (!m) throw new Error('unexpected key format');
  let secret = m[2]!;
  while (secret === m[2]) secret = toBase62(randomBytes(24), 33);
  const body = `${m[1]}_${secret}`;
  return body + checksum(body);
}

/**
 * Waits until a Redis-backed limiter's connection is ready. Needed because RedisCounterStore fails every hit
 * until its connection is up (enableOfflineQueue: false), so a just-started process lets its first requests
 * through uncounted: a product bug covered by rate-limit.service.test.ts; here it must not decide the outcome.
 */
async function storeReady(limiter: RateLimiter): Promise<void> {
  const redis = (limiter as unknown as { store: { redis: Redis } }).store.redis;
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    setTimeout(() => reject(new Error(`Redis store not ready: ${redis.status}`)), 5_000).unref();
  });
}

interface Instance {
  app: App;
  url: string;
  database: Database;
  close(): Promise<void>;
}

/** Another API process on the same PostgreSQL database: its own pool, its own limiter, the same clock. */
async function secondInstance(h: Harness, clock: Clock, env: Record<string, string>): Promise<Instance> {
  if (!h.db.url) throw new Error('a second instance needs the PostgreSQL test database URL');
  const database = openPostgres({ url: h.db.url, poolSize: 4 });
  const config = parseConfig({ NODE_ENV: 'test', PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '2000', ...env });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const app = await buildApp({ config, database, logger: createLogger(config.LOG_LEVEL, sink), pii: new PiiCipher({ id: 'test2', key: randomBytes(32) }), clock });
  const url = await app.listen(0, '127.0.0.1');
  return {
    app,
    url,
    database,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

describe(`rate limits on the default store (${engine})`, () => {
  const clock = new TestClock();
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ clock, env: ENV });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('chooses memory on PGlite and the database on PostgreSQL', () => {
    expect(h.app.services.rateLimiter.mode).toBe(engine === 'postgres' ? 'postgres' : 'memory');
  });

  it('allows N requests per key per minute, refuses the next with 429 until the window ends; keys and tenants count apart', async () => {
    const t = await h.tenant();
    const second = await t.keyWith(['read']);
    const other = await h.tenant();
    await setPlan(h, other.id, 'starter');
    clock.nextMinute();

    for (let i = 1; i <= FREE; i++) expectAllowed(await h.gql(t.key, Q), FREE, FREE - i);
    const refused = await h.gql(t.key, Q);
    expectRefused(refused, FREE, 'free');
    expect(refused.data).toBeNull();
    expect(errorOf(refused).message).toMatch(/API key may make 5 requests per minute on the Free plan/);

    // Another key of the same tenant has a budget of its own, and so has another tenant (on its own plan).
    expectAllowed(await h.gql(second.key, Q), FREE, FREE - 1);
    expectAllowed(await h.gql(other.key, Q), STARTER, STARTER - 1);

    // Later in the same window: still refused, Retry-After counts down with the clock.
    clock.advance(20_000);
    expectRefused(await h.gql(t.key, Q), FREE, 'free', 30);
    clock.advance(29_000);
    expectRefused(await h.gql(t.key, Q), FREE, 'free', 1);

    // The next minute: a full budget again.
    clock.nextMinute();
    expectAllowed(await h.gql(t.key, Q), FREE, FREE - 1);
    expectAllowed(await h.gql(second.key, Q), FREE, FREE - 1);
  });

  it('limits an agency token by the granting tenant plan; tokens of one credential share its budget', async () => {
    // The setup's own requests spend the tenant key's budget: spread them over two minutes.
    const t = await h.tenant();
    const p = await createPortfolio(t);
    const a = await agencyWithToken(h, t, [p.id]);
    clock.nextMinute();
    const cred2 = await credential(t, a.agency.id);
    const tok2 = await token(h, a.cred);
    expect(tok2).not.toBe(a.token);
    const tok3 = await token(h, cred2);
    await setPlan(h, t.id, 'starter');
    clock.nextMinute();

    // Alternate the two tokens of one credential: one budget of STARTER between them.
    for (let i = 1; i <= STARTER; i++) expectAllowed(await h.gql(i % 2 ? a.token : tok2, Q), STARTER, STARTER - i);
    const refused = await h.gql(a.token, Q);
    expectRefused(refused, STARTER, 'starter');
    expect(errorOf(refused).message).toMatch(/agency credential may make 3 requests per minute on the Starter plan/);
    expectRefused(await h.gql(tok2, Q), STARTER, 'starter');

    // A fresh token of the same credential does not start a fresh budget.
    const tok4 = await token(h, a.cred);
    expectRefused(await h.gql(tok4, Q), STARTER, 'starter');

    // Another credential and the tenant's own key count apart.
    expectAllowed(await h.gql(tok3, Q), STARTER, STARTER - 1);
    expectAllowed(await h.gql(t.key, Q), STARTER, STARTER - 1);

    clock.nextMinute();
    expectAllowed(await h.gql(tok2, Q), STARTER, STARTER - 1);
  });

  it('does not spend a key budget on requests with the right public id and a wrong secret', async () => {
    const t = await h.tenant();
    const bad = wrongSecret(t.key);
    clock.nextMinute();

    for (let i = 0; i < FREE + 2; i++) {
      const r = await h.gql(bad, Q);
      expect(r.status).toBe(401);
      expect(errorOf(r).code).toBe('UNAUTHENTICATED');
      expect(r.headers.get('ratelimit-remaining')).toBeNull();
    }
    if (engine === 'postgres') {
      // Nothing was counted in the database for the key either.
      expect(await h.db.admin.query(`select subject, hits from rate_limit_counters where tenant_id = $1`, [t.id])).toEqual([]);
    }
    for (let i = 1; i <= FREE; i++) expectAllowed(await h.gql(t.key, Q), FREE, FREE - i);
    expectRefused(await h.gql(t.key, Q), FREE, 'free');
  });

  it('never limits the platform operator token', async () => {
    clock.nextMinute();
    for (let i = 0; i < FREE * 2 + 1; i++) expectUnlimited(await h.gql(PLATFORM_TOKEN, Q));
  });

  it('sends no rate-limit headers and never refuses a tenant whose plan is unlimited (apiRequestsPerMinute null)', async () => {
    const t = await h.tenant();
    await setPlan(h, t.id, 'enterprise');
    clock.nextMinute();
    for (let i = 0; i < FREE * 2 + 1; i++) expectUnlimited(await h.gql(t.key, Q));
  });

  // Only PostgreSQL can be shared by two processes; PGlite is in-process and its default store is memory.
  describe.skipIf(engine !== 'postgres')('two app instances on one PostgreSQL database', () => {
    it('share one counter per key: the (N+1)-th request is refused whichever instance gets it', async () => {
      const b = await secondInstance(h, clock, ENV);
      try {
        expect(b.app.services.rateLimiter.mode).toBe('postgres');
        const t = await h.tenant();
        clock.nextMinute();
        const urls = [h.url, b.url];
        for (let i = 1; i <= FREE; i++) expectAllowed(await post(urls[i % 2]!, t.key), FREE, FREE - i);
        expectRefused(await post(urls[(FREE + 1) % 2]!, t.key), FREE, 'free');
        expectRefused(await post(urls[FREE % 2]!, t.key), FREE, 'free');
        clock.nextMinute();
        expectAllowed(await post(b.url, t.key), FREE, FREE - 1);
        expectAllowed(await post(h.url, t.key), FREE, FREE - 2);
      } finally {
        await b.close();
      }
    });
  });
});

describe('RATE_LIMIT_STORE=off', () => {
  const clock = new TestClock();
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ clock, env: { ...ENV, RATE_LIMIT_STORE: 'off' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends no rate-limit headers and never answers 429', async () => {
    expect(h.app.services.rateLimiter.mode).toBe('off');
    const t = await h.tenant();
    clock.nextMinute();
    for (let i = 0; i < FREE * 2 + 1; i++) expectUnlimited(await h.gql(t.key, Q));
  });
});

describe.skipIf(!redisUp)(`Redis store (needs Redis at ${REDIS_URL}${redisUp ? '' : ': not reachable, skipped'})`, () => {
  const clock = new TestClock();
  const env = { ...ENV, RATE_LIMIT_STORE: 'redis', REDIS_URL };
  let h: Harness;
  let redis: Redis;

  beforeAll(async () => {
    h = await startHarness({ clock, env });
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    await storeReady(h.app.services.rateLimiter);
  });
  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  it('counts in Redis per key and window (tenants are fresh uuids, so runs do not collide)', async () => {
    expect(h.app.services.rateLimiter.mode).toBe('redis');
    const t = await h.tenant();
    const k = await t.keyWith(['read']);
    clock.nextMinute();
    for (let i = 1; i <= FREE; i++) expectAllowed(await h.gql(k.key, Q), FREE, FREE - i);
    expectRefused(await h.gql(k.key, Q), FREE, 'free');
    const redisKey = `arrears:rl:${t.id}:key:${k.id}:${windowStart(clock.now()).getTime()}`;
    expect(await redis.get(redisKey)).toBe(String(FREE + 1));
    const ttl = await redis.pttl(redisKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120_000);
    clock.nextMinute();
    expectAllowed(await h.gql(k.key, Q), FREE, FREE - 1);
  });

  it('shares the budget with another process on the same Redis (a second RateLimiter on the same key)', async () => {
    const t = await h.tenant();
    const k = await t.keyWith(['read']);
    const other = new RateLimiter('redis', clock, new RedisCounterStore(REDIS_URL), (err) => {
      throw err;
    });
    try {
      await storeReady(other);
      clock.nextMinute();
      const principal: Principal = { kind: 'api_key', tenantId: t.id, actorId: k.id, scopes: new Set() };
      for (let i = 1; i <= FREE; i++) {
        if (i % 2) {
          expectAllowed(await h.gql(k.key, Q), FREE, FREE - i);
        } else {
          expect(await other.decide(principal, FREE)).toEqual({ limit: FREE, remaining: FREE - i, reset: 50, allowed: true });
        }
      }
      // FREE is odd: the (N+1)-th goes to the second process, then back to the app.
      expect(await other.decide(principal, FREE)).toEqual({ limit: FREE, remaining: 0, reset: 50, allowed: false });
      expectRefused(await h.gql(k.key, Q), FREE, 'free');
    } finally {
      await other.close();
    }
  });

  // Two real app instances need one shared tenant and key, which only a shared PostgreSQL database gives.
  it.skipIf(engine !== 'postgres')('two app instances on one PostgreSQL database count in Redis together', async () => {
    const b = await secondInstance(h, clock, env);
    try {
      expect(b.app.services.rateLimiter.mode).toBe('redis');
      const t = await h.tenant();
      await storeReady(b.app.services.rateLimiter);
      clock.nextMinute();
      const urls = [h.url, b.url];
      for (let i = 1; i <= FREE; i++) expectAllowed(await post(urls[i % 2]!, t.key), FREE, FREE - i);
      expectRefused(await post(urls[(FREE + 1) % 2]!, t.key), FREE, 'free');
      expectRefused(await post(urls[FREE % 2]!, t.key), FREE, 'free');
    } finally {
      await b.close();
    }
  });
});

describe('Redis store unreachable', () => {
  const clock = new TestClock();
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ clock, env: { ...ENV, RATE_LIMIT_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${await closedPort()}` } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lets requests through (fails open, no 500) and logs the limiter error', async () => {
    expect(h.app.services.rateLimiter.mode).toBe('redis');
    const t = await h.tenant();
    clock.nextMinute();
    for (let i = 0; i < FREE + 2; i++) expectUnlimited(await h.gql(t.key, Q));
    expect(h.logs.some((l) => l.includes('background task failed'))).toBe(true);
  });
});

/**
 * A TCP proxy in front of the real Redis that can stop forwarding without closing anything: what a Redis stuck
 * in a slow command, or a network partition without resets, looks like to the client.
 */
async function stallableRedisProxy(): Promise<{ url: string; stall(): void; close(): Promise<void> }> {
  let stalled = false;
  const sockets = new Set<Socket>();
  const srv: Server = createServer((client) => {
    const upstream = connect(6379, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => void (stalled || upstream.write(d)));
    upstream.on('data', (d) => void (stalled || client.write(d)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `redis://127.0.0.1:${(srv.address() as { port: number }).port}`,
    stall: () => void (stalled = true),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe.skipIf(!redisUp)(`Redis store that stops answering (needs Redis at ${REDIS_URL}${redisUp ? '' : ': not reachable, skipped'})`, () => {
  const clock = new TestClock();
  let proxy: Awaited<ReturnType<typeof stallableRedisProxy>>;
  let h: Harness;

  beforeAll(async () => {
    proxy = await stallableRedisProxy();
    h = await startHarness({ clock, env: { ...ENV, RATE_LIMIT_STORE: 'redis', REDIS_URL: proxy.url } });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
  });

  // "A limiter outage must not become an API outage": a Redis that accepts but never answers must not hang
  // every request. The 5 s bound is not a latency requirement, only how long this test waits for an answer.
  it('still answers (fails open) instead of hanging the request', async () => {
    const t = await h.tenant();
    clock.nextMinute();
    await storeReady(h.app.services.rateLimiter);
    expectAllowed(await h.gql(t.key, Q), FREE, FREE - 1); // connected and counting through the proxy
    proxy.stall();
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ query: Q }),
      signal: AbortSignal.timeout(5_000),
    }).catch((err: unknown) => err as Error);
    expect(res instanceof Error ? `no answer: ${res.name}` : res.status).toBe(200);
  });
});
