import { describe, expect, it } from 'vitest';
import { PlanCatalog } from '../../config/plans.js';
import { accessState, applyEvent, windowStart, type BillingEvent, type SubscriptionState } from './subscription.logic.js';

const catalog = new PlanCatalog({ starter: { stripePriceId: 'price_s' }, growth: { stripePriceId: 'price_g' } }, 'free');
const t = (iso: string) => new Date(iso);

const none: SubscriptionState = {
  planCode: 'free',
  status: 'none',
  stripeCustomerId: null,
  stripeSubscriptionId: null,
  currentPeriodEnd: null,
  cancelAtPeriodEnd: false,
  pastDueSince: null,
  stateAt: null,
  statusAt: null,
};

const sub = (at: string, status: BillingEvent & { kind: 'subscription' } extends infer E ? (E extends { status: infer S } ? S : never) : never, plan: string | null = 'starter', id = 'sub_1'): BillingEvent => ({
  kind: 'subscription',
  at: t(at),
  customerId: 'cus_1',
  subscriptionId: id,
  status,
  planCode: plan,
  currentPeriodEnd: t('2026-12-31T00:00:00Z'),
  cancelAtPeriodEnd: false,
});

function run(events: BillingEvent[], from: SubscriptionState = none): { state: SubscriptionState; outcomes: string[] } {
  let state = from;
  const outcomes: string[] = [];
  for (const e of events) {
    const r = applyEvent(state, e);
    state = r.next;
    outcomes.push(r.outcome);
  }
  return { state, outcomes };
}

describe('accessState', () => {
  const now = t('2026-06-10T12:00:00Z');
  it('never subscribed: the default plan, full access', () => {
    expect(accessState({ planCode: null, status: null, pastDueSince: null }, catalog, 7, now)).toMatchObject({ plan: { code: 'free' }, status: 'none', mode: 'full' });
  });
  it('past_due: grace until pastDueSince + grace days (exclusive), then read-only', () => {
    const since = t('2026-06-03T12:00:00Z');
    expect(accessState({ planCode: 'growth', status: 'past_due', pastDueSince: since }, catalog, 8, now)).toMatchObject({ mode: 'grace', graceEndsAt: t('2026-06-11T12:00:00Z'), plan: { code: 'growth' } });
    // Exactly at the end of the grace period the tenant is read-only.
    expect(accessState({ planCode: 'growth', status: 'past_due', pastDueSince: since }, catalog, 7, now)).toMatchObject({ mode: 'read_only' });
    expect(accessState({ planCode: 'growth', status: 'past_due', pastDueSince: since }, catalog, 0, now).reason).toMatch(/grace period ended 2026-06-03T12:00:00.000Z/);
  });
  it('canceled, unpaid and paused are read-only; the plan stays what it was', () => {
    for (const status of ['canceled', 'unpaid', 'paused'] as const) {
      expect(accessState({ planCode: 'starter', status, pastDueSince: null }, catalog, 7, now)).toMatchObject({ mode: 'read_only', plan: { code: 'starter' } });
    }
  });
  it('a first payment pending or never made keeps the default plan with full access; trialing and active are full', () => {
    expect(accessState({ planCode: 'growth', status: 'incomplete', pastDueSince: null }, catalog, 7, now)).toMatchObject({ mode: 'full', plan: { code: 'free' } });
    expect(accessState({ planCode: 'growth', status: 'incomplete_expired', pastDueSince: null }, catalog, 7, now)).toMatchObject({ mode: 'full', plan: { code: 'free' } });
    expect(accessState({ planCode: 'growth', status: 'trialing', pastDueSince: null }, catalog, 7, now)).toMatchObject({ mode: 'full', plan: { code: 'growth' } });
  });
  it('an unknown plan code falls back to the default plan', () => {
    expect(accessState({ planCode: 'platinum', status: 'active', pastDueSince: null }, catalog, 7, now).plan.code).toBe('free');
  });
});

describe('applyEvent: arrival order does not matter', () => {
  const checkout: BillingEvent = { kind: 'checkout', at: t('2026-06-01T10:00:00Z'), customerId: 'cus_1', subscriptionId: 'sub_1', planCode: 'starter', paid: true };
  const created = sub('2026-06-01T10:00:01Z', 'active');
  const upgraded = sub('2026-06-05T09:00:00Z', 'active', 'growth');
  const pastDue = sub('2026-06-20T09:00:00Z', 'past_due', 'growth');
  const failed: BillingEvent = { kind: 'invoice_failed', at: t('2026-06-20T08:59:59Z'), customerId: 'cus_1', subscriptionId: 'sub_1' };
  const paid: BillingEvent = { kind: 'invoice_paid', at: t('2026-06-22T09:00:00Z'), customerId: 'cus_1', subscriptionId: 'sub_1' };
  const deleted = sub('2026-07-01T00:00:00Z', 'canceled', 'growth');

  it('in order: checkout, upgrade, failure, recovery, cancellation', () => {
    const { state, outcomes } = run([checkout, created, upgraded, failed, pastDue, paid, deleted]);
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied', 'unchanged', 'applied', 'applied']);
    expect(state).toMatchObject({ status: 'canceled', planCode: 'growth', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1', pastDueSince: null });
  });

  it('every permutation of the same events ends in the same state', () => {
    // Stripe sends the subscription's own update with each status change an invoice causes.
    const recovered = sub('2026-06-22T09:00:00Z', 'active', 'growth');
    const events = [checkout, created, upgraded, failed, pastDue, paid, recovered];
    const expected = run(events).state;
    const permute = (xs: BillingEvent[]): BillingEvent[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permute([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    for (const order of permute(events)) {
      const { state } = run(order);
      expect({ status: state.status, plan: state.planCode, sub: state.stripeSubscriptionId, customer: state.stripeCustomerId }).toEqual({
        status: expected.status,
        plan: expected.planCode,
        sub: expected.stripeSubscriptionId,
        customer: expected.stripeCustomerId,
      });
    }
    expect(expected).toMatchObject({ status: 'active', planCode: 'growth' });
  });

  it('a payment newer than the snapshot decides the status; the late snapshot still brings its plan and period', () => {
    const { state, outcomes } = run([created, failed, paid, sub('2026-06-21T00:00:00Z', 'past_due', 'growth')]);
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(state).toMatchObject({ status: 'active', planCode: 'growth', pastDueSince: null });
    // A failure older than the payment that decided the status is stale.
    expect(applyEvent(state, { ...failed, at: t('2026-06-21T12:00:00Z') }).outcome).toBe('stale');
  });

  it('an older update after a newer one is stale; a late "active" never revives a deleted subscription', () => {
    const after = run([created, upgraded]).state;
    expect(applyEvent(after, created)).toMatchObject({ outcome: 'stale', next: { planCode: 'growth' } });
    const gone = run([created, deleted]).state;
    const late = applyEvent(gone, sub('2026-07-01T00:00:05Z', 'active', 'growth'));
    expect(late.outcome).toBe('stale');
    expect(late.next.status).toBe('canceled');
  });

  it('a checkout arriving after the subscription events does not overwrite their state', () => {
    const { state, outcomes } = run([created, pastDue, checkout]);
    expect(outcomes[2]).toBe('stale');
    expect(state.status).toBe('past_due');
    expect(state.pastDueSince).toEqual(t('2026-06-20T09:00:00Z'));
  });

  it('a new subscription after a cancellation takes over; the old one\'s late events do not', () => {
    const gone = run([created, deleted]).state;
    const fresh = applyEvent(gone, sub('2026-08-01T00:00:00Z', 'active', 'starter', 'sub_2'));
    expect(fresh).toMatchObject({ outcome: 'applied', next: { stripeSubscriptionId: 'sub_2', status: 'active', planCode: 'starter' } });
    expect(applyEvent(fresh.next, sub('2026-08-01T00:00:01Z', 'canceled', 'growth', 'sub_1')).outcome).toBe('stale');
    expect(applyEvent(fresh.next, { kind: 'invoice_failed', at: t('2026-08-02T00:00:00Z'), customerId: 'cus_1', subscriptionId: 'sub_1' }).outcome).toBe('stale');
  });

  it('past_due keeps the first failure as the start of grace across repeated failures', () => {
    const { state } = run([created, failed, sub('2026-06-21T00:00:00Z', 'past_due'), { ...failed, at: t('2026-06-23T00:00:00Z') }]);
    expect(state.pastDueSince).toEqual(t('2026-06-20T08:59:59Z'));
  });

  it('a paid checkout newer than an incomplete snapshot activates the subscription; an older one does not', () => {
    const incomplete = sub('2026-06-01T10:00:00Z', 'incomplete', 'starter');
    const after = run([incomplete, { ...checkout, at: t('2026-06-01T10:00:05Z') }]);
    expect(after.outcomes).toEqual(['applied', 'applied']);
    expect(after.state).toMatchObject({ status: 'active', planCode: 'starter' });
    const before = run([sub('2026-06-01T10:00:10Z', 'incomplete', 'starter'), { ...checkout, at: t('2026-06-01T10:00:05Z') }]);
    expect(before.outcomes[1]).toBe('stale');
    expect(before.state.status).toBe('incomplete');
  });

  it('an incomplete snapshot in the same second as the payment never undoes the status reached, in any order', () => {
    const sec = '2026-06-01T10:00:00Z';
    const evs: BillingEvent[] = [
      { ...checkout, at: t(sec) },
      { kind: 'invoice_paid', at: t(sec), customerId: 'cus_1', subscriptionId: 'sub_1' },
      sub(sec, 'active', 'starter'),
      sub(sec, 'incomplete', 'starter'),
    ];
    const permute = (xs: BillingEvent[]): BillingEvent[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permute([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    for (const order of permute(evs)) expect(run(order).state.status).toBe('active');
  });

  it('an unpaid checkout is incomplete; an invoice for no known subscription only records the customer', () => {
    expect(applyEvent(none, { ...checkout, paid: false }).next.status).toBe('incomplete');
    const r = applyEvent(none, { kind: 'invoice_paid', at: t('2026-06-01T00:00:00Z'), customerId: 'cus_9', subscriptionId: null });
    expect(r).toMatchObject({ outcome: 'applied', next: { status: 'none', stripeCustomerId: 'cus_9' } });
  });
});

describe('windowStart', () => {
  it('is the start of the minute', () => {
    expect(windowStart(t('2026-06-01T10:00:59.999Z'))).toEqual(t('2026-06-01T10:00:00Z'));
    expect(windowStart(t('2026-06-01T10:01:00.000Z'))).toEqual(t('2026-06-01T10:01:00Z'));
  });
});
