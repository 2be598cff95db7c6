import type { Plan, PlanCatalog } from '../../config/plans.js';
import type { SubscriptionStatus } from './billing.table.js';

/** What authentication learns about a tenant's subscription (null fields: never subscribed). */
export interface BillingSnapshot {
  planCode: string | null;
  status: SubscriptionStatus | null;
  pastDueSince: Date | null;
}

/** The snapshot from an authentication function's row (the tenant has no subscription row: all null). */
export function billingSnapshot(row: { plan_code: string | null; billing_status: string | null; past_due_since: Date | string | null }): BillingSnapshot {
  return {
    planCode: row.plan_code,
    status: (row.billing_status as SubscriptionStatus | null) ?? null,
    pastDueSince: row.past_due_since === null ? null : new Date(row.past_due_since),
  };
}

export type AccessMode = 'full' | 'grace' | 'read_only';

export interface AccessState {
  plan: Plan;
  status: SubscriptionStatus;
  mode: AccessMode;
  /** past_due: when the grace period ends (full access until then). */
  graceEndsAt: Date | null;
  /** Why the tenant is read-only or warned, in words a creditor's engineer can act on. */
  reason: string | null;
}

const READ_ONLY: Partial<Record<SubscriptionStatus, string>> = {
  canceled: 'the subscription is canceled',
  unpaid: 'the subscription is unpaid',
  paused: 'the subscription is paused',
};

/**
 * Full access, a grace period with a warning, or read-only. Billing never deletes or hides data: read-only
 * refuses mutations only. A subscription whose first payment has not completed (`incomplete`) keeps the tenant
 * on its previous footing: the plan it had is what it has paid for.
 */
export function accessState(s: BillingSnapshot, catalog: PlanCatalog, graceDays: number, now: Date): AccessState {
  const status: SubscriptionStatus = s.status ?? 'none';
  // A subscription whose first payment is pending or never came (`incomplete`, `incomplete_expired`) never
  // started: the tenant is on the default plan, as before it tried.
  const plan = catalog.get(status === 'incomplete' || status === 'incomplete_expired' ? null : s.planCode);
  if (status === 'past_due') {
    const since = s.pastDueSince ?? now;
    const graceEndsAt = new Date(since.getTime() + graceDays * 86_400_000);
    if (graceEndsAt > now) {
      return { plan, status, mode: 'grace', graceEndsAt, reason: `the last payment failed; pay by ${graceEndsAt.toISOString()} to keep write access` };
    }
    return { plan, status, mode: 'read_only', graceEndsAt, reason: `payment is overdue and the grace period ended ${graceEndsAt.toISOString()}` };
  }
  const ro = READ_ONLY[status];
  if (ro) return { plan, status, mode: 'read_only', graceEndsAt: null, reason: ro };
  return { plan, status, mode: 'full', graceEndsAt: null, reason: null };
}

/** The fixed one-minute window a request falls in (shared by every process through the same clock). */
export const RATE_WINDOW_MS = 60_000;
export function windowStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / RATE_WINDOW_MS) * RATE_WINDOW_MS);
}

// --- Stripe events → subscription state ------------------------------------------------------------------

export interface SubscriptionState {
  planCode: string;
  status: SubscriptionStatus;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  pastDueSince: Date | null;
  /** Stripe time of the subscription snapshot applied (plan, period, status); older snapshots are stale. */
  stateAt: Date | null;
  /** Stripe time of what last decided the status: a snapshot, or a newer invoice payment or failure. */
  statusAt: Date | null;
}

export type BillingEvent =
  | { kind: 'checkout'; at: Date; customerId: string | null; subscriptionId: string | null; planCode: string | null; paid: boolean }
  | {
      kind: 'subscription';
      at: Date;
      customerId: string | null;
      subscriptionId: string;
      status: SubscriptionStatus;
      planCode: string | null;
      currentPeriodEnd: Date | null;
      cancelAtPeriodEnd: boolean;
    }
  | { kind: 'invoice_paid' | 'invoice_failed'; at: Date; customerId: string | null; subscriptionId: string | null };

/** applied: a visible change (audited); unchanged: nothing visible changed; stale: older than what is known. */
export type EventOutcome = 'applied' | 'unchanged' | 'stale';

export interface EventResult {
  next: SubscriptionState;
  outcome: EventOutcome;
  /** The row must be written (a visible change, or only the Stripe times moved on). */
  save: boolean;
  reason: string | null;
}

/** Statuses after which a subscription never comes back (Stripe starts a new one instead). */
const TERMINAL: ReadonlySet<SubscriptionStatus> = new Set(['canceled', 'incomplete_expired']);
const isLive = (s: SubscriptionState) => s.stripeSubscriptionId !== null && !TERMINAL.has(s.status) && s.status !== 'none';
const ms = (d: Date | null) => d?.getTime() ?? null;

function visiblySame(a: SubscriptionState, b: SubscriptionState): boolean {
  return (
    a.planCode === b.planCode &&
    a.status === b.status &&
    a.stripeCustomerId === b.stripeCustomerId &&
    a.stripeSubscriptionId === b.stripeSubscriptionId &&
    ms(a.currentPeriodEnd) === ms(b.currentPeriodEnd) &&
    a.cancelAtPeriodEnd === b.cancelAtPeriodEnd &&
    ms(a.pastDueSince) === ms(b.pastDueSince)
  );
}

/**
 * The state after `e`, judged by Stripe's timestamps and the object's own state rather than arrival order:
 *  - a subscription event is a snapshot: one older than the snapshot applied is stale; a canceled
 *    subscription never revives; an event about another subscription than the live one is stale;
 *  - an invoice payment or failure decides the status only when it is newer than what decided it last, so a
 *    snapshot taken before a payment cannot put the tenant back into past_due;
 *  - ties (Stripe's times have one-second resolution) go to the later arrival.
 */
export function applyEvent(cur: SubscriptionState, e: BillingEvent): EventResult {
  const customer = cur.stripeCustomerId ?? e.customerId;
  const result = (next: SubscriptionState, reason: string | null = null, staleOutcome = false): EventResult => {
    const same = visiblySame(cur, next);
    const save = !same || ms(cur.stateAt) !== ms(next.stateAt) || ms(cur.statusAt) !== ms(next.statusAt);
    return { next, outcome: same ? (staleOutcome ? 'stale' : 'unchanged') : 'applied', save, reason };
  };
  // The customer id is a fact whatever the order: keep it even from a stale event.
  const stale = (reason: string) => result({ ...cur, stripeCustomerId: customer }, reason, true);

  switch (e.kind) {
    case 'checkout': {
      if (e.subscriptionId && cur.stripeSubscriptionId === e.subscriptionId && cur.stateAt !== null) {
        // The subscription's own events say more than "checkout completed", except that a paid checkout newer
        // than an `incomplete` snapshot means the first payment went through.
        if (e.paid && cur.status === 'incomplete' && (cur.statusAt === null || e.at >= cur.statusAt)) {
          return result({ ...cur, stripeCustomerId: customer, planCode: e.planCode ?? cur.planCode, status: 'active', statusAt: e.at });
        }
        return stale('the subscription has newer state');
      }
      if (isLive(cur) && cur.stripeSubscriptionId !== e.subscriptionId && cur.stateAt !== null && e.at < cur.stateAt) return stale('a newer subscription is live');
      return result({
        ...cur,
        stripeCustomerId: customer,
        stripeSubscriptionId: e.subscriptionId ?? cur.stripeSubscriptionId,
        planCode: e.planCode ?? cur.planCode,
        status: e.paid ? 'active' : 'incomplete',
        pastDueSince: null,
        stateAt: e.at,
        statusAt: e.at,
      });
    }
    case 'subscription': {
      const same = cur.stripeSubscriptionId === e.subscriptionId;
      const older = cur.stateAt !== null && e.at < cur.stateAt;
      if (cur.stripeSubscriptionId && !same) {
        if (isLive(cur) && (TERMINAL.has(e.status) || older)) return stale(`subscription ${e.subscriptionId} is not the live one (${cur.stripeSubscriptionId})`);
      } else if (same) {
        if (TERMINAL.has(cur.status) && !TERMINAL.has(e.status)) return stale('the subscription has ended; an ended subscription does not revive');
        if (older) return stale('an older snapshot of the subscription');
      }
      // A newer invoice outcome keeps deciding the status, unless the subscription has ended. A subscription
      // never goes back to `incomplete`: such a snapshot (sent in the same second as the payment's events, in
      // any order) cannot undo a status the subscription has reached since.
      const backwards = same && e.status === 'incomplete' && cur.status !== 'incomplete' && cur.status !== 'none';
      const invoiceNewer = backwards || (same && cur.statusAt !== null && e.at < cur.statusAt && !TERMINAL.has(e.status));
      const status = invoiceNewer ? cur.status : e.status;
      const pastDue = status === 'past_due' || status === 'unpaid';
      const keptSince = invoiceNewer || same ? cur.pastDueSince : null;
      return result({
        ...cur,
        stripeCustomerId: customer,
        stripeSubscriptionId: e.subscriptionId,
        planCode: e.planCode ?? cur.planCode,
        status,
        currentPeriodEnd: e.currentPeriodEnd,
        cancelAtPeriodEnd: e.cancelAtPeriodEnd,
        pastDueSince: pastDue ? (keptSince ?? e.at) : null,
        stateAt: e.at,
        statusAt: invoiceNewer ? cur.statusAt : e.at,
      });
    }
    case 'invoice_failed':
    case 'invoice_paid': {
      // Before any subscription is known there is nothing to judge it against; its snapshots carry the status.
      if (!isLive(cur)) return result({ ...cur, stripeCustomerId: customer });
      if (e.subscriptionId && e.subscriptionId !== cur.stripeSubscriptionId) return stale(`invoice of subscription ${e.subscriptionId}, not the live one`);
      if (cur.statusAt !== null && e.at < cur.statusAt) return stale('older than what decided the status');
      if (e.kind === 'invoice_failed') {
        const failing = cur.status === 'active' || cur.status === 'trialing';
        return result({ ...cur, stripeCustomerId: customer, status: failing ? 'past_due' : cur.status, pastDueSince: failing ? e.at : cur.pastDueSince, statusAt: e.at });
      }
      const recovering = cur.status === 'past_due' || cur.status === 'unpaid';
      return result({ ...cur, stripeCustomerId: customer, status: recovering ? 'active' : cur.status, pastDueSince: recovering ? null : cur.pastDueSince, statusAt: e.at });
    }
  }
}
