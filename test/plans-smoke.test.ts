import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { balancesVsLedger, createAccount, createDebtor, createPortfolio, getAccount, ok } from './accounts-fixtures.js';
import { evaluate, getPlan, pay, propose, reversePaymentRaw } from './plans-fixtures.js';

const clock = { now: () => new Date('2026-06-15T12:00:00Z') };
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());

describe('plans smoke', () => {
  it('proposes, pays, completes, reverses', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t, 'CNY');
    const did = await createDebtor(t);
    const a = await createAccount(t, { debtorId: did, portfolioId: p.id, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' });
    const plan = await propose(t, { accountIds: [a.id], startOn: '2026-06-15', installmentCount: 3, frequency: 'MONTHLY', downPayment: '10000' });
    expect(plan.status).toBe('ACTIVE');
    expect(plan.installments.map((i: any) => [i.seq, i.dueOn, i.amount.minor])).toEqual([
      [0, '2026-06-15', '10000'],
      [1, '2026-07-15', '31000'],
      [2, '2026-08-15', '31000'],
      [3, '2026-09-15', '31000'],
    ]);
    expect((await getAccount(t, a.id)).status).toBe('IN_PLAN');
    const r1 = await pay(t, { planId: plan.id, amount: '50000' });
    expect(r1.payment.applied.minor).toBe('50000');
    const after1 = await getPlan(t, plan.id);
    expect(after1.installments.map((i: any) => i.status)).toEqual(['PAID', 'PAID', 'OPEN', 'OPEN']);
    const r2 = await pay(t, { accountId: a.id, amount: '60000' });
    expect(r2.payment.unapplied.minor).toBe('7000');
    const done = await getPlan(t, plan.id);
    expect(done.status).toBe('COMPLETED');
    expect((await getAccount(t, a.id)).status).toBe('PAID_OFF');
    const rev = ok(await reversePaymentRaw(t, r2.payment.id)).reversePayment;
    expect(rev.payment.status).toBe('REVERSED');
    const back = await getPlan(t, plan.id);
    expect(back.status).toBe('ACTIVE');
    expect(back.installments.map((i: any) => i.status)).toEqual(['PAID', 'PAID', 'OPEN', 'OPEN']);
    expect((await getAccount(t, a.id)).status).toBe('IN_PLAN');
    expect(ok(await evaluate(t)).evaluatePlans.installmentsMissed).toBe(0);
    for (const row of await balancesVsLedger(h, t.id)) expect([row.p, row.i, row.f]).toEqual([row.lp, row.li, row.lf]);
  });
});
