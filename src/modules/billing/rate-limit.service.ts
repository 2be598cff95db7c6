import { Redis } from 'ioredis';
import type { Clock } from '../../shared/clock.js';
import type { Principal } from '../tenancy/principal.js';
import { RATE_WINDOW_MS, windowStart } from './subscription.logic.js';

export type RateLimitMode = 'off' | 'memory' | 'postgres' | 'redis';

/** Counts requests per subject in a window and returns the count including this one. */
export interface RateCounterStore {
  hit(tenantId: string, subject: string, window: Date): Promise<number>;
  close(): Promise<void>;
}

/** The embedded default: one process, so its memory is the whole truth. */
export class MemoryCounterStore implements RateCounterStore {
  private readonly counts = new Map<string, { window: number; hits: number }>();

  async hit(tenantId: string, subject: string, window: Date): Promise<number> {
    const key = `${tenantId}:${subject}`;
    const w = window.getTime();
    const c = this.counts.get(key);
    if (c && c.window === w) return ++c.hits;
    if (c && c.window > w) return ++c.hits; // a request stamped just before a newer one: count it in the newer window
    if (this.counts.size > 50_000) this.prune(w);
    this.counts.set(key, { window: w, hits: 1 });
    return 1;
  }

  private prune(current: number): void {
    for (const [k, v] of this.counts) if (v.window < current) this.counts.delete(k);
  }

  async close(): Promise<void> {}
}

/** INCR, and a TTL on the window's first hit: one command (EVALSHA once the script is cached), one round trip. */
const HIT_SCRIPT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/** Shared by every process through Redis. */
export class RedisCounterStore implements RateCounterStore {
  private readonly redis: Redis;
  private readonly ready: Promise<void>;

  constructor(url: string) {
    // Fail fast rather than queue commands while Redis is away, and give up on a Redis that stops answering
    // (commandTimeout): the limiter then lets requests through. Hits wait for the first connection attempt
    // only, so a process just started counts its first requests instead of letting them through.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 500, lazyConnect: true });
    this.redis.on('error', () => {});
    this.redis.defineCommand('arrearsHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.ready = this.redis.connect().catch(() => {});
  }

  async hit(tenantId: string, subject: string, window: Date): Promise<number> {
    await this.ready;
    const key = `arrears:rl:${tenantId}:${subject}:${window.getTime()}`;
    return Number(await (this.redis as Redis & { arrearsHit(key: string, ttlMs: number): Promise<number> }).arrearsHit(key, RATE_WINDOW_MS * 2));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export interface RateDecision {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  reset: number;
  allowed: boolean;
}

/**
 * Requests per minute per API key or agency credential, from the tenant's plan: fixed one-minute windows on
 * the shared clock. On PostgreSQL the count comes from the key lookup itself (no extra round trip); with
 * Redis it is one pipelined round trip; in memory it is free.
 */
export class RateLimiter {
  private lastStoreError = -Infinity;

  constructor(
    readonly mode: RateLimitMode,
    private readonly clock: Clock,
    private readonly store: RateCounterStore | null,
    private readonly onStoreError: (err: unknown) => void,
  ) {}

  get countsInDatabase(): boolean {
    return this.mode === 'postgres';
  }

  /** Null when nothing limits this principal (rate limiting off, the platform operator, an unlimited plan). */
  async decide(principal: Principal, limit: number | null): Promise<RateDecision | null> {
    if (this.mode === 'off' || limit === null || principal.tenantId === null) return null;
    const subject = principal.kind === 'agency' ? `credential:${principal.credentialId}` : principal.kind === 'api_key' ? `key:${principal.actorId}` : null;
    if (!subject) return null;
    const now = this.clock.now();
    const window = windowStart(now);
    let hits: number;
    if (this.mode === 'postgres') {
      if (principal.rateHits === undefined) return null;
      hits = principal.rateHits;
    } else {
      try {
        hits = await this.store!.hit(principal.tenantId, subject, window);
      } catch (err) {
        // A limiter outage must not become an API outage: let the request through, and say so in the logs
        // (once every 10 s, not once per request).
        if (now.getTime() - this.lastStoreError >= 10_000 || now.getTime() < this.lastStoreError) {
          this.lastStoreError = now.getTime();
          this.onStoreError(err);
        }
        return null;
      }
    }
    const reset = Math.max(1, Math.ceil((window.getTime() + RATE_WINDOW_MS - now.getTime()) / 1000));
    return { limit, remaining: Math.max(0, limit - hits), reset, allowed: hits <= limit };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}

/** The standard headers (draft-ietf-httpapi-ratelimit-headers), in the widely deployed three-field form plus the policy. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(d.remaining),
    'ratelimit-reset': String(d.reset),
    'ratelimit-policy': `${d.limit};w=${RATE_WINDOW_MS / 1000}`,
  };
}
