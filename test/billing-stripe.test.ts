import { randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccount, createDebtor, createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import { agencyWithToken } from './agency-fixtures.js';
import { setPlan } from './billing-fixtures.js';
import { CHECKOUT, CUSTOMERS, deadStripeUrl, METER_EVENTS, PORTAL, startFakeStripe, under, type FakeStripe } from './fake-stripe.js';
import { engine, errorOf, PLATFORM_TOKEN, startHarness, type Harness, type TestTenant } from './harness.js';

/**
 * Billing through Stripe, end to end: Stripe's signed events POSTed to /webhooks/stripe (signature, replay,
 * tolerance, malformed bodies, unknown customers, every subscription transition, out-of-order delivery), the
 * outgoing calls (customers, Checkout and portal sessions, meter events) against a fake Stripe on 127.0.0.1
 * with their bodies and idempotency keys, Stripe failing or unreachable or not configured, and tenant
 * isolation. Events are signed with stripe-node's own test header helper. Each test takes a fresh tenant;
 * stripe-node's retries are off (a dropped connection is still retried once by stripe-node itself).
 */

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const RETURN_URL = 'https://app.arrears.test/billing';
const PRICES = { starter: 'price_starter1', growth: 'price_growth1' };
const GRACE_DAYS = 7;
const DAY = 86_400_000;

const baseEnv = (apiUrl: string): Record<string, string> => ({
  BILLING_DEFAULT_PLAN: 'free',
  BILLING_PLANS: JSON.stringify({ starter: { stripePriceId: PRICES.starter }, growth: { stripePriceId: PRICES.growth } }),
  BILLING_GRACE_DAYS: String(GRACE_DAYS),
  BILLING_RETURN_URL: RETURN_URL,
  STRIPE_SECRET_KEY: 'sk_test_arrearsFake123',
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_API_URL: apiUrl,
  STRIPE_MAX_NETWORK_RETRIES: '0',
  STRIPE_TIMEOUT_MS: '3000',
  RATE_LIMIT_STORE: 'off',
  JOBS_INTERVAL_MS: '0',
});

const signer = new Stripe('sk_test_x').webhooks;

let h: Harness;
let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
  h = await startHarness({ env: baseEnv(fake.url) });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────────────────

const rid = (prefix: string) => `${prefix}_${randomBytes(7).toString('hex')}`;
const nowSec = () => Math.floor(Date.now() / 1000);

interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  data: { object: Record<string, unknown> };
}

function event(type: string, object: Record<string, unknown>, created = nowSec(), id = rid('evt')): StripeEvent {
  return { id, object: 'event', type, created, livemode: false, api_version: '2025-09-30.clover', data: { object } };
}

function checkoutCompleted(tenantId: string, o: { customer: string; subscription: string; plan?: string; paid?: boolean; mode?: string }): Record<string, unknown> {
  return {
    id: rid('cs_test'),
    object: 'checkout.session',
    mode: o.mode ?? 'subscription',
    status: 'complete',
    customer: o.customer,
    subscription: o.subscription,
    client_reference_id: tenantId,
    metadata: { tenant_id: tenantId, plan_code: o.plan ?? 'starter' },
    payment_status: o.paid === false ? 'unpaid' : 'paid',
  };
}

function subscriptionObject(o: {
  id: string;
  customer: string;
  status: string;
  price?: string;
  tenantId?: string | null;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
}): Record<string, unknown> {
  return {
    id: o.id,
    object: 'subscription',
    customer: o.customer,
    status: o.status,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    metadata: o.tenantId ? { tenant_id: o.tenantId, plan_code: 'starter' } : {},
    items: {
      object: 'list',
      data: [{ id: rid('si'), object: 'subscription_item', price: { id: o.price ?? PRICES.starter, object: 'price' }, current_period_end: o.periodEnd ?? nowSec() + 30 * 86_400 }],
    },
  };
}

/** An invoice; `nested` uses the newer API shape (parent.subscription_details.subscription). */
function invoiceObject(o: { customer: string; subscription: string; nested?: boolean }): Record<string, unknown> {
  const base = { id: rid('in'), object: 'invoice', customer: o.customer };
  return o.nested ? { ...base, parent: { type: 'subscription_details', subscription_details: { subscription: o.subscription, metadata: {} } } } : { ...base, subscription: o.subscription };
}

interface Delivery {
  status: number;
  body: Record<string, any>;
}

/** POSTs a body to /webhooks/stripe, signed over exactly those bytes unless told otherwise. */
async function deliver(
  target: Harness,
  payload: StripeEvent | string,
  o: { secret?: string; timestamp?: number; signature?: string | null; signedPayload?: string } = {},
): Promise<Delivery> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.signature !== null) {
    headers['stripe-signature'] =
      o.signature ?? signer.generateTestHeaderString({ payload: o.signedPayload ?? body, secret: o.secret ?? WEBHOOK_SECRET, ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}) });
  }
  const res = await fetch(`${target.url}/webhooks/stripe`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}

/** Delivers and expects Stripe to be told 200 with `outcome`. */
async function expectOutcome(e: StripeEvent, outcome: string, target: Harness = h): Promise<void> {
  const r = await deliver(target, e);
  expect(r, `${e.type} ${e.id}`).toEqual({ status: 200, body: { received: true, outcome } });
}

const SUB = `status mode reason graceEndsAt currentPeriodEnd cancelAtPeriodEnd hasBillingAccount plan { code purchasable }`;

async function subscriptionOf(t: { gql: TestTenant['gql'] }): Promise<any> {
  return ok(await t.gql(`{ subscription { ${SUB} } }`)).subscription;
}

/** The whole GraphQL answer (the harness drops `extensions`). */
async function gqlFull(target: Harness, key: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${target.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

async function row(target: Harness, tenantId: string): Promise<any | null> {
  const rows = await target.db.admin.query(
    `select plan_code, status, stripe_customer_id, stripe_subscription_id, past_due_since, state_at, current_period_end, cancel_at_period_end
       from billing_subscriptions where tenant_id = $1`,
    [tenantId],
  );
  return rows[0] ?? null;
}

async function stripeEvent(target: Harness, id: string): Promise<any | null> {
  const rows = await target.db.admin.query(`select id, type, outcome, tenant_id, detail, attempts from stripe_events where id = $1`, [id]);
  return rows[0] ?? null;
}

async function count(target: Harness, sql: string, params: unknown[] = []): Promise<number> {
  const [r] = await target.db.admin.query<{ n: number | string }>(sql, params);
  return Number(r!.n);
}

/** The tenant's audit events with `action`, oldest first, read through the tenant's own API. */
async function auditOf(t: TestTenant, action: string): Promise<any[]> {
  const r = ok(await t.gql(`query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { edges { node { action actorKind actorId entityId before after } } } }`, { f: { action } }));
  return r.auditEvents.edges.map((e: any) => e.node).reverse();
}

const ms = (d: unknown): number | null => (d === null || d === undefined ? null : new Date(d as string).getTime());

const CHECKOUT_MUTATION = `mutation($p: String!) { createCheckoutSession(planCode: $p) { url sessionId expiresAt } }`;
const PORTAL_MUTATION = `mutation { createBillingPortalSession { url } }`;
const USAGE_REPORTS = `query($n: Int) { usageReports(first: $n) { id metric period value identifier status attempts lastError sentAt createdAt } }`;
/** A mutation that read-only refuses (a fresh name each time, so it never conflicts). */
const createPortfolioMutation = () => `mutation { createPortfolio(input: { name: "After billing ${randomBytes(4).toString('hex')}", currency: "CNY" }) { id } }`;

/** A tenant that subscribed to starter through checkout (the event applied); its customer and subscription ids. */
async function subscribed(t: TestTenant, created = nowSec() - 3600): Promise<{ customer: string; subscription: string; created: number }> {
  const customer = rid('cus');
  const subscription = rid('sub');
  await expectOutcome(event('checkout.session.completed', checkoutCompleted(t.id, { customer, subscription }), created), 'applied');
  return { customer, subscription, created };
}

// ─── 1. Webhooks: signature, replay, malformed, unknown ─────────────────────────────────────────────────────

describe('POST /webhooks/stripe: verification and delivery', () => {
  it('a bad signature, a body changed after signing, or one signed with another secret: 400, nothing recorded, nothing changed', async () => {
    const t = await h.tenant();
    const e = event('checkout.session.completed', checkoutCompleted(t.id, { customer: rid('cus'), subscription: rid('sub') }));

    const wrongSecret = await deliver(h, e, { secret: `whsec_${randomBytes(24).toString('base64')}` });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error).toBe('invalid signature');

    const garbage = await deliver(h, e, { signature: `t=${nowSec()},v1=${'ab'.repeat(32)}` });
    expect(garbage.status).toBe(400);

    // Signed over one body, another sent (the plan changed in transit).
    const original = JSON.stringify(e);
    const tampered = JSON.stringify({ ...e, data: { object: { ...e.data.object, metadata: { tenant_id: t.id, plan_code: 'growth' } } } });
    const swapped = await deliver(h, tampered, { signedPayload: original });
    expect(swapped.status).toBe(400);
    expect(swapped.body.error).toBe('invalid signature');

    expect(await stripeEvent(h, e.id)).toBeNull();
    expect(await row(h, t.id)).toBeNull();
    expect(await subscriptionOf(t)).toMatchObject({ status: 'none', mode: 'FULL', hasBillingAccount: false, plan: { code: 'free' } });

    // The same event, correctly signed, is accepted: the refusals above were about the signature alone.
    await expectOutcome(e, 'applied');
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', plan: { code: 'starter' } });
  });

  it('no Stripe-Signature header: 400; GET: 405', async () => {
    const t = await h.tenant();
    const e = event('checkout.session.completed', checkoutCompleted(t.id, { customer: rid('cus'), subscription: rid('sub') }));
    const r = await deliver(h, e, { signature: null });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid signature');
    expect(String(r.body.detail)).toMatch(/signature/i);
    expect(await stripeEvent(h, e.id)).toBeNull();
    expect(await row(h, t.id)).toBeNull();

    const get = await fetch(`${h.url}/webhooks/stripe`);
    expect(get.status).toBe(405);
  });

  it('a signature older than the tolerance (300 s) is refused; one inside it is accepted', async () => {
    const t = await h.tenant();
    const e = event('checkout.session.completed', checkoutCompleted(t.id, { customer: rid('cus'), subscription: rid('sub') }));
    const old = await deliver(h, e, { timestamp: nowSec() - 600 });
    expect(old.status).toBe(400);
    expect(old.body.error).toBe('invalid signature');
    expect(await stripeEvent(h, e.id)).toBeNull();
    expect(await row(h, t.id)).toBeNull();

    const recent = await deliver(h, e, { timestamp: nowSec() - 200 });
    expect(recent).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
  });

  it('a replayed event id is acknowledged as a duplicate and applied once', async () => {
    const t = await h.tenant();
    const e = event('checkout.session.completed', checkoutCompleted(t.id, { customer: rid('cus'), subscription: rid('sub') }));
    await expectOutcome(e, 'applied');
    // Stripe's retry is the same event, signed again later.
    for (let i = 0; i < 2; i++) {
      const again = await deliver(h, e, { timestamp: nowSec() + i });
      expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } });
    }
    // Same id, different content (a forged or confused resend): still a duplicate, not applied.
    const changed = event('customer.subscription.updated', subscriptionObject({ id: rid('sub'), customer: rid('cus'), status: 'unpaid', tenantId: t.id }), nowSec(), e.id);
    expect(await deliver(h, changed)).toEqual({ status: 200, body: { received: true, duplicate: true } });

    const audit = await auditOf(t, 'billing.subscription_changed');
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ eventId: e.id, status: 'active', plan: 'starter' });
    expect(await stripeEvent(h, e.id)).toMatchObject({ outcome: 'applied', tenant_id: t.id, attempts: 1 });
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', plan: { code: 'starter' } });
  });

  it('an event type Arrears does not handle (or a one-off payment checkout) is acknowledged, recorded as ignored and logged', async () => {
    const t = await h.tenant();
    const { customer } = await subscribed(t);
    const before = await row(h, t.id);
    const unknown = event('charge.refunded', { id: rid('ch'), object: 'charge', customer, metadata: { tenant_id: t.id } });
    await expectOutcome(unknown, 'ignored');
    const payment = event('checkout.session.completed', checkoutCompleted(t.id, { customer, subscription: rid('sub'), plan: 'growth', mode: 'payment' }));
    await expectOutcome(payment, 'ignored');

    expect(await stripeEvent(h, unknown.id)).toMatchObject({ type: 'charge.refunded', outcome: 'ignored' });
    expect((await stripeEvent(h, unknown.id)).detail).toContain('charge.refunded');
    expect(await stripeEvent(h, payment.id)).toMatchObject({ outcome: 'ignored' });
    expect(await row(h, t.id)).toEqual(before);
    expect(await auditOf(t, 'billing.subscription_changed')).toHaveLength(1);
    const logged = h.logs.find((l) => l.includes(unknown.id));
    expect(logged, 'the ignored event is logged').toBeDefined();
    expect(logged).toContain('stripe event not applied');
    expect(logged).toContain('ignored');
  });

  it('a body that is not JSON, or not an event, with a valid signature over it: 400 malformed, nothing recorded', async () => {
    const t = await h.tenant();
    const id = rid('evt');
    const broken = `{"id":"${id}","type":"checkout.session.completed","data":{"object":{"client_reference_id":"${t.id}"`;
    const r = await deliver(h, broken);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('malformed event');

    const notAnEvent = await deliver(h, JSON.stringify({ id, hello: 'world' }));
    expect(notAnEvent.status).toBe(400);
    expect(notAnEvent.body.error).toBe('malformed event');

    expect(await stripeEvent(h, id)).toBeNull();
    expect(await row(h, t.id)).toBeNull();
  });

  it('an event about a customer of no tenant (no metadata), or naming a tenant that does not exist: 200, unknown_customer, nothing changes', async () => {
    const t = await h.tenant();
    await subscribed(t);
    const before = await row(h, t.id);
    const subs = await count(h, 'select count(*) as n from billing_subscriptions');
    const audits = await count(h, `select count(*) as n from audit_events where action like 'billing.%'`);

    const stranger = event('customer.subscription.updated', subscriptionObject({ id: rid('sub'), customer: rid('cus'), status: 'active', price: PRICES.growth, tenantId: null }));
    await expectOutcome(stranger, 'unknown_customer');
    expect(await stripeEvent(h, stranger.id)).toMatchObject({ outcome: 'unknown_customer', tenant_id: null });

    const ghost = event('customer.subscription.updated', subscriptionObject({ id: rid('sub'), customer: rid('cus'), status: 'active', tenantId: randomUUID() }));
    await expectOutcome(ghost, 'unknown_customer');
    expect((await stripeEvent(h, ghost.id)).tenant_id).toBeNull();

    const invoice = event('invoice.payment_failed', invoiceObject({ customer: rid('cus'), subscription: rid('sub') }));
    await expectOutcome(invoice, 'unknown_customer');

    expect(await count(h, 'select count(*) as n from billing_subscriptions')).toBe(subs);
    expect(await count(h, `select count(*) as n from audit_events where action like 'billing.%'`)).toBe(audits);
    expect(await row(h, t.id)).toEqual(before);
    expect(h.logs.some((l) => l.includes(stranger.id) && l.includes('unknown_customer'))).toBe(true);
  });
});

// ─── 1b. Subscription transitions ───────────────────────────────────────────────────────────────────────────

describe('subscription transitions from Stripe events', () => {
  it('checkout → upgrade → downgrade → past_due (grace, warned) → paid → payment failed → unpaid (read-only) → deleted (canceled), each audited', async () => {
    const t = await h.tenant();
    const customer = rid('cus');
    const subscription = rid('sub');
    const base = nowSec() - 3600;
    const periodEnd = base + 30 * 86_400;
    const sent: StripeEvent[] = [];
    const send = async (e: StripeEvent) => {
      sent.push(e);
      await expectOutcome(e, 'applied');
    };
    const upd = (created: number, status: string, price: string, extra: { cancelAtPeriodEnd?: boolean } = {}) =>
      event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status, price, tenantId: t.id, periodEnd, ...extra }), created);

    // Checkout completed: the plan bought, active, the customer and subscription recorded.
    await send(event('checkout.session.completed', checkoutCompleted(t.id, { customer, subscription, plan: 'starter' }), base));
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', mode: 'FULL', reason: null, hasBillingAccount: true, plan: { code: 'starter' } });
    expect(await row(h, t.id)).toMatchObject({ stripe_customer_id: customer, stripe_subscription_id: subscription, plan_code: 'starter', status: 'active' });

    // Upgrade (the price names the plan, whatever the metadata says), then downgrade at period end.
    await send(upd(base + 10, 'active', PRICES.growth));
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', mode: 'FULL', plan: { code: 'growth' }, currentPeriodEnd: new Date(periodEnd * 1000).toISOString() });
    await send(upd(base + 20, 'active', PRICES.starter, { cancelAtPeriodEnd: true }));
    expect(await subscriptionOf(t)).toMatchObject({ plan: { code: 'starter' }, cancelAtPeriodEnd: true });

    // past_due: full access for the grace period, with a warning on every response.
    await send(upd(base + 30, 'past_due', PRICES.starter));
    const graceEnds = new Date((base + 30) * 1000 + GRACE_DAYS * DAY).toISOString();
    const grace = await gqlFull(h, t.key, `{ subscription { ${SUB} } }`);
    expect(grace.body.data.subscription).toMatchObject({ status: 'past_due', mode: 'GRACE', graceEndsAt: graceEnds, plan: { code: 'starter' } });
    expect(grace.body.data.subscription.reason).toContain(graceEnds);
    expect(grace.body.extensions?.billing).toMatchObject({ mode: 'GRACE', subscriptionStatus: 'past_due', graceEndsAt: graceEnds });
    expect(grace.body.extensions.billing.warning).toBeTruthy();
    const write = await gqlFull(h, t.key, createPortfolioMutation());
    expect(write.body.errors).toBeUndefined();
    expect(write.body.data.createPortfolio.id).toBeTruthy();
    expect(write.body.extensions?.billing?.mode).toBe('GRACE');

    // Paid (newer invoice shape): active again, no warning.
    await send(event('invoice.paid', invoiceObject({ customer, subscription, nested: true }), base + 40));
    const paid = await gqlFull(h, t.key, `{ subscription { ${SUB} } }`);
    expect(paid.body.data.subscription).toMatchObject({ status: 'active', mode: 'FULL', graceEndsAt: null });
    expect(paid.body.extensions?.billing).toBeUndefined();
    expect((await row(h, t.id)).past_due_since).toBeNull();

    // A payment fails (older invoice shape): past_due from this event's time.
    await send(event('invoice.payment_failed', invoiceObject({ customer, subscription }), base + 50));
    expect(await subscriptionOf(t)).toMatchObject({ status: 'past_due', mode: 'GRACE', graceEndsAt: new Date((base + 50) * 1000 + GRACE_DAYS * DAY).toISOString() });

    // Unpaid: read-only. Queries work and warn; mutations are refused (402) except the way out.
    await send(upd(base + 60, 'unpaid', PRICES.starter));
    const ro = await gqlFull(h, t.key, `{ subscription { ${SUB} } }`);
    expect(ro.body.data.subscription).toMatchObject({ status: 'unpaid', mode: 'READ_ONLY' });
    expect(ro.body.extensions?.billing).toMatchObject({ mode: 'READ_ONLY', subscriptionStatus: 'unpaid' });
    const refused = await gqlFull(h, t.key, createPortfolioMutation());
    expect(refused.status).toBe(402);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'PLAN_LIMIT_EXCEEDED', reason: 'billing', subscriptionStatus: 'unpaid' });
    const portal = ok(await t.gql(PORTAL_MUTATION)).createBillingPortalSession;
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.test\//);

    // Deleted: canceled, read-only.
    await send(event('customer.subscription.deleted', subscriptionObject({ id: subscription, customer, status: 'canceled', price: PRICES.starter, tenantId: t.id, periodEnd }), base + 70));
    expect(await subscriptionOf(t)).toMatchObject({ status: 'canceled', mode: 'READ_ONLY', reason: expect.stringContaining('canceled') });
    expect((await gqlFull(h, t.key, createPortfolioMutation())).status).toBe(402);

    // One audit event per change, in the tenant's log, by Stripe, naming the event.
    const audit = await auditOf(t, 'billing.subscription_changed');
    expect(audit.map((a) => a.after.eventId)).toEqual(sent.map((e) => e.id));
    expect(audit.map((a) => [a.after.plan, a.after.status])).toEqual([
      ['starter', 'active'],
      ['growth', 'active'],
      ['starter', 'active'],
      ['starter', 'past_due'],
      ['starter', 'active'],
      ['starter', 'past_due'],
      ['starter', 'unpaid'],
      ['starter', 'canceled'],
    ]);
    expect(audit[0].before).toMatchObject({ plan: 'free', status: 'none' });
    expect(audit.every((a) => a.actorId === 'stripe' && a.entityId === t.id)).toBe(true);
    for (const e of sent) expect(await stripeEvent(h, e.id)).toMatchObject({ outcome: 'applied', tenant_id: t.id });

    // Canceled, the tenant may subscribe again: the stored customer is reused (no new Stripe customer).
    fake.reset();
    const again = ok(await t.gql(CHECKOUT_MUTATION, { p: 'growth' })).createCheckoutSession;
    expect(again.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    expect(fake.calls(CUSTOMERS)).toHaveLength(0);
    expect(fake.calls(CHECKOUT).map((r) => r.form.customer)).toEqual([customer]);

    // The new subscription completes: full access on growth; a late event about the ended one changes nothing.
    const subscription2 = rid('sub');
    await expectOutcome(event('checkout.session.completed', checkoutCompleted(t.id, { customer, subscription: subscription2, plan: 'growth' }), base + 80), 'applied');
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', mode: 'FULL', plan: { code: 'growth' } });
    expect((await row(h, t.id)).stripe_subscription_id).toBe(subscription2);
    await expectOutcome(
      event('customer.subscription.deleted', subscriptionObject({ id: subscription, customer, status: 'canceled', price: PRICES.starter, tenantId: t.id }), base + 90),
      'stale',
    );
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', mode: 'FULL', plan: { code: 'growth' } });
    expect(ok(await t.gql(createPortfolioMutation())).createPortfolio.id).toBeTruthy();
  });

  it('past due for longer than the grace period: read-only, mutations refused with the reason', async () => {
    const t = await h.tenant();
    const { customer, subscription } = await subscribed(t, nowSec() - 20 * 86_400);
    const since = nowSec() - 10 * 86_400;
    await expectOutcome(event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status: 'past_due', tenantId: t.id }), since), 'applied');
    const graceEnded = new Date(since * 1000 + GRACE_DAYS * DAY).toISOString();
    const s = await subscriptionOf(t);
    expect(s).toMatchObject({ status: 'past_due', mode: 'READ_ONLY', graceEndsAt: graceEnded });
    expect(s.reason).toContain('grace period ended');
    const refused = await gqlFull(h, t.key, createPortfolioMutation());
    expect(refused.status).toBe(402);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'PLAN_LIMIT_EXCEEDED', reason: 'billing', graceEndedAt: graceEnded });
    expect(await count(h, 'select count(*) as n from portfolios where tenant_id = $1', [t.id])).toBe(0);
  });
});

// ─── 1c. Out-of-order delivery ──────────────────────────────────────────────────────────────────────────────

describe('out-of-order delivery', () => {
  it('an older subscription.updated (or invoice) arriving after a newer one is stale and changes nothing', async () => {
    const t = await h.tenant();
    const { customer, subscription, created } = await subscribed(t);
    await expectOutcome(event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status: 'active', price: PRICES.growth, tenantId: t.id }), created + 20), 'applied');
    const before = await row(h, t.id);

    const older = event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status: 'past_due', price: PRICES.starter, tenantId: t.id }), created + 10);
    await expectOutcome(older, 'stale');
    const olderInvoice = event('invoice.payment_failed', invoiceObject({ customer, subscription }), created + 15);
    await expectOutcome(olderInvoice, 'stale');

    expect(await row(h, t.id)).toEqual(before);
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', mode: 'FULL', plan: { code: 'growth' } });
    expect(await stripeEvent(h, older.id)).toMatchObject({ outcome: 'stale', tenant_id: t.id });
    expect((await stripeEvent(h, older.id)).detail).toBeTruthy();
    expect(await auditOf(t, 'billing.subscription_changed')).toHaveLength(2);
  });

  it('a deleted subscription is not revived by a late updated(active), older or newer', async () => {
    const t = await h.tenant();
    const { customer, subscription, created } = await subscribed(t);
    await expectOutcome(event('customer.subscription.deleted', subscriptionObject({ id: subscription, customer, status: 'canceled', tenantId: t.id }), created + 20), 'applied');
    const late = event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status: 'active', price: PRICES.growth, tenantId: t.id }), created + 10);
    await expectOutcome(late, 'stale');
    const newer = event('customer.subscription.updated', subscriptionObject({ id: subscription, customer, status: 'active', price: PRICES.growth, tenantId: t.id }), created + 30);
    await expectOutcome(newer, 'stale');
    const paid = event('invoice.paid', invoiceObject({ customer, subscription }), created + 40);
    const r = await deliver(h, paid);
    expect(r.status).toBe(200);
    expect(['stale', 'unchanged']).toContain(r.body.outcome);

    expect(await subscriptionOf(t)).toMatchObject({ status: 'canceled', mode: 'READ_ONLY', plan: { code: 'starter' } });
    expect(await auditOf(t, 'billing.subscription_changed')).toHaveLength(2);
  });

  it('subscription events before checkout.session.completed land (metadata names the tenant); the later, older checkout does not overwrite them', async () => {
    const t = await h.tenant();
    const customer = rid('cus');
    const subscription = rid('sub');
    const base = nowSec() - 600;
    // Upgraded in the portal before the checkout event arrived: growth.
    await expectOutcome(
      event('customer.subscription.created', subscriptionObject({ id: subscription, customer, status: 'active', price: PRICES.growth, tenantId: t.id }), base + 10),
      'applied',
    );
    expect(await row(h, t.id)).toMatchObject({ stripe_customer_id: customer, stripe_subscription_id: subscription, plan_code: 'growth', status: 'active' });
    // The invoice arrives naming only the customer, now known.
    const inv = event('invoice.paid', invoiceObject({ customer, subscription, nested: true }), base + 12);
    const r = await deliver(h, inv);
    expect(r.status).toBe(200);
    expect((await stripeEvent(h, inv.id)).tenant_id).toBe(t.id);

    const checkout = event('checkout.session.completed', checkoutCompleted(t.id, { customer, subscription, plan: 'starter' }), base + 5);
    await expectOutcome(checkout, 'stale');
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', plan: { code: 'growth' }, hasBillingAccount: true });
    expect(await auditOf(t, 'billing.subscription_changed')).toHaveLength(1);
  });
});

// ─── 2. Outgoing calls: checkout and portal ─────────────────────────────────────────────────────────────────

describe('createCheckoutSession and createBillingPortalSession against Stripe', () => {
  it('creates the customer (keyed by tenant), then a subscription checkout; a second call reuses the customer; audited', async () => {
    const name = `Acme Collections ${randomBytes(3).toString('hex')}`;
    const t = await h.tenant(name);
    const requestId = `req-${randomBytes(8).toString('hex')}`;
    const r1 = await h.gql(t.key, CHECKOUT_MUTATION, { p: 'starter' }, { 'x-request-id': requestId });
    const s1 = ok(r1).createCheckoutSession;

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${CUSTOMERS}`, `POST ${CHECKOUT}`]);
    const [cust, cs] = fake.requests as [any, any];
    expect(cust.headers.authorization).toBe('Bearer sk_test_arrearsFake123');
    expect(cust.idempotencyKey).toBe(`arrears-customer-${t.id}`);
    expect(cust.form['metadata[tenant_id]']).toBe(t.id);
    expect(cust.form.name).toBe(name);
    const customerId = cust.objectId as string;
    expect(customerId).toMatch(/^cus_/);

    expect(cs.idempotencyKey).toBe(`arrears-checkout-${t.id}-starter-${requestId}`);
    expect(cs.form).toMatchObject({
      mode: 'subscription',
      customer: customerId,
      client_reference_id: t.id,
      'line_items[0][price]': PRICES.starter,
      'line_items[0][quantity]': '1',
      'metadata[tenant_id]': t.id,
      'metadata[plan_code]': 'starter',
      'subscription_data[metadata][tenant_id]': t.id,
      'subscription_data[metadata][plan_code]': 'starter',
    });
    expect(cs.form.success_url.startsWith(RETURN_URL)).toBe(true);
    expect(cs.form.success_url).toContain('{CHECKOUT_SESSION_ID}');
    expect(cs.form.cancel_url.startsWith(RETURN_URL)).toBe(true);
    expect(s1.sessionId).toBe(cs.objectId);
    expect(s1.url).toBe(`https://checkout.stripe.test/c/pay/${cs.objectId}`);
    expect(new Date(s1.expiresAt).getTime()).toBeGreaterThan(Date.now());

    // The customer is recorded; the plan is unchanged until Stripe says it was paid.
    expect(await row(h, t.id)).toMatchObject({ stripe_customer_id: customerId, status: 'none', plan_code: 'free' });
    expect(await subscriptionOf(t)).toMatchObject({ hasBillingAccount: true, status: 'none', plan: { code: 'free' } });

    // Another request: same customer, no second customer creation, a new session.
    const s2 = ok(await t.gql(CHECKOUT_MUTATION, { p: 'growth' })).createCheckoutSession;
    expect(fake.calls(CUSTOMERS)).toHaveLength(1);
    const cs2 = fake.calls(CHECKOUT)[1]!;
    expect(cs2.form.customer).toBe(customerId);
    expect(cs2.form['line_items[0][price]']).toBe(PRICES.growth);
    expect(cs2.idempotencyKey).toMatch(new RegExp(`^arrears-checkout-${t.id}-growth-`));
    expect(s2.sessionId).not.toBe(s1.sessionId);

    // A client retrying with the same request id sends the same idempotency key: Stripe answers the same session.
    const s3 = ok(await h.gql(t.key, CHECKOUT_MUTATION, { p: 'starter' }, { 'x-request-id': requestId })).createCheckoutSession;
    expect(fake.calls(CHECKOUT)[2]!.idempotencyKey).toBe(cs.idempotencyKey);
    expect(s3.sessionId).toBe(s1.sessionId);

    const audit = await auditOf(t, 'billing.checkout_started');
    expect(audit.map((a) => a.after.plan)).toEqual(['starter', 'growth', 'starter']);
    expect(audit[0].after.sessionId).toBe(s1.sessionId);
    expect(audit[0].entityId).toBe(t.id);
  });

  it('refuses an unknown plan, a plan without a price, an active subscription, a non-admin or portfolio-scoped key, the platform token and agency tokens, without calling Stripe', async () => {
    const t = await h.tenant();
    const unknown = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'platinum' }));
    expect([unknown.code, unknown.field]).toEqual(['BAD_USER_INPUT', 'planCode']);
    expect(unknown.message).toContain('starter');
    for (const p of ['free', 'enterprise']) {
      const e = errorOf(await t.gql(CHECKOUT_MUTATION, { p }));
      expect([e.code, e.field], p).toEqual(['BAD_USER_INPUT', 'planCode']);
    }

    const readWrite = await t.keyWith(['read', 'write']);
    expectError(await h.gql(readWrite.key, CHECKOUT_MUTATION, { p: 'starter' }), 'FORBIDDEN');
    expectError(await h.gql(readWrite.key, PORTAL_MUTATION), 'FORBIDDEN');
    const p = await createPortfolio(t);
    const scoped = await scopedKey(t, ['read', 'write', 'admin'], [p.id]);
    expectError(await h.gql(scoped, CHECKOUT_MUTATION, { p: 'starter' }), 'FORBIDDEN');
    expectError(await h.gql(scoped, PORTAL_MUTATION), 'FORBIDDEN');
    expectError(await h.gql(PLATFORM_TOKEN, CHECKOUT_MUTATION, { p: 'starter' }), 'FORBIDDEN');
    const ag = await agencyWithToken(h, t, [p.id]);
    expectError(await ag.gql(CHECKOUT_MUTATION, { p: 'starter' }), 'FORBIDDEN');
    expectError(await ag.gql(PORTAL_MUTATION), 'FORBIDDEN');

    await setPlan(h, t.id, 'starter', 'active', { customerId: rid('cus'), subscriptionId: rid('sub') });
    const active = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'growth' }));
    expect(active.code).toBe('CONFLICT');
    expect(active.ext.status).toBe('active');

    expect(fake.requests).toEqual([]);
    expect(await auditOf(t, 'billing.checkout_started')).toEqual([]);
  });

  it('a checkout completed at Stripe whose events have not arrived yet: a second checkout is CONFLICT naming that subscription', async () => {
    const t = await h.tenant();
    const customer = rid('cus');
    await setPlan(h, t.id, 'free', 'none', { customerId: customer });
    const sub = fake.addSubscription(customer, 'active');
    const e = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'growth' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.ext).toMatchObject({ subscription: sub, status: 'active' });
    expect(fake.calls(CHECKOUT)).toEqual([]);
    // A canceled one is no obstacle.
    const other = await h.tenant();
    const c2 = rid('cus');
    await setPlan(h, other.id, 'free', 'canceled', { customerId: c2 });
    fake.addSubscription(c2, 'canceled');
    expect(ok(await other.gql(CHECKOUT_MUTATION, { p: 'growth' })).createCheckoutSession.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
  });

  it('Stripe failing: 503 creating the customer records nothing; 500 on the session after the customer keeps the customer; the retry reuses it', async () => {
    const t = await h.tenant();
    fake.failNext(CUSTOMERS, 503);
    const e1 = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'starter' }));
    expect(e1.code).toBe('INTERNAL');
    expect(e1.message).toMatch(/Stripe/);
    expect(e1.ext).toMatchObject({ upstream: 'stripe', retryable: true });
    expect(await row(h, t.id)).toBeNull();
    expect(fake.calls(CHECKOUT)).toHaveLength(0);

    fake.failNext(CHECKOUT, 500);
    const e2 = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'starter' }));
    expect(e2.code).toBe('INTERNAL');
    expect(e2.ext.upstream).toBe('stripe');
    const customerId = (await row(h, t.id)).stripe_customer_id;
    // Both customer attempts carried the tenant's key: Stripe made (at most) one customer.
    expect(fake.calls(CUSTOMERS).map((r) => r.idempotencyKey)).toEqual([`arrears-customer-${t.id}`, `arrears-customer-${t.id}`]);
    expect(customerId).toBe(fake.calls(CUSTOMERS)[1]!.objectId);
    expect(await auditOf(t, 'billing.checkout_started')).toEqual([]);

    const s = ok(await t.gql(CHECKOUT_MUTATION, { p: 'starter' })).createCheckoutSession;
    expect(s.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    expect(fake.calls(CUSTOMERS)).toHaveLength(2);
    expect(fake.calls(CHECKOUT).map((r) => [r.answer, r.form.customer])).toEqual([
      [500, customerId],
      [200, customerId],
    ]);
    expect(await auditOf(t, 'billing.checkout_started')).toHaveLength(1);
  });

  it('two concurrent first checkouts of a tenant end with one customer, recorded once', async () => {
    const t = await h.tenant();
    const [a, b] = await Promise.all([t.gql(CHECKOUT_MUTATION, { p: 'starter' }), t.gql(CHECKOUT_MUTATION, { p: 'starter' })]);
    ok(a);
    ok(b);
    const keys = new Set(fake.calls(CUSTOMERS).map((r) => r.idempotencyKey));
    expect([...keys]).toEqual([`arrears-customer-${t.id}`]);
    const customers = new Set(fake.calls(CUSTOMERS).map((r) => r.objectId));
    expect(customers.size).toBe(1);
    const [customerId] = [...customers];
    expect((await row(h, t.id)).stripe_customer_id).toBe(customerId);
    expect(fake.calls(CHECKOUT).map((r) => r.form.customer)).toEqual([customerId, customerId]);
  });

  it('a dropped connection is retried by stripe-node with the same idempotency key: one session', async () => {
    const t = await h.tenant();
    fake.failNext(CHECKOUT, 'drop');
    const s = ok(await t.gql(CHECKOUT_MUTATION, { p: 'starter' })).createCheckoutSession;
    const calls = fake.calls(CHECKOUT);
    expect(calls.map((r) => r.answer)).toEqual(['drop', 200]);
    expect(calls[0]!.idempotencyKey).toMatch(new RegExp(`^arrears-checkout-${t.id}-starter-`));
    expect(calls[1]!.idempotencyKey).toBe(calls[0]!.idempotencyKey);
    expect(s.sessionId).toBe(calls[1]!.objectId);
  });

  it('createBillingPortalSession: CONFLICT without a billing account; with one, a portal URL for its customer and the return URL', async () => {
    const t = await h.tenant();
    const none = errorOf(await t.gql(PORTAL_MUTATION));
    expect(none.code).toBe('CONFLICT');
    expect(none.ext.reason).toBe('no_billing_account');
    expect(fake.requests).toEqual([]);

    const customer = rid('cus');
    await setPlan(h, t.id, 'starter', 'active', { customerId: customer, subscriptionId: rid('sub') });
    const requestId = `req-${randomBytes(8).toString('hex')}`;
    const p = ok(await h.gql(t.key, PORTAL_MUTATION, undefined, { 'x-request-id': requestId })).createBillingPortalSession;
    const [call, ...more] = fake.calls(PORTAL);
    expect(more).toEqual([]);
    expect(call!.form).toEqual({ customer, return_url: RETURN_URL });
    expect(call!.idempotencyKey).toBe(`arrears-portal-${t.id}-${requestId}`);
    expect(p.url).toBe(`https://billing.stripe.test/p/session/${call!.objectId}`);
    expect(fake.calls(CUSTOMERS)).toHaveLength(0);
    const audit = await auditOf(t, 'billing.portal_opened');
    expect(audit).toHaveLength(1);
    expect(audit[0].after.sessionId).toBe(call!.objectId);

    fake.failNext(PORTAL, 500);
    const failed = errorOf(await t.gql(PORTAL_MUTATION));
    expect([failed.code, failed.ext.upstream]).toEqual(['INTERNAL', 'stripe']);
    expect(await auditOf(t, 'billing.portal_opened')).toHaveLength(1);
  });
});

// ─── 3. Metering ────────────────────────────────────────────────────────────────────────────────────────────

async function sandboxChecks(t: TestTenant, n: number): Promise<void> {
  const bureaus = ok(await t.gql(`{ creditBureaus { id } }`)).creditBureaus;
  if (!bureaus.length) ok(await t.gql(`mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { id } }`, { i: { name: 'Sandbox', provider: 'SANDBOX' } }));
  for (let i = 0; i < n; i++) {
    const nationalId = `NI${randomBytes(5).toString('hex').toUpperCase()}1234`;
    const d = ok(await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: { kind: 'PERSON', legalName: `Debtor ${i}`, nationalId } })).createDebtor.id;
    const c = ok(await t.gql(`mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { status } }`, { i: { debtorId: d, purpose: 'COLLECTION', pullType: 'SOFT' } }));
    expect(c.requestCreditCheck.status).toBe('COMPLETED');
  }
}

async function meteredTenant(accounts: number): Promise<{ t: TestTenant; customer: string }> {
  const t = await h.tenant();
  const customer = rid('cus');
  await setPlan(h, t.id, 'starter', 'active', { customerId: customer, subscriptionId: rid('sub') });
  const p = await createPortfolio(t);
  for (let i = 0; i < accounts; i++) await createAccount(t, { debtorId: await createDebtor(t, `Account holder ${i}`), portfolioId: p.id });
  return { t, customer };
}

describe('usage reports to Stripe meters', () => {
  it('credit checks and active accounts are sent in one run with identifiers as idempotency keys; a second run sends nothing', async () => {
    const { t, customer } = await meteredTenant(3);
    await sandboxChecks(t, 2);
    const month = new Date().toISOString().slice(0, 7);
    const day = new Date().toISOString().slice(0, 10);

    const run1 = await h.app.services.billing.reportUsage(t.id);
    expect(run1).toEqual({ queued: 2, sent: 2, failed: 0 });
    const calls = fake.calls(METER_EVENTS);
    expect(calls).toHaveLength(2);
    const byMeter = Object.fromEntries(calls.map((c) => [c.form.event_name, c]));
    const credit = byMeter.arrears_credit_checks!;
    const accounts = byMeter.arrears_active_accounts!;
    // The identifier is fixed when the report is queued (the report's own id), so every resend carries it.
    const [queued] = await h.db.admin.query<{ id: string; identifier: string }>(`select id, identifier from billing_meter_reports where tenant_id = $1 and metric = 'credit_checks'`, [t.id]);
    expect(credit.form.identifier).toBe(`${t.id}:credit_checks:${month}:${queued!.id}`);
    expect(queued!.identifier).toBe(credit.form.identifier);
    expect(under(credit.form, 'payload')).toEqual({ stripe_customer_id: customer, value: '2' });
    expect(accounts.form.identifier).toBe(`${t.id}:active_accounts:${day}`);
    expect(under(accounts.form, 'payload')).toEqual({ stripe_customer_id: customer, value: '3' });
    for (const c of calls) {
      expect(c.idempotencyKey).toBe(`arrears-meter-${c.form.identifier}`);
      expect(c.headers.authorization).toBe('Bearer sk_test_arrearsFake123');
      expect(Math.abs(Number(c.form.timestamp) - nowSec())).toBeLessThan(300);
    }

    const run2 = await h.app.services.billing.reportUsage(t.id);
    expect(run2).toEqual({ queued: 0, sent: 0, failed: 0 });
    expect(fake.calls(METER_EVENTS)).toHaveLength(2);

    const reports = ok(await t.gql(USAGE_REPORTS, { n: 10 })).usageReports;
    expect(reports.map((r: any) => [r.metric, r.period, r.value, r.status, r.attempts, r.lastError]).sort()).toEqual(
      [
        ['active_accounts', day, 3, 'sent', 1, null],
        ['credit_checks', month, 2, 'sent', 1, null],
      ].sort(),
    );
    expect(reports.every((r: any) => r.sentAt)).toBe(true);
  });

  it('Stripe answering 500 leaves the report pending with attempts and the error; a later run resends the same identifier', async () => {
    const { t } = await meteredTenant(1);
    fake.failAll(METER_EVENTS, 500);
    const run1 = await h.app.services.billing.reportUsage(t.id);
    expect(run1).toEqual({ queued: 1, sent: 0, failed: 1 });
    const [first] = fake.calls(METER_EVENTS);
    const [pending] = await h.db.admin.query<any>(`select id, identifier, status, attempts, last_error, next_attempt_at from billing_meter_reports where tenant_id = $1`, [t.id]);
    expect(pending).toMatchObject({ identifier: first!.form.identifier, status: 'pending', attempts: 1 });
    expect(pending.last_error).toMatch(/500/);
    expect(ms(pending.next_attempt_at)!).toBeGreaterThan(Date.now());
    const shown = ok(await t.gql(USAGE_REPORTS, {})).usageReports;
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ status: 'pending', attempts: 1, sentAt: null });
    expect(shown[0].lastError).toMatch(/500/);
    expect(h.logs.some((l) => l.includes('usage reports to Stripe failed') && l.includes(t.id))).toBe(true);

    // Not due yet: nothing is sent.
    fake.heal();
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 0, sent: 0, failed: 0 });
    expect(fake.calls(METER_EVENTS)).toHaveLength(1);

    // Due: the same identifier and idempotency key again, and Stripe counts it once.
    await h.db.admin.query(`update billing_meter_reports set next_attempt_at = now() - interval '1 minute' where tenant_id = $1`, [t.id]);
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 0, sent: 1, failed: 0 });
    const [, second] = fake.calls(METER_EVENTS);
    expect(second!.form.identifier).toBe(first!.form.identifier);
    expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
    expect(second!.form['payload[value]']).toBe(first!.form['payload[value]']);
    expect(fake.meterEvents().filter((m) => m.identifier === first!.form.identifier)).toHaveLength(1);
    const [sent] = await h.db.admin.query<any>(`select status, attempts, last_error from billing_meter_reports where tenant_id = $1`, [t.id]);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('Stripe refusing a report (400, not retryable) gives it up: failed with the error, never resent', async () => {
    const { t } = await meteredTenant(1);
    fake.failNext(METER_EVENTS, 400);
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 1, sent: 0, failed: 1 });
    const [r] = await h.db.admin.query<any>(`select status, attempts, last_error from billing_meter_reports where tenant_id = $1`, [t.id]);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.last_error).toMatch(/400/);
    await h.db.admin.query(`update billing_meter_reports set next_attempt_at = now() - interval '1 minute' where tenant_id = $1`, [t.id]);
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 0, sent: 0, failed: 0 });
    expect(fake.calls(METER_EVENTS)).toHaveLength(1);
    expect(ok(await t.gql(USAGE_REPORTS, {})).usageReports[0]).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('a given-up credit-check report is folded into the next one: the usage reaches Stripe once the cause is fixed', async () => {
    const { t, customer } = await meteredTenant(0);
    await sandboxChecks(t, 2);
    fake.failAll(METER_EVENTS, 400); // say, a misnamed meter
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 2, sent: 0, failed: 2 });
    fake.heal(METER_EVENTS);
    await sandboxChecks(t, 1);
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 1, sent: 1, failed: 0 });
    const sent = fake.meterEvents().filter((m) => m.event_name === 'arrears_credit_checks' && m.payload.stripe_customer_id === customer);
    expect(sent.map((m) => m.payload.value)).toEqual(['3']);
  });

  it.skipIf(engine !== 'postgres')('two processes running the hourly job at once queue each increase once (PostgreSQL: real concurrency)', async () => {
    const { t } = await meteredTenant(0);
    await sandboxChecks(t, 3);
    const runs = await Promise.all([h.app.services.billing.reportUsage(t.id), h.app.services.billing.reportUsage(t.id), h.app.services.billing.reportUsage(t.id)]);
    expect(runs.reduce((n, r) => n + r.queued, 0)).toBe(2); // one credit-check report and one snapshot
    const [row] = await h.db.admin.query<{ total: string }>(`select sum(value)::text as total from billing_meter_reports where tenant_id = $1 and metric = 'credit_checks'`, [t.id]);
    expect(row!.total).toBe('3');
  });

  it('new credit checks after a report are sent as the increase, under a new identifier', async () => {
    const { t } = await meteredTenant(0);
    await sandboxChecks(t, 1);
    // The first run also sends the day's active-account snapshot, zero included (with "last" aggregation a
    // missing zero would leave the previous count billed).
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 2, sent: 2, failed: 0 });
    expect(fake.calls(METER_EVENTS).find((c) => c.form.event_name === 'arrears_active_accounts')?.form['payload[value]']).toBe('0');
    await sandboxChecks(t, 2);
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 1, sent: 1, failed: 0 });
    const calls = fake.calls(METER_EVENTS).filter((c) => c.form.event_name === 'arrears_credit_checks');
    const month = new Date().toISOString().slice(0, 7);
    const reports = await h.db.admin.query<{ id: string }>(`select id from billing_meter_reports where tenant_id = $1 and metric = 'credit_checks' order by created_at, id`, [t.id]);
    expect(calls.map((c) => [c.form.identifier, c.form['payload[value]']])).toEqual([
      [`${t.id}:credit_checks:${month}:${reports[0]!.id}`, '1'],
      [`${t.id}:credit_checks:${month}:${reports[1]!.id}`, '2'],
    ]);
  });

  it('a tenant without a Stripe customer reports nothing', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t);
    await createAccount(t, { debtorId: await createDebtor(t), portfolioId: p.id });
    expect(await h.app.services.billing.reportUsage(t.id)).toEqual({ queued: 0, sent: 0, failed: 0 });
    expect(fake.requests).toEqual([]);
    expect(ok(await t.gql(USAGE_REPORTS, {})).usageReports).toEqual([]);
  });
});

// ─── Platform plan assignment ───────────────────────────────────────────────────────────────────────────────

describe('setTenantPlan (platform operator)', () => {
  const SET = `mutation($t: ID!, $p: String!, $r: String!) { setTenantPlan(tenantId: $t, planCode: $p, reason: $r) { status mode plan { code } } }`;

  it('puts a never-subscribed tenant on a plan, audited; refused to tenant keys', async () => {
    const t = await h.tenant();
    expectError(await t.gql(SET, { t: t.id, p: 'enterprise', r: 'pilot' }), 'FORBIDDEN');
    const s = ok(await h.gql(PLATFORM_TOKEN, SET, { t: t.id, p: 'enterprise', r: 'pilot' })).setTenantPlan;
    expect(s).toEqual({ status: 'active', mode: 'FULL', plan: { code: 'enterprise' } });
    const audit = await auditOf(t, 'billing.plan_assigned');
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ plan: 'enterprise', status: 'active', reason: 'pilot' });
  });

  it('a tenant whose Stripe subscription was canceled, moved to an invoiced contract, gets full access again', async () => {
    const t = await h.tenant();
    const { customer, subscription, created } = await subscribed(t);
    await expectOutcome(event('customer.subscription.deleted', subscriptionObject({ id: subscription, customer, status: 'canceled', tenantId: t.id }), created + 10), 'applied');
    expect(await subscriptionOf(t)).toMatchObject({ status: 'canceled', mode: 'READ_ONLY' });

    const s = ok(await h.gql(PLATFORM_TOKEN, SET, { t: t.id, p: 'enterprise', r: 'invoiced enterprise contract' })).setTenantPlan;
    expect(s.plan.code).toBe('enterprise');
    expect(s.mode, 'setTenantPlan left the tenant read-only (status stays canceled)').toBe('FULL');
    expect((await gqlFull(h, t.key, createPortfolioMutation())).status).toBe(200);
  });
});

// ─── 4. Security ────────────────────────────────────────────────────────────────────────────────────────────

describe('billing security', () => {
  it("another tenant's key sees only its own subscription and usage reports, and its billing mutations never touch this tenant's customer", async () => {
    const A = await h.tenant();
    const { customer: customerA, subscription: subA } = await subscribed(A);
    await expectOutcome(event('customer.subscription.updated', subscriptionObject({ id: subA, customer: customerA, status: 'active', price: PRICES.growth, tenantId: A.id }), nowSec() - 60), 'applied');
    const pA = await createPortfolio(A);
    await createAccount(A, { debtorId: await createDebtor(A), portfolioId: pA.id });
    expect((await h.app.services.billing.reportUsage(A.id)).sent).toBe(1);
    const aBefore = await row(h, A.id);
    const aSub = await subscriptionOf(A);
    fake.reset();

    const B = await h.tenant();
    expect(await subscriptionOf(B)).toMatchObject({ status: 'none', plan: { code: 'free' }, hasBillingAccount: false, currentPeriodEnd: null });
    expect(ok(await B.gql(USAGE_REPORTS, {})).usageReports).toEqual([]);
    expectError(await B.gql(PORTAL_MUTATION), 'CONFLICT');
    expect(fake.calls(PORTAL)).toHaveLength(0);
    ok(await B.gql(CHECKOUT_MUTATION, { p: 'starter' }));
    const [cust] = fake.calls(CUSTOMERS);
    expect(cust!.form['metadata[tenant_id]']).toBe(B.id);
    expect(cust!.idempotencyKey).toBe(`arrears-customer-${B.id}`);
    const [cs] = fake.calls(CHECKOUT);
    expect(cs!.form.customer).not.toBe(customerA);
    expect(cs!.form.client_reference_id).toBe(B.id);
    expect(fake.requests.some((r) => r.raw.includes(customerA) || r.raw.includes(A.id))).toBe(false);

    expect(await row(h, A.id)).toEqual(aBefore);
    expect(await subscriptionOf(A)).toEqual(aSub);
    expect(ok(await A.gql(USAGE_REPORTS, {})).usageReports).toHaveLength(1);
  });

  it('an agency token gets FORBIDDEN on every billing operation', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t);
    await setPlan(h, t.id, 'starter', 'active', { customerId: rid('cus'), subscriptionId: rid('sub') });
    const ag = await agencyWithToken(h, t, [p.id]);
    for (const [label, q, v] of [
      ['subscription', `{ subscription { status } }`, undefined],
      ['usageReports', USAGE_REPORTS, {}],
      ['createCheckoutSession', CHECKOUT_MUTATION, { p: 'growth' }],
      ['createBillingPortalSession', PORTAL_MUTATION, undefined],
    ] as const) {
      const r = await ag.gql(q, v as Record<string, unknown> | undefined);
      expect(errorOf(r).code, label).toBe('FORBIDDEN');
    }
    const platform = errorOf(await h.gql(PLATFORM_TOKEN, `{ subscription { status } }`));
    expect(platform.code).toBe('FORBIDDEN');
    expect(fake.requests).toEqual([]);
  });

  it("a Stripe event naming tenant A's customer but tenant B in its metadata is applied to neither", async () => {
    const A = await h.tenant();
    const B = await h.tenant();
    const { customer: customerA, subscription: subA } = await subscribed(A);
    const aBefore = await row(h, A.id);

    const hijack = event('customer.subscription.updated', subscriptionObject({ id: subA, customer: customerA, status: 'active', price: PRICES.growth, tenantId: B.id }), nowSec());
    await expectOutcome(hijack, 'unknown_customer');
    expect(await stripeEvent(h, hijack.id)).toMatchObject({ outcome: 'unknown_customer', tenant_id: null });
    expect((await stripeEvent(h, hijack.id)).detail).toMatch(/another tenant/);

    const checkout = event('checkout.session.completed', checkoutCompleted(B.id, { customer: customerA, subscription: rid('sub'), plan: 'growth' }), nowSec());
    await expectOutcome(checkout, 'unknown_customer');

    expect(await row(h, B.id)).toBeNull();
    expect(await subscriptionOf(B)).toMatchObject({ status: 'none', plan: { code: 'free' }, hasBillingAccount: false });
    expect(await row(h, A.id)).toEqual(aBefore);
    expect(await auditOf(B, 'billing.subscription_changed')).toEqual([]);
    expect(await auditOf(A, 'billing.subscription_changed')).toHaveLength(1);
  });
});

// ─── Stripe unreachable / not configured (own servers) ──────────────────────────────────────────────────────

describe('Stripe unreachable', () => {
  let dead: Harness;
  beforeAll(async () => {
    dead = await startHarness({ env: { ...baseEnv(await deadStripeUrl()), STRIPE_TIMEOUT_MS: '500' } });
  });
  afterAll(async () => dead?.close());

  it('checkout and portal answer INTERNAL naming Stripe (upstream: stripe); nothing half-created, nothing audited; metering keeps the report pending', async () => {
    const t = await dead.tenant();
    const started = Date.now();
    const e = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'starter' }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toMatch(/Stripe/);
    expect(e.ext).toMatchObject({ upstream: 'stripe', retryable: true });
    expect(await count(dead, 'select count(*) as n from billing_subscriptions where tenant_id = $1 and stripe_customer_id is not null', [t.id])).toBe(0);
    expect(await count(dead, `select count(*) as n from audit_events where tenant_id = $1 and action like 'billing.%'`, [t.id])).toBe(0);
    expect(await subscriptionOf(t)).toMatchObject({ hasBillingAccount: false, status: 'none' });

    await setPlan(dead, t.id, 'starter', 'active', { customerId: rid('cus'), subscriptionId: rid('sub') });
    const p = errorOf(await t.gql(PORTAL_MUTATION));
    expect([p.code, p.ext.upstream]).toEqual(['INTERNAL', 'stripe']);
    expect(await count(dead, `select count(*) as n from audit_events where tenant_id = $1 and action like 'billing.%'`, [t.id])).toBe(0);

    const portfolio = await createPortfolio(t);
    await createAccount(t, { debtorId: await createDebtor(t), portfolioId: portfolio.id });
    expect(await dead.app.services.billing.reportUsage(t.id)).toEqual({ queued: 1, sent: 0, failed: 1 });
    const [r] = await dead.db.admin.query<any>(`select status, attempts, last_error from billing_meter_reports where tenant_id = $1`, [t.id]);
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.last_error).toMatch(/Connection|connect/i);
  });
});

describe('Stripe not configured', () => {
  let bare: Harness;
  beforeAll(async () => {
    const env = baseEnv('http://127.0.0.1:9');
    delete env.STRIPE_SECRET_KEY;
    delete env.STRIPE_WEBHOOK_SECRET;
    bare = await startHarness({ env });
  });
  afterAll(async () => bare?.close());

  it('billing mutations answer FORBIDDEN (billing_not_configured), the webhook route 404, metering does nothing', async () => {
    const t = await bare.tenant();
    const e = errorOf(await t.gql(CHECKOUT_MUTATION, { p: 'starter' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.ext.reason).toBe('billing_not_configured');
    expect(await row(bare, t.id)).toBeNull();

    await setPlan(bare, t.id, 'starter', 'active', { customerId: rid('cus'), subscriptionId: rid('sub') });
    const p = errorOf(await t.gql(PORTAL_MUTATION));
    expect([p.code, p.ext.reason]).toEqual(['FORBIDDEN', 'billing_not_configured']);

    const ev = event('customer.subscription.updated', subscriptionObject({ id: rid('sub'), customer: rid('cus'), status: 'unpaid', tenantId: t.id }));
    const r = await deliver(bare, ev);
    expect(r.status).toBe(404);
    expect(await stripeEvent(bare, ev.id)).toBeNull();
    expect(await subscriptionOf(t)).toMatchObject({ status: 'active', plan: { code: 'starter' } });

    const portfolio = await createPortfolio(t);
    await createAccount(t, { debtorId: await createDebtor(t), portfolioId: portfolio.id });
    expect(await bare.app.services.billing.reportUsage(t.id)).toEqual({ queued: 0, sent: 0, failed: 0 });
    expect(await count(bare, 'select count(*) as n from billing_meter_reports where tenant_id = $1', [t.id])).toBe(0);
  });
});
