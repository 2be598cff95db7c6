import { randomUUID } from 'node:crypto';
import { tcpReachable } from '../../shared/network.js';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../shared/clock.js';
import type { Principal } from '../tenancy/principal.js';
import { MemoryCounterStore, RateLimiter, RedisCounterStore, rateLimitHeaders, type RateCounterStore } from './rate-limit.service.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MIN = 60_000;
/** 2030-01-01T00:00:00Z, a minute boundary. */
const T0 = Date.UTC(2030, 0, 1);

function clockAt(ms: number): Clock & { t: number } {
  return {
    t: ms,
    now() {
      return new Date(this.t);
    },
  };
}

const tenantId = '11111111-1111-4111-8111-111111111111';
const keyPrincipal = (actorId = 'key-1', extra: Partial<Principal> = {}): Principal => ({ kind: 'api_key', tenantId, actorId, scopes: new Set(), ...extra });
const agencyPrincipal = (credentialId: string, agencyId = 'agency-1'): Principal => ({ kind: 'agency', tenantId, actorId: agencyId, agencyId, credentialId, scopes: new Set() });

/** Records what it was asked, counts in memory underneath. */
class SpyStore implements RateCounterStore {
  calls: { tenantId: string; subject: string; window: number }[] = [];
  private readonly inner = new MemoryCounterStore();
  hit(tenantId: string, subject: string, window: Date): Promise<number> {
    this.calls.push({ tenantId, subject, window: window.getTime() });
    return this.inner.hit(tenantId, subject, window);
  }
  async close(): Promise<void> {}
}

const tcpOpen = (port: number): Promise<boolean> => tcpReachable('127.0.0.1', port);

const redisUp = await tcpOpen(6379);

describe('rateLimitHeaders', () => {
  it('gives limit, remaining, reset and the policy with a 60 s window', () => {
    expect(rateLimitHeaders({ limit: 300, remaining: 12, reset: 7, allowed: true })).toEqual({
      'ratelimit-limit': '300',
      'ratelimit-remaining': '12',
      'ratelimit-reset': '7',
      'ratelimit-policy': '300;w=60',
    });
  });
});

describe('MemoryCounterStore', () => {
  it('counts per tenant and subject within a window', async () => {
    const s = new MemoryCounterStore();
    const w = new Date(T0);
    expect(await s.hit('t1', 'key:a', w)).toBe(1);
    expect(await s.hit('t1', 'key:a', w)).toBe(2);
    expect(await s.hit('t1', 'key:b', w)).toBe(1);
    expect(await s.hit('t2', 'key:a', w)).toBe(1);
    expect(await s.hit('t1', 'credential:a', w)).toBe(1);
    expect(await s.hit('t1', 'key:a', w)).toBe(3);
  });

  it('starts over in a new window, and counts a late request of an older window in the newer one', async () => {
    const s = new MemoryCounterStore();
    await s.hit('t1', 'key:a', new Date(T0));
    await s.hit('t1', 'key:a', new Date(T0));
    expect(await s.hit('t1', 'key:a', new Date(T0 + MIN))).toBe(1);
    expect(await s.hit('t1', 'key:a', new Date(T0))).toBe(2);
    expect(await s.hit('t1', 'key:a', new Date(T0 + MIN))).toBe(3);
  });

  it('keeps counting correctly past the pruning threshold', async () => {
    const s = new MemoryCounterStore();
    for (let i = 0; i < 50_001; i++) await s.hit('t1', `key:${i}`, new Date(T0));
    expect(await s.hit('t1', 'key:new', new Date(T0 + MIN))).toBe(1);
    expect(await s.hit('t1', 'key:new', new Date(T0 + MIN))).toBe(2);
    // Old windows were pruned: a key from the old window starts over in the new one.
    expect(await s.hit('t1', 'key:0', new Date(T0 + MIN))).toBe(1);
    expect((s as unknown as { counts: Map<string, unknown> }).counts.size).toBe(2);
  });
});

describe('RateLimiter', () => {
  it('counts per API key in the fixed minute window; allows `limit` requests, then refuses', async () => {
    const clock = clockAt(T0 + 10_000);
    const store = new SpyStore();
    const rl = new RateLimiter('memory', clock, store, () => {});
    expect(rl.countsInDatabase).toBe(false);
    for (let i = 1; i <= 3; i++) expect(await rl.decide(keyPrincipal(), 3)).toEqual({ limit: 3, remaining: 3 - i, reset: 50, allowed: true });
    expect(await rl.decide(keyPrincipal(), 3)).toEqual({ limit: 3, remaining: 0, reset: 50, allowed: false });
    expect(store.calls[0]).toEqual({ tenantId, subject: 'key:key-1', window: T0 });
    // Another key: its own budget.
    expect(await rl.decide(keyPrincipal('key-2'), 3)).toMatchObject({ remaining: 2, allowed: true });
    // The next window: a full budget.
    clock.t = T0 + MIN;
    expect(await rl.decide(keyPrincipal(), 3)).toEqual({ limit: 3, remaining: 2, reset: 60, allowed: true });
    expect(store.calls.at(-1)).toEqual({ tenantId, subject: 'key:key-1', window: T0 + MIN });
  });

  it('gives the whole seconds left in the window as reset, at least 1', async () => {
    const clock = clockAt(T0);
    const rl = new RateLimiter('memory', clock, new MemoryCounterStore(), () => {});
    const resetAt = async (offsetMs: number) => {
      clock.t = T0 + offsetMs;
      return (await rl.decide(keyPrincipal(randomUUID()), 10))!.reset;
    };
    expect(await resetAt(0)).toBe(60);
    expect(await resetAt(10_000)).toBe(50);
    expect(await resetAt(10_500)).toBe(50);
    expect(await resetAt(59_000)).toBe(1);
    expect(await resetAt(59_999)).toBe(1);
  });

  it('counts an agency by its credential: two tokens (or agency ids) of one credential share a budget', async () => {
    const store = new SpyStore();
    const rl = new RateLimiter('memory', clockAt(T0 + 10_000), store, () => {});
    expect(await rl.decide(agencyPrincipal('cred-1'), 2)).toMatchObject({ remaining: 1, allowed: true });
    expect(await rl.decide(agencyPrincipal('cred-1'), 2)).toMatchObject({ remaining: 0, allowed: true });
    expect(await rl.decide(agencyPrincipal('cred-1'), 2)).toMatchObject({ remaining: 0, allowed: false });
    expect(await rl.decide(agencyPrincipal('cred-2'), 2)).toMatchObject({ remaining: 1, allowed: true });
    expect(store.calls[0]!.subject).toBe('credential:cred-1');
    // An API key whose id happens to equal a credential id is another subject.
    expect(await rl.decide(keyPrincipal('cred-1'), 2)).toMatchObject({ remaining: 1, allowed: true });
  });

  it('a limit of 0 refuses every request', async () => {
    const rl = new RateLimiter('memory', clockAt(T0), new MemoryCounterStore(), () => {});
    expect(await rl.decide(keyPrincipal(), 0)).toMatchObject({ limit: 0, remaining: 0, allowed: false });
  });

  it('decides nothing (null) when off, for an unlimited plan, the platform operator or a system principal', async () => {
    const store = new SpyStore();
    const on = new RateLimiter('memory', clockAt(T0), store, () => {});
    const off = new RateLimiter('off', clockAt(T0), store, () => {});
    expect(await off.decide(keyPrincipal(), 1)).toBeNull();
    expect(await on.decide(keyPrincipal(), null)).toBeNull();
    expect(await on.decide({ kind: 'platform', tenantId: null, actorId: 'platform-admin', scopes: new Set() }, 1)).toBeNull();
    expect(await on.decide({ kind: 'system', tenantId, actorId: 'job', scopes: new Set() }, 1)).toBeNull();
    expect(store.calls).toEqual([]);
  });

  it('on PostgreSQL takes the count from the key lookup and never touches a store', async () => {
    const rl = new RateLimiter('postgres', clockAt(T0 + 30_000), null, () => {});
    expect(rl.countsInDatabase).toBe(true);
    expect(await rl.decide(keyPrincipal('k', { rateHits: 1 }), 5)).toEqual({ limit: 5, remaining: 4, reset: 30, allowed: true });
    expect(await rl.decide(keyPrincipal('k', { rateHits: 5 }), 5)).toEqual({ limit: 5, remaining: 0, reset: 30, allowed: true });
    expect(await rl.decide(keyPrincipal('k', { rateHits: 9 }), 5)).toEqual({ limit: 5, remaining: 0, reset: 30, allowed: false });
    expect(await rl.decide({ ...agencyPrincipal('c'), rateHits: 6 }, 5)).toMatchObject({ allowed: false });
    // Not counted (no window was passed to the lookup): nothing to decide on.
    expect(await rl.decide(keyPrincipal('k'), 5)).toBeNull();
  });

  it('fails open when the store fails, and reports the error', async () => {
    const errors: unknown[] = [];
    const boom = new Error('store down');
    const failing: RateCounterStore = { hit: () => Promise.reject(boom), close: async () => {} };
    const rl = new RateLimiter('redis', clockAt(T0), failing, (e) => errors.push(e));
    expect(await rl.decide(keyPrincipal(), 1)).toBeNull();
    expect(errors).toEqual([boom]);
  });
});

describe.skipIf(!redisUp)(`RedisCounterStore (needs Redis at ${REDIS_URL}${redisUp ? '' : ': not reachable, skipped'})`, () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const stores: RedisCounterStore[] = [];
  const open = async (url = REDIS_URL, ready = true) => {
    const s = new RedisCounterStore(url);
    stores.push(s);
    if (ready) {
      const redis = (s as unknown as { redis: Redis }).redis;
      if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
    }
    return s;
  };
  afterAll(async () => {
    for (const s of stores) await s.close();
    admin.disconnect();
  });

  it('counts per tenant, subject and window in keys that expire after two windows', async () => {
    await admin.connect();
    const s = await open();
    const t = randomUUID(); // unique per run: nothing collides with earlier runs
    expect(await s.hit(t, 'key:a', new Date(T0))).toBe(1);
    expect(await s.hit(t, 'key:a', new Date(T0))).toBe(2);
    expect(await s.hit(t, 'key:b', new Date(T0))).toBe(1);
    expect(await s.hit(t, 'key:a', new Date(T0 + MIN))).toBe(1);
    const ttl = await admin.pttl(`arrears:rl:${t}:key:a:${T0}`);
    expect(ttl).toBeGreaterThan(MIN);
    expect(ttl).toBeLessThanOrEqual(2 * MIN);
  });

  it('two stores (two processes) share one count', async () => {
    const a = await open();
    const b = await open();
    const t = randomUUID();
    expect(await a.hit(t, 'key:a', new Date(T0))).toBe(1);
    expect(await b.hit(t, 'key:a', new Date(T0))).toBe(2);
    expect(await a.hit(t, 'key:a', new Date(T0))).toBe(3);
  });

  // A process that just started must count its first requests: Redis is up, only the connection is still being
  // made. With enableOfflineQueue: false every hit before 'ready' throws, so the limiter lets them through.
  it('counts a hit made right after the store is created (Redis up, connection still opening)', async () => {
    const s = await open(REDIS_URL, false);
    const t = randomUUID();
    await expect(s.hit(t, 'key:a', new Date(T0))).resolves.toBe(1);
  });

  it('rejects (so the limiter fails open) when Redis is unreachable', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const s = await open(`redis://127.0.0.1:${port}`, false);
    await expect(s.hit(randomUUID(), 'key:a', new Date(T0))).rejects.toThrow();
  });
});
