import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { systemActor } from '../modules/tenancy/principal.js';
import type { Services } from '../services.js';
import { safeError } from '../shared/logger.js';

/**
 * Periodic work for every active tenant: assess late fees as of the tenant's today, evaluate plans (missed
 * installments, broken plans), promises and settlement expiry, record delinquency bucket changes, then
 * evaluate early-warning rules. Safe on several processes at once: each step is
 * idempotent (fees have a unique (account, period) key and accrual locks its batches SKIP LOCKED; bucket
 * history is written only on change; alerts have a unique open key).
 */
export async function runTenantJobs(db: Database, services: Services, log: Logger): Promise<{ tenants: number; failed: number }> {
  const tenants = await db.query<{ tenant_id: string }>('select tenant_id from arrears_active_tenant_ids()');
  let failed = 0;
  for (const { tenant_id } of tenants) {
    const actor = systemActor(tenant_id, 'scheduler', `job-${Date.now()}`);
    // Each job on its own: a failing accrual must not stop the bucket refresh or the alerts, nor the reverse.
    const jobs: [string, () => Promise<unknown>][] = [
      [
        'late fees',
        async () => {
          const f = await services.lateFees.assess(actor, null, 'schedule');
          if (f.feesPosted) log.info({ tenantId: tenant_id, runId: f.id, feesPosted: f.feesPosted, totals: f.totals }, 'late fees assessed');
        },
      ],
      [
        // Before alerts: broken promises feed the early-warning rules.
        'plans, promises and settlements',
        async () => {
          const e = await services.plans.evaluate(actor);
          if (e.installmentsMissed || e.plansBroken || e.promisesBroken || e.promisesPartiallyKept || e.settlementsExpired) log.info({ tenantId: tenant_id, ...e }, 'plans evaluated');
        },
      ],
      [
        'credit reports retention',
        async () => {
          const c = await services.creditChecks.housekeeping(tenant_id);
          if (c.purged || c.abandoned) log.info({ tenantId: tenant_id, ...c }, 'credit reports purged / abandoned checks failed');
        },
      ],
      [
        'webhook retention',
        async () => {
          const w = await services.webhooks.purge(tenant_id);
          if (w.deliveries || w.events) log.info({ tenantId: tenant_id, ...w }, 'finished webhook deliveries purged');
        },
      ],
      [
        'billing: grace period end, usage reports to Stripe',
        async () => {
          if (await services.billing.recordGraceEnd(tenant_id)) log.warn({ tenantId: tenant_id }, 'billing grace period ended: the tenant is read-only');
          const u = await services.billing.reportUsage(tenant_id);
          if (u.queued || u.sent || u.failed) log.info({ tenantId: tenant_id, ...u }, 'usage reported');
        },
      ],
      [
        'delinquency and alerts',
        async () => {
          const d = await services.delinquency.refresh(actor);
          const a = await services.alerts.evaluate(actor);
          if (d.changed || a.raised || a.cleared) log.info({ tenantId: tenant_id, bucketChanges: d.changed, ...a }, 'tenant jobs');
        },
      ],
    ];
    let ok = true;
    for (const [name, job] of jobs) {
      try {
        await job();
      } catch (err) {
        ok = false;
        log.error({ tenantId: tenant_id, job: name, err: safeError(err) }, 'tenant job failed');
      }
    }
    if (!ok) failed++;
  }
  return { tenants: tenants.length, failed };
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Database,
    private readonly services: Services,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One run at a time per process; a slow run makes the next tick skip rather than pile up. */
  tick(): Promise<unknown> {
    this.running ??= runTenantJobs(this.db, this.services, this.log)
      .catch((err) => this.log.error({ err: safeError(err) }, 'scheduler run failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
