import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, errorOf, PLATFORM_TOKEN, startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { setPlan } from './billing-fixtures.js';
import { accountInput, createAccount, createDebtor, createPortfolio, CREATE_ACCOUNT, expectError, ok, post, scopedKey } from './accounts-fixtures.js';
import { agencyWithToken, ALL_SCOPES, createAgency, grant, recall } from './agency-fixtures.js';
import { createPromiseRaw, pay, payRaw } from './plans-fixtures.js';
import { createEndpoint, ENDPOINT } from './webhooks-fixtures.js';
import { setPreferenceRaw } from './compliance-fixtures.js';

/**
 * Plan entitlements and billing read-only mode. One harness with small plans (free: 3 accounts, 1 agency seat,
 * 1 webhook endpoint, 2 credit checks a month; starter: 5 / 2 / 2 / 3; growth: 8 / 3 / 3 / 5), tenants without
 * a subscription on free, a grace period of 7 days, and a fixed clock. Request rate limits are off (they are
 * not what this file is about). Each test takes a fresh tenant. `any` appears where GraphQL results are handled.
 */

const NOW = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;
const GRACE_DAYS = 7;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    clock: { now: () => NOW },
    env: {
      BILLING_DEFAULT_PLAN: 'free',
      BILLING_GRACE_DAYS: String(GRACE_DAYS),
      BILLING_PLANS: JSON.stringify({
        free: { limits: { activeAccounts: 3, agencySeats: 1, webhookEndpoints: 1, creditChecksPerMonth: 2 } },
        starter: { limits: { activeAccounts: 5, agencySeats: 2, webhookEndpoints: 2, creditChecksPerMonth: 3 } },
        growth: { limits: { activeAccounts: 8, agencySeats: 3, webhookEndpoints: 3, creditChecksPerMonth: 5 } },
      }),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      RATE_LIMIT_STORE: 'off',
    },
  });
});
afterAll(async () => h?.close());

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

const SUBSCRIPTION = `{ subscription { plan { code } status mode reason graceEndsAt usage { limit used allowed exceeded } } }`;

async function subscriptionOf(t: TestTenant): Promise<{ plan: string; status: string; mode: string; reason: string | null; graceEndsAt: string | null; usage: Record<string, { used: number | null; allowed: number | null; exceeded: boolean }> }> {
  const s = ok(await t.gql(SUBSCRIPTION)).subscription;
  return { plan: s.plan.code, status: s.status, mode: s.mode, reason: s.reason, graceEndsAt: s.graceEndsAt, usage: Object.fromEntries(s.usage.map((u: any) => [u.limit, { used: u.used, allowed: u.allowed, exceeded: u.exceeded }])) };
}

/** A plan-limit refusal: its code, reason, the limit, the usage, what was asked and the plan that would allow it. */
function expectLimit(r: GqlResult, x: { limit: string; allowed: number; usage: number; requested: number; plan: string; upgradeTo: string | null }): { message: string; ext: Record<string, any> } {
  const e = expectError(r, 'PLAN_LIMIT_EXCEEDED');
  expect(e.ext).toMatchObject({ reason: 'limit', ...x });
  expect(e.message).toMatch(new RegExp(`^${x.limit}: the \\w+ plan allows ${x.allowed} .*, ${x.usage} in use, ${x.requested} more requested; `));
  expect(r.data).toBeNull();
  return e;
}

async function n(sql: string, params: unknown[]): Promise<number> {
  const [row] = await h.db.admin.query<{ n: number | string }>(sql, params);
  return Number(row!.n);
}
const countOf = (table: string, tenantId: string, where = 'true', params: unknown[] = []) => n(`select count(*)::int as n from ${table} where tenant_id = $1 and (${where})`, [tenantId, ...params]);

/** A raw POST /graphql with the whole body (the harness's helper drops the response's `extensions`). */
async function raw(auth: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: await res.json() };
}

const CREATE_PORTFOLIO = `mutation($i: CreatePortfolioInput!) { createPortfolio(input: $i) { id } }`;
const portfolioInput = () => ({ i: { name: `P ${randomBytes(3).toString('hex')}`, currency: 'CNY' } });

/** A tenant with a portfolio and a debtor, ready for accounts. */
async function accountsTenant(): Promise<{ t: TestTenant; P: string; D: string }> {
  const t = await h.tenant();
  const P = (await createPortfolio(t, 'CNY')).id;
  const D = await createDebtor(t, '王五');
  return { t, P, D };
}

const IMPORT = `mutation($i: ImportAccountsInput!) { importAccounts(input: $i) {
  rows accountsCreated accountsUnchanged debtorsCreated debtorsUpdated failed written errors { line field message } } }`;
const importRow = (ref: string) => ({
  debtorExternalRef: `D-${ref}`,
  debtorName: '测试债务人',
  accountExternalRef: ref,
  productType: 'loan',
  currency: 'CNY',
  principal: '100.00',
  openedOn: '2026-01-01',
  dueOn: '2026-02-01',
});

const hookUrl = () => `http://127.0.0.1:9/hooks/${randomBytes(4).toString('hex')}`;
const CREATE_ENDPOINT = `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }`;
const GRANT_M = `mutation($i: GrantPortfolioAccessInput!) { grantPortfolioAccess(input: $i) { id portfolioId agencyId } }`;

// ── 1. limits at the boundary ───────────────────────────────────────────────────────────────────────────────

describe('limits at exactly the boundary', () => {
  it('createAccount: the 3rd active account on free succeeds, the 4th is PLAN_LIMIT_EXCEEDED naming the limit, usage and starter, and writes nothing', async () => {
    const { t, P, D } = await accountsTenant();
    for (let i = 0; i < 3; i++) await createAccount(t, { debtorId: D, portfolioId: P });
    const auditBefore = await countOf('audit_events', t.id);
    const entriesBefore = await countOf('ledger_entries', t.id);

    const input = accountInput({ debtorId: D, portfolioId: P });
    const r = await t.gql(CREATE_ACCOUNT, { i: input });
    const e = expectLimit(r, { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(e.message).toBe('activeAccounts: the Free plan allows 3 active accounts, 3 in use, 1 more requested; the Starter plan (starter) allows 5');

    expect(await countOf('accounts', t.id)).toBe(3);
    expect(await countOf('accounts', t.id, 'external_ref = $2', [input.externalRef])).toBe(0);
    expect(await countOf('ledger_entries', t.id)).toBe(entriesBefore);
    expect(await countOf('audit_events', t.id)).toBe(auditBefore);
    const u = await subscriptionOf(t);
    expect([u.plan, u.status, u.mode]).toEqual(['free', 'none', 'FULL']);
    expect(u.usage.ACTIVE_ACCOUNTS).toEqual({ used: 3, allowed: 3, exceeded: false });

    // On starter the same request goes through: the limit follows the plan, not a stored counter.
    await setPlan(h, t.id, 'starter');
    ok(await t.gql(CREATE_ACCOUNT, { i: input }));
    expect(await countOf('accounts', t.id)).toBe(4);
  });

  it('accounts paid off or closed no longer count; charged-off ones do', async () => {
    const { t, P, D } = await accountsTenant();
    const zeroA = await createAccount(t, { debtorId: D, portfolioId: P, originalPrincipal: '0' });
    const zeroB = await createAccount(t, { debtorId: D, portfolioId: P, originalPrincipal: '0' });
    await createAccount(t, { debtorId: D, portfolioId: P, chargedOffOn: '2026-05-01' });
    expectLimit(await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P }) }), { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });

    const STATUS = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id status } }`;
    expect(ok(await t.gql(STATUS, { i: { id: zeroA.id, version: zeroA.version, status: 'PAID_OFF' } })).changeAccountStatus.status).toBe('PAID_OFF');
    await createAccount(t, { debtorId: D, portfolioId: P });
    expectLimit(await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P }) }), { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });

    expect(ok(await t.gql(STATUS, { i: { id: zeroB.id, version: zeroB.version, status: 'CLOSED' } })).changeAccountStatus.status).toBe('CLOSED');
    await createAccount(t, { debtorId: D, portfolioId: P });
    expectLimit(await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P }) }), { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });

    expect(await countOf('accounts', t.id)).toBe(5);
    expect((await subscriptionOf(t)).usage.ACTIVE_ACCOUNTS).toEqual({ used: 3, allowed: 3, exceeded: false });
  });

  it('importAccounts (non-atomic): rows beyond the limit are refused one by one with a plan-limit message, the rest written, no debtor for refused rows; a re-run counts only new references', async () => {
    const { t, P, D } = await accountsTenant();
    await createAccount(t, { debtorId: D, portfolioId: P });
    const rows = ['IMP-1', 'IMP-2', 'IMP-3', 'IMP-4'].map(importRow);

    const r = ok(await t.gql(IMPORT, { i: { portfolioId: P, rows, atomic: false } })).importAccounts;
    expect(r).toMatchObject({ rows: 4, accountsCreated: 2, accountsUnchanged: 0, debtorsCreated: 2, failed: 2, written: true });
    expect(r.errors.map((e: any) => [e.line, e.field])).toEqual([
      [3, 'account_external_ref'],
      [4, 'account_external_ref'],
    ]);
    for (const e of r.errors) expect(e.message).toBe('plan limit: the Free plan allows 3 active accounts, 1 in use, 4 more requested; the Starter plan (starter) allows 5');

    expect(await countOf('accounts', t.id)).toBe(3);
    expect(await countOf('accounts', t.id, `external_ref in ('IMP-1', 'IMP-2')`)).toBe(2);
    expect(await countOf('accounts', t.id, `external_ref in ('IMP-3', 'IMP-4')`)).toBe(0);
    // No debtor was created for the refused rows.
    expect(await countOf('debtors', t.id, `external_ref in ('D-IMP-3', 'D-IMP-4')`)).toBe(0);
    expect(await countOf('debtors', t.id)).toBe(3);

    // The same rows again: the two existing accounts are unchanged and take no room; the two new ones are still refused.
    const again = ok(await t.gql(IMPORT, { i: { portfolioId: P, rows, atomic: false } })).importAccounts;
    expect(again).toMatchObject({ rows: 4, accountsCreated: 0, accountsUnchanged: 2, debtorsCreated: 0, failed: 2, written: true });
    expect(again.errors.map((e: any) => e.line)).toEqual([3, 4]);
    expect(again.errors[0].message).toMatch(/^plan limit: the Free plan allows 3 active accounts, 3 in use, 2 more requested; the Starter plan \(starter\) allows 5$/);
    expect(await countOf('accounts', t.id)).toBe(3);
    expect(await countOf('debtors', t.id)).toBe(3);
  });

  it('importAccounts (atomic): one row beyond the limit refuses the whole import; exactly up to the limit is written', async () => {
    const { t, P, D } = await accountsTenant();
    await createAccount(t, { debtorId: D, portfolioId: P });
    const before = { accounts: await countOf('accounts', t.id), debtors: await countOf('debtors', t.id), entries: await countOf('ledger_entries', t.id) };

    const over = ok(await t.gql(IMPORT, { i: { portfolioId: P, rows: ['AT-1', 'AT-2', 'AT-3'].map(importRow), atomic: true } })).importAccounts;
    expect(over).toMatchObject({ rows: 3, accountsCreated: 0, debtorsCreated: 0, written: false, failed: 1 });
    expect(over.errors).toHaveLength(1);
    expect(over.errors[0]).toMatchObject({ line: 3, field: 'account_external_ref' });
    expect(over.errors[0].message).toMatch(/^plan limit: the Free plan allows 3 active accounts, 1 in use, 3 more requested; the Starter plan \(starter\) allows 5$/);
    expect({ accounts: await countOf('accounts', t.id), debtors: await countOf('debtors', t.id), entries: await countOf('ledger_entries', t.id) }).toEqual(before);

    const exact = ok(await t.gql(IMPORT, { i: { portfolioId: P, rows: ['AT-1', 'AT-2'].map(importRow), atomic: true } })).importAccounts;
    expect(exact).toMatchObject({ rows: 2, accountsCreated: 2, debtorsCreated: 2, written: true, failed: 0, errors: [] });
    expect(await countOf('accounts', t.id)).toBe(3);
  });

  it('agency seats: the 1st open grant on free succeeds, re-granting the same portfolio to the same agency takes no seat, a 2nd portfolio is refused; a recall frees the seat', async () => {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t)).id;
    const P2 = (await createPortfolio(t)).id;
    const A = await createAgency(t);
    const B = await createAgency(t);

    await grant(t, A.id, [P1]);
    // The same portfolio to the same agency again: it replaces the open grant, no new seat.
    const regrant = await grant(t, A.id, [P1], ['ACCOUNTS_READ']);
    expect(regrant).toHaveLength(1);
    expect(await countOf('agency_grants', t.id, 'ended_at is null')).toBe(1);
    expect((await subscriptionOf(t)).usage.AGENCY_SEATS).toEqual({ used: 1, allowed: 1, exceeded: false });

    const grantsBefore = await countOf('agency_grants', t.id);
    const auditBefore = await countOf('audit_events', t.id);
    const refused = await t.gql(GRANT_M, { i: { agencyId: A.id, portfolioIds: [P2], scopes: ALL_SCOPES } });
    const e = expectLimit(refused, { limit: 'agencySeats', allowed: 1, usage: 1, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(e.message).toContain('the Starter plan (starter) allows 2');
    // Both portfolios at once: P1's grant is replaced (no seat), P2 takes one: still one too many.
    expectLimit(await t.gql(GRANT_M, { i: { agencyId: A.id, portfolioIds: [P1, P2], scopes: ALL_SCOPES } }), { limit: 'agencySeats', allowed: 1, usage: 1, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expectLimit(await t.gql(GRANT_M, { i: { agencyId: B.id, portfolioIds: [P2], scopes: ALL_SCOPES } }), { limit: 'agencySeats', allowed: 1, usage: 1, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(await countOf('agency_grants', t.id)).toBe(grantsBefore);
    expect(await countOf('agency_grants', t.id, 'portfolio_id = $2', [P2])).toBe(0);
    expect(await countOf('agency_grants', t.id, 'ended_at is null and portfolio_id = $2', [P1])).toBe(1);
    expect(await countOf('audit_events', t.id)).toBe(auditBefore);

    await recall(t, A.id, P1);
    await grant(t, B.id, [P2]);
    expect((await subscriptionOf(t)).usage.AGENCY_SEATS).toEqual({ used: 1, allowed: 1, exceeded: false });
  });

  it('webhook endpoints: the 1st on free succeeds, the 2nd is refused; a disabled endpoint still counts', async () => {
    const t = await h.tenant();
    const { endpoint } = await createEndpoint(t, hookUrl());
    const refused = await t.gql(CREATE_ENDPOINT, { i: { url: hookUrl(), eventTypes: ['PAYMENT_RECORDED'] } });
    const e = expectLimit(refused, { limit: 'webhookEndpoints', allowed: 1, usage: 1, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(e.message).toBe('webhookEndpoints: the Free plan allows 1 webhook endpoints, 1 in use, 1 more requested; the Starter plan (starter) allows 2');
    expect(await countOf('webhook_endpoints', t.id)).toBe(1);

    ok(await t.gql(`mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: "maintenance") { id status } }`, { id: endpoint.id }));
    expectLimit(await t.gql(CREATE_ENDPOINT, { i: { url: hookUrl(), eventTypes: ['PAYMENT_RECORDED'] } }), { limit: 'webhookEndpoints', allowed: 1, usage: 1, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(await countOf('webhook_endpoints', t.id)).toBe(1);
    expect((await subscriptionOf(t)).usage.WEBHOOK_ENDPOINTS).toEqual({ used: 1, allowed: 1, exceeded: false });
  });

  it('credit checks per month: reused reports are free, a failed pull gives its unit back, the 3rd pull on free is refused and writes nothing', async () => {
    const t = await h.tenant();
    ok(await t.gql(`mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { id } }`, { i: { name: 'Sandbox', provider: 'SANDBOX' } }));
    ok(await t.gql(`mutation($i: CreditSettingsInput!) { setCreditSettings(input: $i) { version } }`, { i: { reuseWindowDays: 30, retentionDays: 365 } }));
    const debtor = async (tail: string) =>
      ok(await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: { kind: 'PERSON', legalName: `Subject ${tail}`, nationalId: `11010119${randomBytes(3).toString('hex').toUpperCase()}${tail}` } })).createDebtor.id as string;
    const REQUEST = `mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { id status failureCode } }`;
    const request = (debtorId: string, force = false) => t.gql(REQUEST, { i: { debtorId, purpose: 'COLLECTION', pullType: 'SOFT', force } });
    const used = async () => (await subscriptionOf(t)).usage.CREDIT_CHECKS_PER_MONTH!.used;
    const d1 = await debtor('1234');
    const d2 = await debtor('2345');
    const d3 = await debtor('3456');
    const failing = await debtor('0400');

    expect(ok(await request(d1)).requestCreditCheck.status).toBe('COMPLETED');
    expect(await used()).toBe(1);
    expect(ok(await request(d1)).requestCreditCheck.status).toBe('REUSED');
    expect(await used()).toBe(1);
    const failed = ok(await request(failing)).requestCreditCheck;
    expect([failed.status, failed.failureCode]).toEqual(['FAILED', 'http_4xx']);
    expect(await used()).toBe(1);
    expect(ok(await request(d2)).requestCreditCheck.status).toBe('COMPLETED');
    expect(await used()).toBe(2);

    const checksBefore = await countOf('credit_checks', t.id);
    const e = expectLimit(await request(d3), { limit: 'creditChecksPerMonth', allowed: 2, usage: 2, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(e.message).toBe('creditChecksPerMonth: the Free plan allows 2 credit checks this month, 2 in use, 1 more requested; the Starter plan (starter) allows 3');
    expect(await countOf('credit_checks', t.id)).toBe(checksBefore);
    expect(await countOf('credit_checks', t.id, 'debtor_id = $2', [d3])).toBe(0);
    // A forced pull is a pull: refused too. A reuse is still free at the limit.
    expectLimit(await request(d1, true), { limit: 'creditChecksPerMonth', allowed: 2, usage: 2, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(ok(await request(d2)).requestCreditCheck.status).toBe('REUSED');
    expect(await used()).toBe(2);
    expect((await subscriptionOf(t)).usage.CREDIT_CHECKS_PER_MONTH).toEqual({ used: 2, allowed: 2, exceeded: false });

    // A pull abandoned mid-way (its process died after taking the unit) gives the unit back when housekeeping
    // fails it. Simulated by putting the d2 pull back to pending, an hour old.
    const [c2] = await h.db.admin.query<{ id: string }>(`select id from credit_checks where tenant_id = $1 and debtor_id = $2 and status = 'completed'`, [t.id, d2]);
    await h.db.admin.query(`update credit_checks set status = 'pending', report_id = null, completed_at = null, requested_at = $3 where tenant_id = $1 and id = $2`, [t.id, c2!.id, new Date(NOW.getTime() - 3_600_000).toISOString()]);
    expect((await h.app.services.creditChecks.housekeeping(t.id)).abandoned).toBe(1);
    expect(await used()).toBe(1);
  });
});

// ── 2. concurrency ──────────────────────────────────────────────────────────────────────────────────────────

describe('concurrency at the boundary', () => {
  // PGlite runs one statement at a time on one connection, so requests cannot race there: the test would
  // prove nothing. On PostgreSQL they run on separate pooled connections and only the limit's lock serialises them.
  it.skipIf(engine !== 'postgres')('10 concurrent createAccount with room for one: exactly one succeeds', async () => {
    const { t, P, D } = await accountsTenant();
    await setPlan(h, t.id, 'starter');
    for (let i = 0; i < 4; i++) await createAccount(t, { debtorId: D, portfolioId: P });
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P }) })));
    const succeeded = results.filter((r) => r.data?.createAccount);
    const refused = results.filter((r) => r.errors?.[0]?.extensions.code === 'PLAN_LIMIT_EXCEEDED');
    expect(succeeded).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.errors![0]!.extensions).toMatchObject({ limit: 'activeAccounts', allowed: 5, usage: 5, plan: 'starter', upgradeTo: 'growth' });
    expect(await countOf('accounts', t.id)).toBe(5);
  });
});

// ── 3. downgrade ────────────────────────────────────────────────────────────────────────────────────────────

describe('downgrade keeps data', () => {
  it('starter → free with accounts, grants and endpoints over the free limits: all readable and working, usage exceeded, only new creations refused', async () => {
    const { t, P, D } = await accountsTenant();
    await setPlan(h, t.id, 'starter');
    const P2 = (await createPortfolio(t)).id;
    const accounts = [];
    for (let i = 0; i < 4; i++) accounts.push(await createAccount(t, { debtorId: D, portfolioId: P }));
    const e1 = (await createEndpoint(t, hookUrl())).endpoint;
    await createEndpoint(t, hookUrl());
    const agency = await createAgency(t);
    await grant(t, agency.id, [P, P2]);

    const moved = ok(
      await h.gql(PLATFORM_TOKEN, `mutation($t: ID!, $p: String!, $r: String!) { setTenantPlan(tenantId: $t, planCode: $p, reason: $r) { plan { code } status mode usage { limit used allowed exceeded } } }`, {
        t: t.id,
        p: 'free',
        r: 'downgraded at the customer’s request',
      }),
    ).setTenantPlan;
    expect([moved.plan.code, moved.status, moved.mode]).toEqual(['free', 'active', 'FULL']);
    expect(await countOf('audit_events', t.id, `action = 'billing.plan_assigned'`)).toBe(1);

    const u = await subscriptionOf(t);
    expect(u.plan).toBe('free');
    expect(u.usage.ACTIVE_ACCOUNTS).toEqual({ used: 4, allowed: 3, exceeded: true });
    expect(u.usage.AGENCY_SEATS).toEqual({ used: 2, allowed: 1, exceeded: true });
    expect(u.usage.WEBHOOK_ENDPOINTS).toEqual({ used: 2, allowed: 1, exceeded: true });
    expect(u.usage.CREDIT_CHECKS_PER_MONTH).toEqual({ used: 0, allowed: 2, exceeded: false });
    expect(u.usage.API_REQUESTS_PER_MINUTE!.exceeded).toBe(false);

    // Everything stays readable.
    const listed = ok(await t.gql(`{ accounts(first: 50) { totalCount edges { node { id status } } } }`)).accounts;
    expect(listed.totalCount).toBe(4);
    expect(listed.edges.map((e: any) => e.node.id).sort()).toEqual(accounts.map((a) => a.id).sort());
    expect(ok(await t.gql(`{ webhookEndpoints { ${ENDPOINT} } }`)).webhookEndpoints).toHaveLength(2);
    expect(ok(await t.gql(`query($a: ID) { agencyGrants(agencyId: $a) { id portfolioId active } }`, { a: agency.id })).agencyGrants).toHaveLength(2);

    // Existing accounts and endpoints keep working.
    const posted = await post(t, { accountId: accounts[3].id, kind: 'FEE', amount: '250' });
    expect(posted.entries).toHaveLength(1);
    const paid = await pay(t, { accountId: accounts[3].id, amount: '1000' });
    expect(paid.replayed).toBe(false);
    ok(await t.gql(`mutation($id: ID!, $v: Int!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, version: $v, input: $i) { id } }`, { id: e1.id, v: e1.version, i: { description: 'still here' } }));
    // Re-granting a portfolio the agency already holds takes no new seat, even over the limit.
    ok(await t.gql(GRANT_M, { i: { agencyId: agency.id, portfolioIds: [P], scopes: ['ACCOUNTS_READ'] } }));

    // Only new ones are refused.
    expectLimit(await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P }) }), { limit: 'activeAccounts', allowed: 3, usage: 4, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expectLimit(await t.gql(CREATE_ENDPOINT, { i: { url: hookUrl(), eventTypes: ['PAYMENT_RECORDED'] } }), { limit: 'webhookEndpoints', allowed: 1, usage: 2, requested: 1, plan: 'free', upgradeTo: 'growth' });
    const P3 = (await createPortfolio(t)).id;
    expectLimit(await t.gql(GRANT_M, { i: { agencyId: agency.id, portfolioIds: [P3], scopes: ALL_SCOPES } }), { limit: 'agencySeats', allowed: 1, usage: 2, requested: 1, plan: 'free', upgradeTo: 'growth' });
    expect(await countOf('accounts', t.id)).toBe(4);
    expect(await countOf('webhook_endpoints', t.id)).toBe(2);
    expect(await countOf('agency_grants', t.id, 'ended_at is null')).toBe(2);
  });
});

// ── 4. read-only ────────────────────────────────────────────────────────────────────────────────────────────

/** A 402 read-only refusal. */
function expectReadOnly(r: { status: number; body: any }, status: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(402);
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0].extensions).toMatchObject({ code: 'PLAN_LIMIT_EXCEEDED', reason: 'billing', subscriptionStatus: status });
  expect(r.body.errors[0].message).toMatch(/read-only/);
}

describe('read-only mode', () => {
  it('canceled: mutations answer 402 and write nothing, queries work, allowed mutations work, a mixed multi-field mutation is refused whole', async () => {
    const t = await h.tenant();
    const spare = await t.keyWith(['read']);
    const other = await t.keyWith(['read']);
    const D = await createDebtor(t, '赵六');
    await setPlan(h, t.id, 'starter', 'canceled', { customerId: 'cus_test_readonly' });

    const before = { portfolios: await countOf('portfolios', t.id), audit: await countOf('audit_events', t.id) };
    const refused = await raw(t.key, CREATE_PORTFOLIO, portfolioInput());
    expectReadOnly(refused, 'canceled');
    expect(refused.body.extensions?.billing).toMatchObject({ mode: 'READ_ONLY', subscriptionStatus: 'canceled' });
    expect({ portfolios: await countOf('portfolios', t.id), audit: await countOf('audit_events', t.id) }).toEqual(before);

    // Queries work, with the warning.
    const q = await raw(t.key, SUBSCRIPTION);
    expect(q.status).toBe(200);
    expect(q.body.data.subscription).toMatchObject({ plan: { code: 'starter' }, status: 'canceled', mode: 'READ_ONLY' });
    expect(q.body.data.subscription.reason).toMatch(/canceled/);
    expect(q.body.extensions.billing).toMatchObject({ mode: 'READ_ONLY', subscriptionStatus: 'canceled' });
    expect(ok(await t.gql(`query($id: ID!) { debtor(id: $id) { id } }`, { id: D })).debtor.id).toBe(D);

    // Allowed mutations: revoking a key, recording an opt-out, the billing portal (refused for another reason).
    expect(ok(await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: spare.id })).revokeApiKey.revokedAt).toBeTruthy();
    expect(errorOf(await h.gql(spare.key, SUBSCRIPTION)).code).toBe('UNAUTHENTICATED');
    ok(await setPreferenceRaw(t, D, 'SMS', 'OPTED_OUT'));
    const portal = await raw(t.key, `mutation { createBillingPortalSession { url } }`);
    expect(portal.status).not.toBe(402);
    expect(portal.body.errors?.[0]?.extensions.code).not.toBe('PLAN_LIMIT_EXCEEDED');
    expect(portal.body.errors?.[0]?.extensions.reason).not.toBe('billing');

    // Allowed and refused fields together: refused whole; the key is not revoked.
    const mixed = await raw(t.key, `mutation($id: ID!, $i: CreatePortfolioInput!) { revokeApiKey(id: $id) { id } createPortfolio(input: $i) { id } }`, { id: other.id, ...portfolioInput() });
    expectReadOnly(mixed, 'canceled');
    // An alias does not disguise a refused field, nor does a fragment.
    expectReadOnly(await raw(t.key, `mutation($i: CreatePortfolioInput!) { revokeApiKey: createPortfolio(input: $i) { id } }`, portfolioInput()), 'canceled');
    expectReadOnly(await raw(t.key, `mutation($i: CreatePortfolioInput!) { ... on Mutation { createPortfolio(input: $i) { id } } }`, portfolioInput()), 'canceled');
    expect((await h.gql(other.key, SUBSCRIPTION)).status).toBe(200);
    expect(ok(await h.gql(other.key, SUBSCRIPTION)).subscription.mode).toBe('READ_ONLY');
    expect(await countOf('portfolios', t.id)).toBe(before.portfolios);
  });

  it('past_due within the grace period: mutations work with a GRACE warning; once the grace period is over: read-only', async () => {
    const t = await h.tenant();
    const since = new Date(NOW.getTime() - GRACE_DAYS * DAY + 1000);
    await setPlan(h, t.id, 'starter', 'past_due', { pastDueSince: since });
    const r = await raw(t.key, CREATE_PORTFOLIO, portfolioInput());
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.createPortfolio.id).toBeTruthy();
    const graceEndsAt = new Date(since.getTime() + GRACE_DAYS * DAY).toISOString();
    expect(r.body.extensions.billing).toMatchObject({ mode: 'GRACE', subscriptionStatus: 'past_due', graceEndsAt });
    expect(r.body.extensions.billing.warning).toMatch(/payment failed/);
    const s = await subscriptionOf(t);
    expect([s.mode, s.status, s.graceEndsAt]).toEqual(['GRACE', 'past_due', graceEndsAt]);
    expect(await countOf('portfolios', t.id)).toBe(1);

    // Exactly GRACE_DAYS later the grace period has ended.
    await setPlan(h, t.id, 'starter', 'past_due', { pastDueSince: new Date(NOW.getTime() - GRACE_DAYS * DAY) });
    expectReadOnly(await raw(t.key, CREATE_PORTFOLIO, portfolioInput()), 'past_due');
    await setPlan(h, t.id, 'starter', 'past_due', { pastDueSince: new Date(NOW.getTime() - (GRACE_DAYS + 1) * DAY) });
    const late = await raw(t.key, CREATE_PORTFOLIO, portfolioInput());
    expectReadOnly(late, 'past_due');
    expect(late.body.errors[0].message).toMatch(/grace period ended/);
    expect((await subscriptionOf(t)).mode).toBe('READ_ONLY');
    expect(await countOf('portfolios', t.id)).toBe(1);
  });

  it('unpaid and paused are read-only; active, trialing, incomplete and incomplete_expired (a subscription that never started) are not', async () => {
    for (const status of ['unpaid', 'paused']) {
      const t = await h.tenant();
      await setPlan(h, t.id, 'starter', status, { pastDueSince: status === 'unpaid' ? NOW : null });
      expectReadOnly(await raw(t.key, CREATE_PORTFOLIO, portfolioInput()), status);
      expect(await countOf('portfolios', t.id)).toBe(0);
      expect((await subscriptionOf(t)).mode).toBe('READ_ONLY');
    }
    for (const status of ['active', 'trialing', 'incomplete', 'incomplete_expired']) {
      const t = await h.tenant();
      await setPlan(h, t.id, 'starter', status);
      const r = await raw(t.key, CREATE_PORTFOLIO, portfolioInput());
      expect(r.status, status).toBe(200);
      expect(r.body.data.createPortfolio.id).toBeTruthy();
      expect(r.body.extensions?.billing).toBeUndefined();
    }
  });

  it("an agency of a read-only tenant is refused mutations but can still query (and record payments)", async () => {
    const { t, P, D } = await accountsTenant();
    const a = await createAccount(t, { debtorId: D, portfolioId: P });
    const ag = await agencyWithToken(h, t, [P]);
    const agencyAsTenant: TestTenant = { ...t, key: ag.token, gql: (q, v) => h.gql(ag.token, q, v) };
    ok(await createPromiseRaw(agencyAsTenant, { accountId: a.id, amount: '3000', promisedOn: '2026-06-25' }));
    const promises = await countOf('promises', t.id);

    await setPlan(h, t.id, 'free', 'canceled');
    const refused = await raw(ag.token, `mutation($i: CreatePromiseInput!) { createPromise(input: $i) { id } }`, { i: { accountId: a.id, amount: '3000', currency: 'CNY', promisedOn: '2026-06-26' } });
    expectReadOnly(refused, 'canceled');
    expect(await countOf('promises', t.id)).toBe(promises);

    const q = await raw(ag.token, `query($id: ID!) { account(id: $id) { id } }`, { id: a.id });
    expect(q.status).toBe(200);
    expect(q.body.data.account.id).toBe(a.id);
    expect(q.body.extensions.billing).toMatchObject({ mode: 'READ_ONLY' });
    // A debtor's payment is recorded whatever the creditor's billing.
    expect(ok(await payRaw(agencyAsTenant, { accountId: a.id, amount: '500' })).recordPayment.replayed).toBe(false);
  });
});

// ── 5. security ─────────────────────────────────────────────────────────────────────────────────────────────

describe('security', () => {
  it('subscription and billingPlans need a tenant key: the platform token is FORBIDDEN; a tenant sees the configured plans', async () => {
    await h.tenant();
    expect(errorOf(await h.gql(PLATFORM_TOKEN, SUBSCRIPTION)).code).toBe('FORBIDDEN');
    expect(errorOf(await h.gql(PLATFORM_TOKEN, `{ billingPlans { code } }`)).code).toBe('FORBIDDEN');
    const t = await h.tenant();
    const plans = ok(await t.gql(`{ billingPlans { code limits { limit allowed } } }`)).billingPlans;
    expect(plans.map((p: any) => p.code)).toEqual(['free', 'starter', 'growth', 'enterprise']);
    expect(plans[0].limits).toContainEqual({ limit: 'ACTIVE_ACCOUNTS', allowed: 3 });
    expect(plans[3].limits).toContainEqual({ limit: 'ACTIVE_ACCOUNTS', allowed: null });
  });

  it("cross-tenant: tenant B's usage does not count tenant A's accounts or endpoints, and B has its own full allowance", async () => {
    const A = await accountsTenant();
    for (let i = 0; i < 3; i++) await createAccount(A.t, { debtorId: A.D, portfolioId: A.P });
    await createEndpoint(A.t, hookUrl());
    const B = await accountsTenant();
    const u = await subscriptionOf(B.t);
    expect(u.usage.ACTIVE_ACCOUNTS).toEqual({ used: 0, allowed: 3, exceeded: false });
    expect(u.usage.WEBHOOK_ENDPOINTS!.used).toBe(0);
    for (let i = 0; i < 3; i++) await createAccount(B.t, { debtorId: B.D, portfolioId: B.P });
    await createEndpoint(B.t, hookUrl());
    expect((await subscriptionOf(A.t)).usage.ACTIVE_ACCOUNTS!.used).toBe(3);
    expect((await subscriptionOf(B.t)).usage.ACTIVE_ACCOUNTS!.used).toBe(3);
  });

  /** A tenant on free with one account in P1 and two in P2 (at its limit), and a key limited to P1. */
  async function scopedAtLimit() {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t)).id;
    const P2 = (await createPortfolio(t)).id;
    const D = await createDebtor(t, '钱七');
    await createAccount(t, { debtorId: D, portfolioId: P1 });
    await createAccount(t, { debtorId: D, portfolioId: P2 });
    const key = await scopedKey(t, ['read', 'write'], [P1]);
    const scoped: TestTenant = { ...t, key, gql: (q, v) => h.gql(key, q, v) };
    ok(await scoped.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P1 }) }));
    expect(await countOf('accounts', t.id)).toBe(3);
    return { t, scoped, P1, D };
  }

  it('a portfolio-scoped key creating an account counts against the tenant-wide limit (accounts in portfolios it cannot see included)', async () => {
    const { t, scoped, P1, D } = await scopedAtLimit();
    expect((await subscriptionOf(scoped)).usage.ACTIVE_ACCOUNTS).toEqual({ used: 3, allowed: 3, exceeded: false });
    expectLimit(await scoped.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: D, portfolioId: P1 }) }), { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(await countOf('accounts', t.id)).toBe(3);
  });

  it('a portfolio-scoped key importing accounts counts against the tenant-wide limit', async () => {
    const { t, scoped, P1 } = await scopedAtLimit();
    const imp = ok(await scoped.gql(IMPORT, { i: { portfolioId: P1, rows: [importRow('SC-1')], atomic: false } })).importAccounts;
    expect(imp).toMatchObject({ accountsCreated: 0, debtorsCreated: 0, failed: 1 });
    expect(imp.errors[0]?.message).toMatch(/^plan limit: the Free plan allows 3 active accounts, 3 in use, 1 more requested/);
    expect(await countOf('accounts', t.id)).toBe(3);
  });

  it('setTenantPlan: platform only; unknown plan is BAD_USER_INPUT on planCode; unknown tenant is NOT_FOUND; nothing changes on refusal', async () => {
    const t = await h.tenant();
    const SET = `mutation($t: ID!, $p: String!, $r: String!) { setTenantPlan(tenantId: $t, planCode: $p, reason: $r) { plan { code } status } }`;
    expect(errorOf(await t.gql(SET, { t: t.id, p: 'enterprise', r: 'self-service upgrade' })).code).toBe('FORBIDDEN');
    const unknownPlan = errorOf(await h.gql(PLATFORM_TOKEN, SET, { t: t.id, p: 'platinum', r: 'contract' }));
    expect([unknownPlan.code, unknownPlan.field]).toEqual(['BAD_USER_INPUT', 'planCode']);
    expect(errorOf(await h.gql(PLATFORM_TOKEN, SET, { t: randomUUID(), p: 'growth', r: 'contract' })).code).toBe('NOT_FOUND');
    expect(await n(`select count(*)::int as n from billing_subscriptions where tenant_id = $1`, [t.id])).toBe(0);
    expect((await subscriptionOf(t)).plan).toBe('free');

    expect(ok(await h.gql(PLATFORM_TOKEN, SET, { t: t.id, p: 'growth', r: 'invoiced contract' })).setTenantPlan).toEqual({ plan: { code: 'growth' }, status: 'active' });
    expect((await subscriptionOf(t)).usage.ACTIVE_ACCOUNTS!.allowed).toBe(8);
  });
});

// ── reactivation and the end of grace ──────────────────────────────────────────────────────────────────────

describe('state changes no request makes', () => {
  it('bringing a recalled account back into collection takes a unit: refused at the limit, allowed on a plan with room', async () => {
    const { t, P, D } = await accountsTenant();
    const STATUS = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id version status } }`;
    const a = await createAccount(t, { debtorId: D, portfolioId: P });
    const recalled = ok(await t.gql(STATUS, { i: { id: a.id, version: a.version, status: 'RECALLED', reason: 'agency returned it' } })).changeAccountStatus;
    for (let i = 0; i < 3; i++) await createAccount(t, { debtorId: D, portfolioId: P });
    const back = await t.gql(STATUS, { i: { id: a.id, version: recalled.version, status: 'CURRENT' } });
    expectLimit(back, { limit: 'activeAccounts', allowed: 3, usage: 3, requested: 1, plan: 'free', upgradeTo: 'starter' });
    expect(await countOf('accounts', t.id, "id = $2 and status = 'recalled'", [a.id])).toBe(1);
    await setPlan(h, t.id, 'starter');
    expect(ok(await t.gql(STATUS, { i: { id: a.id, version: recalled.version, status: 'CURRENT' } })).changeAccountStatus.status).toBe('CURRENT');
  });

  it('the end of a grace period is audited once per past-due spell, by the hourly job', async () => {
    const t = await h.tenant();
    await setPlan(h, t.id, 'starter', 'past_due', { pastDueSince: new Date(NOW.getTime() - 3 * DAY) });
    expect(await h.app.services.billing.recordGraceEnd(t.id)).toBe(false); // still in grace
    await setPlan(h, t.id, 'starter', 'past_due', { pastDueSince: new Date(NOW.getTime() - GRACE_DAYS * DAY) });
    expect(await h.app.services.billing.recordGraceEnd(t.id)).toBe(true);
    expect(await h.app.services.billing.recordGraceEnd(t.id)).toBe(false);
    const [ev] = await h.db.admin.query<{ actor_id: string; after: any }>(`select actor_id, after from audit_events where tenant_id = $1 and action = 'billing.grace_ended'`, [t.id]);
    expect(ev).toMatchObject({ actor_id: 'billing-clock', after: { mode: 'read_only', graceEndedAt: NOW.toISOString() } });
    expect(await countOf('audit_events', t.id, "action = 'billing.grace_ended'")).toBe(1);
  });
});
