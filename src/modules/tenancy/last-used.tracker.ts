import type { Database } from '../../db/client.js';
import { apiKeyRepository } from './api-key.repository.js';

/**
 * Remembers when each key was last used and writes it in batches (one statement per tenant per flush),
 * so authentication never writes. A crash loses at most one interval of "last used" precision.
 */
export class LastUsedTracker {
  private pending = new Map<string, { tenantId: string; at: Date }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly intervalMs = 30_000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  mark(tenantId: string, keyId: string, at: Date): void {
    this.pending.set(keyId, { tenantId, at });
  }

  /** Not yet flushed use by this process, so a listing shows it without waiting for the flush. */
  pendingFor(keyId: string): Date | null {
    return this.pending.get(keyId)?.at ?? null;
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const byTenant = new Map<string, { ids: string[]; ats: Date[] }>();
    for (const [keyId, { tenantId, at }] of batch) {
      const t = byTenant.get(tenantId) ?? { ids: [], ats: [] };
      t.ids.push(keyId);
      t.ats.push(at);
      byTenant.set(tenantId, t);
    }
    for (const [tenantId, { ids, ats }] of byTenant) {
      await this.db.tenant({ tenantId }, (tx) => apiKeyRepository.touch(tx, tenantId, ids, ats));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
