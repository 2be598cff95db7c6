import { BureauError } from './providers/provider.js';

export interface RetryPolicy {
  /** Further attempts after the first, for retryable failures only. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface AttemptOutcome<T> {
  value?: T;
  error?: BureauError;
  attempts: number;
}

/**
 * Calls `attempt` until it succeeds, fails for good, or runs out of retries. Waits between attempts with
 * exponential backoff and full jitter (random in [0, min(max, base·2^n)]), or as long as a 429/503's
 * Retry-After asks; a Retry-After longer than maxDelayMs ends the retries instead, since waiting minutes
 * inside a request helps no one.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy, sleep: (ms: number) => Promise<void> = delay, random: () => number = Math.random): Promise<AttemptOutcome<T>> {
  for (let n = 0; ; n++) {
    try {
      return { value: await attempt(n), attempts: n + 1 };
    } catch (err) {
      const e = err instanceof BureauError ? err : new BureauError('bureau_error', (err as Error).message ?? 'unexpected failure', false);
      if (!e.retryable || n >= policy.maxRetries) return { error: e, attempts: n + 1 };
      if (e.retryAfterMs !== null && e.retryAfterMs > policy.maxDelayMs) return { error: e, attempts: n + 1 };
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      await sleep(e.retryAfterMs ?? Math.floor(random() * backoff));
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

type BreakerState = { state: 'closed'; failures: number } | { state: 'open'; until: number } | { state: 'half_open'; trial: boolean };

/**
 * One breaker per (tenant, bureau): after `threshold` consecutive failed pulls it opens and refuses pulls for
 * `openMs` without calling the bureau; then one trial pull is let through (half-open): success closes it,
 * failure opens it again. In memory, per process: each process learns a failing bureau on its own.
 */
export class CircuitBreakers {
  private readonly states = new Map<string, BreakerState>();

  constructor(
    private readonly threshold: number,
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** null: go ahead (and report the outcome); a number: refused, retry after that many ms. */
  acquire(key: string): number | null {
    const s = this.states.get(key) ?? { state: 'closed', failures: 0 };
    if (s.state === 'open') {
      const left = s.until - this.now();
      if (left > 0) return left;
      this.states.set(key, { state: 'half_open', trial: true });
      return null;
    }
    if (s.state === 'half_open') {
      if (s.trial) return this.openMs; // one trial at a time
      this.states.set(key, { state: 'half_open', trial: true });
      return null;
    }
    return null;
  }

  success(key: string): void {
    this.states.set(key, { state: 'closed', failures: 0 });
  }

  failure(key: string): void {
    const s = this.states.get(key) ?? { state: 'closed', failures: 0 };
    if (s.state === 'half_open' || (s.state === 'closed' && s.failures + 1 >= this.threshold)) {
      this.states.set(key, { state: 'open', until: this.now() + this.openMs });
    } else if (s.state === 'closed') {
      this.states.set(key, { state: 'closed', failures: s.failures + 1 });
    }
  }

  stateOf(key: string): 'closed' | 'open' | 'half_open' {
    const s = this.states.get(key);
    if (!s) return 'closed';
    if (s.state === 'open' && s.until <= this.now()) return 'half_open';
    return s.state;
  }
}
