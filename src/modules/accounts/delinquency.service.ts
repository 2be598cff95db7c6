import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { checkAsOf, resolveAsOf } from './as-of.js';
import { DEFAULT_BUCKETS, validateBuckets } from './delinquency.logic.js';
import { delinquencyRepository, type BucketHistoryRow } from './delinquency.repository.js';
import type { BucketRange } from './delinquency.table.js';
import { scopeOf } from './scope.js';

export class DelinquencyService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async buckets(actor: TenantActor): Promise<{ version: number; buckets: BucketRange[] }> {
    const s = scopeOf(actor);
    const set = await this.db.tenant(s.db, (tx) => delinquencyRepository.latest(tx, s.tenantId));
    return set ?? { version: 0, buckets: DEFAULT_BUCKETS };
  }

  /** Replaces the tenant's ranges with a new version; history rows keep the version they were computed with. */
  async setBuckets(actor: TenantActor, input: BucketRange[]): Promise<{ version: number; buckets: BucketRange[] }> {
    const s = scopeOf(actor);
    const buckets = input.map((b) => ({ label: b.label.trim(), minDays: b.minDays, maxDays: b.maxDays ?? null }));
    const problems = validateBuckets(buckets);
    if (problems.length) throw AppError.badInputMany(problems);
    buckets.sort((a, b) => a.minDays - b.minDays);
    return this.db.tenant(s.db, async (tx) => {
      const current = await delinquencyRepository.latest(tx, s.tenantId);
      const version = (current?.version ?? 0) + 1;
      await delinquencyRepository.insert(tx, s.tenantId, version, buckets, actor.principal.actorId);
      await this.audit.record(tx, actor, {
        action: 'delinquency_buckets.set',
        entityType: 'delinquency_buckets',
        entityId: String(version),
        before: { buckets: current?.buckets ?? DEFAULT_BUCKETS },
        after: { buckets },
      });
      return { version, buckets };
    });
  }

  /**
   * Records bucket changes as of a date (default: today in the tenant's zone) for every open account.
   * Set-based and idempotent for a date; safe to run from several processes (a per-tenant advisory lock
   * makes a concurrent run wait, then find nothing left to record).
   */
  async refresh(actor: TenantActor, asOf?: string | null): Promise<{ asOf: string; changed: number }> {
    const s = scopeOf(actor);
    checkAsOf(asOf);
    return this.db.tenant(s.db, async (tx) => {
      const date = await resolveAsOf(tx, s.tenantId, this.clock, asOf);
      const set = (await delinquencyRepository.latest(tx, s.tenantId)) ?? { version: 0, buckets: DEFAULT_BUCKETS };
      await delinquencyRepository.lock(tx, s.tenantId, 'delinquency');
      const changes = await delinquencyRepository.refresh(tx, s.tenantId, date, set.buckets, set.version);
      const changed = changes.length;
      await this.audit.record(tx, actor, { action: 'delinquency.refresh', entityType: 'tenant', entityId: s.tenantId, before: null, after: { asOf: date, changed, bucketSetVersion: set.version } });
      await webhookEventRepository.emit(tx, s.tenantId, 'account.bucket_changed', changes.map((c) => ({ object: 'account', id: c.accountId, bucket: c.label, asOf: date })));
      return { asOf: date, changed };
    });
  }

  history(actor: TenantActor, accountIds: readonly string[]): Promise<BucketHistoryRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => delinquencyRepository.history(tx, s.tenantId, accountIds));
  }
}
