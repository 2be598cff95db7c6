import type { Database, Tx } from '../../db/client.js';
import { LIMIT_KEYS, type LimitKey, type Plan, type PlanCatalog } from '../../config/plans.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { uuidv7 } from '../../shared/ids.js';
import type { AuditService } from '../audit/audit.service.js';
import { systemActor, type Principal, type TenantActor } from '../tenancy/principal.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import { billingRepository, type MeterReportRow, type SubscriptionRow } from './billing.repository.js';
import type { SubscriptionStatus } from './billing.table.js';
import { monthStart } from './entitlement.service.js';
import { BadSignature, MalformedEvent, StripeUnavailable, type StripeEventEnvelope, type StripeGateway } from './stripe.gateway.js';
import { accessState, applyEvent, type AccessState, type BillingEvent, type SubscriptionState } from './subscription.logic.js';

export interface BillingOptions {
  graceDays: number;
  returnUrl: string;
  meters: { creditChecks: string; activeAccounts: string };
}

export interface UsageLine {
  limit: LimitKey;
  used: number | null;
  allowed: number | null;
}

export interface SubscriptionView {
  plan: Plan;
  access: AccessState;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  hasBillingAccount: boolean;
  usage: UsageLine[];
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

const HANDLED = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
]);

const STATUSES: readonly SubscriptionStatus[] = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused'];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
/** An expandable field: an id, or the expanded object carrying it. */
const idOf = (v: unknown): string | null => str(v) ?? str(obj(v)?.id);
const at = (seconds: unknown): Date | null => (typeof seconds === 'number' ? new Date(seconds * 1000) : null);

function stateOf(row: SubscriptionRow | null, defaultPlan: string): SubscriptionState {
  return {
    planCode: row?.planCode ?? defaultPlan,
    status: row?.status ?? 'none',
    stripeCustomerId: row?.stripeCustomerId ?? null,
    stripeSubscriptionId: row?.stripeSubscriptionId ?? null,
    currentPeriodEnd: row?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
    pastDueSince: row?.pastDueSince ?? null,
    stateAt: row?.stateAt ?? null,
    statusAt: row?.statusAt ?? null,
  };
}

function auditState(s: SubscriptionState): Record<string, unknown> {
  return {
    plan: s.planCode,
    status: s.status,
    subscription: s.stripeSubscriptionId,
    currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    pastDueSince: s.pastDueSince?.toISOString() ?? null,
  };
}

/**
 * Subscriptions through Stripe: checkout and portal sessions, the signed event feed, the tenant's view of its
 * plan and usage, and usage reports to Stripe's meters. Stripe is only ever called between transactions.
 */
export class BillingService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    readonly catalog: PlanCatalog,
    private readonly stripe: StripeGateway,
    private readonly options: BillingOptions,
    private readonly log: (level: 'info' | 'warn', fields: Record<string, unknown>, msg: string) => void = () => {},
  ) {}

  plans(): readonly Plan[] {
    return this.catalog.plans;
  }

  /** The access a request has, from what authentication read (no query). */
  access(principal: Principal): AccessState | null {
    if (principal.tenantId === null || !principal.billing) return null;
    return accessState(principal.billing, this.catalog, this.options.graceDays, this.clock.now());
  }

  async subscription(actor: TenantActor): Promise<SubscriptionView> {
    const tenantId = actor.principal.tenantId;
    const now = this.clock.now();
    return this.db.tenant({ tenantId }, async (tx) => {
      const row = await billingRepository.subscription(tx, tenantId);
      const access = accessState({ planCode: row?.planCode ?? null, status: row?.status ?? null, pastDueSince: row?.pastDueSince ?? null }, this.catalog, this.options.graceDays, now);
      const plan = access.plan;
      const oldest = await billingRepository.oldestAuditEvent(tx, tenantId);
      const used: Record<LimitKey, number | null> = {
        activeAccounts: await billingRepository.countActiveAccounts(tx, tenantId),
        // Counted per key, per minute: the view is the tenant's, so there is no one number to show.
        apiRequestsPerMinute: null,
        creditChecksPerMonth: await billingRepository.usage(tx, tenantId, 'credit_checks', monthStart(now)),
        agencySeats: await billingRepository.countAgencySeats(tx, tenantId),
        webhookEndpoints: await billingRepository.countWebhookEndpoints(tx, tenantId),
        auditRetentionDays: oldest ? Math.floor((now.getTime() - oldest.getTime()) / 86_400_000) : 0,
      };
      return {
        plan,
        access,
        currentPeriodEnd: row?.currentPeriodEnd ?? null,
        cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
        hasBillingAccount: Boolean(row?.stripeCustomerId),
        usage: LIMIT_KEYS.map((k) => ({ limit: k, used: used[k], allowed: plan.limits[k] })),
      };
    });
  }

  private tenantWideAdmin(actor: TenantActor): string {
    if (actor.principal.kind !== 'api_key' || actor.principal.portfolioIds) throw AppError.forbidden('Billing needs a tenant-wide API key with the admin scope');
    return actor.principal.tenantId;
  }

  private unavailable(err: unknown): AppError {
    if (err instanceof StripeUnavailable) {
      this.log('warn', { upstream: 'stripe', retryable: err.retryable, error: err.message }, 'Stripe call failed');
      if (!err.retryable && /not configured/.test(err.message)) return AppError.forbidden(`Billing is not available: ${err.message}`, { reason: 'billing_not_configured' });
      return new AppError('INTERNAL', `Stripe could not be reached or refused the request; nothing was created. Retry later. (${err.message})`, { upstream: 'stripe', retryable: err.retryable });
    }
    return err as AppError;
  }

  /** The customer for the tenant, created at Stripe (outside any transaction) and then recorded, if it has none. */
  private async customer(tenantId: string): Promise<string> {
    const known = await this.db.tenant({ tenantId }, async (tx) => {
      const row = await billingRepository.subscription(tx, tenantId);
      const tenant = await tenantRepository.find(tx, tenantId);
      return { row, name: tenant?.name ?? tenantId };
    });
    if (known.row?.stripeCustomerId) return known.row.stripeCustomerId;
    const customerId = await this.stripe.createCustomer(tenantId, known.name);
    return this.db.tenant({ tenantId }, async (tx) => {
      const row = await billingRepository.subscriptionForUpdate(tx, tenantId);
      // A concurrent request may have recorded it meanwhile: the idempotency key made it the same customer.
      if (row?.stripeCustomerId) return row.stripeCustomerId;
      const cur = stateOf(row, this.catalog.defaultPlan);
      await billingRepository.saveSubscription(tx, tenantId, { ...cur, stripeCustomerId: customerId }, this.clock.now());
      return customerId;
    });
  }

  async createCheckoutSession(actor: TenantActor, planCode: string): Promise<{ url: string; sessionId: string; expiresAt: Date | null }> {
    const tenantId = this.tenantWideAdmin(actor);
    const code = planCode.trim();
    if (!this.catalog.has(code)) throw AppError.badInput('planCode', `unknown plan "${planCode}"; plans: ${this.catalog.plans.map((p) => p.code).join(', ')}`);
    const plan = this.catalog.get(code);
    if (!plan.stripePriceId) throw AppError.badInput('planCode', `the ${plan.name} plan is not sold through checkout (it has no Stripe price)`);
    const row = await this.db.tenant({ tenantId }, (tx) => billingRepository.subscription(tx, tenantId));
    if (row && row.stripeSubscriptionId && ['active', 'trialing', 'past_due', 'unpaid', 'paused'].includes(row.status)) {
      throw AppError.conflict(`The tenant already has a ${row.status} subscription (${this.catalog.get(row.planCode).name}); change plans or pay through createBillingPortalSession`, {
        status: row.status,
        plan: row.planCode,
      });
    }
    const sep = this.options.returnUrl.includes('?') ? '&' : '?';
    try {
      if (row?.stripeCustomerId) {
        // A checkout completed moments ago may not have reached us yet: ask Stripe, so one tenant does not
        // end up paying for two subscriptions. (Two checkouts left open side by side are Stripe's to refuse:
        // enable "limit customers to one subscription" in its Checkout settings.)
        const live = await this.stripe.liveSubscriptions(row.stripeCustomerId);
        if (live.length) {
          throw AppError.conflict(`The tenant already has a subscription at Stripe (${live[0]!.id}, ${live[0]!.status}); change plans or pay through createBillingPortalSession`, {
            status: live[0]!.status,
            subscription: live[0]!.id,
          });
        }
      }
      const customerId = await this.customer(tenantId);
      const session = await this.stripe.createCheckoutSession({
        tenantId,
        customerId,
        priceId: plan.stripePriceId,
        planCode: plan.code,
        successUrl: `${this.options.returnUrl}${sep}checkout=success&session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: `${this.options.returnUrl}${sep}checkout=canceled`,
        // One session per request: a client retrying with the same request id gets the same session.
        idempotencyKey: `arrears-checkout-${tenantId}-${plan.code}-${actor.requestId}`,
      });
      await this.db.tenant({ tenantId }, (tx) =>
        this.audit.record(tx, actor, { action: 'billing.checkout_started', entityType: 'tenant', entityId: tenantId, before: null, after: { plan: plan.code, sessionId: session.id } }),
      );
      return { url: session.url, sessionId: session.id, expiresAt: session.expiresAt };
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async createPortalSession(actor: TenantActor): Promise<{ url: string }> {
    const tenantId = this.tenantWideAdmin(actor);
    if (!this.stripe.configured) throw this.unavailable(new StripeUnavailable('Stripe is not configured on this server (STRIPE_SECRET_KEY)', false));
    const row = await this.db.tenant({ tenantId }, (tx) => billingRepository.subscription(tx, tenantId));
    if (!row?.stripeCustomerId) throw AppError.conflict('The tenant has no billing account yet: subscribe first with createCheckoutSession', { reason: 'no_billing_account' });
    try {
      const s = await this.stripe.createPortalSession(row.stripeCustomerId, this.options.returnUrl, `arrears-portal-${tenantId}-${actor.requestId}`);
      await this.db.tenant({ tenantId }, (tx) =>
        this.audit.record(tx, actor, { action: 'billing.portal_opened', entityType: 'tenant', entityId: tenantId, before: null, after: { sessionId: s.id } }),
      );
      return { url: s.url };
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /**
   * The platform operator puts a tenant on a plan without Stripe (an invoiced enterprise contract, a pilot).
   * Stripe's later events about a subscription of the tenant's still win: they are the billing record.
   */
  async assignPlan(tenantId: string, planCode: string, reason: string): Promise<SubscriptionRow> {
    if (!this.catalog.has(planCode)) throw AppError.badInput('planCode', `unknown plan "${planCode}"; plans: ${this.catalog.plans.map((p) => p.code).join(', ')}`);
    const why = reason.trim();
    if (!why || why.length > 500) throw AppError.badInput('reason', 'must be 1 to 500 characters');
    return this.db.tenant({ tenantId }, async (tx) => {
      if (!(await billingRepository.tenantExists(tx, tenantId))) throw AppError.notFound('Tenant', tenantId);
      const row = await billingRepository.subscriptionForUpdate(tx, tenantId);
      const cur = stateOf(row, this.catalog.defaultPlan);
      // An ended or never-started subscription becomes an active contract; a live one keeps Stripe's status. The
      // assignment is as of now, so Stripe's older events about the old subscription are stale.
      const revive = cur.status === 'none' || cur.status === 'canceled' || cur.status === 'incomplete_expired';
      const now = this.clock.now();
      // The ended subscription is forgotten (the customer is kept): it no longer blocks a checkout, and its
      // late invoice events cannot put a contract tenant into past_due.
      const next: SubscriptionState = revive
        ? { ...cur, planCode, status: 'active', stripeSubscriptionId: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, pastDueSince: null, stateAt: now, statusAt: now }
        : { ...cur, planCode };
      const saved = await billingRepository.saveSubscription(tx, tenantId, next, this.clock.now());
      await this.audit.record(tx, systemActor(tenantId, 'platform-admin'), {
        action: 'billing.plan_assigned',
        entityType: 'tenant',
        entityId: tenantId,
        before: auditState(cur),
        after: { ...auditState(next), reason: why },
      });
      return saved;
    });
  }

  // --- Stripe's signed events ---------------------------------------------------------------------------

  /** POST /webhooks/stripe: 400 for what Stripe should not resend, 500 for what it should, 200 otherwise. */
  async receive(rawBody: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
    let event: StripeEventEnvelope;
    try {
      event = this.stripe.verify(rawBody, signature);
    } catch (err) {
      if (err instanceof BadSignature || err instanceof MalformedEvent) {
        this.log('warn', { reason: err.message }, 'stripe webhook refused');
        return { status: 400, body: { error: err instanceof BadSignature ? 'invalid signature' : 'malformed event', detail: err.message } };
      }
      throw err;
    }
    const now = this.clock.now();
    const claimed = await billingRepository.claimEvent(this.db, { id: event.id, type: event.type, created: new Date(event.created * 1000) }, now);
    if (claimed === 'done') return { status: 200, body: { received: true, duplicate: true } };
    // Another delivery of it is being applied right now: ask Stripe to come back, by when it will be done (or,
    // should that process have died, taken over).
    if (claimed === 'busy') return { status: 409, body: { error: 'this event is being processed; retry later' } };
    let result: { outcome: string; tenantId: string | null; detail: string | null };
    try {
      result = await this.apply(event);
    } catch (err) {
      await billingRepository.finishEvent(this.db, event.id, null, 'failed', err instanceof Error ? err.message : String(err), this.clock.now()).catch(() => {});
      throw err;
    }
    await billingRepository.finishEvent(this.db, event.id, result.tenantId, result.outcome, result.detail, this.clock.now());
    if (result.outcome === 'ignored' || result.outcome === 'unknown_customer') this.log('info', { eventId: event.id, type: event.type, outcome: result.outcome, detail: result.detail }, 'stripe event not applied');
    return { status: 200, body: { received: true, outcome: result.outcome } };
  }

  private toBillingEvent(e: StripeEventEnvelope): BillingEvent | null {
    const o = e.data.object;
    const when = new Date(e.created * 1000);
    const customerId = idOf(o.customer);
    switch (e.type) {
      case 'checkout.session.completed': {
        if (o.mode !== 'subscription') return null;
        const code = str(obj(o.metadata)?.plan_code);
        return {
          kind: 'checkout',
          at: when,
          customerId,
          subscriptionId: idOf(o.subscription),
          planCode: code && this.catalog.has(code) ? code : null,
          paid: o.payment_status === 'paid' || o.payment_status === 'no_payment_required',
        };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const id = str(o.id);
        const status = str(o.status) as SubscriptionStatus | null;
        if (!id || !status || !STATUSES.includes(status)) return null;
        const items = (obj(o.items)?.data as unknown[] | undefined) ?? [];
        const first = obj(items[0]);
        const priceId = idOf(first?.price);
        const code = str(obj(o.metadata)?.plan_code);
        const plan = this.catalog.byStripePrice(priceId)?.code ?? (code && this.catalog.has(code) ? code : null);
        return {
          kind: 'subscription',
          at: when,
          customerId,
          subscriptionId: id,
          status: e.type === 'customer.subscription.deleted' ? 'canceled' : status,
          planCode: plan,
          // Older API versions carry the period on the subscription, newer ones on its items.
          currentPeriodEnd: at(o.current_period_end) ?? at(first?.current_period_end),
          cancelAtPeriodEnd: o.cancel_at_period_end === true,
        };
      }
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const details = obj(obj(o.parent)?.subscription_details);
        return {
          kind: e.type === 'invoice.paid' ? 'invoice_paid' : 'invoice_failed',
          at: when,
          customerId,
          subscriptionId: idOf(o.subscription) ?? idOf(details?.subscription),
        };
      }
      default:
        return null;
    }
  }

  /** The tenant an event names: its customer's, else the tenant id our checkout put in the metadata. */
  private async tenantOf(e: StripeEventEnvelope): Promise<{ tenantId: string | null; detail: string | null }> {
    const o = e.data.object;
    const customerId = idOf(o.customer);
    const meta =
      str(obj(o.metadata)?.tenant_id) ??
      str(o.client_reference_id) ??
      // Invoices: under parent.subscription_details in newer API versions, subscription_details in older ones.
      str(obj(obj(obj(o.parent)?.subscription_details)?.metadata)?.tenant_id) ??
      str(obj(obj(o.subscription_details)?.metadata)?.tenant_id);
    const byCustomer = customerId ? await billingRepository.customerTenant(this.db, customerId) : null;
    const claimed = meta && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(meta) ? meta.toLowerCase() : null;
    if (byCustomer && claimed && byCustomer !== claimed) return { tenantId: null, detail: `customer ${customerId} belongs to another tenant than the metadata names` };
    return { tenantId: byCustomer ?? claimed, detail: null };
  }

  private async apply(e: StripeEventEnvelope): Promise<{ outcome: string; tenantId: string | null; detail: string | null }> {
    if (!HANDLED.has(e.type)) return { outcome: 'ignored', tenantId: null, detail: `event type ${e.type} is not handled` };
    const be = this.toBillingEvent(e);
    if (!be) return { outcome: 'ignored', tenantId: null, detail: 'not a subscription event of ours' };
    const { tenantId, detail } = await this.tenantOf(e);
    if (!tenantId) return { outcome: 'unknown_customer', tenantId: null, detail: detail ?? `no tenant for customer ${be.customerId ?? '(none)'}` };
    const actor = systemActor(tenantId, 'stripe', `stripe:${e.id}`);
    return this.db.tenant({ tenantId }, async (tx) => {
      if (!(await billingRepository.tenantExists(tx, tenantId))) return { outcome: 'unknown_customer', tenantId: null, detail: `tenant ${tenantId} does not exist` };
      const row = await billingRepository.subscriptionForUpdate(tx, tenantId);
      const cur = stateOf(row, this.catalog.defaultPlan);
      const { next, outcome, save, reason } = applyEvent(cur, be);
      if (save) await billingRepository.saveSubscription(tx, tenantId, next, this.clock.now());
      if (outcome === 'applied') {
        await this.audit.record(tx, actor, {
          action: 'billing.subscription_changed',
          entityType: 'tenant',
          entityId: tenantId,
          before: auditState(cur),
          after: { ...auditState(next), eventId: e.id, eventType: e.type },
        });
      }
      return { outcome, tenantId, detail: reason };
    });
  }

  /**
   * Job: the end of a grace period is a change of state that no event announces (time passes). Recorded once per
   * past-due spell in the tenant's audit log, as the billing clock.
   */
  async recordGraceEnd(tenantId: string): Promise<boolean> {
    const now = this.clock.now();
    return this.db.tenant({ tenantId }, async (tx) => {
      await billingRepository.lockBillingJobs(tx, tenantId);
      const row = await billingRepository.subscription(tx, tenantId);
      if (!row || row.status !== 'past_due' || !row.pastDueSince) return false;
      const a = accessState({ planCode: row.planCode, status: row.status, pastDueSince: row.pastDueSince }, this.catalog, this.options.graceDays, now);
      if (a.mode !== 'read_only' || (await billingRepository.graceEndRecorded(tx, tenantId, row.pastDueSince))) return false;
      await this.audit.record(tx, systemActor(tenantId, 'billing-clock'), {
        action: 'billing.grace_ended',
        entityType: 'tenant',
        entityId: tenantId,
        before: { mode: 'grace', status: row.status, pastDueSince: row.pastDueSince.toISOString() },
        after: { mode: 'read_only', status: row.status, graceEndedAt: a.graceEndsAt?.toISOString() ?? null },
      });
      return true;
    });
  }

  // --- Usage reports to Stripe's meters ------------------------------------------------------------------

  /**
   * Job: queue what is new since the last report (credit checks completed this and last month, today's
   * active accounts), then send what is due in one batch and record the results. Identifiers are fixed when a
   * report is queued, so a resend after a crash or a timeout is counted once by Stripe.
   */
  async reportUsage(tenantId: string): Promise<{ queued: number; sent: number; failed: number }> {
    if (!this.stripe.configured) return { queued: 0, sent: 0, failed: 0 };
    const now = this.clock.now();
    const queued = await this.db.tenant({ tenantId }, async (tx) => {
      const row = await billingRepository.subscription(tx, tenantId);
      if (!row?.stripeCustomerId) return 0;
      return this.queueReports(tx, tenantId, row.stripeCustomerId, now);
    });
    const due = await this.db.tenant({ tenantId }, (tx) => billingRepository.claimDue(tx, tenantId, now, 100, 5 * 60_000));
    if (!due.length) return { queued, sent: 0, failed: 0 };
    const results = await mapLimit(due, 4, async (r) => {
      try {
        await this.stripe.sendMeterEvent({ eventName: this.meterOf(r), customerId: r.stripeCustomerId, value: r.value, identifier: r.identifier, timestamp: r.eventAt });
        return { r, error: null };
      } catch (err) {
        return { r, error: err instanceof StripeUnavailable ? err : new StripeUnavailable(String(err), true) };
      }
    });
    const done = this.clock.now();
    await this.db.tenant({ tenantId }, async (tx) => {
      await billingRepository.markSent(tx, tenantId, results.filter((x) => !x.error).map((x) => x.r.id), done);
      for (const x of results) {
        if (!x.error) continue;
        const attempts = x.r.attempts + 1;
        // Retried with backoff while Stripe still deduplicates the identifier (24 hours), then given up; a
        // given-up credit-check report is folded into the next one (reportedTotal).
        const retryAt = new Date(done.getTime() + Math.min(3 * 3_600_000, 60_000 * 2 ** attempts));
        const next = x.error.retryable && retryAt.getTime() - x.r.createdAt.getTime() < 23 * 3_600_000 ? retryAt : null;
        await billingRepository.markFailed(tx, tenantId, x.r.id, x.error.message, next);
      }
    });
    const failed = results.filter((x) => x.error).length;
    if (failed) this.log('warn', { tenantId, failed, error: results.find((x) => x.error)?.error?.message }, 'usage reports to Stripe failed');
    return { queued, sent: results.length - failed, failed };
  }

  private meterOf(r: MeterReportRow): string {
    return r.metric === 'credit_checks' ? this.options.meters.creditChecks : this.options.meters.activeAccounts;
  }

  private async queueReports(tx: Tx, tenantId: string, customerId: string, now: Date): Promise<number> {
    // Two processes' hourly jobs must not both queue the same increase.
    await billingRepository.lockBillingJobs(tx, tenantId);
    let queued = 0;
    // Credit checks: a running total per month; each report carries the increase since the last one.
    const thisMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    for (const [from, to] of [
      [lastMonth, thisMonth],
      [thisMonth, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))],
    ] as const) {
      const period = from.toISOString().slice(0, 7);
      const total = await billingRepository.completedPulls(tx, tenantId, from, to);
      const reported = await billingRepository.reportedTotal(tx, tenantId, 'credit_checks', period);
      if (total <= reported.total) continue;
      const eventAt = to <= now ? new Date(to.getTime() - 1000) : now;
      const id = uuidv7();
      const inserted = await billingRepository.insertReport(tx, tenantId, {
        id,
        metric: 'credit_checks',
        period,
        value: total - reported.total,
        cumulative: total,
        // Fixed now and sent on every retry of this report: Stripe counts it once.
        identifier: `${tenantId}:credit_checks:${period}:${id}`,
        stripeCustomerId: customerId,
        eventAt,
        nextAttemptAt: now,
        createdAt: now,
      });
      if (inserted) queued++;
    }
    // Active accounts: one snapshot per UTC day (the meter should aggregate with "last").
    const day = now.toISOString().slice(0, 10);
    const snapshot = await billingRepository.reportedTotal(tx, tenantId, 'active_accounts', day);
    if (!snapshot.any) {
      const n = await billingRepository.countActiveAccounts(tx, tenantId);
      // Zero is reported too: with "last" aggregation, silence would leave the previous count billed.
      {
        const inserted = await billingRepository.insertReport(tx, tenantId, {
          id: uuidv7(),
          metric: 'active_accounts',
          period: day,
          value: n,
          cumulative: n,
          identifier: `${tenantId}:active_accounts:${day}`,
          stripeCustomerId: customerId,
          eventAt: now,
          nextAttemptAt: now,
          createdAt: now,
        });
        if (inserted) queued++;
      }
    }
    return queued;
  }

  async meterReports(actor: TenantActor, first: number): Promise<MeterReportRow[]> {
    const tenantId = this.tenantWideAdmin(actor);
    return this.db.tenant({ tenantId }, (tx) => billingRepository.reports(tx, tenantId, Math.min(Math.max(first, 1), 200)));
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
