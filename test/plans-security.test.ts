import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createDebtor, createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import { asApp as asAppIn, count, failure, rolledBack as rolledBackIn } from './sql-fixtures.js';
import {
  createPromiseRaw,
  evaluate,
  offerRaw,
  pay,
  payRaw,
  PAYMENT,
  PLAN,
  PROMISE,
  previewRaw,
  propose,
  proposeRaw,
  reversePaymentRaw,
  setRules,
  SETTLEMENT,
  settlementAction,
  settlementEnd,
} from './plans-fixtures.js';

/**
 * Security of plans, payments, promises and settlements: another tenant sees and changes nothing (NOT_FOUND,
 * worded as for an id that exists nowhere), a key limited to portfolios reaches only plans/payments/settlements
 * wholly inside them, scopes are enforced, and the database isolates tenants, portfolios and the append-only
 * payment history by itself. `any` appears where GraphQL results are handled.
 */

const TODAY = '2026-06-15';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
});
afterAll(async () => h?.close());

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';

async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string, label = ''): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>'), label).toBe(none.message.replace(NOWHERE, '<id>'));
}

const as = (t: TestTenant, key: string): TestTenant => ({ ...t, key, gql: (q, v) => h.gql(key, q, v) });

const Q = {
  plan: `query($id: ID!) { plan(id: $id) { ${PLAN} } }`,
  payment: `query($id: ID!) { payment(id: $id) { ${PAYMENT} } }`,
  promise: `query($id: ID!) { promise(id: $id) { ${PROMISE} } }`,
  settlement: `query($id: ID!) { settlementOffer(id: $id) { ${SETTLEMENT} } }`,
  planAction: (m: 'activatePlan' | 'approvePlan') => `mutation($id: ID!) { ${m}(id: $id) { id status } }`,
  planEnd: (m: 'rejectPlan' | 'cancelPlan') => `mutation($id: ID!, $r: String!) { ${m}(id: $id, reason: $r) { id status } }`,
  cancelPromise: `mutation($id: ID!, $r: String!) { cancelPromise(id: $id, reason: $r) { id status } }`,
  clearRules: `mutation($p: ID!) { clearPortfolioPlanRules(portfolioId: $p) }`,
};

const LISTS = {
  plans: `query($f: PlanFilterInput) { plans(first: 100, filter: $f) { edges { node { id } } } }`,
  payments: `query($f: PaymentFilterInput) { payments(first: 100, filter: $f) { edges { node { id } } } }`,
  promises: `query($f: PromiseFilterInput) { promises(first: 100, filter: $f) { edges { node { id } } } }`,
  settlementOffers: `query($f: SettlementFilterInput) { settlementOffers(first: 100, filter: $f) { edges { node { id } } } }`,
} as const;

async function listIds(t: TestTenant, list: keyof typeof LISTS, f: Record<string, unknown> | null = null): Promise<string[]> {
  return (ok(await t.gql(LISTS[list], { f })) as any)[list].edges.map((e: any) => e.node.id).sort();
}

/** A filtered list for a foreign id: either NOT_FOUND or empty, never data. */
async function listNothing(t: TestTenant, list: keyof typeof LISTS, f: Record<string, unknown>): Promise<void> {
  const r = await t.gql(LISTS[list], { f });
  if (r.errors?.length) expectError(r, 'NOT_FOUND');
  else expect((r.data as any)[list].edges, `${list} ${JSON.stringify(f)}`).toEqual([]);
}

const TABLES = ['plans', 'plan_accounts', 'plan_installments', 'plan_rules', 'promises', 'settlement_offers', 'settlement_accounts', 'payments', 'payment_accounts', 'installment_payments'];

async function tableCounts(tenantId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = await count(h.db.admin.query, `select count(*)::int as n from ${t} where tenant_id = $1`, [tenantId]);
  return out;
}

/**
 * A tenant with two CNY portfolios and one debtor; accounts (each 1,030.00 owed) in P1 (odd) and P2 (even):
 * active plans on a1 (P1) and a2 (P2), proposals outside the rules (30 installments) on a3 (P1) and a4 (P2),
 * a plan spanning a7 (P1) and a8 (P2), payments on plan1, plan2, account a9 and settlement s6, offers s5 (P1,
 * offered), s6 (P2, accepted and part-paid), sPend (P1 a11, beyond the discount rules), promises on a9, a10 and
 * plan2, and tenant and P1 plan rules: a row in every table of the module.
 */
async function seeded(name: string) {
  const t = await h.tenant(name);
  const P1 = (await createPortfolio(t, 'CNY', 'P1')).id;
  const P2 = (await createPortfolio(t, 'CNY', 'P2')).id;
  const d = await createDebtor(t, `${name} 债务人`);
  const acc = async (p: string) =>
    (await createAccount(t, { debtorId: d, portfolioId: p, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' })).id as string;
  const a1 = await acc(P1), a2 = await acc(P2), a3 = await acc(P1), a4 = await acc(P2), a5 = await acc(P1), a6 = await acc(P2);
  const a7 = await acc(P1), a8 = await acc(P2), a9 = await acc(P1), a10 = await acc(P2), a11 = await acc(P1), a12 = await acc(P1);
  ok(await setRules(t, { graceDays: 5 }));
  ok(await setRules(t, { graceDays: 6 }, P1));
  const inside = { startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY', downPayment: '10000' };
  const plan1 = await propose(t, { accountIds: [a1], ...inside });
  const plan2 = await propose(t, { accountIds: [a2], ...inside });
  const prop3 = await propose(t, { accountIds: [a3], startOn: TODAY, installmentCount: 30, frequency: 'WEEKLY' });
  const prop4 = await propose(t, { accountIds: [a4], startOn: TODAY, installmentCount: 30, frequency: 'WEEKLY' });
  const span = await propose(t, { accountIds: [a7, a8], ...inside });
  expect([plan1.status, plan2.status, prop3.status, prop4.status, span.status]).toEqual(['ACTIVE', 'ACTIVE', 'PROPOSED', 'PROPOSED', 'ACTIVE']);
  const pay1 = (await pay(t, { planId: plan1.id, amount: '20000' })).payment;
  const pay2 = (await pay(t, { planId: plan2.id, amount: '20000' })).payment;
  const payA9 = (await pay(t, { accountId: a9, amount: '5000' })).payment;
  const s5 = ok(await offerRaw(t, { accountIds: [a5], amount: '90000', expiresOn: '2026-07-15' })).createSettlementOffer;
  const s6 = ok(await offerRaw(t, { accountIds: [a6], amount: '90000', expiresOn: '2026-07-15' })).createSettlementOffer;
  const sPend = ok(await offerRaw(t, { accountIds: [a11], amount: '50000', expiresOn: '2026-07-15' })).createSettlementOffer;
  expect([s5.status, s6.status, sPend.status]).toEqual(['OFFERED', 'OFFERED', 'PENDING_APPROVAL']);
  ok(await settlementAction(t, 'acceptSettlementOffer', s6.id));
  const payS6 = (await pay(t, { settlementId: s6.id, amount: '10000' })).payment;
  const prA9 = ok(await createPromiseRaw(t, { accountId: a9, amount: '3000', promisedOn: '2026-06-25' })).createPromise;
  const prA10 = ok(await createPromiseRaw(t, { accountId: a10, amount: '3000', promisedOn: '2026-06-25' })).createPromise;
  const prP2 = ok(await createPromiseRaw(t, { planId: plan2.id, amount: '3000', promisedOn: '2026-06-25' })).createPromise;
  return { t, P1, P2, d, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, plan1, plan2, prop3, prop4, span, pay1, pay2, payA9, payS6, s5, s6, sPend, prA9, prA10, prP2 };
}
type Seeded = Awaited<ReturnType<typeof seeded>>;

/** Everything of a tenant as its admin sees it, for a before/after comparison. */
async function snapshot(s: Seeded) {
  const one = async (q: string, id: string) => Object.values(ok(await s.t.gql(q, { id })))[0];
  return {
    counts: await tableCounts(s.t.id),
    plans: await Promise.all([s.plan1, s.plan2, s.prop3, s.prop4, s.span].map((p) => one(Q.plan, p.id))),
    payments: await Promise.all([s.pay1, s.pay2, s.payA9, s.payS6].map((p) => one(Q.payment, p.id))),
    promises: await Promise.all([s.prA9, s.prA10, s.prP2].map((p) => one(Q.promise, p.id))),
    settlements: await Promise.all([s.s5, s.s6, s.sPend].map((p) => one(Q.settlement, p.id))),
    rules: ok(await s.t.gql(`{ planRules { tenant { id version graceDays } portfolios { id portfolioId version graceDays } } }`)).planRules,
  };
}

describe('cross-tenant', () => {
  it("tenant B gets NOT_FOUND for every query and mutation on tenant A's plans, payments, promises, settlements and accounts, and changes nothing", async () => {
    const A = await seeded('A');
    const before = await snapshot(A);
    const B = await seeded('B');
    const K = B.t;

    // Plans.
    await expectHidden((id) => K.gql(Q.plan, { id }), A.plan1.id, 'plan');
    await expectHidden((id) => K.gql(Q.planAction('activatePlan'), { id }), A.prop3.id, 'activatePlan');
    await expectHidden((id) => K.gql(Q.planAction('approvePlan'), { id }), A.prop3.id, 'approvePlan');
    await expectHidden((id) => K.gql(Q.planEnd('rejectPlan'), { id, r: 'x' }), A.prop3.id, 'rejectPlan');
    await expectHidden((id) => K.gql(Q.planEnd('cancelPlan'), { id, r: 'x' }), A.plan1.id, 'cancelPlan');
    await expectHidden((id) => evaluate(K, { planId: id }), A.plan1.id, 'evaluatePlans');
    await expectHidden((id) => proposeRaw(K, { accountIds: [id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), A.a12, 'proposePlan');
    await expectHidden((id) => proposeRaw(K, { accountIds: [B.a12, id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), A.a12, 'proposePlan mixed');
    await expectHidden((id) => previewRaw(K, { accountIds: [id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), A.a12, 'previewPlan');

    // Payments.
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), A.a9, 'recordPayment account');
    await expectHidden((id) => payRaw(K, { planId: id, amount: '100' }), A.plan1.id, 'recordPayment plan');
    await expectHidden((id) => payRaw(K, { settlementId: id, amount: '100' }), A.s6.id, 'recordPayment settlement');
    await expectHidden((id) => reversePaymentRaw(K, id), A.pay1.id, 'reversePayment');
    await expectHidden((id) => K.gql(Q.payment, { id }), A.pay1.id, 'payment');

    // Promises.
    await expectHidden((id) => K.gql(Q.promise, { id }), A.prA9.id, 'promise');
    await expectHidden((id) => K.gql(Q.cancelPromise, { id, r: 'x' }), A.prA9.id, 'cancelPromise');
    await expectHidden((id) => createPromiseRaw(K, { accountId: id, amount: '100', promisedOn: '2026-06-25' }), A.a9, 'createPromise account');
    await expectHidden((id) => createPromiseRaw(K, { planId: id, amount: '100', promisedOn: '2026-06-25' }), A.plan1.id, 'createPromise plan');

    // Settlements.
    await expectHidden((id) => K.gql(Q.settlement, { id }), A.s5.id, 'settlementOffer');
    await expectHidden((id) => settlementAction(K, 'acceptSettlementOffer', id), A.s5.id, 'accept');
    await expectHidden((id) => settlementAction(K, 'approveSettlementOffer', id), A.sPend.id, 'approve');
    await expectHidden((id) => settlementEnd(K, 'rejectSettlementOffer', id), A.sPend.id, 'reject');
    await expectHidden((id) => settlementEnd(K, 'withdrawSettlementOffer', id), A.s5.id, 'withdraw');
    await expectHidden((id) => offerRaw(K, { accountIds: [id], amount: '90000', expiresOn: '2026-07-15' }), A.a12, 'createSettlementOffer');

    // Rules: A's portfolio is not B's to clear.
    await expectHidden((id) => K.gql(Q.clearRules, { p: id }), A.P1, 'clearPortfolioPlanRules');

    // Lists: B's own, nothing of A's, also when filtered by A's ids.
    expect(await listIds(K, 'plans')).toEqual([B.plan1.id, B.plan2.id, B.prop3.id, B.prop4.id, B.span.id].sort());
    expect(await listIds(K, 'payments')).toEqual([B.pay1.id, B.pay2.id, B.payA9.id, B.payS6.id].sort());
    expect(await listIds(K, 'promises')).toEqual([B.prA9.id, B.prA10.id, B.prP2.id].sort());
    expect(await listIds(K, 'settlementOffers')).toEqual([B.s5.id, B.s6.id, B.sPend.id].sort());
    await listNothing(K, 'plans', { accountId: A.a1 });
    await listNothing(K, 'plans', { debtorId: A.d });
    await listNothing(K, 'payments', { planId: A.plan1.id });
    await listNothing(K, 'payments', { accountId: A.a9 });
    await listNothing(K, 'payments', { settlementId: A.s6.id });
    await listNothing(K, 'promises', { planId: A.plan2.id });
    await listNothing(K, 'promises', { accountId: A.a9 });
    await listNothing(K, 'settlementOffers', { accountId: A.a5 });
    const rulesB = ok(await K.gql(`{ planRules { tenant { id } portfolios { portfolioId } } }`)).planRules;
    expect(rulesB.tenant.id).not.toBe(before.rules.tenant.id);
    expect(rulesB.portfolios.map((p: any) => p.portfolioId)).toEqual([B.P1]);

    // A is exactly as it was.
    expect(await snapshot(A)).toEqual(before);
  });
});

describe('keys limited to some portfolios', () => {
  it('a P1 key cannot see or act on P2 plans, payments, promises and settlements, nor on a plan spanning P1 and P2; its lists show only P1', async () => {
    const s = await seeded('S');
    const replayed = { accountId: s.a10, amount: '700', idempotencyKey: `replay-${s.a10}`, receivedAt: '2026-06-15T09:00:00Z' };
    ok(await payRaw(s.t, replayed));
    const before = await snapshot(s);
    const K = as(s.t, await scopedKey(s.t, ['read', 'write'], [s.P1]));

    for (const [label, planId] of [['P2 plan', s.plan2.id]] as const) {
      await expectHidden((id) => K.gql(Q.plan, { id }), planId, `${label}: plan`);
      await expectHidden((id) => K.gql(Q.planEnd('cancelPlan'), { id, r: 'x' }), planId, `${label}: cancelPlan`);
      await expectHidden((id) => evaluate(K, { planId: id }), planId, `${label}: evaluatePlans`);
      await expectHidden((id) => payRaw(K, { planId: id, amount: '100' }), planId, `${label}: recordPayment`);
      await expectHidden((id) => createPromiseRaw(K, { planId: id, amount: '100', promisedOn: '2026-06-25' }), planId, `${label}: createPromise`);
    }
    await expectHidden((id) => K.gql(Q.planAction('activatePlan'), { id }), s.prop4.id, 'activatePlan');
    // Proposing or previewing with a P2 account, alone or next to a P1 one.
    await expectHidden((id) => proposeRaw(K, { accountIds: [id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), s.a10, 'proposePlan P2');
    await expectHidden((id) => proposeRaw(K, { accountIds: [s.a12, id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), s.a10, 'proposePlan P1+P2');
    await expectHidden((id) => previewRaw(K, { accountIds: [s.a12, id], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), s.a10, 'previewPlan P1+P2');
    // Payments.
    await expectHidden((id) => K.gql(Q.payment, { id }), s.pay2.id, 'payment P2 plan');
    // Replaying another key's request (same idempotency key, same body) on a P2 account answers as a fresh call
    // would: NOT_FOUND, not the payment.
    expectError(await payRaw(K, replayed), 'NOT_FOUND');
    await expectHidden((id) => K.gql(Q.payment, { id }), s.payS6.id, 'payment P2 settlement');
    await expectHidden((id) => reversePaymentRaw(K, id), s.pay2.id, 'reversePayment');
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), s.a10, 'recordPayment P2 account');
    await expectHidden((id) => payRaw(K, { settlementId: id, amount: '100' }), s.s6.id, 'recordPayment P2 settlement');
    // Promises.
    await expectHidden((id) => K.gql(Q.promise, { id }), s.prA10.id, 'promise P2 account');
    await expectHidden((id) => K.gql(Q.promise, { id }), s.prP2.id, 'promise P2 plan');
    await expectHidden((id) => K.gql(Q.cancelPromise, { id, r: 'x' }), s.prA10.id, 'cancelPromise');
    await expectHidden((id) => createPromiseRaw(K, { accountId: id, amount: '100', promisedOn: '2026-06-25' }), s.a10, 'createPromise');
    // Settlements.
    await expectHidden((id) => K.gql(Q.settlement, { id }), s.s6.id, 'settlementOffer');
    await expectHidden((id) => settlementEnd(K, 'withdrawSettlementOffer', id), s.s6.id, 'withdraw');
    await expectHidden((id) => offerRaw(K, { accountIds: [s.a12, id], amount: '150000', expiresOn: '2026-07-15' }), s.a10, 'createSettlementOffer P1+P2');

    // Lists: only P1's.
    expect(await listIds(K, 'plans')).toEqual([s.plan1.id, s.prop3.id].sort());
    expect(await listIds(K, 'payments')).toEqual([s.pay1.id, s.payA9.id].sort());
    expect(await listIds(K, 'promises')).toEqual([s.prA9.id]);
    expect(await listIds(K, 'settlementOffers')).toEqual([s.s5.id, s.sPend.id].sort());

    // Its own are in reach.
    expect(ok(await K.gql(Q.plan, { id: s.plan1.id })).plan.id).toBe(s.plan1.id);
    expect(ok(await K.gql(Q.payment, { id: s.pay1.id })).payment.id).toBe(s.pay1.id);
    expect(ok(await K.gql(Q.settlement, { id: s.s5.id })).settlementOffer.id).toBe(s.s5.id);

    expect(await snapshot(s)).toEqual(before);
  });

  it('a plan spanning P1 and P2 accounts of the same debtor is NOT_FOUND for the P1 key, and out of its lists', async () => {
    const s = await seeded('SP');
    const spanPay = (await pay(s.t, { planId: s.span.id, amount: '10000' })).payment;
    const before = await snapshot(s);
    const K = as(s.t, await scopedKey(s.t, ['read', 'write'], [s.P1]));
    const leaks: string[] = [];
    const check = async (label: string, f: () => Promise<unknown>) => { try { await f(); } catch (e) { leaks.push(`${label}: ${String((e as Error).message).slice(0, 160)}`); } };
    const planId = s.span.id;
    await check('plan', () => expectHidden((id) => K.gql(Q.plan, { id }), planId, 'span: plan'));
    await check('cancelPlan', () => expectHidden((id) => K.gql(Q.planEnd('cancelPlan'), { id, r: 'x' }), planId, 'span: cancelPlan'));
    await check('evaluatePlans', () => expectHidden((id) => evaluate(K, { planId: id }), planId, 'span: evaluatePlans'));
    await check('recordPayment(planId)', () => expectHidden((id) => payRaw(K, { planId: id, amount: '100' }), planId, 'span: recordPayment'));
    await check('createPromise(planId)', () => expectHidden((id) => createPromiseRaw(K, { planId: id, amount: '100', promisedOn: '2026-06-25' }), planId, 'span: createPromise'));
    await check('payment', () => expectHidden((id) => K.gql(Q.payment, { id }), spanPay.id, 'span: payment'));
    await check('reversePayment', () => expectHidden((id) => reversePaymentRaw(K, id), spanPay.id, 'span: reversePayment'));
    await check('plans list', async () => expect(await listIds(K, 'plans')).not.toContain(planId));
    await check('payments list', async () => expect(await listIds(K, 'payments')).not.toContain(spanPay.id));
    await check('plans by account', () => listNothing(K, 'plans', { accountId: s.a7 }));
    await check('payments by plan', () => listNothing(K, 'payments', { planId }));
    // a7 itself is in scope, but the plan holding it is not: a plain payment would leave the plan's installments
    // uncredited, so it is refused (the account is visible, so this reveals nothing new).
    await check('recordPayment(a7)', async () => {
      const r = await payRaw(K, { accountId: s.a7, amount: '100' });
      expect(r.errors?.[0]?.extensions.code).toBe('CONFLICT');
      expect(r.errors?.[0]?.extensions.field).toBe('input.accountId');
    });

    expect(leaks, 'the spanning plan is reachable by the P1 key').toEqual([]);
    expect(await snapshot(s)).toEqual(before);
  });
});

describe('keys limited to some portfolios can do their work', () => {
  it('a P1 read+write key records payments on a P1 account and on a P1 plan (the payment and its shares are written in one statement)', async () => {
    const s = await seeded('SW');
    const K = as(s.t, await scopedKey(s.t, ['read', 'write'], [s.P1]));
    const onAccount = (await pay(K, { accountId: s.a12, amount: '1500' })).payment;
    const onPlan = (await pay(K, { planId: s.plan1.id, amount: '5000' })).payment;
    expect([onAccount.status, onPlan.status]).toEqual(['POSTED', 'POSTED']);
    expect(Number(ok(await K.gql(`query($f: PaymentFilterInput) { payments(first: 100, filter: $f) { edges { node { id } } } }`, { f: { planId: s.plan1.id } })).payments.edges.length)).toBe(2);
  });
});

describe('scopes', () => {
  it('read-only: FORBIDDEN on recordPayment, proposePlan, createPromise, createSettlementOffer; read+write: FORBIDDEN on setPlanRules, approvePlan, rejectPlan, approveSettlementOffer', async () => {
    const s = await seeded('R');
    const before = await snapshot(s);
    const R = as(s.t, (await s.t.keyWith(['read'])).key);
    const W = as(s.t, (await s.t.keyWith(['read', 'write'])).key);
    expectError(await payRaw(R, { accountId: s.a9, amount: '100' }), 'FORBIDDEN');
    expectError(await payRaw(R, { planId: s.plan1.id, amount: '100' }), 'FORBIDDEN');
    expectError(await proposeRaw(R, { accountIds: [s.a12], startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY' }), 'FORBIDDEN');
    expectError(await createPromiseRaw(R, { accountId: s.a9, amount: '100', promisedOn: '2026-06-25' }), 'FORBIDDEN');
    expectError(await offerRaw(R, { accountIds: [s.a12], amount: '90000', expiresOn: '2026-07-15' }), 'FORBIDDEN');
    for (const K of [R, W]) {
      expectError(await setRules(K, { graceDays: 9 }), 'FORBIDDEN');
      expectError(await setRules(K, { graceDays: 9 }, s.P1), 'FORBIDDEN');
      expectError(await K.gql(Q.planAction('approvePlan'), { id: s.prop3.id }), 'FORBIDDEN');
      expectError(await K.gql(Q.planEnd('rejectPlan'), { id: s.prop3.id, r: 'x' }), 'FORBIDDEN');
      expectError(await settlementAction(K, 'approveSettlementOffer', s.sPend.id), 'FORBIDDEN');
    }
    expect(await snapshot(s)).toEqual(before);
    // Reading is what the read scope is for.
    expect(ok(await R.gql(Q.plan, { id: s.plan1.id })).plan.id).toBe(s.plan1.id);
    expect((await listIds(R, 'payments')).length).toBe(4);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

const asApp = <T>(tenant: string | null, fn: (q: AdminQuery) => Promise<T>) => asAppIn(h, tenant, fn);
const rolledBack = <T>(fn: (q: AdminQuery) => Promise<T>) => rolledBackIn(h, fn);

describe('the database itself', () => {
  let A: Seeded;
  let B: Seeded;
  beforeAll(async () => {
    A = await seeded('DA');
    B = await seeded('DB');
  });

  it('the superuser sees A’s rows in every table of the module (so the checks below are not vacuous)', async () => {
    for (const [table, n] of Object.entries(await tableCounts(A.t.id))) expect(n, table).toBeGreaterThan(0);
  });

  it('as the app role with no tenant, or with tenant B, none of A’s rows are visible', async () => {
    for (const tenant of [null, '', B.t.id]) {
      await asApp(tenant, async (q) => {
        for (const table of TABLES) {
          expect(await count(q, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]), `${tenant}: ${table}`).toBe(0);
          if (tenant === B.t.id) expect(await count(q, `select count(*)::int as n from ${table}`), `${table}: B's rows`).toBeGreaterThan(0);
          else expect(await count(q, `select count(*)::int as n from ${table}`), `${tenant}: ${table}`).toBe(0);
        }
        expect(await count(q, `select count(*)::int as n from plans where id = $1`, [A.plan1.id])).toBe(0);
        expect(await count(q, `select count(*)::int as n from payments where id = $1`, [A.pay1.id])).toBe(0);
      });
    }
  });

  it('as the app role scoped to P1, the rows of a P2-only plan, payment, settlement and promise are invisible', async () => {
    const seen = await asApp(A.t.id, async (q) => {
      await q(`select set_config('app.portfolio_ids', $1, true)`, [`{${A.P1}}`]);
      const n = (sql: string, id: string) => count(q, `select count(*)::int as n from ${sql}`, [id]);
      return {
        hidden: {
          plans: await n(`plans where id = $1`, A.plan2.id),
          plan_accounts: await n(`plan_accounts where plan_id = $1`, A.plan2.id),
          plan_installments: await n(`plan_installments where plan_id = $1`, A.plan2.id),
          payments: await n(`payments where id = $1`, A.pay2.id),
          payment_accounts: await n(`payment_accounts where payment_id = $1`, A.pay2.id),
          installment_payments: await n(`installment_payments where payment_id = $1`, A.pay2.id),
          settlement_payment: await n(`payments where id = $1`, A.payS6.id),
          settlement_offers: await n(`settlement_offers where id = $1`, A.s6.id),
          settlement_accounts: await n(`settlement_accounts where settlement_id = $1`, A.s6.id),
          promise_account: await n(`promises where id = $1`, A.prA10.id),
          promise_plan: await n(`promises where id = $1`, A.prP2.id),
          span_p2_link: await n(`plan_accounts where account_id = $1`, A.a8),
        },
        visible: {
          plans: await n(`plans where id = $1`, A.plan1.id),
          plan_installments: await n(`plan_installments where plan_id = $1`, A.plan1.id),
          payments: await n(`payments where id = $1`, A.pay1.id),
          payment_accounts: await n(`payment_accounts where payment_id = $1`, A.pay1.id),
          installment_payments: await n(`installment_payments where payment_id = $1`, A.pay1.id),
          settlement_offers: await n(`settlement_offers where id = $1`, A.s5.id),
          promises: await n(`promises where id = $1`, A.prA9.id),
        },
      };
    });
    for (const [k, v] of Object.entries(seen.hidden)) expect(v, `hidden ${k}`).toBe(0);
    for (const [k, v] of Object.entries(seen.visible)) expect(v, `visible ${k}`).toBeGreaterThan(0);
  });

  it('UPDATE and DELETE of payment_accounts and installment_payments are refused to the app role and to the owner', async () => {
    for (const table of ['payment_accounts', 'installment_payments']) {
      for (const [op, stmt] of [
        ['UPDATE', `update ${table} set payment_id = payment_id where tenant_id = $1`],
        ['DELETE', `delete from ${table} where tenant_id = $1`],
      ] as const) {
        const app = await failure(asApp(A.t.id, (q) => q(stmt, [A.t.id])));
        expect(app.code, `app: ${stmt}`).toBe('42501');
        expect(app.message, `app: ${stmt}`).toMatch(/permission denied/);
        const owner = await failure(rolledBack((q) => q(stmt, [A.t.id])));
        expect(owner.code, `owner: ${stmt}`).toBe('42501');
        expect(owner.message, `owner: ${stmt}`).toContain(`${table} is append-only: ${op} refused`);
      }
    }
    const after = await tableCounts(A.t.id);
    expect(after.payment_accounts).toBeGreaterThan(0);
    expect(after.installment_payments).toBeGreaterThan(0);
  });
});
