import type { Tx } from '../../db/client.js';
import type { LimitKey, Plan, PlanCatalog } from '../../config/plans.js';
import { AppError } from '../../shared/errors.js';
import { billingRepository } from './billing.repository.js';
import type { SubscriptionStatus } from './billing.table.js';

export type CountedLimit = 'activeAccounts' | 'agencySeats' | 'webhookEndpoints';

const NOUNS: Record<LimitKey, string> = {
  activeAccounts: 'active accounts',
  apiRequestsPerMinute: 'API requests per minute per key',
  creditChecksPerMonth: 'credit checks this month',
  agencySeats: 'agency seats (open portfolio grants)',
  webhookEndpoints: 'webhook endpoints',
  auditRetentionDays: 'days of audit retention',
};

export function planLimitError(catalog: PlanCatalog, plan: Plan, key: LimitKey, usage: number, requested: number): AppError {
  const allowed = plan.limits[key]!;
  const upgrade = catalog.allowing(key, usage + requested);
  const hint = upgrade ? `; the ${upgrade.name} plan (${upgrade.code}) allows ${upgrade.limits[key] ?? 'unlimited'}` : '; no plan allows that many';
  return new AppError('PLAN_LIMIT_EXCEEDED', `${key}: the ${plan.name} plan allows ${allowed} ${NOUNS[key]}, ${usage} in use, ${requested} more requested${hint}`, {
    reason: 'limit',
    limit: key,
    allowed,
    usage,
    requested,
    plan: plan.code,
    upgradeTo: upgrade?.code ?? null,
  });
}

/**
 * Plan limits on creation. Only new resources are refused: a downgraded tenant keeps everything it has, over
 * the limit or not, readable and working. Services call this inside their own transaction, before writing.
 */
export class Entitlements {
  constructor(readonly catalog: PlanCatalog) {}

  /** The tenant's plan as its subscription row says (an `incomplete` first payment keeps the previous footing). */
  planOf(row: { plan_code: string | null; status: string | null } | null): Plan {
    const status = (row?.status ?? 'none') as SubscriptionStatus;
    return this.catalog.get(status === 'incomplete' || status === 'incomplete_expired' ? null : row?.plan_code);
  }

  /**
   * Refuses `adding` more of a counted resource beyond the plan's limit. Holds a per-tenant, per-limit lock to
   * the end of the transaction, so two creations cannot both take the last unit.
   */
  async ensure(tx: Tx, tenantId: string, key: CountedLimit, adding: number): Promise<void> {
    if (adding <= 0) return;
    const h = await this.headroom(tx, tenantId, key);
    if (h.allowed !== null && h.usage + adding > h.allowed) throw planLimitError(this.catalog, h.plan, key, h.usage, adding);
  }

  /** The plan, current usage and limit (null: unlimited) of a counted resource, under the limit's lock (see ensure). */
  async headroom(tx: Tx, tenantId: string, key: CountedLimit): Promise<{ plan: Plan; usage: number; allowed: number | null }> {
    const plan = this.planOf(await billingRepository.lockLimit(tx, tenantId, key));
    const allowed = plan.limits[key];
    if (allowed === null) return { plan, usage: 0, allowed };
    const usage =
      key === 'activeAccounts'
        ? await billingRepository.countActiveAccounts(tx, tenantId)
        : key === 'agencySeats'
          ? await billingRepository.countAgencySeats(tx, tenantId)
          : await billingRepository.countWebhookEndpoints(tx, tenantId);
    return { plan, usage, allowed };
  }

  /** Takes one credit check from this month's allowance (UTC month), or refuses. Returns the period to release it to. */
  async consumeCreditCheck(tx: Tx, tenantId: string, now: Date): Promise<string> {
    const period = monthStart(now);
    const sub = await billingRepository.subscription(tx, tenantId);
    const plan = this.planOf(sub ? { plan_code: sub.planCode, status: sub.status } : null);
    const allowed = plan.limits.creditChecksPerMonth;
    const taken = await billingRepository.consumeUsage(tx, tenantId, 'credit_checks', period, allowed, now);
    if (taken === null) throw planLimitError(this.catalog, plan, 'creditChecksPerMonth', await billingRepository.usage(tx, tenantId, 'credit_checks', period), 1);
    return period;
  }

  async releaseCreditCheck(tx: Tx, tenantId: string, period: string): Promise<void> {
    await billingRepository.releaseUsage(tx, tenantId, 'credit_checks', period);
  }
}

/** YYYY-MM-01 of `at`'s UTC month. */
export function monthStart(at: Date): string {
  return `${at.toISOString().slice(0, 7)}-01`;
}
