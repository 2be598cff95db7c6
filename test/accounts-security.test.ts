import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';
import {
  accountInput,
  CREATE_ACCOUNT,
  createAccount,
  createDebtor,
  createPortfolio,
  errorText,
  expectError,
  getAccount,
  ledgerOf,
  ok,
  post,
  postRaw,
  reverseRaw,
  scopedKey,
  tenantCounts,
} from './accounts-fixtures.js';

/**
 * Security of the accounts module: another tenant sees nothing of a tenant's portfolios, accounts, ledger,
 * alerts or analytics and can change none of it (NOT_FOUND, never FORBIDDEN); a key limited to some
 * portfolios sees only those, in the API and in the database itself.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date('2026-06-15T12:00:00Z') } });
});
afterAll(async () => h?.close());

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';
const refs = (r: GqlResult) => (ok(r).accounts.edges as { node: { externalRef: string } }[]).map((e) => e.node.externalRef).sort();
const MOVE = `mutation($i: MoveAccountInput!) { moveAccount(input: $i) { id portfolio { id } } }`;
const CHANGE = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { status } }`;
const IMPORT = `mutation($i: ImportAccountsInput!) { importAccounts(input: $i) { rows accountsCreated failed written } }`;
const ANALYTICS = `query($ids: [ID!]) { portfolioAnalytics(portfolioIds: $ids) { portfolio { id } accounts placed { minor } outstanding { minor } collectedToDate { minor } } }`;
const ALERTS = `query($f: AlertFilterInput) { alerts(filter: $f, first: 100) { edges { node { id accountId } } } }`;
const ACK = `mutation($id: ID!) { acknowledgeAlert(id: $id) { id acknowledgedAt } }`;
const importRow = (ref: string) => ({
  debtorExternalRef: `D-${ref}`,
  debtorName: 'Imported',
  accountExternalRef: ref,
  productType: 'loan',
  currency: 'CNY',
  principal: '10.00',
  openedOn: '2026-01-01',
  dueOn: '2026-02-01',
});

/** NOT_FOUND, worded exactly as for an id that exists nowhere: nothing tells the caller it exists elsewhere. */
async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>')).toBe(none.message.replace(NOWHERE, '<id>'));
}

describe('cross-tenant', () => {
  it("tenant B gets NOT_FOUND or nothing for tenant A's portfolio, accounts, ledger, alerts, imports and analytics", async () => {
    // Tenant A: a portfolio, an account with a payment, an alert raised on it.
    const A = await h.tenant('A');
    const PA = (await createPortfolio(A, 'CNY')).id;
    const DA = await createDebtor(A, 'A 的债务人', 'DA-1');
    const AA = await createAccount(A, { debtorId: DA, portfolioId: PA, externalRef: 'A-1', originalPrincipal: '100000', dueOn: '2026-03-01' });
    const payA = await post(A, { accountId: AA.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01', idempotencyKey: 'shared-key-0001' });
    const entryA = payA.entries[0].id;
    const ruleA = ok(await A.gql(`mutation { createAlertRule(input: { name: "dpd", metric: DAYS_PAST_DUE, threshold: "1" }) { id } }`)).createAlertRule.id;
    expect(ok(await A.gql(`mutation { evaluateAlerts { raised } }`)).evaluateAlerts.raised).toBe(1);
    const alertA = ok(await A.gql(ALERTS, {})).alerts.edges[0].node.id;
    const beforeA = await tenantCounts(h, A.id);
    const accountA = await getAccount(A, AA.id);

    // Tenant B with its own portfolio and account.
    const B = await h.tenant('B');
    const PB = (await createPortfolio(B, 'CNY')).id;
    const DB = await createDebtor(B, 'B 的债务人');
    const AB = await createAccount(B, { debtorId: DB, portfolioId: PB, externalRef: 'B-1', dueOn: '2026-03-01' });

    // Portfolios.
    await expectHidden((id) => B.gql(`query($id: ID!) { portfolio(id: $id) { id } }`, { id }), PA);
    expect(ok(await B.gql(`{ portfolios { id } }`)).portfolios).toEqual([{ id: PB }]);
    await expectHidden((id) => B.gql(`mutation($i: UpdatePortfolioInput!) { updatePortfolio(input: $i) { id } }`, { i: { id, version: 1, name: 'mine now' } }), PA);

    // Accounts and their ledger.
    await expectHidden((id) => B.gql(`query($id: ID!) { account(id: $id) { id } }`, { id }), AA.id);
    await expectHidden((id) => B.gql(`query($id: ID!) { account(id: $id) { ledger { edges { node { id } } } } }`, { id }), AA.id);
    expect(refs(await B.gql(`{ accounts { edges { node { externalRef } } } }`))).toEqual(['B-1']);
    expect(refs(await B.gql(`query($p: ID!) { accounts(filter: { portfolioId: $p }) { edges { node { externalRef } } } }`, { p: PA }))).toEqual([]);
    expect(refs(await B.gql(`query($d: ID!) { accounts(filter: { debtorId: $d }) { edges { node { externalRef } } } }`, { d: DA }))).toEqual([]);
    await expectHidden((id) => B.gql(`query($id: ID!) { debtor(id: $id) { accounts { id } } }`, { id }), DA);

    // Writes on A's things.
    await expectHidden((id) => B.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: DB, portfolioId: id }) }), PA);
    await expectHidden((id) => B.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: id, portfolioId: PB }) }), DA);
    await expectHidden((id) => postRaw(B, { accountId: id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01' }), AA.id);
    await expectHidden((id) => postRaw(B, { accountId: id, kind: 'FEE', amount: '1000' }), AA.id);
    await expectHidden((id) => reverseRaw(B, id), entryA);
    await expectHidden((id) => B.gql(CHANGE, { i: { id, version: 1, status: 'DELINQUENT' } }), AA.id);
    await expectHidden((id) => B.gql(MOVE, { i: { id, version: 1, portfolioId: PB } }), AA.id);
    await expectHidden((id) => B.gql(MOVE, { i: { id: AB.id, version: 1, portfolioId: id } }), PA);
    await expectHidden((id) => B.gql(IMPORT, { i: { portfolioId: id, rows: [importRow('B-IMP-1')] } }), PA);

    // Alerts and rules.
    expect(ok(await B.gql(ALERTS, {})).alerts.edges).toEqual([]);
    expect(ok(await B.gql(ALERTS, { f: { accountId: AA.id } })).alerts.edges).toEqual([]);
    expect(ok(await B.gql(ALERTS, { f: { ruleId: ruleA } })).alerts.edges).toEqual([]);
    await expectHidden((id) => B.gql(ACK, { id }), alertA);
    expect(ok(await B.gql(`{ alertRules { id } }`)).alertRules).toEqual([]);
    await expectHidden((id) => B.gql(`mutation($id: ID!) { setAlertRuleActive(id: $id, active: false) { id } }`, { id }), ruleA);
    // B's tenant-wide jobs do not reach A: no rules of B clear A's alert; B's refresh records nothing for A.
    ok(await B.gql(`mutation { evaluateAlerts { raised } }`));
    ok(await B.gql(`mutation { refreshDelinquency { changed } }`));
    ok(await B.gql(`mutation { setDelinquencyBuckets(buckets: [{ label: "all", minDays: 0 }]) { version } }`));

    // Analytics.
    await expectHidden((id) => B.gql(ANALYTICS, { ids: [id] }), PA);
    await expectHidden((id) => B.gql(ANALYTICS, { ids: [PB, id] }), PA);
    expect(ok(await B.gql(ANALYTICS, {})).portfolioAnalytics.map((x: any) => x.portfolio.id)).toEqual([PB]);

    // B's idempotency keys are its own: A's key on B's account is a new request, not a replay of A's.
    const sameKey = await post(B, { accountId: AB.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01', idempotencyKey: 'shared-key-0001' });
    expect(sameKey.replayed).toBe(false);

    // A is exactly as it was.
    expect(await tenantCounts(h, A.id)).toEqual(beforeA);
    expect(await getAccount(A, AA.id)).toEqual(accountA);
    const alert = ok(await A.gql(ALERTS, { f: { open: true } })).alerts.edges.map((e: any) => e.node.id);
    expect(alert).toEqual([alertA]);
    expect(ok(await A.gql(`query($id: ID!) { account(id: $id) { bucketHistory { bucket } delinquencyBucket } }`, { id: AA.id })).account).toEqual({
      bucketHistory: [],
      delinquencyBucket: '91-120',
    });
    expect(ok(await A.gql(`{ portfolio(id: "${PA}") { name version } }`)).portfolio.version).toBe(1);
  });
});

describe('cross-portfolio (a key limited to some portfolios)', () => {
  /** Tenant with P1 and P2; D1 owes only in P1, D2 only in P2, D3 in both. An alert is open on every account. */
  async function scene() {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t, 'CNY', 'P1')).id;
    const P2 = (await createPortfolio(t, 'CNY', 'P2')).id;
    const D1 = await createDebtor(t, '孙一', 'D-1');
    const D2 = await createDebtor(t, '周二', 'D-2');
    const D3 = await createDebtor(t, '吴三', 'D-3');
    const a1 = await createAccount(t, { debtorId: D1, portfolioId: P1, externalRef: 'a1', originalPrincipal: '100000', dueOn: '2026-03-01' });
    const a2 = await createAccount(t, { debtorId: D2, portfolioId: P2, externalRef: 'a2', originalPrincipal: '200000', dueOn: '2026-03-01' });
    const a3 = await createAccount(t, { debtorId: D3, portfolioId: P1, externalRef: 'a3', originalPrincipal: '300000', dueOn: '2026-03-01' });
    const a4 = await createAccount(t, { debtorId: D3, portfolioId: P2, externalRef: 'a4', originalPrincipal: '400000', dueOn: '2026-03-01' });
    await post(t, { accountId: a1.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01' });
    const pay2 = await post(t, { accountId: a2.id, kind: 'PAYMENT', amount: '2000', effectiveOn: '2026-05-01' });
    ok(await t.gql(`mutation { createAlertRule(input: { name: "dpd", metric: DAYS_PAST_DUE, threshold: "1" }) { id } }`));
    expect(ok(await t.gql(`mutation { evaluateAlerts { raised } }`)).evaluateAlerts.raised).toBe(4);
    const alerts = ok(await t.gql(ALERTS, {})).alerts.edges.map((e: any) => e.node);
    const alertOf = (accountId: string) => alerts.find((a: any) => a.accountId === accountId)!.id as string;
    return { t, P1, P2, D1, D2, D3, a1, a2, a3, a4, entry2: pay2.entries[0].id as string, alertOf };
  }

  it('sees and changes only its portfolios: everything in the other answers NOT_FOUND', async () => {
    const s = await scene();
    const k = await scopedKey(s.t, ['read', 'write'], [s.P1]);
    const K: TestTenant = { ...s.t, key: k, gql: (q, v) => h.gql(k, q, v) };

    // Portfolios.
    expect(ok(await K.gql(`{ portfolios { id name } }`)).portfolios).toEqual([{ id: s.P1, name: 'P1' }]);
    expect(ok(await K.gql(`query($id: ID!) { portfolio(id: $id) { id } }`, { id: s.P1 })).portfolio.id).toBe(s.P1);
    await expectHidden((id) => K.gql(`query($id: ID!) { portfolio(id: $id) { id } }`, { id }), s.P2);
    await expectHidden((id) => K.gql(`mutation($i: UpdatePortfolioInput!) { updatePortfolio(input: $i) { id } }`, { i: { id, version: 1, name: 'P2 renamed' } }), s.P2);
    expectError(await K.gql(`mutation { createPortfolio(input: { name: "P3", currency: "CNY" }) { id } }`), 'FORBIDDEN');

    // Accounts and ledgers.
    expect(refs(await K.gql(`{ accounts { edges { node { externalRef } } } }`))).toEqual(['a1', 'a3']);
    expect(refs(await K.gql(`query($p: ID!) { accounts(filter: { portfolioId: $p }) { edges { node { externalRef } } } }`, { p: s.P2 }))).toEqual([]);
    expect(refs(await K.gql(`query($d: ID!) { accounts(filter: { debtorId: $d }) { edges { node { externalRef } } } }`, { d: s.D3 }))).toEqual(['a3']);
    expect(ok(await K.gql(`{ accounts { totalCount } }`)).accounts.totalCount).toBe(2);
    expect((await ledgerOf(K, s.a1.id)).map((e) => e.kind)).toEqual(['PRINCIPAL', 'PAYMENT']);
    for (const a of [s.a2, s.a4]) {
      await expectHidden((id) => K.gql(`query($id: ID!) { account(id: $id) { id } }`, { id }), a.id);
      await expectHidden((id) => K.gql(`query($id: ID!) { account(id: $id) { ledger { edges { node { id } } } } }`, { id }), a.id);
      await expectHidden((id) => postRaw(K, { accountId: id, kind: 'PAYMENT', amount: '100', effectiveOn: '2026-05-02' }), a.id);
      await expectHidden((id) => K.gql(CHANGE, { i: { id, version: 1, status: 'DELINQUENT' } }), a.id);
      await expectHidden((id) => K.gql(MOVE, { i: { id, version: 1, portfolioId: s.P1 } }), a.id);
    }
    await expectHidden((id) => reverseRaw(K, id), s.entry2);
    // Its own accounts: writable, but not into P2.
    await expectHidden((id) => K.gql(MOVE, { i: { id: s.a1.id, version: 1, portfolioId: id } }), s.P2);
    expect(ok(await K.gql(`query($id: ID!) { account(id: $id) { portfolio { id } version } }`, { id: s.a1.id })).account).toEqual({ portfolio: { id: s.P1 }, version: 1 });
    expect((await post(K, { accountId: s.a1.id, kind: 'PAYMENT', amount: '500', effectiveOn: '2026-05-02' })).account.balance.total.minor).toBe('98500');
    await expectHidden((id) => K.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: s.D1, portfolioId: id }) }), s.P2);
    expect(ok(await K.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: s.D1, portfolioId: s.P1, externalRef: 'k1' }) })).createAccount.portfolio.id).toBe(s.P1);
    await expectHidden((id) => K.gql(IMPORT, { i: { portfolioId: id, rows: [importRow('K-IMP-1')] } }), s.P2);
    expect(ok(await K.gql(IMPORT, { i: { portfolioId: s.P1, rows: [importRow('K-IMP-2')] } })).importAccounts).toMatchObject({ accountsCreated: 1, written: true });

    // Alerts: only those on its accounts.
    const seen = ok(await K.gql(ALERTS, {})).alerts.edges.map((e: any) => e.node.accountId).sort();
    expect(seen).toEqual([s.a1.id, s.a3.id].sort());
    expect(ok(await K.gql(ALERTS, { f: { accountId: s.a2.id } })).alerts.edges).toEqual([]);
    await expectHidden((id) => K.gql(ACK, { id }), s.alertOf(s.a2.id));
    await expectHidden((id) => K.gql(ACK, { id }), s.alertOf(s.a4.id));
    expect(ok(await K.gql(ACK, { id: s.alertOf(s.a1.id) })).acknowledgeAlert.acknowledgedAt).not.toBeNull();

    // Analytics: P1 only, and P1's figures only. Placed 100,000 + 300,000 + 100,000 (k1) + 1,000 (K-IMP-2).
    const an = ok(await K.gql(ANALYTICS, {})).portfolioAnalytics;
    expect(an).toEqual([{ portfolio: { id: s.P1 }, accounts: 4, placed: { minor: '501000' }, outstanding: { minor: '499500' }, collectedToDate: { minor: '1500' } }]);
    await expectHidden((id) => K.gql(ANALYTICS, { ids: [id] }), s.P2);
    await expectHidden((id) => K.gql(ANALYTICS, { ids: [s.P1, id] }), s.P2);

    // Debtors: only through accounts in P1 (D1, D3 and the imported one); D2 is invisible, by id and by search.
    const names = ok(await K.gql(`{ debtors(first: 100) { totalCount edges { node { legalName } } } }`)).debtors;
    expect(names.edges.map((e: any) => e.node.legalName).sort()).toEqual(['Imported', '吴三', '孙一'].sort());
    expect(names.totalCount).toBe(3);
    expect(ok(await K.gql(`{ debtors(filter: { search: "周二" }) { edges { node { id } } } }`)).debtors.edges).toEqual([]);
    await expectHidden((id) => K.gql(`query($id: ID!) { debtor(id: $id) { id } }`, { id }), s.D2);
    const d3 = ok(await K.gql(`query($id: ID!) { debtor(id: $id) { accounts { externalRef } } }`, { id: s.D3 })).debtor;
    expect(d3.accounts).toEqual([{ externalRef: 'a3' }]);

    // Tenant-wide jobs and key management need more than this key has.
    expectError(await K.gql(`mutation { evaluateAlerts { raised } }`), 'FORBIDDEN');
    expectError(await K.gql(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, { i: { name: 'x', scopes: ['read'] } }), 'FORBIDDEN');

    // The unscoped key still sees P2 untouched.
    const a2 = await getAccount(s.t, s.a2.id);
    expect(a2).toMatchObject({ version: 1, status: 'CURRENT', balance: { total: { minor: '198000' } }, portfolio: { id: s.P2 } });
    expect(ok(await s.t.gql(`query($id: ID!) { portfolio(id: $id) { name } }`, { id: s.P2 })).portfolio.name).toBe('P2');
    expect(ok(await s.t.gql(ALERTS, { f: { acknowledged: true } })).alerts.edges.map((e: any) => e.node.accountId)).toEqual([s.a1.id]);
  });

  it('a scoped admin key cannot mint a wider key, create portfolios or run tenant-wide jobs', async () => {
    const s = await scene();
    const admin = await scopedKey(s.t, ['read', 'write', 'admin'], [s.P1]);
    const CREATE_KEY = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { portfolioIds } } }`;
    expectError(await h.gql(admin, CREATE_KEY, { i: { name: 'unscoped', scopes: ['read'] } }), 'FORBIDDEN');
    expectError(await h.gql(admin, CREATE_KEY, { i: { name: 'other', scopes: ['read'], portfolioIds: [s.P2] } }), 'FORBIDDEN');
    expectError(await h.gql(admin, CREATE_KEY, { i: { name: 'both', scopes: ['read'], portfolioIds: [s.P1, s.P2] } }), 'FORBIDDEN');
    const same = ok(await h.gql(admin, CREATE_KEY, { i: { name: 'same', scopes: ['read'], portfolioIds: [s.P1] } })).createApiKey;
    expect(same.apiKey.portfolioIds).toEqual([s.P1]);
    // The key it made is as narrow as itself.
    expect(refs(await h.gql(same.secret, `{ accounts { edges { node { externalRef } } } }`))).toEqual(['a1', 'a3']);

    expectError(await h.gql(admin, `mutation { createPortfolio(input: { name: "P3", currency: "CNY" }) { id } }`), 'FORBIDDEN');
    expectError(await h.gql(admin, `mutation { evaluateAlerts { raised } }`), 'FORBIDDEN');
    // The audit trail holds snapshots of every portfolio's entities: a scoped key reads none of it.
    expectError(await h.gql(admin, `{ auditEvents(first: 5) { edges { node { action } } } }`), 'FORBIDDEN');
    expectError(await h.gql(admin, `{ verifyAuditLog { ok } }`), 'FORBIDDEN');
    // A key for a portfolio of another tenant is refused as not found.
    const other = await h.tenant();
    const foreign = (await createPortfolio(other, 'CNY')).id;
    expectError(await s.t.gql(CREATE_KEY, { i: { name: 'foreign', scopes: ['read'], portfolioIds: [foreign] } }), 'NOT_FOUND');
  });

  it('a portfolio-scoped import cannot rename or attach to a debtor that has accounts only in other portfolios', async () => {
    const s = await scene();
    const K = await scopedKey(s.t, ['read', 'write'], [s.P1]);
    const I = `mutation($i: ImportAccountsInput!) { importAccounts(input: $i) { accountsCreated debtorsUpdated failed errors { line field message } } }`;
    // D-2 owes only in P2: the scoped key may neither rename it nor attach a P1 account to it.
    const r = ok(await h.gql(K, I, { i: { portfolioId: s.P1, rows: [{ ...importRow('K-HIJACK'), debtorExternalRef: 'D-2', debtorName: 'Renamed' }] } })).importAccounts;
    expect(r).toMatchObject({ accountsCreated: 0, debtorsUpdated: 0, failed: 1, errors: [{ line: 1, field: 'debtor_external_ref', message: "belongs to a debtor outside this key's portfolios" }] });
    const d2 = ok(await s.t.gql(`query($id: ID!) { debtor(id: $id) { legalName accounts { externalRef } } }`, { id: s.D2 })).debtor;
    expect(d2).toEqual({ legalName: '周二', accounts: [{ externalRef: 'a2' }] });
    await expectHidden((id) => h.gql(K, `query($id: ID!) { debtor(id: $id) { id } }`, { id }), s.D2);
    // The unscoped key may attach a P1 account to D-2 (it sees every portfolio).
    const u = ok(await s.t.gql(I, { i: { portfolioId: s.P1, rows: [{ ...importRow('U-1'), debtorExternalRef: 'D-2', debtorName: '周二' }] } })).importAccounts;
    expect(u).toMatchObject({ accountsCreated: 1, failed: 0 });
  });

  it('the database itself hides other portfolios from a scoped session: reads see nothing, writes affect nothing', async () => {
    const s = await scene();
    class Rollback extends Error {}
    const scoped = async <T>(fn: (q: (sql: string, p?: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T> => {
      let out: T;
      await h.db.admin
        .transaction(async (q) => {
          await q(`select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true), set_config('app.portfolio_ids', $2, true)`, [s.t.id, `{${s.P1}}`]);
          out = await fn(q);
          throw new Rollback(); // leave nothing behind
        })
        .catch((e) => {
          if (!(e instanceof Rollback)) throw e;
        });
      return out!;
    };

    const seen = await scoped(async (q) => ({
      all: (await q(`select external_ref from accounts order by external_ref`)).map((r) => r.external_ref),
      p2: (await q(`select id from accounts where portfolio_id = $1`, [s.P2])).length,
      byId: (await q(`select id from accounts where id = $1`, [s.a2.id])).length,
      portfolios: (await q(`select name from portfolios order by name`)).map((r) => r.name),
      updatedP2: (await q(`update accounts set product_type = 'other' where tenant_id = $1 and portfolio_id = $2 returning id`, [s.t.id, s.P2])).length,
      updatedAll: (await q(`update accounts set product_type = 'other' where tenant_id = $1 returning external_ref`, [s.t.id])).map((r) => r.external_ref).sort(),
      renamedP2: (await q(`update portfolios set name = 'hijacked' where id = $1 returning id`, [s.P2])).length,
    }));
    expect(seen).toEqual({ all: ['a1', 'a3'], p2: 0, byId: 0, portfolios: ['P1'], updatedP2: 0, updatedAll: ['a1', 'a3'], renamedP2: 0 });

    // Moving a visible account into P2, or inserting one there, violates the policy.
    for (const stmt of [
      [`update accounts set portfolio_id = $2 where id = $1`, [s.a1.id, s.P2]],
      [
        `insert into accounts (tenant_id, id, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on)
         values ($1, gen_random_uuid(), $2, $3, 'sneaky', 'loan', 'CNY', 1, '2026-01-01', '2026-02-01')`,
        [s.t.id, s.D1, s.P2],
      ],
    ] as const) {
      const err = await scoped((q) => q(stmt[0], [...stmt[1]])).then(
        () => null,
        (e: unknown) => e,
      );
      expect(errorText(err)).toMatch(/row-level security/);
    }

    // With no portfolio limit set, the same role sees the whole tenant (the policy only narrows).
    const whole = await h.db.admin.transaction(async (q) => {
      await q(`select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true), set_config('app.portfolio_ids', '', true)`, [s.t.id]);
      return (await q<{ n: number }>(`select count(*)::int as n from accounts`))[0]!.n;
    });
    expect(Number(whole)).toBe(4);

    // Nothing changed.
    const rows = await h.db.admin.query<{ external_ref: string; product_type: string; portfolio_id: string }>(
      `select external_ref, product_type, portfolio_id::text as portfolio_id from accounts where tenant_id = $1 order by external_ref`,
      [s.t.id],
    );
    expect(rows.map((r) => [r.external_ref, r.product_type, r.portfolio_id])).toEqual([
      ['a1', 'loan', s.P1],
      ['a2', 'loan', s.P2],
      ['a3', 'loan', s.P1],
      ['a4', 'loan', s.P2],
    ]);
  });
});
