/**
 * Counts attempts per key in a fixed window and says how long to wait once the limit is reached. In memory:
 * each API process limits on its own, so N processes allow up to N times the limit; the billing issue's
 * shared rate limiter (PostgreSQL or Redis) is where a cluster-wide count belongs. Entries expire with their
 * window, and the map is capped so a flood of distinct keys cannot grow it without bound.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds to wait when `key` has used up its window; null when another attempt is allowed. */
  blockedFor(key: string): number | null {
    const w = this.windows.get(key);
    const t = this.now();
    if (!w || t - w.start >= this.windowMs) return null;
    return w.count >= this.limit ? Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000)) : null;
  }

  hit(key: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      if (this.windows.size >= this.maxKeys) this.sweep(t);
      this.windows.set(key, { start: t, count: 1 });
    } else {
      w.count++;
    }
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}
