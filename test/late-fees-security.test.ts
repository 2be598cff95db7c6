import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createDebtor, createPortfolio, expectError, ok, post, scopedKey } from './accounts-fixtures.js';
import { asApp as asAppIn, count, failure, rolledBack as rolledBackIn } from './sql-fixtures.js';
import {
  assess,
  ASSESS,
  assessmentsOf,
  ASSESSMENTS,
  attach,
  ATTACH,
  CAPS,
  CREATE_POLICY,
  createPolicy,
  DETACH,
  effective,
  EFFECTIVE,
  feeCounts,
  LEDGER_WITH_FEES,
  ledgerWithFees,
  POLICY,
  policyInput,
  preview,
  PREVIEW,
  REVISE_POLICY,
  RUNS,
  runs,
  setCap,
  SET_CAP,
  WAIVE,
  waiveRaw,
} from './late-fees-fixtures.js';

/**
 * Security of the late-fee module: another tenant sees nothing of a tenant's policies, attachments, runs,
 * assessments and waivers and can change none of it (NOT_FOUND or empty, never data); a key limited to some
 * portfolios cannot configure late fees or run accrual, and sees only its own accounts; scopes are enforced;
 * and the database itself isolates tenants and keeps the fee record append-only.
 *
 * `any` appears only where GraphQL results are handled: their shape is the query's selection set, which
 * TypeScript cannot see; the assertions check it.
 */

const TODAY = '2026-06-15';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
});
afterAll(async () => h?.close());

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';

/** NOT_FOUND, worded exactly as for an id that exists nowhere: nothing tells the caller it exists elsewhere. */
async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>')).toBe(none.message.replace(NOWHERE, '<id>'));
}

/** A client for another key of the same tenant. */
const as = (t: TestTenant, key: string): TestTenant => ({ ...t, key, gql: (q, v) => h.gql(key, q, v) });

/**
 * A tenant with a policy (waivers above 30.00 need admin) attached tenant-wide, two portfolios with an account
 * each (due 05-01, 1,000.00), one accrual run (a 60.00 fee on each, 05-02), a waiver of 10.00 on the first
 * fee, and its own CN cap: a row in every late-fee table.
 */
async function seeded(name: string) {
  const t = await h.tenant(name);
  const P1 = (await createPortfolio(t, 'CNY', 'P1')).id;
  const P2 = (await createPortfolio(t, 'CNY', 'P2')).id;
  const d = await createDebtor(t, `${name} 债务人`);
  const a1 = await createAccount(t, { debtorId: d, portfolioId: P1, externalRef: `${name}-1`, originalPrincipal: '100000', dueOn: '2026-05-01' });
  const a2 = await createAccount(t, { debtorId: d, portfolioId: P2, externalRef: `${name}-2`, originalPrincipal: '100000', dueOn: '2026-05-01' });
  const v = await createPolicy(t, { name: `${name} policy`, frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '6000' }, waiverApprovalThreshold: '3000' });
  const att = await attach(t, v.policyId, {});
  const run = await assess(t, TODAY);
  expect(run.feesPosted).toBe(2);
  const feeOf = async (accountId: string) => (await ledgerWithFees(t, accountId)).entries.find((e) => e.kind === 'FEE')!;
  const fee1 = await feeOf(a1.id);
  const fee2 = await feeOf(a2.id);
  const w = ok(await waiveRaw(t, { feeEntryId: fee1.id, amount: '1000', idempotencyKey: 'shared-waiver-key-1' })).waiveLateFee;
  await setCap(t, { code: 'CN', name: `${name} CN`, annualRateBps: '1800', source: 'memo' });
  const assessment1 = fee1.lateFee;
  return { t, P1, P2, d, a1, a2, policy: v, att, run, fee1, fee2, waiver: w.waiver, assessment1 };
}

describe('cross-tenant', () => {
  it("tenant B gets NOT_FOUND or nothing for tenant A's policies, attachments, runs, previews, assessments and waivers, and changes none of it", async () => {
    const A = await seeded('A');
    const beforeA = await feeCounts(h, A.t.id);
    const ledgerA1 = await ledgerWithFees(A.t, A.a1.id);
    const policyA = ok(await A.t.gql(POLICY, { id: A.policy.policyId })).lateFeePolicy;
    const effectiveA = await effective(A.t, A.a1.id);

    const B = await h.tenant('B');
    const PB = (await createPortfolio(B, 'CNY')).id;
    const DB = await createDebtor(B, 'B 的债务人');
    const AB = await createAccount(B, { debtorId: DB, portfolioId: PB, originalPrincipal: '100000', dueOn: '2026-05-01' });
    const vB = await createPolicy(B, { name: 'B policy', frequency: 'ONCE_PER_DUE_DATE', flat: { amount: '1000' } });
    await attach(B, vB.policyId, {});

    // Policies: by id, in the list, revising.
    await expectHidden((id) => B.gql(POLICY, { id }), A.policy.policyId);
    expect(ok(await B.gql(`{ lateFeePolicies { edges { node { id } } } }`)).lateFeePolicies.edges.map((e: any) => e.node.id)).toEqual([vB.policyId]);
    await expectHidden((id) => B.gql(REVISE_POLICY, { id, v: 1, i: policyInput({ name: 'hijacked' }) }), A.policy.policyId);
    // Names are per tenant: B may use A's policy name (no CONFLICT that would reveal it exists).
    expect((await createPolicy(B, { name: 'A policy' })).version).toBe(1);

    // Attaching: A's policy to B's targets; B's policy to A's portfolio or account.
    await expectHidden((id) => B.gql(ATTACH, { p: id, t: {} }), A.policy.policyId);
    await expectHidden((id) => B.gql(ATTACH, { p: id, t: { portfolioId: PB } }), A.policy.policyId);
    await expectHidden((id) => B.gql(ATTACH, { p: vB.policyId, t: { portfolioId: id } }), A.P1);
    await expectHidden((id) => B.gql(ATTACH, { p: vB.policyId, t: { accountId: id } }), A.a1.id);
    // Detaching at A's targets finds nothing of B's to remove.
    expect(ok(await B.gql(DETACH, { t: { portfolioId: A.P1 } })).detachLateFeePolicy).toBe(false);
    expect(ok(await B.gql(DETACH, { t: { accountId: A.a1.id } })).detachLateFeePolicy).toBe(false);

    // Effective policy, preview and assessments of A's account.
    await expectHidden((id) => B.gql(EFFECTIVE, { a: id }), A.a1.id);
    await expectHidden((id) => B.gql(PREVIEW, { a: id, d: null }), A.a1.id);
    await expectHidden((id) => B.gql(PREVIEW, { a: id, d: '2026-12-31' }), A.a1.id);
    await expectHidden((id) => B.gql(ASSESSMENTS, { a: id }), A.a1.id);
    // A's ledger (and with it LedgerEntry.lateFee) is out of reach.
    await expectHidden((id) => B.gql(LEDGER_WITH_FEES, { a: id }), A.a1.id);

    // Waiving A's fee, even with A's own idempotency key.
    await expectHidden((id) => waiveRaw(B, { feeEntryId: id, amount: '100' }), A.fee1.id);
    await expectHidden((id) => waiveRaw(B, { feeEntryId: id, amount: '1000', idempotencyKey: 'shared-waiver-key-1' }), A.fee1.id);

    // Runs: B sees only its own; B's run does not touch A's accounts.
    expect(await runs(B)).toEqual([]);
    const runB = await assess(B, TODAY);
    expect(runB).toMatchObject({ examined: 1, feesPosted: 1 });
    expect((await runs(B)).map((r) => r.id)).toEqual([runB.id]);

    // B's own fee: its assessment is B's; paging B's assessments from A's assessment id shows nothing of A.
    const feeB = (await ledgerWithFees(B, AB.id)).entries.find((e) => e.kind === 'FEE')!;
    expect(feeB.lateFee).toMatchObject({ accountId: AB.id, policyVersionId: vB.id });
    const paged = ok(await B.gql(`query($a: ID!, $b: ID!) { account(id: $a) { lateFeeAssessments(before: $b) { id accountId } } }`, { a: AB.id, b: A.assessment1.id })).account.lateFeeAssessments;
    expect(paged.every((x: any) => x.accountId === AB.id)).toBe(true);
    // A hand-posted fee on B's account has no assessment behind it.
    const manual = (await post(B, { accountId: AB.id, kind: 'FEE', amount: '500', effectiveOn: '2026-06-01' })).entries[0];
    const manualNode = (await ledgerWithFees(B, AB.id)).entries.find((e) => e.id === manual.id)!;
    expect(manualNode.lateFee).toBeNull();
    // B's waiver with A's idempotency key is B's own request, not a replay of A's.
    const wB = ok(await waiveRaw(B, { feeEntryId: feeB.id, amount: '1000', idempotencyKey: 'shared-waiver-key-1' })).waiveLateFee;
    expect(wB).toMatchObject({ replayed: false, waiver: { feeEntryId: feeB.id } });

    // Jurisdiction caps: A's own CN row is invisible to B, which still has the preset; B's own does not reach A.
    expect(ok(await B.gql(CAPS)).jurisdictionFeeCaps.find((c: any) => c.code === 'CN')).toMatchObject({ origin: 'preset', annualRateBps: '1200' });
    await setCap(B, { code: 'GB', name: 'B GB', annualRateBps: '100', source: 'B memo' });
    expect(ok(await A.t.gql(CAPS)).jurisdictionFeeCaps.find((c: any) => c.code === 'GB')).toMatchObject({ origin: 'preset', annualRateBps: '1200' });

    // A is exactly as it was.
    expect(await feeCounts(h, A.t.id)).toEqual(beforeA);
    expect(await ledgerWithFees(A.t, A.a1.id)).toEqual(ledgerA1);
    expect(ok(await A.t.gql(POLICY, { id: A.policy.policyId })).lateFeePolicy).toEqual(policyA);
    expect(await effective(A.t, A.a1.id)).toEqual(effectiveA);
    expect((await runs(A.t)).map((r) => r.id)).toEqual([A.run.id]);
  });
});

describe('keys limited to some portfolios, and scopes', () => {
  it('a portfolio-scoped key cannot configure late fees or run accrual (FORBIDDEN), and sees only its own portfolio’s accounts', async () => {
    const s = await seeded('S');
    // An attachment on P2's account and one on P2 itself, which a P1 key must not see.
    const other = await createPolicy(s.t, { name: 'P2 only' });
    await attach(s.t, other.policyId, { portfolioId: s.P2 });
    await attach(s.t, s.policy.policyId, { accountId: s.a2.id });
    await attach(s.t, s.policy.policyId, { portfolioId: s.P1 });
    const before = await feeCounts(h, s.t.id);

    for (const scopes of [['read', 'write', 'admin'], ['read', 'write']]) {
      const K = as(s.t, await scopedKey(s.t, scopes, [s.P1]));
      const label = scopes.join('+');

      // Tenant-wide configuration and jobs.
      expectError(await K.gql(CREATE_POLICY, { i: policyInput({ name: `by ${label}` }) }), 'FORBIDDEN');
      expectError(await K.gql(REVISE_POLICY, { id: s.policy.policyId, v: 1, i: policyInput({ name: 'S policy' }) }), 'FORBIDDEN');
      expectError(await K.gql(ATTACH, { p: s.policy.policyId, t: { portfolioId: s.P1 } }), 'FORBIDDEN');
      expectError(await K.gql(ATTACH, { p: s.policy.policyId, t: { accountId: s.a1.id } }), 'FORBIDDEN');
      expectError(await K.gql(DETACH, { t: { portfolioId: s.P1 } }), 'FORBIDDEN');
      expectError(await K.gql(SET_CAP, { i: { code: 'CN', name: 'x', annualRateBps: '1', source: 'x' } }), 'FORBIDDEN');
      expectError(await K.gql(ASSESS, { d: TODAY }), 'FORBIDDEN');
      expectError(await K.gql(RUNS, {}), 'FORBIDDEN');

      // The other portfolio's account: as if it did not exist.
      await expectHidden((id) => K.gql(PREVIEW, { a: id, d: null }), s.a2.id);
      await expectHidden((id) => K.gql(EFFECTIVE, { a: id }), s.a2.id);
      await expectHidden((id) => K.gql(ASSESSMENTS, { a: id }), s.a2.id);
      await expectHidden((id) => waiveRaw(K, { feeEntryId: id, amount: '100' }), s.fee2.id);

      // Its own: readable, previewable, waivable (10.00, under the 30.00 threshold).
      expect(await effective(K, s.a1.id)).toMatchObject({ level: 'PORTFOLIO', policy: { id: s.policy.policyId } });
      expect(await preview(K, s.a1.id)).toMatchObject({ accountId: s.a1.id, asOf: TODAY });
      expect((await assessmentsOf(K, s.a1.id)).map((x) => x.ledgerEntryId)).toEqual([s.fee1.id]);
      const mine = (await ledgerWithFees(K, s.a1.id)).entries.find((e) => e.kind === 'FEE')!;
      expect(mine.lateFee).toMatchObject({ id: s.assessment1.id });
      expect(ok(await waiveRaw(K, { feeEntryId: s.fee1.id, amount: '1000' })).waiveLateFee.waiver.amount.minor).toBe('1000');

      // A policy's attachments: the shared ones and P1's, not P2's or P2's account's.
      const seen = ok(await K.gql(POLICY, { id: s.policy.policyId })).lateFeePolicy.attachments.map((x: any) => [x.level, x.portfolioId, x.accountId]);
      expect(seen).toEqual(expect.arrayContaining([['TENANT', null, null], ['PORTFOLIO', s.P1, null]]));
      expect(seen).toHaveLength(2);
      expect(ok(await K.gql(POLICY, { id: other.policyId })).lateFeePolicy.attachments).toEqual([]);
    }

    // Nothing but the two waivers was written; P2's account was not touched.
    expect(await feeCounts(h, s.t.id)).toEqual({ ...before, waivers: before.waivers! + 2, ledger: before.ledger! + 2 });
    expect((await ledgerWithFees(s.t, s.a2.id)).balance.fees.minor).toBe('6000');
  });

  it('a read-only key cannot create policies, attach, run or waive (FORBIDDEN); a writer cannot configure or run', async () => {
    const s = await seeded('R');
    const before = await feeCounts(h, s.t.id);
    const R = as(s.t, (await s.t.keyWith(['read'])).key);
    const W = as(s.t, (await s.t.keyWith(['read', 'write'])).key);
    for (const K of [R, W]) {
      expectError(await K.gql(CREATE_POLICY, { i: policyInput() }), 'FORBIDDEN');
      expectError(await K.gql(REVISE_POLICY, { id: s.policy.policyId, v: 1, i: policyInput({ name: 'R policy' }) }), 'FORBIDDEN');
      expectError(await K.gql(ATTACH, { p: s.policy.policyId, t: { portfolioId: s.P1 } }), 'FORBIDDEN');
      expectError(await K.gql(DETACH, { t: {} }), 'FORBIDDEN');
      expectError(await K.gql(SET_CAP, { i: { code: 'CN', name: 'x', annualRateBps: '1', source: 'x' } }), 'FORBIDDEN');
      expectError(await K.gql(ASSESS, { d: TODAY }), 'FORBIDDEN');
    }
    expectError(await R.gql(WAIVE, { i: { feeEntryId: s.fee1.id, amount: '100', reason: 'x', idempotencyKey: 'read-only-waive' } }), 'FORBIDDEN');
    expect(await feeCounts(h, s.t.id)).toEqual(before);
    // Reading is what the read scope is for.
    expect(await preview(R, s.a1.id)).toMatchObject({ accountId: s.a1.id });
    expect(await effective(R, s.a1.id)).toMatchObject({ level: 'TENANT' });
    expect((await runs(R)).map((r) => r.id)).toEqual([s.run.id]);
    expect(ok(await R.gql(CAPS)).jurisdictionFeeCaps.length).toBeGreaterThan(0);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

const FEE_TABLES = ['late_fee_policies', 'late_fee_policy_versions', 'late_fee_attachments', 'late_fee_assessments', 'fee_waivers', 'late_fee_runs', 'fee_jurisdiction_caps'];

const asApp = <T>(tenant: string | null, fn: (q: AdminQuery) => Promise<T>) => asAppIn(h, tenant, fn);
const rolledBack = <T>(fn: (q: AdminQuery) => Promise<T>) => rolledBackIn(h, fn);

describe('the database itself', () => {
  let A: Awaited<ReturnType<typeof seeded>>;
  let B: Awaited<ReturnType<typeof seeded>>;
  beforeAll(async () => {
    A = await seeded('DA');
    B = await seeded('DB');
  });

  it('the superuser sees A’s rows in every late-fee table (so the checks below are not vacuous)', async () => {
    for (const table of FEE_TABLES) expect(await count(h.db.admin.query, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]), table).toBeGreaterThan(0);
  });

  it('as the app role with no tenant set, every late-fee table shows zero rows', async () => {
    await asApp(null, async (q) => {
      for (const table of FEE_TABLES) expect(await count(q, `select count(*)::int as n from ${table}`), table).toBe(0);
    });
    await asApp('', async (q) => {
      for (const table of FEE_TABLES) expect(await count(q, `select count(*)::int as n from ${table}`), table).toBe(0);
    });
  });

  it('as the app role with tenant B set, B’s rows are visible and none of A’s, not even by id; A’s rows cannot be changed or planted', async () => {
    await asApp(B.t.id, async (q) => {
      for (const table of FEE_TABLES) {
        expect(await count(q, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]), `${table}: A's rows`).toBe(0);
        expect(await count(q, `select count(*)::int as n from ${table} where tenant_id <> $1`, [B.t.id]), `${table}: other rows`).toBe(0);
        expect(await count(q, `select count(*)::int as n from ${table}`), `${table}: B's rows`).toBeGreaterThan(0);
      }
      expect(await count(q, `select count(*)::int as n from late_fee_policies where id = $1`, [A.policy.policyId])).toBe(0);
      expect(await count(q, `select count(*)::int as n from late_fee_assessments where ledger_entry_id = $1`, [A.fee1.id])).toBe(0);
      expect(await count(q, `select count(*)::int as n from fee_waivers where id = $1`, [A.waiver.id])).toBe(0);
      // Updates of A's configuration touch nothing.
      expect(await q(`update late_fee_policies set name = 'pwned' where tenant_id = $1 returning id`, [A.t.id])).toEqual([]);
      expect(await q(`update late_fee_runs set status = 'failed' where tenant_id = $1 returning id`, [A.t.id])).toEqual([]);
      expect(await q(`update fee_jurisdiction_caps set annual_rate_bps = 999999 where tenant_id = $1 returning code`, [A.t.id])).toEqual([]);
      expect(await q(`delete from late_fee_attachments where tenant_id = $1 returning id`, [A.t.id])).toEqual([]);
    });
    // Planting a row for A while B is set: the WITH CHECK policy refuses it.
    const planted = await failure(
      asApp(B.t.id, (q) => q(`insert into late_fee_policies (tenant_id, id, name, current_version) values ($1, gen_random_uuid(), 'planted', 1)`, [A.t.id])),
    );
    expect(planted.code).toBe('42501');
    expect(planted.message).toMatch(/row-level security/);
    expect(await count(h.db.admin.query, `select count(*)::int as n from late_fee_policies where tenant_id = $1 and name in ('pwned', 'planted')`, [A.t.id])).toBe(0);
  });

  it('as the app role scoped to portfolio P1, rows of P2’s account are hidden in the ledger, assessments, waivers and attachments', async () => {
    // A portfolio-level attachment on P2 and an account-level one on a2, both out of a P1 session's reach.
    await attach(A.t, A.policy.policyId, { portfolioId: A.P2 });
    await attach(A.t, A.policy.policyId, { accountId: A.a2.id });
    const seen = await asApp(A.t.id, async (q) => {
      await q(`select set_config('app.portfolio_ids', $1, true)`, [`{${A.P1}}`]);
      const accounts = async (table: string) => (await q<{ a: string }>(`select distinct account_id::text as a from ${table} where account_id is not null order by 1`)).map((r) => r.a);
      return {
        ledger: await accounts('ledger_entries'),
        assessments: await accounts('late_fee_assessments'),
        waivers: await accounts('fee_waivers'),
        attachments: (await q<{ p: string | null; a: string | null }>(`select portfolio_id::text as p, account_id::text as a from late_fee_attachments order by 1, 2`)).map((r) => [r.p, r.a]),
      };
    });
    expect(seen.ledger).toEqual([A.a1.id]);
    expect(seen.assessments).toEqual([A.a1.id]);
    expect(seen.waivers).toEqual([A.a1.id]);
    // The tenant-wide attachment only: P2's and a2's are out of scope.
    expect(seen.attachments).toEqual([[null, null]]);
    // Unscoped, the same session sees both accounts' rows.
    const all = await asApp(A.t.id, async (q) => (await q<{ n: number }>(`select count(distinct account_id)::int as n from late_fee_assessments`))[0]!.n);
    expect(all).toBe(2);
  });

  it('UPDATE, DELETE and TRUNCATE of assessments, policy versions and waivers are refused, to the app role and to the owner', async () => {
    const appendOnly = ['late_fee_assessments', 'late_fee_policy_versions', 'fee_waivers'];
    for (const table of appendOnly) {
      // The app role has no UPDATE or DELETE grant on them, even for its own tenant.
      for (const stmt of [`update ${table} set created_at = created_at where tenant_id = $1`, `delete from ${table} where tenant_id = $1`]) {
        const err = await failure(asApp(A.t.id, (q) => q(stmt, [A.t.id])));
        expect(err.code, `app: ${stmt}`).toBe('42501');
        expect(err.message, `app: ${stmt}`).toMatch(/permission denied/);
      }
      // The owner is stopped by the append-only triggers.
      for (const [op, stmt] of [
        ['UPDATE', `update ${table} set created_at = created_at where tenant_id = $1`],
        ['DELETE', `delete from ${table} where tenant_id = $1`],
      ] as const) {
        const err = await failure(rolledBack((q) => q(stmt, [A.t.id])));
        expect(err.code, `owner: ${stmt}`).toBe('42501');
        expect(err.message, `owner: ${stmt}`).toContain(`${table} is append-only: ${op} refused`);
      }
      const trunc = await failure(rolledBack((q) => q(`truncate ${table} cascade`)));
      expect(trunc.message, `owner: truncate ${table}`).toContain('append-only');
    }
    // Specific forgeries: lowering a charged fee, hiding a waiver, rewriting a policy version's rules.
    for (const [stmt, params] of [
      [`update late_fee_assessments set amount = 0, ledger_entry_id = null where tenant_id = $1 and ledger_entry_id = $2`, [A.t.id, A.fee1.id]],
      [`delete from fee_waivers where tenant_id = $1 and id = $2`, [A.t.id, A.waiver.id]],
      [`update late_fee_policy_versions set rules = '{}'::jsonb where tenant_id = $1 and id = $2`, [A.t.id, A.policy.id]],
    ] as const) {
      const err = await failure(rolledBack((q) => q(stmt, [...params])));
      expect(err.message, stmt).toMatch(/append-only/);
    }
    // All still there.
    expect(await count(h.db.admin.query, `select count(*)::int as n from late_fee_assessments where tenant_id = $1 and ledger_entry_id = $2 and amount = 6000`, [A.t.id, A.fee1.id])).toBe(1);
    expect(await count(h.db.admin.query, `select count(*)::int as n from fee_waivers where tenant_id = $1 and id = $2`, [A.t.id, A.waiver.id])).toBe(1);
  });
});
