import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.js';
import { rowsOf } from '../../db/client.js';
import { billingMeterReports, billingSubscriptions, billingUsage, type MeterMetric, type UsageMetric } from './billing.table.js';
import type { SubscriptionState } from './subscription.logic.js';

export type SubscriptionRow = typeof billingSubscriptions.$inferSelect;
export type MeterReportRow = typeof billingMeterReports.$inferSelect;

/** Accounts that count against the plan: everything still being worked (charged-off debt is still collected). */
export const ACTIVE_ACCOUNT_STATUSES = ['current', 'delinquent', 'in_plan', 'disputed', 'charged_off'] as const;

export const billingRepository = {
  async subscription(tx: Tx, tenantId: string): Promise<SubscriptionRow | null> {
    const rows = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.tenantId, tenantId));
    return rows[0] ?? null;
  },

  async subscriptionForUpdate(tx: Tx, tenantId: string): Promise<SubscriptionRow | null> {
    const rows = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.tenantId, tenantId)).for('update');
    return rows[0] ?? null;
  },

  async saveSubscription(tx: Tx, tenantId: string, s: SubscriptionState, now: Date): Promise<SubscriptionRow> {
    const values = {
      planCode: s.planCode,
      status: s.status,
      stripeCustomerId: s.stripeCustomerId,
      stripeSubscriptionId: s.stripeSubscriptionId,
      currentPeriodEnd: s.currentPeriodEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      pastDueSince: s.pastDueSince,
      stateAt: s.stateAt,
      statusAt: s.statusAt,
      updatedAt: now,
    };
    const rows = await tx
      .insert(billingSubscriptions)
      .values({ tenantId, ...values })
      .onConflictDoUpdate({ target: billingSubscriptions.tenantId, set: { ...values, version: sql`${billingSubscriptions.version} + 1` } })
      .returning();
    return rows[0]!;
  },

  /**
   * Serialises the creations that one limit governs, for the rest of the transaction, and reads the plan: a
   * count taken after this lock cannot be overtaken by a concurrent creation.
   */
  async lockLimit(tx: Tx, tenantId: string, limit: string): Promise<{ plan_code: string | null; status: string | null }> {
    const rows = rowsOf<{ plan_code: string | null; status: string | null }>(
      await tx.execute(sql`
        select pg_advisory_xact_lock(hashtextextended(${`arrears:limit:${tenantId}:${limit}`}, 0)) as locked,
               (select plan_code from billing_subscriptions where tenant_id = ${tenantId}) as plan_code,
               (select status from billing_subscriptions where tenant_id = ${tenantId}) as status`),
    );
    return rows[0]!;
  },

  /**
   * The whole tenant's active accounts, whoever asks: a portfolio-scoped key's or an agency's session sees only
   * some portfolios through RLS and would undercount, so a SECURITY DEFINER function counts (for the session's
   * tenant only; migration 0019, which lists the same statuses as ACTIVE_ACCOUNT_STATUSES).
   */
  async countActiveAccounts(tx: Tx, _tenantId: string): Promise<number> {
    const rows = rowsOf<{ n: string | number }>(await tx.execute(sql`select arrears_active_account_count() as n`));
    return Number(rows[0]!.n);
  },

  /** Open grants (not ended, not past their window; future-dated ones hold their seat already). */
  async countAgencySeats(tx: Tx, tenantId: string): Promise<number> {
    const rows = rowsOf<{ n: string | number }>(
      await tx.execute(sql`select count(*) as n from agency_grants where tenant_id = ${tenantId} and ended_at is null and (valid_until is null or valid_until > now())`),
    );
    return Number(rows[0]!.n);
  },

  async countWebhookEndpoints(tx: Tx, tenantId: string): Promise<number> {
    const rows = rowsOf<{ n: string | number }>(await tx.execute(sql`select count(*) as n from webhook_endpoints where tenant_id = ${tenantId}`));
    return Number(rows[0]!.n);
  },

  async oldestAuditEvent(tx: Tx, tenantId: string): Promise<Date | null> {
    const rows = rowsOf<{ at: Date | string | null }>(await tx.execute(sql`select min(occurred_at) as at from audit_events where tenant_id = ${tenantId}`));
    return rows[0]?.at ? new Date(rows[0].at) : null;
  },

  /** Takes one unit if the period's count is below `limit` (null: no limit); the new count, or null when full. */
  async consumeUsage(tx: Tx, tenantId: string, metric: UsageMetric, periodStart: string, limit: number | null, now: Date): Promise<number | null> {
    const rows = rowsOf<{ quantity: string | number }>(
      await tx.execute(sql`
        insert into billing_usage as u (tenant_id, metric, period_start, quantity, updated_at)
        select ${tenantId}, ${metric}, ${periodStart}::date, 1, ${now.toISOString()}::timestamptz
         where ${limit}::bigint is null or ${limit}::bigint >= 1
        on conflict (tenant_id, metric, period_start) do update set quantity = u.quantity + 1, updated_at = excluded.updated_at
         where ${limit}::bigint is null or u.quantity < ${limit}::bigint
        returning quantity`),
    );
    return rows[0] ? Number(rows[0].quantity) : null;
  },

  /** Gives back a unit taken for work that did not happen (a failed pull is not billed). */
  async releaseUsage(tx: Tx, tenantId: string, metric: UsageMetric, periodStart: string): Promise<void> {
    await tx.execute(sql`
      update billing_usage set quantity = quantity - 1
       where tenant_id = ${tenantId} and metric = ${metric} and period_start = ${periodStart}::date and quantity > 0`);
  },

  async usage(tx: Tx, tenantId: string, metric: UsageMetric, periodStart: string): Promise<number> {
    const rows = await tx
      .select({ q: billingUsage.quantity })
      .from(billingUsage)
      .where(and(eq(billingUsage.tenantId, tenantId), eq(billingUsage.metric, metric), eq(billingUsage.periodStart, periodStart)));
    return rows[0]?.q ?? 0;
  },

  // Meter reports

  /** Completed pulls (not reuses) in [from, to): what Stripe is told, so a pull in flight is never reported early. */
  async completedPulls(tx: Tx, tenantId: string, from: Date, to: Date): Promise<number> {
    const rows = rowsOf<{ n: string | number }>(
      await tx.execute(sql`
        select count(*) as n from credit_checks
         where tenant_id = ${tenantId} and status = 'completed' and completed_at >= ${from.toISOString()}::timestamptz and completed_at < ${to.toISOString()}::timestamptz`),
    );
    return Number(rows[0]!.n);
  },

  /**
   * What Stripe has been (or is being) told for a period: the sum of the reports not given up. A given-up report
   * never reached Stripe's count (its errors were refusals, or it failed for a day), so its usage is reported
   * again by the next one.
   */
  async reportedTotal(tx: Tx, tenantId: string, metric: MeterMetric, period: string): Promise<{ total: number; any: boolean }> {
    const rows = rowsOf<{ c: string | number | null; n: string | number }>(
      await tx.execute(sql`
        select coalesce(sum(value) filter (where status <> 'failed'), 0) as c, count(*) as n
          from billing_meter_reports where tenant_id = ${tenantId} and metric = ${metric} and period = ${period}`),
    );
    return { total: Number(rows[0]?.c ?? 0), any: Number(rows[0]?.n ?? 0) > 0 };
  },

  /** Serialises a tenant's billing jobs (queueing reports, recording a grace end) across processes. */
  async lockBillingJobs(tx: Tx, tenantId: string): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`arrears:billing-jobs:${tenantId}`}, 0))`);
  },

  async insertReport(tx: Tx, tenantId: string, row: Omit<typeof billingMeterReports.$inferInsert, 'tenantId'>): Promise<boolean> {
    const rows = await tx
      .insert(billingMeterReports)
      .values({ ...row, tenantId })
      .onConflictDoNothing({ target: [billingMeterReports.tenantId, billingMeterReports.identifier] })
      .returning({ id: billingMeterReports.id });
    return rows.length > 0;
  },

  /**
   * Due reports, leased for `leaseMs` (a sender that dies leaves them to the next run, which sends the same
   * identifiers again). SKIP LOCKED keeps two processes off the same rows.
   */
  async claimDue(tx: Tx, tenantId: string, now: Date, limit: number, leaseMs: number): Promise<MeterReportRow[]> {
    const rows = await tx
      .select()
      .from(billingMeterReports)
      .where(and(eq(billingMeterReports.tenantId, tenantId), eq(billingMeterReports.status, 'pending'), lte(billingMeterReports.nextAttemptAt, now)))
      .orderBy(asc(billingMeterReports.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    if (!rows.length) return [];
    await tx.execute(sql`
      update billing_meter_reports set next_attempt_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz, attempts = attempts + 1
       where tenant_id = ${tenantId} and id = any(${`{${rows.map((r) => r.id).join(',')}}`}::uuid[])`);
    return rows;
  },

  async markSent(tx: Tx, tenantId: string, ids: string[], at: Date): Promise<void> {
    if (!ids.length) return;
    await tx.execute(sql`
      update billing_meter_reports set status = 'sent', sent_at = ${at.toISOString()}::timestamptz, last_error = null
       where tenant_id = ${tenantId} and id = any(${`{${ids.join(',')}}`}::uuid[])`);
  },

  async markFailed(tx: Tx, tenantId: string, id: string, error: string, next: Date | null): Promise<void> {
    await tx.execute(sql`
      update billing_meter_reports
         set last_error = ${error.slice(0, 500)},
             status = case when ${next === null} then 'failed' else status end,
             next_attempt_at = coalesce(${next?.toISOString() ?? null}::timestamptz, next_attempt_at)
       where tenant_id = ${tenantId} and id = ${id}`);
  },

  async reports(tx: Tx, tenantId: string, limit: number): Promise<MeterReportRow[]> {
    return tx.select().from(billingMeterReports).where(eq(billingMeterReports.tenantId, tenantId)).orderBy(sql`${billingMeterReports.createdAt} desc, ${billingMeterReports.id} desc`).limit(limit);
  },

  // Stripe events (platform table: the connecting role, outside any tenant transaction)

  /**
   * Records an event id; false when it was seen before and is done (or being processed right now). An event
   * whose processing failed, or whose processor died (processing for over five minutes), is taken again.
   */
  async claimEvent(db: Database, e: { id: string; type: string; created: Date }, now: Date): Promise<'new' | 'done' | 'busy'> {
    const rows = await db.query<{ claimed: boolean; outcome: string }>(
      `with claimed as (
         insert into stripe_events as e (id, type, stripe_created_at, received_at) values ($1, $2, $3, $4)
         on conflict (id) do update set attempts = e.attempts + 1, outcome = 'processing', received_at = excluded.received_at
          where e.outcome = 'failed' or (e.outcome = 'processing' and e.received_at < $4::timestamptz - interval '5 minutes')
         returning id)
       select true as claimed, 'processing' as outcome from claimed
       union all
       select false, outcome from stripe_events where id = $1 and not exists (select 1 from claimed)`,
      [e.id, e.type, e.created.toISOString(), now.toISOString()],
    );
    const r = rows[0];
    // No row: a concurrent delivery inserted it after this statement's snapshot was taken (its insert waited on
    // that one's). It is being applied or has just been: either way Stripe may come back.
    if (!r) return 'busy';
    if (r.claimed) return 'new';
    return r.outcome === 'processing' || r.outcome === 'failed' ? 'busy' : 'done';
  },

  /** Whether the end of this past-due spell's grace was already recorded (the hourly jobs record it once). */
  async graceEndRecorded(tx: Tx, tenantId: string, since: Date): Promise<boolean> {
    const rows = rowsOf(
      await tx.execute(sql`
        select 1 from audit_events where tenant_id = ${tenantId} and action = 'billing.grace_ended'
           and occurred_at >= ${since.toISOString()}::timestamptz limit 1`),
    );
    return rows.length > 0;
  },

  async finishEvent(db: Database, id: string, tenantId: string | null, outcome: string, detail: string | null, now: Date): Promise<void> {
    await db.query('update stripe_events set outcome = $2, tenant_id = $3, detail = $4, processed_at = $5 where id = $1', [id, outcome, tenantId, detail?.slice(0, 500) ?? null, now.toISOString()]);
  },

  async customerTenant(db: Database, customerId: string): Promise<string | null> {
    const rows = await db.query<{ t: string | null }>('select arrears_billing_customer_tenant($1) as t', [customerId]);
    return rows[0]?.t ?? null;
  },

  async tenantExists(tx: Tx, tenantId: string): Promise<boolean> {
    const rows = rowsOf(await tx.execute(sql`select 1 from tenants where id = ${tenantId}`));
    return rows.length > 0;
  },
};
