import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { createAccount, createDebtor, createPortfolio, ok } from './accounts-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date('2026-06-15T12:00:00Z') } });
});
afterAll(async () => h?.close());

describe('late fees smoke', () => {
  it('policy, attach, preview, assess, repeat', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t, 'CNY');
    const d = await createDebtor(t);
    const a = await createAccount(t, { debtorId: d, portfolioId: p.id, originalPrincipal: '100000', dueOn: '2026-03-01' });
    const pol = ok(
      await t.gql(`mutation($i: LateFeePolicyInput!) { createLateFeePolicy(input: $i) { id policyId version rules { frequency flat { amount { minor } } percentage { rateBps base } } } }`, {
        i: { name: 'Std', currency: 'CNY', graceDays: 5, frequency: 'MONTHLY', flat: { amount: '5000' }, percentage: { base: 'OVERDUE_PRINCIPAL', rateBps: '100' }, caps: { cumulativeAmount: '20000' } },
      }),
    ).createLateFeePolicy;
    ok(await t.gql(`mutation($p: ID!) { attachLateFeePolicy(policyId: $p, target: {}) { id level } }`, { p: pol.policyId }));
    const eff = ok(await t.gql(`query($a: ID!) { effectiveLateFeePolicy(accountId: $a) { level reason policy { id name } candidates { level policyId } } }`, { a: a.id }));
    console.log(JSON.stringify(eff, null, 1));
    const pv = ok(await t.gql(`query($a: ID!) { previewLateFees(accountId: $a, asOf: "2026-05-15") { skipReason note total { minor } nextAssessmentOn assessments { periodKey assessedOn amount { minor } uncapped { minor } cappedBy explanation { daysPastDue steps { kind description amount { minor } exact } caps { cap limit { minor } binding description } charged { minor } rounding } } } }`, { a: a.id }));
    console.log(JSON.stringify(pv, null, 1));
    const run = ok(await t.gql(`mutation { assessLateFees(asOf: "2026-05-15") { id status examined assessed feesPosted totals { minor currency } skipped { reason count } } }`));
    console.log(JSON.stringify(run));
    const run2 = ok(await t.gql(`mutation { assessLateFees(asOf: "2026-05-15") { id status examined assessed feesPosted totals { minor currency } skipped { reason count } } }`));
    console.log(JSON.stringify(run2));
    const led = ok(await t.gql(`query($a: ID!) { account(id: $a) { balance { fees { minor } } ledger { edges { node { id kind amount { minor } effectiveOn lateFee { periodKey amount { minor } explanation { policyVersion } } } } } lateFeeAssessments { periodKey amount { minor } } } }`, { a: a.id }));
    console.log(JSON.stringify(led, null, 1));
    const fee = led.account.ledger.edges.find((e: any) => e.node.kind === 'FEE').node;
    const w = await t.gql(`mutation($i: WaiveFeeInput!) { waiveLateFee(input: $i) { replayed waiver { amount { minor } approvedBy } account { balance { fees { minor } } } } }`, { i: { feeEntryId: fee.id, amount: '1000', reason: 'goodwill', idempotencyKey: 'waive-0001' } });
    console.log(JSON.stringify(w));
    const runs = ok(await t.gql(`{ lateFeeRuns { edges { node { id status feesPosted } } } jurisdictionFeeCaps { code annualRateBps origin } }`));
    console.log(JSON.stringify(runs));
    expect(run.assessLateFees.feesPosted).toBeGreaterThan(0);
  });
});
