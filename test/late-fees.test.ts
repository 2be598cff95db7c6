import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTenantJobs } from '../src/jobs/scheduler.js';
import { createLogger } from '../src/shared/logger.js';
import { engine, PLATFORM_TOKEN, startHarness, type Harness, type TestTenant } from './harness.js';
import { balancesVsLedger, createAccount, createDebtor, createPortfolio, expectError, ok, post } from './accounts-fixtures.js';
import {
  assess,
  assessRaw,
  assessmentsOf,
  attach,
  ATTACH,
  CAPS,
  changeStatus,
  createPolicy,
  createPolicyRaw,
  detach,
  effective,
  feeCounts,
  feeLines,
  feesPerAccount,
  ledgerWithFees,
  POLICY,
  policyInput,
  preview,
  previewRaw,
  REVISE_POLICY,
  runs,
  setCap,
  SET_CAP,
  updateDebtorFlags,
  waiveRaw,
} from './late-fees-fixtures.js';

/**
 * Late fees over GraphQL and the real database: policies and their versions, attachment levels and the
 * effective policy, preview against the accrual run, skip reasons, jurisdiction caps, waivers, refused input,
 * and the exactly-once guarantees of runs (repeated, caught up, interrupted, concurrent).
 *
 * The clock is fixed at 2026-06-15T12:00:00Z, so "today" is 2026-06-15 for the (UTC) test tenants. Every
 * expected figure is worked out by hand in the comments; amounts are CNY fen (1/100 CNY) unless said.
 *
 * `any` appears only where GraphQL results are handled: their shape is the query's selection set, which
 * TypeScript cannot see; the assertions check it.
 */

const TODAY = '2026-06-15';
const clock = { now: () => new Date(`${TODAY}T12:00:00Z`) };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());

/** A tenant with one CNY portfolio and one debtor. */
async function setup(): Promise<{ t: TestTenant; pid: string; did: string }> {
  const t = await h.tenant();
  const p = await createPortfolio(t, 'CNY');
  const did = await createDebtor(t);
  return { t, pid: p.id, did };
}

const money = (minor: string, currency = 'CNY') => ({ minor, currency });

/** The fields a preview item and a stored assessment share, for comparing one with the other. */
const comparable = (x: any) => ({ periodKey: x.periodKey, assessedOn: x.assessedOn, amount: x.amount, uncapped: x.uncapped, cappedBy: x.cappedBy, explanation: x.explanation });

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('policies and versions', () => {
  it('creates at version 1; a revision is a new version, the old one unchanged; earlier fees keep version 1; a stale expectedVersion is CONFLICT', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-03-01' });

    const v1 = await createPolicy(t, { name: 'Standard', graceDays: 5, frequency: 'MONTHLY', flat: { amount: '5000' } });
    expect(v1).toMatchObject({
      version: 1,
      rules: {
        currency: 'CNY',
        graceDays: 5,
        frequency: 'MONTHLY',
        minimumOverdue: { minor: '0' },
        freezeWhileInPlan: true,
        jurisdiction: null,
        waiverApprovalThreshold: null,
        flat: { amount: { minor: '5000' }, tiers: null },
        percentage: null,
        dailyInterest: null,
        caps: { perAssessment: null, cumulativeAmount: null, cumulativePercentOfPrincipalBps: null },
      },
    });
    expect(v1.policyId).not.toBe(v1.id);
    await attach(t, v1.policyId, {});

    // Anchor 2026-03-01, grace 5: the first chargeable day is 03-01 + 5 + 1 = 03-07 (6 days past due), then
    // the 7th of each month. As of 04-15: 03-07 and 04-07, 50.00 each under version 1.
    const r1 = await assess(t, '2026-04-15');
    expect(r1).toMatchObject({ status: 'COMPLETED', examined: 1, assessed: 2, feesPosted: 2, totals: [money('10000')] });

    // Revise: 70.00 a month from now on.
    const v2 = ok(await t.gql(REVISE_POLICY, { id: v1.policyId, v: 1, i: policyInput({ name: 'Standard', graceDays: 5, flat: { amount: '7000' } }) })).reviseLateFeePolicy;
    expect(v2).toMatchObject({ policyId: v1.policyId, version: 2, rules: { flat: { amount: { minor: '7000' } } } });
    expect(v2.id).not.toBe(v1.id);

    const pol = ok(await t.gql(POLICY, { id: v1.policyId })).lateFeePolicy;
    expect(pol).toMatchObject({ name: 'Standard', currentVersion: 2, current: { id: v2.id, version: 2 } });
    expect(pol.versions.map((v: any) => v.version)).toEqual([2, 1]);
    // Version 1 is exactly as it was created.
    expect(pol.versions[1]).toEqual(v1);

    // A second revision from the same (now stale) version 1 is refused, and writes no version.
    const stale = expectError(await t.gql(REVISE_POLICY, { id: v1.policyId, v: 1, i: policyInput({ name: 'Standard', flat: { amount: '1' } }) }), 'CONFLICT', 'expectedVersion');
    expect(stale.message).toContain('version 2');
    expect((await feeCounts(h, t.id)).versions).toBe(2);
    // Unknown policy: NOT_FOUND. A duplicate name on create: CONFLICT.
    expectError(await t.gql(REVISE_POLICY, { id: '00000000-0000-7000-8000-000000000001', v: 1, i: policyInput() }), 'NOT_FOUND');
    expectError(await createPolicyRaw(t, { name: 'Standard' }), 'CONFLICT', 'input.name');

    // As of 06-15 the run charges 05-07 and 06-07 under version 2: 70.00 each.
    const r2 = await assess(t, TODAY);
    expect(r2).toMatchObject({ status: 'COMPLETED', examined: 1, assessed: 2, feesPosted: 2, totals: [money('14000')] });

    // Each fee points at the version that produced it, through the ledger and through the account.
    const { entries, balance } = await ledgerWithFees(t, a.id);
    const fees = entries.filter((e) => e.kind === 'FEE');
    expect(fees.map((e) => [e.effectiveOn, e.amount.minor, e.lateFee.policyVersionId, e.lateFee.explanation.policyVersion])).toEqual([
      ['2026-03-07', '5000', v1.id, 1],
      ['2026-04-07', '5000', v1.id, 1],
      ['2026-05-07', '7000', v2.id, 2],
      ['2026-06-07', '7000', v2.id, 2],
    ]);
    expect(fees[0].lateFee.explanation).toMatchObject({ daysPastDue: 6, periodKey: '2026-03-01/m0', policyName: 'Standard', level: 'TENANT' });
    const list = await assessmentsOf(t, a.id);
    expect(list.map((x) => [x.periodKey, x.policyVersionId])).toEqual([
      ['2026-03-01/m3', v2.id],
      ['2026-03-01/m2', v2.id],
      ['2026-03-01/m1', v1.id],
      ['2026-03-01/m0', v1.id],
    ]);
    // 100,000 principal + 5,000 + 5,000 + 7,000 + 7,000 fees.
    expect(balance).toMatchObject({ principal: { minor: '100000' }, fees: { minor: '24000' }, total: { minor: '124000' } });
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('attachments and the effective policy', () => {
  it('the most specific level wins, with a reason and every candidate; detaching falls back level by level', async () => {
    const { t, pid, did } = await setup();
    const q = (await createPortfolio(t, 'CNY')).id;
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, productType: 'LOAN' });
    const b = await createAccount(t, { debtorId: did, portfolioId: q, productType: 'CREDIT_CARD' });
    const idOf = async (name: string): Promise<string> => (await createPolicy(t, { name })).policyId;
    const T = await idOf('T');
    const PT = await idOf('PT');
    const PF = await idOf('PF');
    const PP = await idOf('PP');
    const AC = await idOf('AC');

    // Nothing attached yet.
    const none = await effective(t, a.id);
    expect(none).toMatchObject({ accountId: a.id, level: null, policy: null, version: null });
    expect(none.reason).toMatch(/no late-fee policy is attached/);
    expect(none.candidates).toEqual([
      { level: 'ACCOUNT', policyId: null, target: 'this account' },
      { level: 'PORTFOLIO_PRODUCT', policyId: null, target: `portfolio ${pid}, product type loan` },
      { level: 'PORTFOLIO', policyId: null, target: `portfolio ${pid}` },
      { level: 'PRODUCT_TYPE', policyId: null, target: 'product type loan' },
      { level: 'TENANT', policyId: null, target: 'tenant default' },
    ]);

    // Attach from the least specific level up; each one takes over.
    const steps: [Record<string, unknown>, string, string, string][] = [
      [{}, T, 'TENANT', 'attached to tenant default'],
      [{ productType: 'LOAN' }, PT, 'PRODUCT_TYPE', 'attached to product type loan; more specific than the tenant attachment'],
      [{ portfolioId: pid }, PF, 'PORTFOLIO', `attached to portfolio ${pid}; more specific than the product_type, tenant attachments`],
      [{ portfolioId: pid, productType: 'LOAN' }, PP, 'PORTFOLIO_PRODUCT', `attached to portfolio ${pid}, product type loan; more specific than the portfolio, product_type, tenant attachments`],
      [{ accountId: a.id }, AC, 'ACCOUNT', 'attached to this account; more specific than the portfolio_product, portfolio, product_type, tenant attachments'],
    ];
    for (const [target, policy, level, reason] of steps) {
      const att = await attach(t, policy, target);
      expect(att).toMatchObject({ policyId: policy, level, accountId: target.accountId ?? null, portfolioId: target.portfolioId ?? null, productType: target.productType ?? null });
      const e = await effective(t, a.id);
      expect(e, level).toMatchObject({ level, reason, policy: { id: policy }, version: { version: 1 } });
    }
    const all = await effective(t, a.id);
    expect(all.candidates.map((c: any) => [c.level, c.policyId])).toEqual([
      ['ACCOUNT', AC],
      ['PORTFOLIO_PRODUCT', PP],
      ['PORTFOLIO', PF],
      ['PRODUCT_TYPE', PT],
      ['TENANT', T],
    ]);
    // The other account (portfolio q, credit card) only matches the tenant default.
    expect(await effective(t, b.id)).toMatchObject({ level: 'TENANT', policy: { id: T } });
    // A policy lists where it is attached.
    expect(ok(await t.gql(POLICY, { id: PP })).lateFeePolicy.attachments).toEqual([expect.objectContaining({ level: 'PORTFOLIO_PRODUCT', portfolioId: pid, productType: 'LOAN', accountId: null })]);

    // Detach from the most specific level down: each step falls back to the next attached level.
    const back: [Record<string, unknown>, string | null, string | null][] = [
      [{ accountId: a.id }, 'PORTFOLIO_PRODUCT', PP],
      [{ portfolioId: pid, productType: 'LOAN' }, 'PORTFOLIO', PF],
      [{ portfolioId: pid }, 'PRODUCT_TYPE', PT],
      [{ productType: 'LOAN' }, 'TENANT', T],
      [{}, null, null],
    ];
    for (const [target, level, policy] of back) {
      expect(await detach(t, target)).toBe(true);
      expect(await detach(t, target)).toBe(false); // nothing left there
      const e = await effective(t, a.id);
      expect(e.level).toBe(level);
      expect(e.policy?.id ?? null).toBe(policy);
    }
    expect((await feeCounts(h, t.id)).attachments).toBe(0);
  });

  it('attaching replaces what was there; a policy in another currency cannot go on a portfolio or account of another; bad targets are refused', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid });
    const one = (await createPolicy(t, { name: 'one' })).policyId;
    const two = (await createPolicy(t, { name: 'two' })).policyId;
    const eur = (await createPolicy(t, { name: 'euro', currency: 'EUR' })).policyId;

    await attach(t, one, { portfolioId: pid });
    await attach(t, two, { portfolioId: pid });
    expect(await effective(t, a.id)).toMatchObject({ level: 'PORTFOLIO', policy: { id: two } });
    expect(ok(await t.gql(POLICY, { id: one })).lateFeePolicy.attachments).toEqual([]);
    expect((await feeCounts(h, t.id)).attachments).toBe(1);

    // EUR policy onto the CNY portfolio or account: refused, naming the policy and both currencies.
    const onPortfolio = expectError(await t.gql(ATTACH, { p: eur, t: { portfolioId: pid } }), 'BAD_USER_INPUT', 'policyId');
    expect(onPortfolio.message).toMatch(/EUR.*CNY/);
    const onAccount = expectError(await t.gql(ATTACH, { p: eur, t: { accountId: a.id } }), 'BAD_USER_INPUT', 'policyId');
    expect(onAccount.message).toMatch(/EUR.*CNY/);
    expectError(await t.gql(ATTACH, { p: eur, t: { portfolioId: pid, productType: 'LOAN' } }), 'BAD_USER_INPUT', 'policyId');
    // An account target names the account alone; unknown ids are NOT_FOUND; malformed ones BAD_USER_INPUT.
    expectError(await t.gql(ATTACH, { p: one, t: { accountId: a.id, portfolioId: pid } }), 'BAD_USER_INPUT', 'target.accountId');
    expectError(await t.gql(ATTACH, { p: '00000000-0000-7000-8000-000000000001', t: {} }), 'NOT_FOUND');
    expectError(await t.gql(ATTACH, { p: one, t: { portfolioId: '00000000-0000-7000-8000-000000000001' } }), 'NOT_FOUND');
    expectError(await t.gql(ATTACH, { p: one, t: { accountId: 'nope' } }), 'BAD_USER_INPUT', 'target.accountId');
    // None of that changed anything.
    expect(await effective(t, a.id)).toMatchObject({ level: 'PORTFOLIO', policy: { id: two } });
    expect((await feeCounts(h, t.id)).attachments).toBe(1);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('preview and accrual runs', () => {
  /**
   * Principal 1,000.00 due 2026-02-01; monthly, no grace: 50.00 flat + 1 % of overdue principal (10.00) =
   * 60.00 a month, on the 2nd (02-02, 03-02, 04-02, 05-02, 06-02), with a cumulative cap of 200.00.
   *   m0 02-02 (1 dpd)   60.00                    → 60.00   total 60.00
   *   m1 03-02 (29 dpd)  60.00                    → 120.00
   *   m2 04-02 (60 dpd)  60.00                    → 180.00
   *   m3 05-02 (90 dpd)  60.00, cap leaves 20.00  → 200.00  (CUMULATIVE_AMOUNT binding)
   *   m4 06-02 (121 dpd) 60.00, cap leaves 0      → 200.00  (recorded, no ledger entry)
   */
  it('preview writes nothing and matches what the run then posts, steps and caps included; repeat runs post nothing; a later run catches up once', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn: '2026-02-01' });
    // Not due until July: nothing to charge, and the run does not even look at it.
    const later = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn: '2026-07-01' });
    const v = await createPolicy(t, {
      name: 'Monthly with cap',
      frequency: 'MONTHLY',
      flat: { amount: '5000' },
      percentage: { base: 'OVERDUE_PRINCIPAL', rateBps: '100' },
      caps: { cumulativeAmount: '20000' },
    });
    await attach(t, v.policyId, {});

    const before = { ledger: await ledgerWithFees(t, a.id), counts: await feeCounts(h, t.id) };

    // ── Preview as of 03-15: m0 and m1.
    const p1 = await preview(t, a.id, '2026-03-15');
    expect(p1).toMatchObject({ accountId: a.id, asOf: '2026-03-15', skipReason: null, note: null, total: money('12000'), nextAssessmentOn: '2026-04-02', effectivePolicy: { level: 'TENANT', policy: { id: v.policyId } } });
    expect(p1.assessments.map((x: any) => [x.periodKey, x.assessedOn, x.amount.minor, x.uncapped.minor, x.cappedBy])).toEqual([
      ['2026-02-01/m0', '2026-02-02', '6000', '6000', []],
      ['2026-02-01/m1', '2026-03-02', '6000', '6000', []],
    ]);
    const m0 = p1.assessments[0].explanation;
    expect(m0).toMatchObject({
      policyId: v.policyId,
      policyVersionId: v.id,
      policyVersion: 1,
      policyName: 'Monthly with cap',
      level: 'TENANT',
      periodKey: '2026-02-01/m0',
      periodStart: '2026-02-02',
      periodEnd: '2026-02-02',
      assessedOn: '2026-02-02',
      overdueSince: '2026-02-01',
      daysPastDue: 1,
      uncapped: { minor: '6000' },
      charged: { minor: '6000' },
      note: null,
      rounding: 'each component rounded half-even to 1/100 CNY',
    });
    expect(m0.steps).toEqual([
      { kind: 'FLAT', description: 'flat fee at 1 days past due: 50.00 CNY', base: null, rateBps: null, days: null, tier: null, exact: '5000', amount: { minor: '5000' } },
      { kind: 'PERCENTAGE', description: '1.00 % of overdue principal 1000.00 CNY at 1 days past due', base: { minor: '100000' }, rateBps: '100', days: null, tier: null, exact: '1000', amount: { minor: '1000' } },
    ]);
    // 200.00 cap, nothing charged yet: 200.00 allowed; before m1, 200.00 − 60.00 = 140.00.
    expect(m0.caps).toEqual([{ cap: 'CUMULATIVE_AMOUNT', limit: { minor: '20000' }, binding: false, description: 'policy cumulative cap 200.00 CNY less 0.00 CNY already charged: at most 200.00 CNY now' }]);
    expect(p1.assessments[1].explanation.caps[0]).toMatchObject({ limit: { minor: '14000' }, binding: false });
    expect(p1.assessments[1].explanation.daysPastDue).toBe(29);

    // The preview wrote nothing.
    expect(await ledgerWithFees(t, a.id)).toEqual(before.ledger);
    expect(await feeCounts(h, t.id)).toEqual(before.counts);

    // ── Run as of 03-15: posts exactly what the preview showed.
    const r1 = await assess(t, '2026-03-15');
    expect(r1).toMatchObject({ asOf: '2026-03-15', status: 'COMPLETED', trigger: 'api', examined: 1, assessed: 2, feesPosted: 2, totals: [money('12000')], skipped: [], error: null });
    expect(r1.finishedAt).not.toBeNull();
    const stored1 = (await assessmentsOf(t, a.id)).reverse();
    expect(stored1.map(comparable)).toEqual(p1.assessments.map(comparable));
    expect(stored1.every((s: any) => s.runId === r1.id && s.policyVersionId === v.id && s.accountId === a.id)).toBe(true);

    // ── Preview as of today: m2, m3 (capped to 20.00), m4 (capped to 0).
    const p2 = await preview(t, a.id, TODAY);
    expect(p2).toMatchObject({ skipReason: null, total: money('8000'), nextAssessmentOn: '2026-07-02' });
    expect(p2.assessments.map((x: any) => [x.periodKey, x.assessedOn, x.explanation.daysPastDue, x.uncapped.minor, x.amount.minor, x.cappedBy])).toEqual([
      ['2026-02-01/m2', '2026-04-02', 60, '6000', '6000', []],
      ['2026-02-01/m3', '2026-05-02', 90, '6000', '2000', ['CUMULATIVE_AMOUNT']],
      ['2026-02-01/m4', '2026-06-02', 121, '6000', '0', ['CUMULATIVE_AMOUNT']],
    ]);
    const m3 = p2.assessments[1].explanation;
    expect(m3.caps).toEqual([{ cap: 'CUMULATIVE_AMOUNT', limit: { minor: '2000' }, binding: true, description: 'policy cumulative cap 200.00 CNY less 180.00 CNY already charged: at most 20.00 CNY now' }]);
    expect(m3).toMatchObject({ uncapped: { minor: '6000' }, charged: { minor: '2000' } });
    expect(p2.assessments[2].explanation.caps).toEqual([expect.objectContaining({ limit: { minor: '0' }, binding: true })]);

    // ── Run as of today: catches up m2..m4 once; m4 is recorded at zero with no ledger entry.
    const r2 = await assess(t, TODAY);
    expect(r2).toMatchObject({ status: 'COMPLETED', examined: 1, assessed: 3, feesPosted: 2, totals: [money('8000')], skipped: [] });
    const stored = await assessmentsOf(t, a.id); // newest first
    expect(stored.slice(0, 3).reverse().map(comparable)).toEqual(p2.assessments.map(comparable));
    expect(stored[0]).toMatchObject({ periodKey: '2026-02-01/m4', amount: money('0'), ledgerEntryId: null, runId: r2.id });

    // Fee entries: kind FEE on the fee component, effective on the assessment day, each linked to its assessment.
    const { entries, balance } = await ledgerWithFees(t, a.id);
    const fees = entries.filter((e) => e.kind === 'FEE');
    expect(fees.map((e) => [e.component, e.effectiveOn, e.amount.minor, e.lateFee.periodKey])).toEqual([
      ['FEE', '2026-02-02', '6000', '2026-02-01/m0'],
      ['FEE', '2026-03-02', '6000', '2026-02-01/m1'],
      ['FEE', '2026-04-02', '6000', '2026-02-01/m2'],
      ['FEE', '2026-05-02', '2000', '2026-02-01/m3'],
    ]);
    for (const f of fees) expect(f.lateFee.ledgerEntryId).toBe(f.id);
    expect(entries.filter((e) => e.kind === 'PRINCIPAL').map((e) => e.lateFee)).toEqual([null]);
    // 1,000.00 + 200.00 fees = 1,200.00; the materialised balances equal the ledger sums.
    expect(balance).toMatchObject({ principal: { minor: '100000' }, fees: { minor: '20000' }, total: { minor: '120000' } });
    for (const r of await balancesVsLedger(h, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);

    // ── The same run again: looks at nothing, posts nothing. The preview has nothing left either.
    const r3 = await assess(t, TODAY);
    expect(r3).toMatchObject({ status: 'COMPLETED', examined: 0, assessed: 0, feesPosted: 0, totals: [], skipped: [] });
    expect(await preview(t, a.id, TODAY)).toMatchObject({ assessments: [], total: money('0'), skipReason: null, note: 'no new period is due by 2026-06-15', nextAssessmentOn: '2026-07-02' });
    expect((await feeLines(t, a.id)).length).toBe(4);

    // The July account: nothing past due today; a preview may look ahead (within the horizon) without writing.
    expect(await preview(t, later.id, TODAY)).toMatchObject({ assessments: [], note: 'nothing is past due on 2026-06-15' });
    const ahead = await preview(t, later.id, '2026-08-15');
    // 07-02 and 08-02, 60.00 each.
    expect(ahead.assessments.map((x: any) => [x.assessedOn, x.amount.minor])).toEqual([
      ['2026-07-02', '6000'],
      ['2026-08-02', '6000'],
    ]);
    expect(await feeLines(t, later.id)).toEqual([]);

    // Runs, newest first, with their counts and totals.
    const list = await runs(t);
    expect(list.map((r) => [r.id, r.asOf, r.status, r.examined, r.assessed, r.feesPosted, r.totals])).toEqual([
      [r3.id, TODAY, 'COMPLETED', 0, 0, 0, []],
      [r2.id, TODAY, 'COMPLETED', 1, 3, 2, [money('8000')]],
      [r1.id, '2026-03-15', 'COMPLETED', 1, 2, 2, [money('12000')]],
    ]);
  });

  /**
   * Principal 1,000.00 due 03-01; monthly 50.00, no grace: fees fall on 03-02, 04-02, 05-02, 06-02.
   * On 03-20 the debtor pays 1,000.00. Balances take it fees first (the 50.00 fee), then 950.00 principal:
   * 50.00 principal is left, and it has been overdue since 03-01. The schedule should go on as before
   * (04-02, 05-02, 06-02: four fees in all, each counted from 03-01) — not restart from the date of the fee,
   * which is paid, and charge a second fee on 03-03.
   */
  it('a payment does not move the schedule onto the date of a paid fee (no second fee for March)', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-03-01' });
    const v = await createPolicy(t, { frequency: 'MONTHLY', flat: { amount: '5000' } });
    await attach(t, v.policyId, {});
    expect(await assess(t, '2026-03-10')).toMatchObject({ feesPosted: 1, totals: [money('5000')] });
    const pay = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '100000', effectiveOn: '2026-03-20' });
    expect(pay.account.balance).toMatchObject({ principal: { minor: '5000' }, fees: { minor: '0' } });
    await assess(t, TODAY);
    expect(await feeLines(t, a.id)).toEqual([
      ['2026-03-02', '5000'],
      ['2026-04-02', '5000'],
      ['2026-05-02', '5000'],
      ['2026-06-02', '5000'],
    ]);
    const last = (await assessmentsOf(t, a.id))[0];
    expect(last.explanation).toMatchObject({ overdueSince: '2026-03-01', daysPastDue: 93 });
  });

  /**
   * Daily penalty interest: 36,500.00 principal at 36.5 % a year, ACT/365 = 36.50 a day
   * (3,650,000 × 3,650 / (10,000 × 365) = 3,650 fen). Due 03-01, no grace: accrues from 03-02.
   *   2026-03: 03-02..03-31, 30 days → 1,095.00, posted 03-31
   *   2026-04: 04-01..04-30, 30 days → 1,095.00, posted 04-30
   *   2026-05: 05-01..05-31, 31 days → 1,131.50, posted 05-31
   */
  it('DAILY_ACCRUAL_POSTED_MONTHLY posts each calendar month at its end', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '3650000', dueOn: '2026-03-01' });
    const v = await createPolicy(t, { frequency: 'DAILY_ACCRUAL_POSTED_MONTHLY', flat: null, dailyInterest: { annualRateBps: '3650', dayCount: 'ACT_365' } });
    await attach(t, v.policyId, {});
    const p = await preview(t, a.id, TODAY);
    expect(p.assessments.map((x: any) => [x.periodKey, x.explanation.periodStart, x.explanation.periodEnd, x.assessedOn, x.amount.minor])).toEqual([
      ['2026-03-01/2026-03', '2026-03-02', '2026-03-31', '2026-03-31', '109500'],
      ['2026-03-01/2026-04', '2026-04-01', '2026-04-30', '2026-04-30', '109500'],
      ['2026-03-01/2026-05', '2026-05-01', '2026-05-31', '2026-05-31', '113150'],
    ]);
    expect(p.nextAssessmentOn).toBe('2026-06-30');
    expect(p.assessments[2].explanation.steps).toEqual([
      {
        kind: 'DAILY_INTEREST',
        description: '2026-05-01…2026-05-31: 36500.00 CNY overdue principal × 36.50 % a year × 31/365 (ACT/365)',
        base: { minor: '3650000' },
        rateBps: '3650',
        days: 31,
        tier: null,
        exact: '113150',
        amount: { minor: '113150' },
      },
    ]);
    const r = await assess(t, TODAY);
    expect(r).toMatchObject({ examined: 1, assessed: 3, feesPosted: 3, totals: [money('332150')] });
    expect(await feeLines(t, a.id)).toEqual([
      ['2026-03-31', '109500'],
      ['2026-04-30', '109500'],
      ['2026-05-31', '113150'],
    ]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('skip reasons', () => {
  /**
   * Every account is due 2026-05-01 with 1,000.00 principal unless said; ONCE_PER_DUE_DATE, no grace: one
   * assessment on 05-02.
   *   "Std"      flat 10.00, minimum overdue 50.00; on portfolio P and on product type UTILITY
   *   "NoFreeze" flat 15.00, freezeWhileInPlan false; on portfolio Q2
   *   "Zero"     flat 10.00, per-assessment cap 0; on account `capped`
   * P: ok (charged 10.00), disputed, inPlan, bankrupt, deceased, below (30.00 principal < 50.00), capped
   * E (EUR): eur, a UTILITY account → Std by product type, but Std charges CNY → currency mismatch
   * Q: nopol → no policy at any level.  Q2: planFree, in plan but NoFreeze charges it 15.00.
   */
  it('a run skips and counts disputed, frozen-in-plan, bankrupt, deceased, currency mismatch, below minimum, capped to zero and no policy', async () => {
    const t = await h.tenant();
    const P = (await createPortfolio(t, 'CNY')).id;
    const E = (await createPortfolio(t, 'EUR')).id;
    const Q = (await createPortfolio(t, 'CNY')).id;
    const Q2 = (await createPortfolio(t, 'CNY')).id;
    const d = await createDebtor(t, '正常');
    const dBankrupt = await createDebtor(t, '破产');
    const dDeceased = await createDebtor(t, '已故');
    const acc = (debtorId: string, portfolioId: string, extra: Record<string, string> = {}) =>
      createAccount(t, { debtorId, portfolioId, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn: '2026-05-01', ...extra });
    const A = {
      ok: await acc(d, P),
      disputed: await acc(d, P),
      inPlan: await acc(d, P),
      bankrupt: await acc(dBankrupt, P),
      deceased: await acc(dDeceased, P),
      below: await acc(d, P, { originalPrincipal: '3000' }),
      capped: await acc(d, P),
      eur: await acc(d, E, { currency: 'EUR', productType: 'UTILITY' }),
      nopol: await acc(d, Q),
      planFree: await acc(d, Q2),
    };
    const std = await createPolicy(t, { name: 'Std', frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '1000' }, minimumOverdue: '5000' });
    const noFreeze = await createPolicy(t, { name: 'NoFreeze', frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '1500' }, freezeWhileInPlan: false });
    const zero = await createPolicy(t, { name: 'Zero', frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '1000' }, caps: { perAssessment: '0' } });
    await attach(t, std.policyId, { portfolioId: P });
    await attach(t, std.policyId, { productType: 'UTILITY' });
    await attach(t, noFreeze.policyId, { portfolioId: Q2 });
    await attach(t, zero.policyId, { accountId: A.capped.id });
    const dispute = ok(await t.gql(`mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id } }`, { i: { accountId: A.disputed.id, reason: 'NOT_MY_DEBT' } })).openDispute;
    await changeStatus(t, A.inPlan.id, 'IN_PLAN');
    await changeStatus(t, A.planFree.id, 'IN_PLAN');
    expect((await updateDebtorFlags(t, dBankrupt, { bankrupt: true })).flags).toEqual({ bankrupt: true, deceased: false });
    expect((await updateDebtorFlags(t, dDeceased, { deceased: true })).flags).toEqual({ bankrupt: false, deceased: true });

    // The preview names the same reason the run will count.
    const expected: [keyof typeof A, string | null, RegExp | null][] = [
      ['ok', null, null],
      ['disputed', 'DISPUTED', /disputed/],
      ['inPlan', 'FROZEN_IN_PLAN', /repayment plan/],
      ['bankrupt', 'DEBTOR_BANKRUPT', /bankrupt/],
      ['deceased', 'DEBTOR_DECEASED', /deceased/],
      ['below', 'BELOW_MINIMUM', /below the policy minimum/],
      ['capped', 'CAPPED_TO_ZERO', /caps leave nothing/],
      ['eur', 'CURRENCY_MISMATCH', /currency/],
      ['nopol', 'NO_POLICY', /no late-fee policy/],
      ['planFree', null, null],
    ];
    for (const [name, reason, note] of expected) {
      const p = await preview(t, A[name].id, TODAY);
      expect(p.skipReason, name).toBe(reason);
      if (note) expect(p.note, name).toMatch(note);
    }
    // The below-minimum assessment says why it is zero: 30.00 < 50.00.
    const below = await preview(t, A.below.id, TODAY);
    expect(below.assessments).toEqual([expect.objectContaining({ amount: money('0'), uncapped: { minor: '0' } })]);
    expect(below.assessments[0].explanation.note).toBe('overdue principal + interest 30.00 CNY is below the policy minimum 50.00 CNY');

    // Examined: all ten. Assessed: ok, planFree (charged); below and capped (recorded at zero); disputed, inPlan,
    // bankrupt and deceased (recorded at zero with the reason: the period is used up). Posted: 10.00 + 15.00.
    const r = await assess(t, '2026-06-14');
    expect(r).toMatchObject({ status: 'COMPLETED', examined: 10, assessed: 8, feesPosted: 2, totals: [money('2500')] });
    expect(r.skipped).toEqual([
      { reason: 'BELOW_MINIMUM', count: 1 },
      { reason: 'CAPPED_TO_ZERO', count: 1 },
      { reason: 'CURRENCY_MISMATCH', count: 1 },
      { reason: 'DEBTOR_BANKRUPT', count: 1 },
      { reason: 'DEBTOR_DECEASED', count: 1 },
      { reason: 'DISPUTED', count: 1 },
      { reason: 'FROZEN_IN_PLAN', count: 1 },
      { reason: 'NO_POLICY', count: 1 },
    ]);
    // lateFeeRuns reports the same counts.
    expect((await runs(t))[0]).toMatchObject({ id: r.id, examined: 10, assessed: 8, feesPosted: 2, skipped: r.skipped });
    const fees = await feesPerAccount(h, t.id);
    const feeCount = (name: keyof typeof A) => fees.get(A[name].id)!.fees;
    expect(Object.fromEntries(Object.keys(A).map((k) => [k, feeCount(k as keyof typeof A)]))).toEqual({
      ok: 1,
      disputed: 0,
      inPlan: 0,
      bankrupt: 0,
      deceased: 0,
      below: 0,
      capped: 0,
      eur: 0,
      nopol: 0,
      planFree: 1,
    });
    expect(await feeLines(t, A.planFree.id)).toEqual([['2026-05-02', '1500']]);

    // The held periods say why they were not charged.
    const held = (await assessmentsOf(t, A.disputed.id))[0];
    expect(held).toMatchObject({ periodKey: '2026-05-01/due', amount: money('0'), ledgerEntryId: null });
    expect(held.explanation.note).toBe('not charged: the account was disputed when this period fell due');

    // The dispute is resolved and the bankruptcy flag lifted: the fee for the 05-01 due date that fell due while
    // they held is not charged after the fact, so today's run has nothing to do.
    ok(await t.gql(`mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { status } }`, { i: { id: dispute.id, outcome: 'REJECTED', notes: 'debt verified' } }));
    expect(ok(await t.gql(`query($id: ID!) { account(id: $id) { status } }`, { id: A.disputed.id })).account.status).toBe('DELINQUENT');
    await updateDebtorFlags(t, dBankrupt, { bankrupt: false });
    expect(await assess(t, TODAY)).toMatchObject({ examined: 0, assessed: 0, feesPosted: 0, skipped: [] });
    const after = await feesPerAccount(h, t.id);
    expect([after.get(A.disputed.id)!.fees, after.get(A.bankrupt.id)!.fees]).toEqual([0, 0]);
    expect((await preview(t, A.disputed.id, TODAY)).assessments).toEqual([]);
    for (const r of await balancesVsLedger(h, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('jurisdiction caps', () => {
  /**
   * Principal 36,500.00 due 03-01 at 36.5 % a year daily (36.50 a day, see the daily-accrual test), held to
   * China's preset 12 % a year: the legal allowance at a posting day is principal × 12 % × days since the due
   * date / 365 = 3,650,000 × 1,200 × days / 3,650,000 = 12.00 × days, less what was already charged.
   *   03-31 (30 days): uncapped 1,095.00, allowance 360.00             → 360.00
   *   04-30 (60 days): uncapped 1,095.00, allowance 720.00 − 360.00    → 360.00  (total 720.00 = 12 % × 60/365)
   *   05-31 (91 days): uncapped 1,131.50, allowance 1,092.00 − 720.00  → 372.00 under the preset;
   *                    with the tenant's own 18 %: 18.00 × 91 = 1,638.00 − 720.00 → 918.00
   */
  it('a CN policy is held to the 12 % a year legal cap; a tenant cap replaces the preset and changes the next run', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '3650000', dueOn: '2026-03-01' });
    const v = await createPolicy(t, { frequency: 'DAILY_ACCRUAL_POSTED_MONTHLY', flat: null, dailyInterest: { annualRateBps: '3650', dayCount: 'ACT_365' }, jurisdiction: 'cn' });
    expect(v.rules.jurisdiction).toBe('CN');
    await attach(t, v.policyId, {});

    const p1 = await preview(t, a.id, '2026-04-30');
    expect(p1.assessments.map((x: any) => [x.assessedOn, x.uncapped.minor, x.amount.minor, x.cappedBy])).toEqual([
      ['2026-03-31', '109500', '36000', ['LEGAL_ANNUAL_RATE']],
      ['2026-04-30', '109500', '36000', ['LEGAL_ANNUAL_RATE']],
    ]);
    const cap = p1.assessments[0].explanation.caps;
    expect(cap).toEqual([expect.objectContaining({ cap: 'LEGAL_ANNUAL_RATE', limit: { minor: '36000' }, binding: true })]);
    expect(cap[0].description).toContain('12.00 % a year on 36500.00 CNY overdue principal for 30 days since 2026-03-01 = 360.00 CNY');
    const r1 = await assess(t, '2026-04-30');
    expect(r1).toMatchObject({ assessed: 2, feesPosted: 2, totals: [money('72000')] });

    // Under the preset, May would be 372.00.
    const underPreset = await preview(t, a.id, TODAY);
    expect(underPreset.assessments.map((x: any) => [x.assessedOn, x.uncapped.minor, x.amount.minor])).toEqual([['2026-05-31', '113150', '37200']]);

    // The tenant's own CN ceiling: 18 %.
    const mine = await setCap(t, { code: 'CN', name: 'CN per our counsel', annualRateBps: '1800', source: 'Legal memo 2026-06' });
    expect(mine).toEqual({ code: 'CN', name: 'CN per our counsel', annualRateBps: '1800', maxFirstAssessment: null, maxLaterAssessment: null, source: 'Legal memo 2026-06', origin: 'tenant' });
    const caps = ok(await t.gql(CAPS)).jurisdictionFeeCaps;
    expect(caps.map((c: any) => [c.code, c.origin, c.annualRateBps])).toEqual([
      ['CN', 'tenant', '1800'],
      ['GB', 'preset', '1200'],
      ['US', 'preset', null],
    ]);
    const p2 = await preview(t, a.id, TODAY);
    expect(p2.assessments.map((x: any) => [x.assessedOn, x.uncapped.minor, x.amount.minor, x.cappedBy])).toEqual([['2026-05-31', '113150', '91800', ['LEGAL_ANNUAL_RATE']]]);
    expect(p2.assessments[0].explanation.caps[0].description).toContain('18.00 % a year on 36500.00 CNY overdue principal for 91 days since 2026-03-01 = 1638.00 CNY, less 720.00 CNY already charged');
    const r2 = await assess(t, TODAY);
    expect(r2).toMatchObject({ examined: 1, assessed: 1, feesPosted: 1, totals: [money('91800')] });
    expect(await feeLines(t, a.id)).toEqual([
      ['2026-03-31', '36000'],
      ['2026-04-30', '36000'],
      ['2026-05-31', '91800'],
    ]);
    // Another tenant still sees the preset.
    const other = await h.tenant();
    expect(ok(await other.gql(CAPS)).jurisdictionFeeCaps.find((c: any) => c.code === 'CN')).toMatchObject({ origin: 'preset', annualRateBps: '1200' });
  });

  /** US preset: USD card late fees at most 30.00 for the first and 41.00 for a later one. A 50.00 monthly fee: 30.00, then 41.00. */
  it('the US per-assessment preset caps a USD policy: first fee 30.00, later ones 41.00', async () => {
    const t = await h.tenant();
    const usd = (await createPortfolio(t, 'USD')).id;
    const d = await createDebtor(t, 'John Doe');
    const a = await createAccount(t, { debtorId: d, portfolioId: usd, currency: 'USD', productType: 'CREDIT_CARD', originalPrincipal: '100000', dueOn: '2026-05-01' });
    const v = await createPolicy(t, { currency: 'USD', frequency: 'MONTHLY', flat: { amount: '5000' }, jurisdiction: 'US' });
    await attach(t, v.policyId, { portfolioId: usd });
    const r = await assess(t, TODAY);
    // 05-02 and 06-02.
    expect(r).toMatchObject({ assessed: 2, feesPosted: 2, totals: [money('7100', 'USD')] });
    const list = (await assessmentsOf(t, a.id)).reverse();
    expect(list.map((x: any) => [x.assessedOn, x.uncapped.minor, x.amount.minor, x.cappedBy])).toEqual([
      ['2026-05-02', '5000', '3000', ['JURISDICTION_PER_ASSESSMENT']],
      ['2026-06-02', '5000', '4100', ['JURISDICTION_PER_ASSESSMENT']],
    ]);
  });

  /**
   * The US preset has no annual rate, only per-assessment maxima in USD: for a EUR policy the engine can apply
   * none of it, so "never exceed the US cap" would be an empty promise. Refused, naming input.jurisdiction.
   */
  it('a jurisdiction whose cap cannot apply in the policy currency is refused (it would cap nothing)', async () => {
    const t = await h.tenant();
    expectError(await createPolicyRaw(t, { name: 'eur under US', currency: 'EUR', jurisdiction: 'US' }), 'BAD_USER_INPUT', 'input.jurisdiction');
    expect((await feeCounts(h, t.id)).policies).toBe(0);
  });

  it('an unknown jurisdiction code is refused naming input.jurisdiction, until the tenant records a cap for it', async () => {
    const t = await h.tenant();
    const unknown = expectError(await createPolicyRaw(t, { jurisdiction: 'ZZ' }), 'BAD_USER_INPUT', 'input.jurisdiction');
    expect(unknown.message).toMatch(/CN, GB, US/);
    expectError(await createPolicyRaw(t, { jurisdiction: 'China' }), 'BAD_USER_INPUT', 'input.jurisdiction');
    const v = await createPolicy(t, { name: 'plain' });
    expectError(await t.gql(REVISE_POLICY, { id: v.policyId, v: 1, i: policyInput({ name: 'plain', jurisdiction: 'ZZ' }) }), 'BAD_USER_INPUT', 'input.jurisdiction');
    expect(await feeCounts(h, t.id)).toMatchObject({ policies: 1, versions: 1 });

    // Cap input is checked too.
    expectError(await t.gql(SET_CAP, { i: { code: 'ZZ', name: 'Z', annualRateBps: '-1', source: 's' } }), 'BAD_USER_INPUT', 'input.annualRateBps');
    expectError(await t.gql(SET_CAP, { i: { code: 'ZZ', name: 'Z', annualRateBps: '0.5', source: 's' } }), 'BAD_USER_INPUT', 'input.annualRateBps');
    expectError(await t.gql(SET_CAP, { i: { code: 'ZZ', name: 'Z', maxFirstAssessment: '-1', currency: 'EUR', source: 's' } }), 'BAD_USER_INPUT', 'input.maxFirstAssessment');
    expect((await feeCounts(h, t.id)).caps).toBe(0);

    await setCap(t, { code: 'ZZ', name: 'Zedland', annualRateBps: '500', source: 'Zedland Act 2026' });
    expect((await createPolicy(t, { name: 'zed', jurisdiction: 'zz' })).rules.jurisdiction).toBe('ZZ');
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('waivers', () => {
  /**
   * One fee of 60.00 (ONCE_PER_DUE_DATE, due 05-01, charged 05-02); waivers above 30.00 need the admin scope.
   * Waive 20.00 (writer), then the remaining 40.00 (admin only), then a hand-posted 50.00 fee: 30.00 by the
   * writer (= the threshold, not above it). Fees left: 60.00 + 50.00 − 20.00 − 40.00 − 30.00 = 20.00.
   */
  it('partial then the rest; above the unwaived amount, non-fee entries and over-threshold writers are refused; replays are idempotent', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-05-01' });
    const v = await createPolicy(t, { frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '6000' }, waiverApprovalThreshold: '3000' });
    expect(v.rules.waiverApprovalThreshold).toEqual({ minor: '3000' });
    await attach(t, v.policyId, {});
    await assess(t, TODAY);
    const { entries } = await ledgerWithFees(t, a.id);
    const fee = entries.find((e) => e.kind === 'FEE')!;
    const principal = entries.find((e) => e.kind === 'PRINCIPAL')!;
    expect([fee.effectiveOn, fee.amount.minor]).toEqual(['2026-05-02', '6000']);

    const writer = await t.keyWith(['read', 'write']);
    const W: TestTenant = { ...t, key: writer.key, gql: (q, vars) => h.gql(writer.key, q, vars) };
    const adminId = ok(await t.gql(`{ viewer { actorId } }`)).viewer.actorId;
    const writerId = ok(await W.gql(`{ viewer { actorId } }`)).viewer.actorId;

    // 20.00 by the writer: under the threshold.
    const w1 = ok(await waiveRaw(W, { feeEntryId: fee.id, amount: '2000', reason: 'first contact', idempotencyKey: 'waive-part-1' })).waiveLateFee;
    expect(w1).toMatchObject({
      replayed: false,
      waiver: { feeEntryId: fee.id, amount: money('2000'), reason: 'first contact', actorId: writerId, approvedBy: null },
      account: { balance: { fees: { minor: '4000' } } },
    });
    expect(w1.entries).toEqual([{ id: w1.waiver.ledgerEntryId, kind: 'WAIVER', component: 'FEE', amount: { minor: '-2000' }, effectiveOn: TODAY, memo: `waiver of fee ${fee.id}: first contact` }]);

    // More than the 40.00 left: refused, naming the amount.
    const over = expectError(await waiveRaw(W, { feeEntryId: fee.id, amount: '4001' }), 'BAD_USER_INPUT', 'input.amount');
    expect(over.message).toContain('4000');
    // Not a fee entry.
    expectError(await waiveRaw(W, { feeEntryId: principal.id, amount: '100' }), 'BAD_USER_INPUT', 'input.feeEntryId');
    // The rest (40.00) is above 30.00: the writer is refused, and nothing is written.
    const before = await feeCounts(h, t.id);
    const forbidden = expectError(await waiveRaw(W, { feeEntryId: fee.id, reason: 'hardship', idempotencyKey: 'waive-rest-1' }), 'FORBIDDEN');
    expect(forbidden.ext.threshold).toBe('3000');
    expect(await feeCounts(h, t.id)).toEqual(before);

    // The admin may: approvedBy is the admin. The refused request did not burn its idempotency key.
    const w2 = ok(await waiveRaw(t, { feeEntryId: fee.id, reason: 'hardship', idempotencyKey: 'waive-rest-1' })).waiveLateFee;
    expect(w2).toMatchObject({ replayed: false, waiver: { amount: money('4000'), actorId: adminId, approvedBy: adminId }, account: { balance: { fees: { minor: '0' } } } });
    // The same request again: the same waiver, replayed, nothing new.
    const again = ok(await waiveRaw(t, { feeEntryId: fee.id, reason: 'hardship', idempotencyKey: 'waive-rest-1' })).waiveLateFee;
    expect(again).toMatchObject({ replayed: true, waiver: { id: w2.waiver.id, amount: money('4000') }, entries: w2.entries });
    const replay1 = ok(await waiveRaw(W, { feeEntryId: fee.id, amount: '2000', reason: 'first contact', idempotencyKey: 'waive-part-1' })).waiveLateFee;
    expect(replay1).toMatchObject({ replayed: true, waiver: { id: w1.waiver.id } });
    // The key with a different request is a conflict; a fresh waiver of a fully waived fee too.
    expectError(await waiveRaw(t, { feeEntryId: fee.id, amount: '1', reason: 'hardship', idempotencyKey: 'waive-rest-1' }), 'CONFLICT', 'input.idempotencyKey');
    expectError(await waiveRaw(t, { feeEntryId: fee.id }), 'CONFLICT', 'input.feeEntryId');
    expect((await feeCounts(h, t.id)).waivers).toBe(2);

    // A fee posted by hand takes its threshold from the account's effective policy: 50.00 is above 30.00,
    // 30.00 is not.
    const manual = (await post(t, { accountId: a.id, kind: 'FEE', amount: '5000', effectiveOn: '2026-06-01' })).entries[0];
    expectError(await waiveRaw(W, { feeEntryId: manual.id }), 'FORBIDDEN');
    expect(ok(await waiveRaw(W, { feeEntryId: manual.id, amount: '3000' })).waiveLateFee).toMatchObject({ waiver: { approvedBy: null }, account: { balance: { fees: { minor: '2000' } } } });

    // The ledger and the balances agree: fees 6,000 + 5,000 − 2,000 − 4,000 − 3,000 = 2,000.
    const after = await ledgerWithFees(t, a.id);
    expect(after.entries.filter((e) => e.component === 'FEE').map((e) => [e.kind, e.amount.minor])).toEqual([
      ['FEE', '6000'],
      ['WAIVER', '-2000'],
      ['WAIVER', '-4000'],
      ['FEE', '5000'],
      ['WAIVER', '-3000'],
    ]);
    expect(after.balance).toMatchObject({ fees: { minor: '2000' }, principal: { minor: '100000' } });
    for (const r of await balancesVsLedger(h, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
    const [w] = await h.db.admin.query<{ n: number; s: string }>(`select count(*)::int as n, sum(amount)::text as s from fee_waivers where tenant_id = $1`, [t.id]);
    expect([Number(w!.n), w!.s]).toEqual([3, '9000']);
  });

  /** Threshold 30.00 on a 60.00 fee: two waivers of 30.00 by a writer add up to 60.00, above the threshold. */
  it('waivers split into pieces under the threshold still need the admin once, together, they pass it', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-05-01' });
    const v = await createPolicy(t, { frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '6000' }, waiverApprovalThreshold: '3000' });
    await attach(t, v.policyId, {});
    await assess(t, TODAY);
    const fee = (await ledgerWithFees(t, a.id)).entries.find((e) => e.kind === 'FEE')!;
    const writer = await t.keyWith(['read', 'write']);
    const W: TestTenant = { ...t, key: writer.key, gql: (q, vars) => h.gql(writer.key, q, vars) };
    // 30.00 is not above 30.00: allowed.
    ok(await waiveRaw(W, { feeEntryId: fee.id, amount: '3000' }));
    // Another 30.00 on the same fee makes 60.00 waived without approval: needs the admin.
    expectError(await waiveRaw(W, { feeEntryId: fee.id, amount: '3000' }), 'FORBIDDEN');
    expect((await feeCounts(h, t.id)).waivers).toBe(1);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('bad input', () => {
  it('names the field of each problem, and a refused call writes nothing', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, dueOn: '2026-05-01' });
    const v = await createPolicy(t, { name: 'kept' });
    const counts = await feeCounts(h, t.id);
    const [audit0] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from audit_events where tenant_id = $1`, [t.id]);

    const cases: [Record<string, unknown>, string, RegExp | null][] = [
      [{ percentage: { base: 'OVERDUE_PRINCIPAL', rateBps: '-5' } }, 'input.percentage.rateBps', /negative/],
      [{ frequency: 'DAILY_ACCRUAL_POSTED_MONTHLY', flat: null, dailyInterest: { annualRateBps: '3650001', dayCount: 'ACT_365' } }, 'input.dailyInterest.annualRateBps', /3650000/],
      [
        {
          flat: {
            tiers: [
              { fromDay: 1, toDay: 30, amount: '1000' },
              { fromDay: 20, amount: '2000' },
            ],
          },
        },
        'input.flat.tiers.1.fromDay',
        /overlap/,
      ],
      [{ graceDays: -1 }, 'input.graceDays', null],
      [{ caps: { perAssessment: '-1' } }, 'input.caps.perAssessment', /negative/],
      [{ caps: { cumulativeAmount: '-100' } }, 'input.caps.cumulativeAmount', /negative/],
      [{ caps: { cumulativePercentOfPrincipalBps: '-1' } }, 'input.caps.cumulativePercentOfPrincipalBps', /negative/],
      [{ percentage: { base: 'OVERDUE_PRINCIPAL', rateBps: '0.1' } }, 'input.percentage.rateBps', /basis points/],
      [{ percentage: { base: 'OVERDUE_PRINCIPAL', rateBps: '10%' } }, 'input.percentage.rateBps', /basis points/],
      [{ flat: null }, 'input', /at least one fee kind/],
      [{ dailyInterest: { annualRateBps: '1000', dayCount: 'ACT_365' } }, 'input.frequency', /DAILY_ACCRUAL_POSTED_MONTHLY/],
      [{ currency: 'XYZ' }, 'input.currency', null],
    ];
    for (const [over, field, message] of cases) {
      const e = expectError(await createPolicyRaw(t, over), 'BAD_USER_INPUT', field);
      if (message) expect(e.message, field).toMatch(message);
      // The same input as a revision is refused the same way.
      expectError(await t.gql(REVISE_POLICY, { id: v.policyId, v: 1, i: policyInput(over) }), 'BAD_USER_INPUT', field);
    }

    // as-of dates: the preview may look up to 366 days ahead (2027-06-16), not further; a run not past today.
    expect((await preview(t, a.id, '2027-06-16')).asOf).toBe('2027-06-16');
    const far = expectError(await previewRaw(t, a.id, '2027-06-17'), 'BAD_USER_INPUT', 'asOf');
    expect(far.message).toContain('2027-06-16');
    const future = expectError(await assessRaw(t, '2026-06-16'), 'BAD_USER_INPUT', 'asOf');
    expect(future.message).toContain(TODAY);
    expectError(await assessRaw(t, '2026-02-30'), 'BAD_USER_INPUT', 'asOf');
    expectError(await previewRaw(t, a.id, '2026-02-30'), 'BAD_USER_INPUT', 'asOf');

    // Nothing was written: no policy, version, run or audit event.
    expect(await feeCounts(h, t.id)).toEqual(counts);
    expect(ok(await t.gql(POLICY, { id: v.policyId })).lateFeePolicy).toMatchObject({ currentVersion: 1, versions: [expect.objectContaining({ version: 1 })] });
    expect(await runs(t)).toEqual([]);
    const [audit1] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from audit_events where tenant_id = $1`, [t.id]);
    expect(Number(audit1!.n)).toBe(Number(audit0!.n));
  });

  /** At 2026-06-15T12:00Z it is already 02:00 on 06-16 in Kiritimati (UTC+14): that tenant's today is 06-16. */
  it("today is the tenant's own: the run's latest as-of date and the preview horizon follow its time zone", async () => {
    const created = ok(
      await h.gql(PLATFORM_TOKEN, `mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { id timeZone } initialKey { secret } } }`, { i: { name: 'Line Islands', timeZone: 'Pacific/Kiritimati' } }),
    ).createTenant;
    const key: string = created.initialKey.secret;
    const t: TestTenant = { id: created.tenant.id, key, gql: (q, v) => h.gql(key, q, v), keyWith: () => Promise.reject(new Error('not needed')) };
    const p = (await createPortfolio(t, 'CNY')).id;
    const a = await createAccount(t, { debtorId: await createDebtor(t), portfolioId: p, dueOn: '2026-05-01' });
    expect((await assess(t)).asOf).toBe('2026-06-16');
    expect((await assess(t, '2026-06-16')).status).toBe('COMPLETED');
    expect(expectError(await assessRaw(t, '2026-06-17'), 'BAD_USER_INPUT', 'asOf').message).toContain('2026-06-16');
    // 2026-06-16 + 366 days = 2027-06-17.
    expect((await preview(t, a.id)).asOf).toBe('2026-06-16');
    expect((await preview(t, a.id, '2027-06-17')).asOf).toBe('2027-06-17');
    expectError(await previewRaw(t, a.id, '2027-06-18'), 'BAD_USER_INPUT', 'asOf');
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('runs in batches of one account (LATE_FEE_BATCH_SIZE=1)', () => {
  let h1: Harness;
  beforeAll(async () => {
    h1 = await startHarness({ clock, env: { LATE_FEE_BATCH_SIZE: '1' } });
  });
  afterAll(async () => h1?.close());

  /** A tenant with n accounts of 100.00 due 05-01 and a monthly 10.00 fee: two periods each by today (05-02, 06-02). */
  async function delinquent(n: number): Promise<{ t: TestTenant; ids: string[] }> {
    const t = await h1.tenant();
    const p = (await createPortfolio(t, 'CNY')).id;
    const rows = Array.from({ length: n }, (_, i) => ({
      debtorExternalRef: 'D-1',
      debtorName: '批量',
      accountExternalRef: `ACC-${i}`,
      productType: 'loan',
      currency: 'CNY',
      principal: '100.00',
      openedOn: '2026-01-01',
      dueOn: '2026-05-01',
    }));
    const imp = ok(await t.gql(`mutation($i: ImportAccountsInput!) { importAccounts(input: $i) { accountsCreated failed } }`, { i: { portfolioId: p, rows } })).importAccounts;
    expect(imp).toEqual({ accountsCreated: n, failed: 0 });
    const v = await createPolicy(t, { frequency: 'MONTHLY', flat: { amount: '1000' } });
    await attach(t, v.policyId, {});
    const ids = [...(await feesPerAccount(h1, t.id)).keys()].sort();
    return { t, ids };
  }

  it('an interrupted run leaves a FAILED run with the committed batches counted; the re-run charges every account exactly once', async () => {
    const { t, ids } = await delinquent(5);
    const victim = ids[2]!; // accounts are taken in id order: two batches commit before this one fails
    const fn = `lf_test_fail_${randomBytes(4).toString('hex')}`;
    await h1.db.admin.query(`create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'simulated crash on %', new.account_id; end $$`);
    await h1.db.admin.query(`create trigger ${fn} before insert on late_fee_assessments for each row when (new.account_id = '${victim}'::uuid) execute function ${fn}()`);

    const failed = await assessRaw(t, TODAY);
    expect(failed.errors?.[0]?.extensions.code).toBe('INTERNAL');
    const [run1] = await runs(t);
    expect(run1).toMatchObject({ status: 'FAILED', error: 'internal error; see the server log' });
    expect(run1.finishedAt).not.toBeNull();
    // The victim got nothing; the two accounts claimed before it were committed (2 periods × 10.00 each).
    // On PostgreSQL a run may have more than one batch in flight, so accounts after the victim may have been
    // committed too: whatever was, the FAILED run counts exactly that, no more and no less.
    let fees = await feesPerAccount(h1, t.id);
    const charged = ids.filter((id) => fees.get(id)!.fees > 0);
    expect(fees.get(victim)).toEqual({ fees: 0, assessments: 0, duplicatePeriods: 0 });
    expect(charged).toEqual(expect.arrayContaining([ids[0], ids[1]]));
    for (const id of charged) expect(fees.get(id), id).toEqual({ fees: 2, assessments: 2, duplicatePeriods: 0 });
    expect(run1).toMatchObject({ examined: charged.length, assessed: 2 * charged.length, feesPosted: 2 * charged.length, totals: [money(String(2000 * charged.length))] });

    await h1.db.admin.query(`drop trigger ${fn} on late_fee_assessments`);
    await h1.db.admin.query(`drop function ${fn}()`);

    // The re-run takes the accounts left (at least the victim); those already charged are not even looked at.
    const left = ids.length - charged.length;
    const run2 = await assess(t, TODAY);
    expect(run2).toMatchObject({ status: 'COMPLETED', examined: left, assessed: 2 * left, feesPosted: 2 * left, totals: [money(String(2000 * left))] });
    fees = await feesPerAccount(h1, t.id);
    for (const id of ids) expect(fees.get(id), id).toEqual({ fees: 2, assessments: 2, duplicatePeriods: 0 });
    // And again: nothing.
    expect(await assess(t, TODAY)).toMatchObject({ status: 'COMPLETED', examined: 0, feesPosted: 0 });
    expect((await runs(t)).map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED', 'FAILED']);
    for (const r of await balancesVsLedger(h1, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
  });

  it.skipIf(engine !== 'postgres')(
    'two concurrent runs for the same date charge each (account, period) exactly once (PostgreSQL only: PGlite has one connection, so runs cannot overlap)',
    async () => {
      const { t, ids } = await delinquent(30);
      const [r1, r2] = await Promise.all([assess(t, TODAY), assess(t, TODAY)]);
      expect(r1.status).toBe('COMPLETED');
      expect(r2.status).toBe('COMPLETED');
      // 30 accounts × 2 periods = 60 fees between the two runs, whoever took which account.
      expect(r1.feesPosted + r2.feesPosted).toBe(60);
      expect(r1.assessed + r2.assessed).toBe(60);
      const fees = await feesPerAccount(h1, t.id);
      for (const id of ids) expect(fees.get(id), id).toEqual({ fees: 2, assessments: 2, duplicatePeriods: 0 });
      for (const r of await balancesVsLedger(h1, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
      expect(await assess(t, TODAY)).toMatchObject({ examined: 0, feesPosted: 0 });
    },
  );
});


// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('the scheduled job', () => {
  it('assesses every active tenant as of its own today, recorded as a schedule run; the next tick posts nothing', async () => {
    const { t, pid, did } = await setup();
    // Due 2026-05-01, no grace: the one fee falls on 05-02, before today (06-15).
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-05-01', openedOn: '2026-01-01' });
    const pol = await createPolicy(t, { frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '5000' } });
    await attach(t, pol.policyId);
    const log = createLogger('silent');
    const first = await runTenantJobs(h.db.database, h.app.services, log);
    expect(first.failed).toBe(0);
    const second = await runTenantJobs(h.db.database, h.app.services, log);
    expect(second.failed).toBe(0);
    const mine = (await runs(t)).filter((r: any) => r.trigger === 'schedule');
    expect(mine.length).toBe(2);
    // Newest first: the second tick found nothing due.
    expect(mine[1]).toMatchObject({ status: 'COMPLETED', asOf: TODAY, feesPosted: 1, totals: [money('5000')] });
    expect(mine[0]).toMatchObject({ status: 'COMPLETED', asOf: TODAY, feesPosted: 0, examined: 0 });
    expect((await feesPerAccount(h, t.id)).get(a.id)).toMatchObject({ fees: 1, assessments: 1, duplicatePeriods: 0 });
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('anchors that move, waivers that are reversed', () => {
  it('a payment that clears the first instalment moves the anchor without charging the same month again', async () => {
    const { t, pid, did } = await setup();
    // Two instalments of 1,000.00: the opening principal due 02-01 and a principal charge due 03-01.
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn: '2026-02-01' });
    await post(t, { accountId: a.id, kind: 'PRINCIPAL', amount: '100000', effectiveOn: '2026-03-01' });
    const pol = await createPolicy(t, { frequency: 'MONTHLY', flat: { amount: '5000' } });
    await attach(t, pol.policyId);
    // Anchor 02-01, no grace: fees on 02-02 and 03-02.
    await assess(t, '2026-03-05');
    expect(await feeLines(t, a.id)).toEqual([['2026-02-02', '5000'], ['2026-03-02', '5000']]);
    // 1,100.00 pays the two fees (100.00) and the 02-01 instalment (1,000.00): the anchor moves to 03-01.
    await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '110000', effectiveOn: '2026-03-10' });
    // Under the new anchor the schedule is 03-02, 04-02…; March was charged already, so nothing on 03-11
    // and the next fee on 04-02 (not a second one dated 03-02).
    expect(await assess(t, '2026-03-11')).toMatchObject({ feesPosted: 0 });
    await assess(t, '2026-04-05');
    expect(await feeLines(t, a.id)).toEqual([['2026-02-02', '5000'], ['2026-03-02', '5000'], ['2026-04-02', '5000']]);
    for (const r of await balancesVsLedger(h, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
  });

  it('a waived fee cannot be reversed until its waiver is; a reversed waiver can be waived again', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn: '2026-05-01' });
    const pol = await createPolicy(t, { frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '5000' } });
    await attach(t, pol.policyId);
    await assess(t, TODAY);
    const fee = (await ledgerWithFees(t, a.id)).entries.find((e) => e.kind === 'FEE');
    const w = ok(await waiveRaw(t, { feeEntryId: fee.id })).waiveLateFee;
    expect(w.account.balance.fees.minor).toBe('0');
    // Reversing the waived fee would credit the debtor twice (-50.00 of fees): refused.
    expectError(await t.gql(`mutation($i: ReverseLedgerEntryInput!) { reverseLedgerEntry(input: $i) { replayed } }`, { i: { entryId: fee.id, idempotencyKey: `rev-${randomBytes(6).toString('hex')}` } }), 'CONFLICT', 'input.entryId');
    // Reverse the waiver entry instead: the fee is owed again, and can be waived again.
    const waiverEntry = w.entries[0].id;
    const rv = ok(await t.gql(`mutation($i: ReverseLedgerEntryInput!) { reverseLedgerEntry(input: $i) { account { balance { fees { minor } } } } }`, { i: { entryId: waiverEntry, idempotencyKey: `rev-${randomBytes(6).toString('hex')}` } }));
    expect(rv.reverseLedgerEntry.account.balance.fees.minor).toBe('5000');
    const again = ok(await waiveRaw(t, { feeEntryId: fee.id, amount: '2000' })).waiveLateFee;
    expect(again.account.balance.fees.minor).toBe('3000');
    for (const r of await balancesVsLedger(h, t.id)) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
  });
});

describe('legal caps that policies rely on', () => {
  it('a cap cannot be changed so that it no longer binds a policy naming it', async () => {
    const t = await h.tenant();
    await createPolicy(t, { name: 'Euro loans', currency: 'EUR', jurisdiction: 'CN' });
    // CN keeps an annual rate: fine. Replacing it with USD-only per-assessment amounts would cap nothing in EUR.
    const r = await t.gql(SET_CAP, { i: { code: 'CN', name: 'CN, amounts only', currency: 'USD', maxFirstAssessment: '3000', source: 'test' } });
    const e = expectError(r, 'BAD_USER_INPUT', 'input.annualRateBps');
    expect(e.message).toContain('"Euro loans"');
    expect((await t.gql(`{ jurisdictionFeeCaps { code annualRateBps origin } }`)).data!.jurisdictionFeeCaps.find((c: any) => c.code === 'CN')).toEqual({ code: 'CN', annualRateBps: '1200', origin: 'preset' });
  });
});

describe('charging from a date', () => {
  it('an attachment with chargeFrom charges only periods due from that date, says so, and changes nothing already charged', async () => {
    const { t, pid, did } = await setup();
    // Overdue since 2026-01-01; monthly 50.00, no grace: schedule 01-02, 02-02, 03-02, 04-02, 05-02, 06-02.
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openedOn: '2025-10-01', dueOn: '2026-01-01' });
    const pol = await createPolicy(t, { frequency: 'MONTHLY', flat: { amount: '5000' } });
    const att = ok(await t.gql(`mutation($p: ID!) { attachLateFeePolicy(policyId: $p, target: { portfolioId: "${pid}" }, chargeFrom: "2026-04-01") { level chargeFrom } }`, { p: pol.policyId })).attachLateFeePolicy;
    expect(att).toEqual({ level: 'PORTFOLIO', chargeFrom: '2026-04-01' });
    const e = ok(await t.gql(`query($a: ID!) { effectiveLateFeePolicy(accountId: $a) { level chargeFrom reason } }`, { a: a.id })).effectiveLateFeePolicy;
    expect(e).toMatchObject({ level: 'PORTFOLIO', chargeFrom: '2026-04-01' });
    expect(e.reason).toContain('charging periods due from 2026-04-01');
    // January to March fell due before 04-01: only 04-02, 05-02 and 06-02 are charged.
    await assess(t, TODAY);
    expect(await feeLines(t, a.id)).toEqual([['2026-04-02', '5000'], ['2026-05-02', '5000'], ['2026-06-02', '5000']]);
    // Re-attaching without the date re-examines the account but cannot reach back behind what was charged.
    await attach(t, pol.policyId, { portfolioId: pid });
    expect(await assess(t, TODAY)).toMatchObject({ feesPosted: 0 });
    expect((await feeLines(t, a.id)).length).toBe(3);
  });
});
