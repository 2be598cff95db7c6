import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engine, startHarness, type Harness, type TestTenant } from './harness.js';
import { balanceOf, balancesVsLedger, createAccount, createDebtor, createPortfolio, expectError, getAccount, idem, ledgerOf, ok, reverseRaw } from './accounts-fixtures.js';
import {
  createPromiseRaw,
  evaluate,
  getPlan,
  getPromise,
  offerRaw,
  PLAN,
  pay,
  payRaw,
  previewRaw,
  propose,
  proposeRaw,
  reversePaymentRaw,
  setRules,
  settlementAction,
  type PaymentInput,
} from './plans-fixtures.js';

/**
 * Installment plans, payments, promises and settlements end to end. The clock starts at 2026-07-30 12:00 UTC
 * (tenants are UTC, so "today" is 2026-07-30) and is moved forward only by the tests about missed installments,
 * promises and expiry; it is reset after each test.
 *
 * The standard account: principal 100000, interest 2000, fees 1000 → 103000 minor units owed.
 */
const START = new Date('2026-07-30T12:00:00Z');
let now = START;
const clock = { now: () => now };
const setToday = (d: string) => {
  now = new Date(`${d}T12:00:00Z`);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());
afterEach(() => {
  now = START;
});

async function setup(t: TestTenant, extra: { currency?: string } = {}) {
  const p = await createPortfolio(t, extra.currency ?? 'CNY');
  const did = await createDebtor(t);
  const a = await standardAccount(t, did, p.id, extra.currency);
  return { p, did, a };
}

function standardAccount(t: TestTenant, debtorId: string, portfolioId: string, currency = 'CNY') {
  return createAccount(t, { debtorId, portfolioId, currency, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' });
}

/** Pays with receivedAt = the clock's now, so the payment is effective "today". */
function payNow(t: TestTenant, i: PaymentInput) {
  return pay(t, { receivedAt: now.toISOString(), ...i });
}
function payNowRaw(t: TestTenant, i: PaymentInput) {
  return payRaw(t, { receivedAt: now.toISOString(), ...i });
}

/** Three monthly installments from today: 103000 / 3 = 34333 r 1 → 34333, 34333, 34334 due 07-30, 08-30, 09-30. */
function threeMonthly(t: TestTenant, accountId: string) {
  return propose(t, { accountIds: [accountId], startOn: '2026-07-30', installmentCount: 3, frequency: 'MONTHLY' });
}

const planMutation = (t: TestTenant, action: string, id: string, key?: string) =>
  key ? h.gql(key, `mutation($id: ID!) { ${action}(id: $id) { ${PLAN} } }`, { id }) : t.gql(`mutation($id: ID!) { ${action}(id: $id) { ${PLAN} } }`, { id });

async function counts(t: TestTenant) {
  const [r] = await h.db.admin.query<{ plans: number; payments: number; entries: number; promises: number }>(
    `select (select count(*) from plans where tenant_id = $1)::int as plans,
            (select count(*) from payments where tenant_id = $1)::int as payments,
            (select count(*) from ledger_entries where tenant_id = $1)::int as entries,
            (select count(*) from promises where tenant_id = $1)::int as promises`,
    [t.id],
  );
  return { plans: Number(r!.plans), payments: Number(r!.payments), entries: Number(r!.entries), promises: Number(r!.promises) };
}

async function expectLedgerConsistent(t: TestTenant) {
  for (const row of await balancesVsLedger(h, t.id)) expect([row.p, row.i, row.f]).toEqual([row.lp, row.li, row.lf]);
}

const inst = (plan: any) => plan.installments.map((i: any) => [i.seq, i.status, i.paid.minor]);

describe('schedule (previewPlan)', () => {
  it('monthly from a month end clamps to shorter months, remainder on the last, down payment is seq 0', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    // total 103000, down 10000 → 93000 in 7: 93000/7 = 13285 r 5; last = 93000 − 6×13285 = 93000 − 79710 = 13290.
    // Start 07-31 (today+1), first installment one period after the down payment, anchored on the 31st.
    const r = ok(await previewRaw(t, { accountIds: [a.id], startOn: '2026-07-31', installmentCount: 7, frequency: 'MONTHLY', downPayment: '10000' })).previewPlan;
    expect(r.withinRules).toBe(true);
    expect(r.total.minor).toBe('103000');
    expect(r.downPayment.minor).toBe('10000');
    expect(r.schedule.map((x: any) => [x.seq, x.dueOn, x.amount.minor])).toEqual([
      [0, '2026-07-31', '10000'],
      [1, '2026-08-31', '13285'],
      [2, '2026-09-30', '13285'],
      [3, '2026-10-31', '13285'],
      [4, '2026-11-30', '13285'],
      [5, '2026-12-31', '13285'],
      [6, '2027-01-31', '13285'],
      [7, '2027-02-28', '13290'],
    ]);
    expect(r.accounts).toEqual([{ accountId: a.id, covered: { minor: '103000' } }]);
  });

  it('a custom schedule that adds up is accepted; one that does not names input.schedule; preview writes nothing', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    // 50000 + 53000 = 103000 = total.
    const good = ok(await previewRaw(t, { accountIds: [a.id], startOn: '2026-07-30', schedule: [{ dueOn: '2026-08-15', amount: '50000' }, { dueOn: '2026-09-15', amount: '53000' }] })).previewPlan;
    expect(good.schedule.map((x: any) => [x.seq, x.dueOn, x.amount.minor])).toEqual([
      [1, '2026-08-15', '50000'],
      [2, '2026-09-15', '53000'],
    ]);
    expect(good.downPayment.minor).toBe('0');
    // 50000 + 50000 = 100000 ≠ 103000 (difference 3000).
    const bad = expectError(await previewRaw(t, { accountIds: [a.id], startOn: '2026-07-30', schedule: [{ dueOn: '2026-08-15', amount: '50000' }, { dueOn: '2026-09-15', amount: '50000' }] }), 'BAD_USER_INPUT', 'input.schedule');
    expect(bad.message).toContain('3000');
    const list = ok(await t.gql(`{ plans(first: 10) { edges { node { id } } } }`)).plans;
    expect(list.edges).toEqual([]);
    expect((await counts(t)).plans).toBe(0);
  });
});

describe('plan rules and approval', () => {
  it('a proposal beyond the rules stays PROPOSED; activate is FORBIDDEN; admin approve activates; write key cannot approve', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { maxInstallments: 3 }));
    const { a } = await setup(t);
    // 6 installments > 3 allowed.
    const plan = await propose(t, { accountIds: [a.id], startOn: '2026-07-30', installmentCount: 6, frequency: 'MONTHLY' });
    expect(plan.status).toBe('PROPOSED');
    expect(plan.needsApproval).toBe(true);
    expect(plan.violations.map((v: any) => [v.rule, v.limit, v.actual])).toEqual([['maxInstallments', '3', '6']]);
    expectError(await planMutation(t, 'activatePlan', plan.id), 'FORBIDDEN');
    expect((await getPlan(t, plan.id)).status).toBe('PROPOSED');

    const writer = await t.keyWith(['read', 'write']);
    expectError(await planMutation(t, 'approvePlan', plan.id, writer.key), 'FORBIDDEN');
    expect((await getPlan(t, plan.id)).status).toBe('PROPOSED');

    const approved = ok(await planMutation(t, 'approvePlan', plan.id)).approvePlan;
    expect(approved.status).toBe('ACTIVE');
    expect(approved.approvedById).toBeTruthy();
    expect(approved.activatedAt).toBeTruthy();
    expect((await getAccount(t, a.id)).status).toBe('IN_PLAN');
  });

  it('rejectPlan ends another out-of-rules proposal as REJECTED', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { maxInstallments: 3 }));
    const { a } = await setup(t);
    const plan = await propose(t, { accountIds: [a.id], startOn: '2026-07-30', installmentCount: 4, frequency: 'WEEKLY' });
    expect(plan.status).toBe('PROPOSED');
    const r = ok(await t.gql(`mutation($id: ID!) { rejectPlan(id: $id, reason: "too long") { ${PLAN} } }`, { id: plan.id })).rejectPlan;
    expect(r.status).toBe('REJECTED');
    expect(r.rejectedAt).toBeTruthy();
    expect((await getAccount(t, a.id)).status).not.toBe('IN_PLAN');
  });
});

describe('bad input names the field and writes nothing', () => {
  it('plan proposals: zero/negative custom amount, installmentCount 0, start too far in the past', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const before = await counts(t);
    const base = { accountIds: [a.id], startOn: '2026-07-30' };
    expectError(await proposeRaw(t, { ...base, schedule: [{ dueOn: '2026-08-15', amount: '0' }, { dueOn: '2026-09-15', amount: '103000' }] }), 'BAD_USER_INPUT', 'input.schedule.0.amount');
    expectError(await proposeRaw(t, { ...base, schedule: [{ dueOn: '2026-08-15', amount: '-5' }, { dueOn: '2026-09-15', amount: '103005' }] }), 'BAD_USER_INPUT', 'input.schedule.0.amount');
    expectError(await proposeRaw(t, { ...base, installmentCount: 0, frequency: 'MONTHLY' }), 'BAD_USER_INPUT', 'input.installmentCount');
    // today 07-30 − 3 days tolerance = 07-27 is the earliest start; 07-26 is one day too early.
    expectError(await proposeRaw(t, { ...base, startOn: '2026-07-26', installmentCount: 3, frequency: 'MONTHLY' }), 'BAD_USER_INPUT', 'input.startOn');
    expect(await counts(t)).toEqual(before);
    // The boundary itself is accepted.
    expect((await propose(t, { ...base, startOn: '2026-07-27', installmentCount: 3, frequency: 'MONTHLY' })).status).toBe('ACTIVE');
  });

  it('plan proposals: mixed currencies, two debtors, paid-off and disputed accounts', async () => {
    const t = await h.tenant();
    const cny = await createPortfolio(t, 'CNY');
    const eur = await createPortfolio(t, 'EUR');
    const d1 = await createDebtor(t);
    const d2 = await createDebtor(t, '李四');
    const a1 = await standardAccount(t, d1, cny.id);
    const aEur = await standardAccount(t, d1, eur.id, 'EUR');
    const a2 = await standardAccount(t, d2, cny.id);
    const paidOff = await standardAccount(t, d1, cny.id);
    const disputed = await standardAccount(t, d1, cny.id);
    // Pays 103000 in full outside any plan → PAID_OFF.
    await payNow(t, { accountId: paidOff.id, amount: '103000' });
    expect((await getAccount(t, paidOff.id)).status).toBe('PAID_OFF');
    ok(await t.gql(`mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id status } }`, { i: { accountId: disputed.id, reason: 'WRONG_AMOUNT', details: 'debtor disputes' } }));
    const before = await counts(t);
    const terms = { startOn: '2026-07-30', installmentCount: 3, frequency: 'MONTHLY' };
    expectError(await proposeRaw(t, { accountIds: [a1.id, aEur.id], ...terms }), 'BAD_USER_INPUT', 'input.accountIds');
    expectError(await proposeRaw(t, { accountIds: [a1.id, a2.id], ...terms }), 'BAD_USER_INPUT', 'input.accountIds');
    expectError(await proposeRaw(t, { accountIds: [paidOff.id], ...terms }), 'BAD_USER_INPUT', 'input.accountIds');
    expectError(await proposeRaw(t, { accountIds: [disputed.id], ...terms }), 'BAD_USER_INPUT', 'input.accountIds');
    expect(await counts(t)).toEqual(before);
  });

  it('payments: wrong currency, fractional amount, 256-char key; a second plan on an account in a plan is CONFLICT', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const before = await counts(t);
    expectError(await payNowRaw(t, { accountId: a.id, amount: '1000', currency: 'EUR' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await payNowRaw(t, { accountId: a.id, amount: '12.5' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await payNowRaw(t, { planId: plan.id, amount: '1000', idempotencyKey: 'k'.repeat(256) }), 'BAD_USER_INPUT', 'input.idempotencyKey');
    expectError(await proposeRaw(t, { accountIds: [a.id], startOn: '2026-07-30', installmentCount: 2, frequency: 'MONTHLY' }), 'CONFLICT', 'input.accountIds');
    expect(await counts(t)).toEqual(before);
    expect(balanceOf(await getAccount(t, a.id)).total).toBe('103000');
  });
});

describe('bad input on the other plan, promise and settlement mutations', () => {
  it('rules, cancel/reject reasons, evaluation date, reversal reason and kind name their field and write nothing', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const paid = await payNow(t, { planId: plan.id, amount: '1000' });
    const before = await counts(t);
    const rules = expectError(await setRules(t, { graceDays: -1, waterfall: ['FEE', 'PRINCIPAL'] }), 'BAD_USER_INPUT', 'input.rules.waterfall');
    expect(rules.ext.problems.map((x: any) => x.field).sort()).toEqual(['input.rules.graceDays', 'input.rules.waterfall']);
    expectError(await t.gql(`mutation($id: ID!) { cancelPlan(id: $id, reason: "  ") { id } }`, { id: plan.id }), 'BAD_USER_INPUT', 'reason');
    expectError(await t.gql(`mutation($id: ID!) { rejectPlan(id: $id, reason: "") { id } }`, { id: plan.id }), 'BAD_USER_INPUT', 'reason');
    // Today is 2026-07-30: an evaluation as of tomorrow is refused.
    expectError(await evaluate(t, { asOf: '2026-07-31' }), 'BAD_USER_INPUT', 'asOf');
    expectError(await reversePaymentRaw(t, paid.payment.id, ''), 'BAD_USER_INPUT', 'input.reason');
    expectError(await t.gql(`mutation { clearPortfolioPlanRules(portfolioId: "not-a-uuid") }`), 'BAD_USER_INPUT', 'portfolioId');
    expect(await counts(t)).toEqual(before);
    expect((await getPlan(t, plan.id)).status).toBe('ACTIVE');
  });

  it('promises and settlement offers: past dates, wrong currency, two targets, more than the balance, empty reasons', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const before = await counts(t);
    expectError(await createPromiseRaw(t, { accountId: a.id, amount: '5000', promisedOn: '2026-07-29' }), 'BAD_USER_INPUT', 'input.promisedOn');
    expectError(await createPromiseRaw(t, { accountId: a.id, amount: '5000', currency: 'EUR', promisedOn: '2026-08-05' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await createPromiseRaw(t, { accountId: a.id, planId: a.id, amount: '5000', promisedOn: '2026-08-05' }), 'BAD_USER_INPUT', 'input');
    expectError(await createPromiseRaw(t, { accountId: a.id, amount: '0', promisedOn: '2026-08-05' }), 'BAD_USER_INPUT', 'input.amount');
    // 103000 owed: an offer of 103001 is not a settlement.
    expectError(await offerRaw(t, { accountIds: [a.id], amount: '103001', expiresOn: '2026-08-15' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-07-29' }), 'BAD_USER_INPUT', 'input.expiresOn');
    expectError(await offerRaw(t, { accountIds: [a.id, a.id], amount: '80000', expiresOn: '2026-08-15' }), 'BAD_USER_INPUT', 'input.accountIds');
    expect(await counts(t)).toEqual(before);
    const [offers] = await h.db.admin.query<{ n: number }>('select count(*)::int as n from settlement_offers where tenant_id = $1', [t.id]);
    expect(Number(offers!.n)).toBe(0);
    const promise = ok(await createPromiseRaw(t, { accountId: a.id, amount: '5000', promisedOn: '2026-08-05' })).createPromise;
    expectError(await t.gql(`mutation($id: ID!) { cancelPromise(id: $id, reason: "") { id } }`, { id: promise.id }), 'BAD_USER_INPUT', 'reason');
    const offer = ok(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-08-15', note: 'agreed on the phone\nwith the debtor' })).createSettlementOffer;
    expectError(await t.gql(`mutation($id: ID!) { withdrawSettlementOffer(id: $id, reason: "") { id } }`, { id: offer.id }), 'BAD_USER_INPUT', 'reason');
    expect((await getPromise(t, promise.id)).status).toBe('PENDING');
    const stored = ok(await t.gql(`query($id: ID!) { settlementOffer(id: $id) { status note } }`, { id: offer.id })).settlementOffer;
    expect(stored).toEqual({ status: 'OFFERED', note: 'agreed on the phone\nwith the debtor' });
  });
});

describe('one negotiation at a time, and the audit trail of a proposal', () => {
  it('no plan on an account with an open settlement offer, and no offer on an account in an active plan (CONFLICT)', async () => {
    const t = await h.tenant();
    const { p, did, a } = await setup(t);
    const b = await standardAccount(t, did, p.id);
    ok(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-08-15' }));
    expectError(await proposeRaw(t, { accountIds: [a.id], startOn: '2026-07-30', installmentCount: 3, frequency: 'MONTHLY' }), 'CONFLICT', 'input.accountIds');
    expectError(await previewRaw(t, { accountIds: [a.id], startOn: '2026-07-30', installmentCount: 3, frequency: 'MONTHLY' }), 'CONFLICT', 'input.accountIds');
    await threeMonthly(t, b.id);
    expectError(await offerRaw(t, { accountIds: [b.id], amount: '80000', expiresOn: '2026-08-15' }), 'CONFLICT', 'input.accountIds');
  });

  it('a proposal activated at once writes one audit event that says both', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const events = ok(await t.gql(`query($id: String) { auditEvents(first: 10, filter: { entityId: $id }) { edges { node { action after } } } }`, { id: plan.id })).auditEvents.edges.map((e: any) => e.node);
    expect(events.map((e: any) => e.action)).toEqual(['plan.propose']);
    expect(events[0].after.status).toBe('active');
    expect(events[0].after.statusChanges).toEqual([{ accountId: a.id, from: 'current', to: 'in_plan' }]);
  });

  it('a dispute pauses the plan: nothing is missed or broken while it is open; afterwards the grace counts from the resolution day', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { graceDays: 0, missedToBreak: 1 }));
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const opened = ok(await t.gql(`mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id priorAccountStatus } }`, { i: { accountId: a.id, reason: 'WRONG_AMOUNT', details: 'debtor disputes' } })).openDispute;
    expect(opened.priorAccountStatus).toBe('IN_PLAN');
    const paused = async () => ok(await t.gql(`query($id: ID!) { plan(id: $id) { pausedByDisputes } }`, { id: plan.id })).plan.pausedByDisputes;
    expect(await paused()).toEqual([opened.id]);
    // Installment 1 due 07-30, grace 0: it would be missed from 07-31 and break the plan. The dispute holds it.
    setToday('2026-07-31');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0 });
    setToday('2026-08-05');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0 });
    expect((await getAccount(t, a.id)).status).toBe('DISPUTED');
    ok(await t.gql(`mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { status } }`, { i: { id: opened.id, outcome: 'REJECTED', notes: 'balance verified with the debtor' } }));
    expect((await getAccount(t, a.id)).status).toBe('IN_PLAN');
    expect(await paused()).toEqual([]);
    // Grace (0 days) counts from the resolution day 08-05: not missed that day, missed the day after.
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0 });
    setToday('2026-08-06');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 1, plansBroken: 1 });
    expect((await getPlan(t, plan.id)).status).toBe('BROKEN');
    expect((await getAccount(t, a.id)).status).toBe('DELINQUENT');
  });
});

describe('the ledger API and plans', () => {
  it('postLedgerEntry(PAYMENT) on an account held by a plan or an accepted offer is CONFLICT (recordPayment moves installments and offers too)', async () => {
    const t = await h.tenant();
    const { p, did, a } = await setup(t);
    const b = await standardAccount(t, did, p.id);
    const c = await standardAccount(t, did, p.id);
    await threeMonthly(t, a.id);
    const offer = ok(await offerRaw(t, { accountIds: [b.id], amount: '80000', expiresOn: '2026-08-15' })).createSettlementOffer;
    ok(await settlementAction(t, 'acceptSettlementOffer', offer.id));
    const post = (accountId: string, kind: string) =>
      t.gql(`mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed } }`, { i: { accountId, kind, amount: '1000', currency: 'CNY', effectiveOn: '2026-07-30', idempotencyKey: idem('post') } });
    const before = await counts(t);
    expectError(await post(a.id, 'PAYMENT'), 'CONFLICT', 'input.kind');
    expectError(await post(b.id, 'PAYMENT'), 'CONFLICT', 'input.kind');
    expect(await counts(t)).toEqual(before);
    // Charges still post, and an account outside any negotiation takes ledger payments as before.
    ok(await post(a.id, 'INTEREST'));
    ok(await post(c.id, 'PAYMENT'));
  });
});

describe('late fees and early warning', () => {
  const ASSESS = `mutation { assessLateFees { feesPosted skipped { reason count } } }`;

  it("a plan's terms decide whether late fees freeze, over the policy's freezeWhileInPlan", async () => {
    // The tenant-wide policy charges a flat 50.00 a month and would freeze fees in a plan (its default).
    const frozen = await h.tenant();
    const open = await h.tenant();
    ok(await setRules(open, { freezeFeesWhileActive: false }));
    for (const t of [frozen, open]) {
      const v = ok(await t.gql(`mutation($i: LateFeePolicyInput!) { createLateFeePolicy(input: $i) { policyId } }`, { i: { name: 'Monthly flat', currency: 'CNY', frequency: 'MONTHLY', flat: { amount: '5000' } } })).createLateFeePolicy;
      ok(await t.gql(`mutation($p: ID!) { attachLateFeePolicy(policyId: $p, target: {}) { level } }`, { p: v.policyId }));
      const { a } = await setup(t);
      await threeMonthly(t, a.id);
    }
    // Due 2026-03-01, today 07-30: the months since are held as "frozen in plan" where the plan's terms freeze
    // fees, and charged where they do not (the policy alone would have frozen them).
    const f = ok(await frozen.gql(ASSESS)).assessLateFees;
    expect(f.feesPosted).toBe(0);
    expect(f.skipped.map((x: any) => x.reason)).toContain('FROZEN_IN_PLAN');
    const o = ok(await open.gql(ASSESS)).assessLateFees;
    expect(o.feesPosted).toBeGreaterThan(0);
    expect(o.skipped.map((x: any) => x.reason)).not.toContain('FROZEN_IN_PLAN');
  });

  it('a broken promise raises a BROKEN_PROMISES alert on its account', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    ok(await t.gql(`mutation { createAlertRule(input: { name: "promises broken", metric: BROKEN_PROMISES, threshold: "1" }) { id } }`));
    ok(await createPromiseRaw(t, { accountId: a.id, amount: '5000', promisedOn: '2026-08-01' }));
    const alerts = async () => ok(await t.gql(`{ alerts(first: 10, filter: { open: true }) { edges { node { accountId value } } } }`)).alerts.edges.map((e: any) => e.node);
    ok(await t.gql(`mutation { evaluateAlerts { raised } }`));
    expect(await alerts()).toEqual([]);
    // 08-01 + 2 days grace: broken from 08-04.
    setToday('2026-08-04');
    expect(ok(await evaluate(t)).evaluatePlans.promisesBroken).toBe(1);
    expect(ok(await t.gql(`mutation { evaluateAlerts { raised } }`)).evaluateAlerts.raised).toBe(1);
    expect(await alerts()).toEqual([{ accountId: a.id, value: '1' }]);
  });
});

describe('payments', () => {
  it('allocates fees → interest → principal by default, with one ledger line per component', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    // 5000: fee 1000, interest 2000, principal 5000 − 3000 = 2000.
    const r = await payNow(t, { accountId: a.id, amount: '5000' });
    expect(r.payment.applied.minor).toBe('5000');
    expect(r.payment.unapplied.minor).toBe('0');
    expect(r.entries.map((e: any) => [e.kind, e.component, e.amount.minor]).sort()).toEqual([
      ['PAYMENT', 'FEE', '-1000'],
      ['PAYMENT', 'INTEREST', '-2000'],
      ['PAYMENT', 'PRINCIPAL', '-2000'],
    ]);
    expect(r.payment.explanation.filter((x: any) => x.kind === 'COMPONENT').map((x: any) => [x.component, x.amount.minor])).toEqual([
      ['FEE', '1000'],
      ['INTEREST', '2000'],
      ['PRINCIPAL', '2000'],
    ]);
    // 100000 − 2000 = 98000 principal left; interest and fees cleared.
    expect(balanceOf(await getAccount(t, a.id))).toEqual({ principal: '98000', interest: '0', fees: '0', total: '98000' });
    await expectLedgerConsistent(t);
  });

  it('a custom waterfall [PRINCIPAL, INTEREST, FEE] pays principal first', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { waterfall: ['PRINCIPAL', 'INTEREST', 'FEE'] }));
    const { a } = await setup(t);
    // 101000: principal 100000, interest 1000 of 2000, fee nothing.
    const r = await payNow(t, { accountId: a.id, amount: '101000' });
    expect(r.entries.map((e: any) => [e.component, e.amount.minor]).sort()).toEqual([
      ['INTEREST', '-1000'],
      ['PRINCIPAL', '-100000'],
    ]);
    expect(balanceOf(await getAccount(t, a.id))).toEqual({ principal: '0', interest: '1000', fees: '1000', total: '2000' });
  });

  it('a partial payment leaves the installment OPEN with what is paid', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    expect(plan.installments.map((i: any) => [i.seq, i.dueOn, i.amount.minor])).toEqual([
      [1, '2026-07-30', '34333'],
      [2, '2026-08-30', '34333'],
      [3, '2026-09-30', '34334'],
    ]);
    const r = await payNow(t, { planId: plan.id, amount: '20000' });
    // 34333 − 20000 = 14333 still open on installment 1.
    const line = r.payment.explanation.find((x: any) => x.kind === 'INSTALLMENT');
    expect([line.installmentSeq, line.amount.minor]).toEqual([1, '20000']);
    expect(line.text).toContain('still open');
    const p = await getPlan(t, plan.id);
    expect(inst(p)).toEqual([
      [1, 'OPEN', '20000'],
      [2, 'OPEN', '0'],
      [3, 'OPEN', '0'],
    ]);
    expect(p.paid.minor).toBe('20000');
    expect(p.status).toBe('ACTIVE');
  });

  it('an overpayment is held as credit by default', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    // 110000 − 103000 owed = 7000 unapplied.
    const r = await payNow(t, { planId: plan.id, amount: '110000' });
    expect(r.payment.applied.minor).toBe('103000');
    expect(r.payment.unapplied.minor).toBe('7000');
    expect(r.payment.explanation.find((x: any) => x.kind === 'CREDIT').amount.minor).toBe('7000');
    expect((await getPlan(t, plan.id)).status).toBe('COMPLETED');
    expect(balanceOf(await getAccount(t, a.id)).total).toBe('0');
  });

  it('an overpayment is refused when the rules say REFUSE (input.amount), writing nothing', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { overpayment: 'REFUSE' }));
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const before = await counts(t);
    expectError(await payNowRaw(t, { planId: plan.id, amount: '103001' }), 'BAD_USER_INPUT', 'input.amount');
    expect(await counts(t)).toEqual(before);
    // Exactly what is owed is fine.
    expect((await payNow(t, { planId: plan.id, amount: '103000' })).payment.unapplied.minor).toBe('0');
  });

  it('a prepayment closes later installments and says they were paid ahead', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    // 70000: installment 1 34333 (due today), installment 2 34333 (ahead), installment 3 70000 − 68666 = 1334 (ahead).
    const r = await payNow(t, { planId: plan.id, amount: '70000' });
    expect(r.payment.installments.map((x: any) => x.amount.minor)).toEqual(['34333', '34333', '1334']);
    const lines = r.payment.explanation.filter((x: any) => x.kind === 'INSTALLMENT');
    expect(lines.map((x: any) => x.installmentSeq)).toEqual([1, 2, 3]);
    expect(lines[0].text).not.toContain('ahead');
    expect(lines[1].text).toContain('ahead');
    expect(lines[2].text).toContain('ahead');
    expect(inst(await getPlan(t, plan.id))).toEqual([
      [1, 'PAID', '34333'],
      [2, 'PAID', '34333'],
      [3, 'OPEN', '1334'],
    ]);
  });

  it('idempotency: same key and body replays without new entries; same key, different amount is CONFLICT', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const key = idem('same');
    const body = { planId: plan.id, amount: '10000', idempotencyKey: key, receivedAt: now.toISOString() };
    const first = await pay(t, body);
    expect(first.replayed).toBe(false);
    const before = await counts(t);
    const again = await pay(t, body);
    expect(again.replayed).toBe(true);
    expect(again.payment.id).toBe(first.payment.id);
    expect(again.entries.map((e: any) => e.id).sort()).toEqual(first.entries.map((e: any) => e.id).sort());
    expect(await counts(t)).toEqual(before);
    expectError(await payRaw(t, { ...body, amount: '10001' }), 'CONFLICT', 'input.idempotencyKey');
    expect(await counts(t)).toEqual(before);
    expect((await getPlan(t, plan.id)).paid.minor).toBe('10000');
  });
});

describe('reversal', () => {
  it('reversing a payment restores the exact prior state; twice is CONFLICT; reverseLedgerEntry on it is CONFLICT', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    // 50000: installment 1 34333 paid, installment 2 15667 of 34333.
    await payNow(t, { planId: plan.id, amount: '50000' });
    const planBefore = await getPlan(t, plan.id);
    const accBefore = await getAccount(t, a.id);
    expect(inst(planBefore)).toEqual([
      [1, 'PAID', '34333'],
      [2, 'OPEN', '15667'],
      [3, 'OPEN', '0'],
    ]);
    // Balance after 50000: fee 1000, interest 2000, principal 47000 → 53000 left.
    expect(balanceOf(accBefore)).toEqual({ principal: '53000', interest: '0', fees: '0', total: '53000' });
    // 60000 pays the remaining 53000 and holds 7000: plan COMPLETED, account PAID_OFF.
    const last = await payNow(t, { planId: plan.id, amount: '60000' });
    expect(last.payment.unapplied.minor).toBe('7000');
    expect((await getPlan(t, plan.id)).status).toBe('COMPLETED');
    expect((await getAccount(t, a.id)).status).toBe('PAID_OFF');

    expectError(await reverseRaw(t, last.entries[0].id), 'CONFLICT', 'input.entryId');

    const rev = ok(await reversePaymentRaw(t, last.payment.id)).reversePayment;
    expect(rev.payment.status).toBe('REVERSED');
    expect(rev.entries.map((e: any) => e.amount.minor).sort()).toEqual(['53000']);
    const planAfter = await getPlan(t, plan.id);
    const pick = (p: any) => ({ status: p.status, paid: p.paid.minor, missedCount: p.missedCount, completedAt: p.completedAt, installments: p.installments.map((i: any) => [i.seq, i.status, i.paid.minor, i.paidAt, i.missedAt]) });
    expect(pick(planAfter)).toEqual(pick(planBefore));
    const accAfter = await getAccount(t, a.id);
    expect(accAfter.status).toBe(accBefore.status);
    expect(accAfter.status).toBe('IN_PLAN');
    expect(balanceOf(accAfter)).toEqual(balanceOf(accBefore));
    await expectLedgerConsistent(t);

    expectError(await reversePaymentRaw(t, last.payment.id), 'CONFLICT', 'input.paymentId');
  });
});

describe('missed installments and broken plans', () => {
  it('evaluatePlans marks each installment missed once; making it good drops missedCount', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { graceDays: 2, missedToBreak: 2 }));
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    // Installment 1 due 07-30, grace 2 → missed from 08-02 (today > 08-01).
    setToday('2026-08-01');
    expect(ok(await evaluate(t)).evaluatePlans.installmentsMissed).toBe(0);
    setToday('2026-08-02');
    const e1 = ok(await evaluate(t)).evaluatePlans;
    expect([e1.installmentsMissed, e1.plansBroken]).toEqual([1, 0]);
    expect(ok(await evaluate(t)).evaluatePlans.installmentsMissed).toBe(0);
    const p = await getPlan(t, plan.id);
    expect(p.missedCount).toBe(1);
    expect(p.status).toBe('ACTIVE');
    expect(p.installments[0].status).toBe('MISSED');
    expect(p.installments[0].missedAt).toBeTruthy();

    const r = await payNow(t, { planId: plan.id, amount: '34333' });
    expect(r.payment.explanation.find((x: any) => x.kind === 'INSTALLMENT').text).toContain('made good');
    const after = await getPlan(t, plan.id);
    expect(after.installments[0].status).toBe('PAID');
    expect(after.installments[0].missedAt).toBeTruthy();
    expect(after.missedCount).toBe(0);
  });

  it('the second missed installment breaks the plan and the account turns DELINQUENT', async () => {
    const t = await h.tenant();
    ok(await setRules(t, { graceDays: 2, missedToBreak: 2 }));
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    setToday('2026-08-02');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 1, plansBroken: 0 });
    // Installment 2 due 08-30 + 2 → missed from 09-02.
    setToday('2026-09-02');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 1, plansBroken: 1 });
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0 });
    const p = await getPlan(t, plan.id);
    expect(p.status).toBe('BROKEN');
    expect(p.missedCount).toBe(2);
    expect(p.brokenAt).toBeTruthy();
    expect(inst(p).map((x: any) => x[1])).toEqual(['MISSED', 'MISSED', 'OPEN']);
    expect((await getAccount(t, a.id)).status).toBe('DELINQUENT');
  });
});

describe('promises to pay', () => {
  it('is kept by a payment before the date', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const pr = ok(await createPromiseRaw(t, { accountId: a.id, amount: '20000', promisedOn: '2026-08-05' })).createPromise;
    expect(pr.status).toBe('PENDING');
    const r = await payNow(t, { accountId: a.id, amount: '20000' });
    expect(r.payment.explanation.some((x: any) => x.kind === 'PROMISE')).toBe(true);
    const got = await getPromise(t, pr.id);
    expect([got.status, got.paid.minor]).toEqual(['KEPT', '20000']);
  });

  it('partially kept and broken are decided by evaluatePlans after the date plus grace', async () => {
    const t = await h.tenant();
    const { p, did, a } = await setup(t);
    const b = await standardAccount(t, did, p.id);
    const partial = ok(await createPromiseRaw(t, { accountId: a.id, amount: '20000', promisedOn: '2026-08-05' })).createPromise;
    const broken = ok(await createPromiseRaw(t, { accountId: b.id, amount: '20000', promisedOn: '2026-08-05' })).createPromise;
    await payNow(t, { accountId: a.id, amount: '5000' });
    // Default promise grace 2: 08-05 + 2 = 08-07 is still pending; decided on 08-08.
    setToday('2026-08-07');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ promisesPartiallyKept: 0, promisesBroken: 0 });
    setToday('2026-08-08');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ promisesKept: 0, promisesPartiallyKept: 1, promisesBroken: 1 });
    const gp = await getPromise(t, partial.id);
    expect([gp.status, gp.paid.minor]).toEqual(['PARTIALLY_KEPT', '5000']);
    const gb = await getPromise(t, broken.id);
    expect([gb.status, gb.paid.minor]).toEqual(['BROKEN', '0']);
    // Decided once: a second run decides nothing.
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ promisesPartiallyKept: 0, promisesBroken: 0 });
  });

  it('a promise on a plan is kept by payments to the plan', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const pr = ok(await createPromiseRaw(t, { planId: plan.id, amount: '34333', promisedOn: '2026-08-30' })).createPromise;
    expect(pr.planId).toBe(plan.id);
    await payNow(t, { planId: plan.id, amount: '30000' });
    expect((await getPromise(t, pr.id)).status).toBe('PENDING');
    // 30000 + 4333 = 34333.
    await payNow(t, { planId: plan.id, amount: '4333' });
    const got = await getPromise(t, pr.id);
    expect([got.status, got.paid.minor]).toEqual(['KEPT', '34333']);
  });
});

describe('settlements', () => {
  it('within the max discount an offer is OFFERED; beyond it waits for approval', async () => {
    const t = await h.tenant();
    const { p, did, a } = await setup(t);
    const b = await standardAccount(t, did, p.id);
    // 80000 of 103000: (23000 × 10000) / 103000 = 2233.0… → rounded up 2234 bps ≤ 3000.
    const o1 = ok(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-08-15' })).createSettlementOffer;
    expect([o1.status, o1.discountBps, o1.balance.minor]).toEqual(['OFFERED', 2234, '103000']);
    // 70000: 33000 × 10000 / 103000 = 3203.8… → 3204 bps > 3000.
    const o2 = ok(await offerRaw(t, { accountIds: [b.id], amount: '70000', expiresOn: '2026-08-15' })).createSettlementOffer;
    expect([o2.status, o2.discountBps]).toEqual(['PENDING_APPROVAL', 3204]);
    expect(o2.violations.map((v: any) => [v.rule, v.limit, v.actual])).toEqual([['maxSettlementDiscountBps', '3000', '3204']]);
    expectError(await settlementAction(t, 'acceptSettlementOffer', o2.id), 'CONFLICT');
    const ap = ok(await settlementAction(t, 'approveSettlementOffer', o2.id)).approveSettlementOffer;
    expect(ap.status).toBe('OFFERED');
    expect(ap.approvedById).toBeTruthy();
    expect(ok(await settlementAction(t, 'acceptSettlementOffer', o2.id)).acceptSettlementOffer.status).toBe('ACCEPTED');
  });

  it('paid in time: SETTLED, account SETTLED with balance 0 by waivers; reversing reopens it', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const statusBefore = (await getAccount(t, a.id)).status;
    const o = ok(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-08-15' })).createSettlementOffer;
    expect(ok(await settlementAction(t, 'acceptSettlementOffer', o.id)).acceptSettlementOffer.status).toBe('ACCEPTED');
    // 80000: fee 1000, interest 2000, principal 77000 → 23000 principal left, waived.
    const r = await payNow(t, { settlementId: o.id, amount: '80000' });
    expect(r.payment.applied.minor).toBe('80000');
    const so = ok(await t.gql(`query($id: ID!) { settlementOffer(id: $id) { status paid { minor } settledAt } }`, { id: o.id })).settlementOffer;
    expect([so.status, so.paid.minor]).toEqual(['SETTLED', '80000']);
    const acc = await getAccount(t, a.id);
    expect(acc.status).toBe('SETTLED');
    expect(balanceOf(acc)).toEqual({ principal: '0', interest: '0', fees: '0', total: '0' });
    const waivers = (await ledgerOf(t, a.id)).filter((e) => e.kind === 'WAIVER');
    expect(waivers.map((e) => [e.component, e.amount.minor])).toEqual([['PRINCIPAL', '-23000']]);
    await expectLedgerConsistent(t);

    ok(await reversePaymentRaw(t, r.payment.id));
    const back = ok(await t.gql(`query($id: ID!) { settlementOffer(id: $id) { status paid { minor } settledAt } }`, { id: o.id })).settlementOffer;
    expect([back.status, back.paid.minor, back.settledAt]).toEqual(['ACCEPTED', '0', null]);
    const accBack = await getAccount(t, a.id);
    expect(balanceOf(accBack)).toEqual({ principal: '100000', interest: '2000', fees: '1000', total: '103000' });
    expect(accBack.status).toBe(statusBefore);
    await expectLedgerConsistent(t);
  });

  it('an offer not paid by expiresOn is EXPIRED by evaluatePlans and the balances stay', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const o = ok(await offerRaw(t, { accountIds: [a.id], amount: '80000', expiresOn: '2026-08-05' })).createSettlementOffer;
    ok(await settlementAction(t, 'acceptSettlementOffer', o.id));
    setToday('2026-08-05');
    expect(ok(await evaluate(t)).evaluatePlans.settlementsExpired).toBe(0);
    setToday('2026-08-06');
    expect(ok(await evaluate(t)).evaluatePlans.settlementsExpired).toBe(1);
    const so = ok(await t.gql(`query($id: ID!) { settlementOffer(id: $id) { status } }`, { id: o.id })).settlementOffer;
    expect(so.status).toBe('EXPIRED');
    expect(balanceOf(await getAccount(t, a.id))).toEqual({ principal: '100000', interest: '2000', fees: '1000', total: '103000' });
    expectError(await payNowRaw(t, { settlementId: o.id, amount: '80000' }), 'CONFLICT', 'input.settlementId');
  });
});

describe('concurrency (PostgreSQL)', () => {
  it.skipIf(engine !== 'postgres')('50 concurrent payments with one idempotency key make one payment (needs real concurrency: PostgreSQL only)', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    const body = { planId: plan.id, amount: '1000', idempotencyKey: idem('race'), receivedAt: now.toISOString() };
    const results = await Promise.all(Array.from({ length: 50 }, () => payRaw(t, body)));
    const ids = results.map((r) => ok(r).recordPayment.payment.id);
    expect(new Set(ids).size).toBe(1);
    expect(results.filter((r) => r.data!.recordPayment.replayed === false)).toHaveLength(1);
    const [row] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from payments where tenant_id = $1`, [t.id]);
    expect(Number(row!.n)).toBe(1);
    expect((await getPlan(t, plan.id)).paid.minor).toBe('1000');
    await expectLedgerConsistent(t);
  });

  it.skipIf(engine !== 'postgres')('50 concurrent payments with different keys on one plan keep every total consistent (PostgreSQL only)', async () => {
    const t = await h.tenant();
    const { a } = await setup(t);
    const plan = await threeMonthly(t, a.id);
    // 50 × 1000 = 50000 applied (< 103000 owed, nothing unapplied).
    const results = await Promise.all(Array.from({ length: 50 }, () => payNowRaw(t, { planId: plan.id, amount: '1000' })));
    for (const r of results) ok(r);
    await expectLedgerConsistent(t);
    const p = await getPlan(t, plan.id);
    const instSum = p.installments.reduce((s: bigint, i: any) => s + BigInt(i.paid.minor), 0n);
    const [row] = await h.db.admin.query<{ applied: string; n: number }>(`select coalesce(sum(applied), 0)::text as applied, count(*)::int as n from payments where tenant_id = $1`, [t.id]);
    expect(Number(row!.n)).toBe(50);
    expect(row!.applied).toBe('50000');
    expect(p.paid.minor).toBe('50000');
    expect(instSum.toString()).toBe('50000');
    // 34333 + 15667 = 50000.
    expect(inst(p)).toEqual([
      [1, 'PAID', '34333'],
      [2, 'OPEN', '15667'],
      [3, 'OPEN', '0'],
    ]);
    // 103000 − 50000 = 53000 owed.
    expect(balanceOf(await getAccount(t, a.id)).total).toBe('53000');
  });
});
