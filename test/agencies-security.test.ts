import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { accountInput, createAccount, createPortfolio, expectError, idem, ok, post, postInput } from './accounts-fixtures.js';
import { count, failure, rolledBack } from './sql-fixtures.js';
import { createPromiseRaw, offerRaw, pay, payRaw, PAYMENT, PLAN, PROMISE, previewRaw, propose, proposeRaw, setRules, SETTLEMENT } from './plans-fixtures.js';
import { agencyWithToken, ALL_SCOPES, createAgency, credential, grant, recall, token } from './agency-fixtures.js';

/**
 * Security of collection agencies: an agency token reaches only the portfolios granted to it, and inside them
 * only what each grant's scopes allow. Everything else answers NOT_FOUND (worded as for an id that exists
 * nowhere) or, for operations an agency may never call, FORBIDDEN; nothing is written. The database enforces
 * the same reach by itself (migration 0012) whatever the application puts in the session. `any` appears where
 * GraphQL results are handled: their shape is the query's selection set.
 */

const TODAY = '2026-06-15';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
});
afterAll(async () => h?.close());

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';

/** NOT_FOUND, worded exactly as for an id that exists nowhere. */
async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string, label = ''): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>'), label).toBe(none.message.replace(NOWHERE, '<id>'));
}

/** A TestTenant whose calls carry another bearer (an agency token), for the plans fixtures. */
const as = (t: TestTenant, bearer: string): TestTenant => ({ ...t, key: bearer, gql: (q, v) => h.gql(bearer, q, v) });

const Q = {
  debtor: `query($id: ID!) { debtor(id: $id) { id } }`,
  account: `query($id: ID!) { account(id: $id) { id } }`,
  portfolio: `query($id: ID!) { portfolio(id: $id) { id } }`,
  plan: `query($id: ID!) { plan(id: $id) { ${PLAN} } }`,
  payment: `query($id: ID!) { payment(id: $id) { ${PAYMENT} } }`,
  promise: `query($id: ID!) { promise(id: $id) { ${PROMISE} } }`,
  settlement: `query($id: ID!) { settlementOffer(id: $id) { ${SETTLEMENT} } }`,
  ledger: `query($id: ID!) { account(id: $id) { ledger(first: 100) { edges { node { id } } } } }`,
  effectivePolicy: `query($id: ID!) { effectiveLateFeePolicy(accountId: $id) { __typename } }`,
  reveal: `mutation($id: ID!) { revealDebtorNationalId(id: $id) { debtorId nationalId } }`,
  cancelPromise: `mutation($id: ID!, $r: String!) { cancelPromise(id: $id, reason: $r) { id status } }`,
  analytics: `query($ids: [ID!]) { portfolioAnalytics(portfolioIds: $ids) { portfolio { id } accounts placed { minor } outstanding { minor } collectedToDate { minor } } }`,
  performance: `query($a: ID!) { agencyPerformance(agencyId: $a, from: "2026-01-01", to: "2026-12-31") { agency { id } portfolios { portfolio { id } placedAccounts } } }`,
  grants: `query($a: ID, $p: ID, $active: Boolean!) { agencyGrants(agencyId: $a, portfolioId: $p, activeOnly: $active) { id agencyId portfolioId agency { id } portfolio { id } } }`,
  audit: `query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { totalCount edges { node { actorKind actorId action entityType entityId } } } }`,
  approvePlan: `mutation($id: ID!) { approvePlan(id: $id) { id status approvedById } }`,
  activatePlan: `mutation($id: ID!) { activatePlan(id: $id) { id status } }`,
};

const LISTS = {
  debtors: `query($f: DebtorFilter) { debtors(first: 100, filter: $f) { totalCount edges { node { id } } } }`,
  accounts: `query($f: AccountFilterInput) { accounts(first: 100, filter: $f) { totalCount edges { node { id } } } }`,
  plans: `query($f: PlanFilterInput) { plans(first: 100, filter: $f) { edges { node { id } } } }`,
  payments: `query($f: PaymentFilterInput) { payments(first: 100, filter: $f) { edges { node { id } } } }`,
  promises: `query($f: PromiseFilterInput) { promises(first: 100, filter: $f) { edges { node { id } } } }`,
  settlementOffers: `query($f: SettlementFilterInput) { settlementOffers(first: 100, filter: $f) { edges { node { id } } } }`,
  alerts: `query($f: AlertFilterInput) { alerts(first: 100, filter: $f) { edges { node { id accountId } } } }`,
} as const;
type List = keyof typeof LISTS;

async function listIds(t: TestTenant, list: List, f: Record<string, unknown> | null = null): Promise<string[]> {
  return (ok(await t.gql(LISTS[list], { f })) as any)[list].edges.map((e: any) => e.node.id).sort();
}

async function totalCount(t: TestTenant, list: 'debtors' | 'accounts', f: Record<string, unknown> | null = null): Promise<number> {
  return (ok(await t.gql(LISTS[list], { f })) as any)[list].totalCount;
}

/** A filtered list for something out of reach: either NOT_FOUND or empty, never data. */
async function listNothing(t: TestTenant, list: List, f: Record<string, unknown>): Promise<void> {
  const r = await t.gql(LISTS[list], { f });
  if (r.errors?.length) expectError(r, 'NOT_FOUND');
  else expect((r.data as any)[list].edges, `${list} ${JSON.stringify(f)}`).toEqual([]);
}

const sorted = (xs: string[]) => [...xs].sort();

// ── Scenes ───────────────────────────────────────────────────────────────────────────────────────────────

interface DebtorSpec {
  legalName: string;
  externalRef: string;
  nationalId: string;
  phone: string;
  email: string;
}

async function newDebtor(t: TestTenant, d: DebtorSpec): Promise<string> {
  const r = await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, {
    i: { kind: 'PERSON', legalName: d.legalName, externalRef: d.externalRef, nationalId: d.nationalId, phones: [{ number: d.phone }], emails: [{ address: d.email }] },
  });
  return ok(r).createDebtor.id;
}

const NATIONAL = { D1: '110101199003071234', D2: '110101199003075678', D3: '11010119900307999X', D4: '110101199003074321', DB: '310101198001014444' };
const INSIDE = { startOn: TODAY, installmentCount: 3, frequency: 'MONTHLY', downPayment: '10000' };
/** P1's own rules allow at most 6 installments: 12 is outside them. */
const OUTSIDE = { startOn: TODAY, installmentCount: 12, frequency: 'MONTHLY', downPayment: '10000' };

/**
 * Tenant A: portfolios P1 and P2 (CNY). D1 owes in P1 only (a1, a5, a7), D2 in P2 only (a2, a6), D3 in both
 * (a3, a9 in P1; a4 in P2), D4 nowhere. Fees posted on a1 and a2; plan rules on P1 and on P2; active plans on
 * a7 (P1) and a2 (P2); payments on a1 (P1), a4 and plan2 (P2); promises on a1 (P1), a4 and plan2 (P2);
 * settlement offers on a5 (P1) and a6 (P2); a days-past-due alert on every account. a3 and a9 are left free
 * for an agency's plans.
 */
async function sceneA() {
  const t = await h.tenant();
  const P1 = (await createPortfolio(t, 'CNY', 'P1')).id;
  const P2 = (await createPortfolio(t, 'CNY', 'P2')).id;
  const D1 = await newDebtor(t, { legalName: '孙一', externalRef: 'D-1', nationalId: NATIONAL.D1, phone: '+8613800000001', email: 'sun1@example.cn' });
  const D2 = await newDebtor(t, { legalName: '周二', externalRef: 'D-2', nationalId: NATIONAL.D2, phone: '+8613800000002', email: 'zhou2@example.cn' });
  const D3 = await newDebtor(t, { legalName: '吴三', externalRef: 'D-3', nationalId: NATIONAL.D3, phone: '+8613800000003', email: 'wu3@example.cn' });
  const D4 = await newDebtor(t, { legalName: '郑四', externalRef: 'D-4', nationalId: NATIONAL.D4, phone: '+8613800000004', email: 'zheng4@example.cn' });
  const acc = async (debtorId: string, portfolioId: string, externalRef: string) =>
    (await createAccount(t, { debtorId, portfolioId, externalRef, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' })).id as string;
  const a1 = await acc(D1, P1, 'a1'), a3 = await acc(D3, P1, 'a3'), a5 = await acc(D1, P1, 'a5'), a7 = await acc(D1, P1, 'a7'), a9 = await acc(D3, P1, 'a9');
  const a2 = await acc(D2, P2, 'a2'), a4 = await acc(D3, P2, 'a4'), a6 = await acc(D2, P2, 'a6');
  await post(t, { accountId: a1, kind: 'FEE', amount: '500' });
  await post(t, { accountId: a2, kind: 'FEE', amount: '700' });
  ok(await setRules(t, { maxInstallments: 6 }, P1));
  ok(await setRules(t, { maxInstallments: 24 }, P2));
  const plan7 = await propose(t, { accountIds: [a7], ...INSIDE });
  const plan2 = await propose(t, { accountIds: [a2], ...INSIDE });
  expect([plan7.status, plan2.status]).toEqual(['ACTIVE', 'ACTIVE']);
  const payA1 = (await pay(t, { accountId: a1, amount: '3000' })).payment.id as string;
  const payA4 = (await pay(t, { accountId: a4, amount: '4000' })).payment.id as string;
  const payPlan2 = (await pay(t, { planId: plan2.id, amount: '10000' })).payment.id as string;
  const prA1 = ok(await createPromiseRaw(t, { accountId: a1, amount: '3000', promisedOn: '2026-06-25' })).createPromise.id as string;
  const prA4 = ok(await createPromiseRaw(t, { accountId: a4, amount: '3000', promisedOn: '2026-06-25' })).createPromise.id as string;
  const prPlan2 = ok(await createPromiseRaw(t, { planId: plan2.id, amount: '3000', promisedOn: '2026-06-25' })).createPromise.id as string;
  const s5 = ok(await offerRaw(t, { accountIds: [a5], amount: '90000', expiresOn: '2026-07-15' })).createSettlementOffer.id as string;
  const s6 = ok(await offerRaw(t, { accountIds: [a6], amount: '90000', expiresOn: '2026-07-15' })).createSettlementOffer.id as string;
  ok(await t.gql(`mutation { createAlertRule(input: { name: "dpd", metric: DAYS_PAST_DUE, threshold: "1" }) { id } }`));
  expect(ok(await t.gql(`mutation { evaluateAlerts { raised } }`)).evaluateAlerts.raised).toBeGreaterThanOrEqual(8);
  const creditorActor = ok(await t.gql(`{ viewer { actorId } }`)).viewer.actorId as string;
  return {
    t, P1, P2, D1, D2, D3, D4, a1, a2, a3, a4, a5, a6, a7, a9, plan7: plan7.id as string, plan2: plan2.id as string,
    payA1, payA4, payPlan2, prA1, prA4, prPlan2, s5, s6, creditorActor,
    p1Accounts: sorted([a1, a3, a5, a7, a9]),
  };
}
type SceneA = Awaited<ReturnType<typeof sceneA>>;

/**
 * Agencies of tenant A: H held P1 (recalled) and now holds P2, so P1's accounts carry a placement of H's and
 * P2's are H's; G holds P1 with `scopes` and has a token.
 */
async function placeAgencies(s: SceneA, scopes: string[] = ALL_SCOPES) {
  const H = await createAgency(s.t, { name: `H ${randomUUID().slice(0, 6)}` });
  await grant(s.t, H.id, [s.P1]);
  await recall(s.t, H.id, s.P1);
  await grant(s.t, H.id, [s.P2]);
  const G = await agencyWithToken(h, s.t, [s.P1], scopes);
  return { H, G, asG: as(s.t, G.token) };
}

/** Tenant B: one portfolio, debtor, account with a plan, a payment, a promise, an offer, and its own agency. */
async function sceneB() {
  const t = await h.tenant();
  const PB = (await createPortfolio(t, 'CNY', 'PB')).id;
  const DB = await newDebtor(t, { legalName: '王五', externalRef: 'D-B', nationalId: NATIONAL.DB, phone: '+8613900000005', email: 'wang5@example.cn' });
  const acc = async (externalRef: string) =>
    (await createAccount(t, { debtorId: DB, portfolioId: PB, externalRef, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' })).id as string;
  const aB = await acc('b1'), aB2 = await acc('b2'), aB3 = await acc('b3');
  const planB = (await propose(t, { accountIds: [aB2], ...INSIDE })).id as string;
  const payB = (await pay(t, { accountId: aB, amount: '2000' })).payment.id as string;
  const prB = ok(await createPromiseRaw(t, { accountId: aB, amount: '3000', promisedOn: '2026-06-25' })).createPromise.id as string;
  const sB = ok(await offerRaw(t, { accountIds: [aB3], amount: '90000', expiresOn: '2026-07-15' })).createSettlementOffer.id as string;
  const GB = await agencyWithToken(h, t, [PB], [...ALL_SCOPES, 'PII_REVEAL']);
  return { t, PB, DB, aB, aB2, aB3, planB, payB, prB, sB, GB, asGB: as(t, GB.token) };
}
type SceneB = Awaited<ReturnType<typeof sceneB>>;

/** Every query by id as `K` on things it must not reach: NOT_FOUND, worded as for an unknown id. */
async function expectAllHidden(K: TestTenant, ids: { debtors?: string[]; accounts?: string[]; plans?: string[]; payments?: string[]; promises?: string[]; settlements?: string[]; portfolios?: string[] }, label: string) {
  for (const id of ids.debtors ?? []) await expectHidden((x) => K.gql(Q.debtor, { id: x }), id, `${label}: debtor`);
  for (const id of ids.accounts ?? []) {
    await expectHidden((x) => K.gql(Q.account, { id: x }), id, `${label}: account`);
    await expectHidden((x) => K.gql(Q.ledger, { id: x }), id, `${label}: account ledger`);
  }
  for (const id of ids.plans ?? []) await expectHidden((x) => K.gql(Q.plan, { id: x }), id, `${label}: plan`);
  for (const id of ids.payments ?? []) await expectHidden((x) => K.gql(Q.payment, { id: x }), id, `${label}: payment`);
  for (const id of ids.promises ?? []) await expectHidden((x) => K.gql(Q.promise, { id: x }), id, `${label}: promise`);
  for (const id of ids.settlements ?? []) await expectHidden((x) => K.gql(Q.settlement, { id: x }), id, `${label}: settlementOffer`);
  for (const id of ids.portfolios ?? []) await expectHidden((x) => K.gql(Q.portfolio, { id: x }), id, `${label}: portfolio`);
}

/** Rows per table of a tenant, as the superuser. */
const TENANT_TABLES = [
  'portfolios', 'debtors', 'debtor_contact_points', 'accounts', 'ledger_entries', 'alerts', 'alert_rules', 'account_bucket_history',
  'plans', 'plan_accounts', 'plan_installments', 'plan_rules', 'promises', 'settlement_offers', 'settlement_accounts',
  'payments', 'payment_accounts', 'installment_payments', 'late_fee_runs', 'late_fee_assessments', 'fee_waivers', 'late_fee_policies',
  'agencies', 'agency_credentials', 'agency_grants', 'agency_placements', 'api_keys', 'audit_events', 'idempotency_keys',
];

async function tenantCounts(tenantId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TENANT_TABLES) out[table] = await count(h.db.admin.query, `select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId]);
  return out;
}

// ── 1. Reads ─────────────────────────────────────────────────────────────────────────────────────────────

describe('an agency granted P1 reads nothing of P2 or of another tenant', () => {
  it('by id: P2 and tenant B debtors, accounts, ledgers, plans, payments, promises, offers and portfolios are NOT_FOUND; P1 ones are found', async () => {
    const s = await sceneA();
    const B = await sceneB();
    const { asG } = await placeAgencies(s);

    await expectAllHidden(
      asG,
      { debtors: [s.D2, s.D4], accounts: [s.a2, s.a4, s.a6], plans: [s.plan2], payments: [s.payA4, s.payPlan2], promises: [s.prA4, s.prPlan2], settlements: [s.s6], portfolios: [s.P2] },
      'P2',
    );
    await expectAllHidden(asG, { debtors: [B.DB], accounts: [B.aB], plans: [B.planB], payments: [B.payB], promises: [B.prB], settlements: [B.sB], portfolios: [B.PB] }, 'tenant B');
    await expectHidden((id) => asG.gql(Q.effectivePolicy, { id }), s.a2, 'effectiveLateFeePolicy P2');
    await expectHidden((id) => previewRaw(asG, { accountIds: [id], ...INSIDE }), s.a4, 'previewPlan P2');
    await expectHidden((id) => previewRaw(asG, { accountIds: [s.a3, id], ...INSIDE }), s.a4, 'previewPlan P1+P2');

    // P1's are in reach (so the NOT_FOUNDs above are about reach, not about agencies reading nothing).
    expect(ok(await asG.gql(Q.debtor, { id: s.D1 })).debtor.id).toBe(s.D1);
    expect(ok(await asG.gql(Q.debtor, { id: s.D3 })).debtor.id).toBe(s.D3);
    for (const a of s.p1Accounts) expect(ok(await asG.gql(Q.account, { id: a })).account.id).toBe(a);
    expect(ok(await asG.gql(Q.plan, { id: s.plan7 })).plan.id).toBe(s.plan7);
    expect(ok(await asG.gql(Q.payment, { id: s.payA1 })).payment.id).toBe(s.payA1);
    expect(ok(await asG.gql(Q.promise, { id: s.prA1 })).promise.id).toBe(s.prA1);
    expect(ok(await asG.gql(Q.settlement, { id: s.s5 })).settlementOffer.id).toBe(s.s5);
    expect(ok(await asG.gql(Q.portfolio, { id: s.P1 })).portfolio.id).toBe(s.P1);
    expect(ok(await asG.gql(`{ viewer { kind portfolioIds } }`)).viewer).toEqual({ kind: 'agency', portfolioIds: [s.P1] });
  });

  it('lists and their counts hold only P1 things; filters naming P2 things return nothing', async () => {
    const s = await sceneA();
    await sceneB();
    const { G, H, asG } = await placeAgencies(s);

    // The creditor sees both portfolios (so the lists below are not trivially short).
    expect((await listIds(s.t, 'accounts')).length).toBe(8);
    expect(await listIds(s.t, 'payments')).toEqual(sorted([s.payA1, s.payA4, s.payPlan2]));

    expect(await listIds(asG, 'debtors')).toEqual(sorted([s.D1, s.D3]));
    expect(await totalCount(asG, 'debtors')).toBe(2);
    expect(await listIds(asG, 'accounts')).toEqual(s.p1Accounts);
    expect(await totalCount(asG, 'accounts')).toBe(5);
    expect(await listIds(asG, 'accounts', { debtorId: s.D3 })).toEqual(sorted([s.a3, s.a9]));
    expect(await totalCount(asG, 'accounts', { debtorId: s.D3 })).toBe(2);
    await listNothing(asG, 'accounts', { portfolioId: s.P2 });
    await listNothing(asG, 'accounts', { debtorId: s.D2 });
    expect(await listIds(asG, 'plans')).toEqual([s.plan7]);
    await listNothing(asG, 'plans', { accountId: s.a2 });
    await listNothing(asG, 'plans', { debtorId: s.D2 });
    expect(await listIds(asG, 'payments')).toEqual([s.payA1]);
    await listNothing(asG, 'payments', { accountId: s.a4 });
    await listNothing(asG, 'payments', { planId: s.plan2 });
    expect(await listIds(asG, 'promises')).toEqual([s.prA1]);
    await listNothing(asG, 'promises', { accountId: s.a4 });
    await listNothing(asG, 'promises', { planId: s.plan2 });
    expect(await listIds(asG, 'settlementOffers')).toEqual([s.s5]);
    await listNothing(asG, 'settlementOffers', { accountId: s.a6 });
    expect(ok(await asG.gql(`{ portfolios { id } }`)).portfolios).toEqual([{ id: s.P1 }]);

    // Alerts: exactly the creditor's alerts on P1 accounts.
    const all = ok(await s.t.gql(LISTS.alerts, { f: null })).alerts.edges.map((e: any) => e.node);
    const p1Alerts = all.filter((a: any) => s.p1Accounts.includes(a.accountId)).map((a: any) => a.id).sort();
    expect(p1Alerts.length).toBeGreaterThan(0);
    expect(p1Alerts.length).toBeLessThan(all.length);
    expect(await listIds(asG, 'alerts')).toEqual(p1Alerts);
    await listNothing(asG, 'alerts', { accountId: s.a2 });

    // Grants: its own only, whatever it filters by.
    const own = ok(await asG.gql(Q.grants, { a: null, p: null, active: false })).agencyGrants;
    expect(own.map((g: any) => [g.agencyId, g.portfolioId, g.agency.id, g.portfolio?.id])).toEqual([[G.agency.id, s.P1, G.agency.id, s.P1]]);
    expect(ok(await asG.gql(Q.grants, { a: H.id, p: null, active: false })).agencyGrants.filter((g: any) => g.agencyId === H.id)).toEqual([]);
    expect(ok(await asG.gql(Q.grants, { a: null, p: s.P2, active: false })).agencyGrants).toEqual([]);
    // Plan rules: P1's, not P2's.
    expect(ok(await asG.gql(`{ planRules { portfolios { portfolioId } } }`)).planRules.portfolios.map((r: any) => r.portfolioId)).toEqual([s.P1]);
  });

  it('debtor search and filters find only debtors with an account in P1', async () => {
    const s = await sceneA();
    const { asG } = await placeAgencies(s);
    const search = async (text: string) => ({ ids: await listIds(asG, 'debtors', { search: text }), n: await totalCount(asG, 'debtors', { search: text }) });
    // The creditor finds each of them (so the searches are not vacuous).
    for (const [text, id] of [['周二', s.D2], ['D-2', s.D2], ['+8613800000002', s.D2], ['zhou2@example.cn', s.D2], ['郑四', s.D4], ['吴三', s.D3]] as const) {
      expect(await listIds(s.t, 'debtors', { search: text }), text).toContain(id);
    }
    for (const text of ['周二', 'D-2', '+8613800000002', 'zhou2@example.cn', '郑四', 'D-4', '+8613800000004']) expect(await search(text), text).toEqual({ ids: [], n: 0 });
    expect(await search('吴三')).toEqual({ ids: [s.D3], n: 1 });
    expect(await search('+8613800000003')).toEqual({ ids: [s.D3], n: 1 });
    expect(await search('D-1')).toEqual({ ids: [s.D1], n: 1 });
    expect(await listIds(asG, 'debtors', { archived: false, flags: [] })).toEqual(sorted([s.D1, s.D3]));
  });

  it('nested fields: Debtor.accounts, Account.debtor, ledger, payment entries and placements stay inside P1 and its own', async () => {
    const s = await sceneA();
    const { G, H, asG } = await placeAgencies(s);

    const d3 = `query($id: ID!) { debtor(id: $id) { accounts { id portfolio { id } } } }`;
    expect(ok(await s.t.gql(d3, { id: s.D3 })).debtor.accounts.map((a: any) => a.id).sort()).toEqual(sorted([s.a3, s.a4, s.a9]));
    expect(ok(await asG.gql(d3, { id: s.D3 })).debtor.accounts.map((a: any) => [a.id, a.portfolio.id]).sort()).toEqual(sorted([s.a3, s.a9]).map((id) => [id, s.P1]));
    const viaAccount = ok(await asG.gql(`query($id: ID!) { account(id: $id) { debtor { id accounts { id } } } }`, { id: s.a3 })).account.debtor;
    expect(viaAccount.id).toBe(s.D3);
    expect(viaAccount.accounts.map((a: any) => a.id).sort()).toEqual(sorted([s.a3, s.a9]));

    // The ledger of a P1 account is the creditor's, whole.
    const ledger = async (K: TestTenant, id: string) => ok(await K.gql(Q.ledger, { id })).account.ledger.edges.map((e: any) => e.node.id);
    expect(await ledger(asG, s.a1)).toEqual(await ledger(s.t, s.a1));
    expect((await ledger(asG, s.a1)).length).toBeGreaterThan(2);
    const entries = `query($id: ID!) { payment(id: $id) { entries { id } } }`;
    expect(ok(await asG.gql(entries, { id: s.payA1 })).payment.entries).toEqual(ok(await s.t.gql(entries, { id: s.payA1 })).payment.entries);

    // Placements: the creditor sees H's (recalled) and G's on a P1 account; G sees only its own.
    const placements = `query($id: ID!) { account(id: $id) { placements { agencyId portfolioId endedAt } } }`;
    const creditorSees = ok(await s.t.gql(placements, { id: s.a1 })).account.placements;
    expect(creditorSees.map((p: any) => p.agencyId).sort()).toEqual(sorted([G.agency.id, H.id]));
    const gSees = ok(await asG.gql(placements, { id: s.a1 })).account.placements;
    expect(gSees.map((p: any) => [p.agencyId, p.portfolioId, p.endedAt])).toEqual([[G.agency.id, s.P1, null]]);
  });

  it('analytics: portfolioAnalytics shows only P1 (and equals the creditor’s P1 figures); P2 by id is NOT_FOUND; agencyPerformance of another agency is NOT_FOUND', async () => {
    const s = await sceneA();
    const { G, H, asG } = await placeAgencies(s);
    const mine = ok(await asG.gql(Q.analytics, {})).portfolioAnalytics;
    expect(mine.map((x: any) => x.portfolio.id)).toEqual([s.P1]);
    const creditorP1 = ok(await s.t.gql(Q.analytics, {})).portfolioAnalytics.find((x: any) => x.portfolio.id === s.P1);
    expect(mine[0]).toEqual(creditorP1);
    expect(mine[0].accounts).toBe(5);
    await expectHidden((id) => asG.gql(Q.analytics, { ids: [id] }), s.P2, 'analytics P2');
    await expectHidden((id) => asG.gql(Q.analytics, { ids: [s.P1, id] }), s.P2, 'analytics P1+P2');

    await expectHidden((id) => asG.gql(Q.performance, { a: id }), H.id, 'agencyPerformance of H');
    const perf = ok(await asG.gql(Q.performance, { a: G.agency.id })).agencyPerformance;
    expect(perf.agency.id).toBe(G.agency.id);
    expect(perf.portfolios.map((p: any) => p.portfolio.id)).toEqual([s.P1]);
  });

  it('audit: auditEvents as the agency lists only the events it caused, and counts only those', async () => {
    const s = await sceneA();
    const { G, asG } = await placeAgencies(s);
    const proposed = (await propose(asG, { accountIds: [s.a9], ...INSIDE })).id;
    const promised = ok(await createPromiseRaw(asG, { accountId: s.a3, amount: '500', promisedOn: '2026-06-30' })).createPromise.id;

    const byG = await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1 and actor_kind = 'agency' and actor_id = $2`, [s.t.id, G.agency.id]);
    const all = await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1`, [s.t.id]);
    expect(byG).toBe(2);
    expect(all).toBeGreaterThan(byG);

    const seen = ok(await asG.gql(Q.audit, { f: null })).auditEvents;
    expect(seen.totalCount).toBe(byG);
    expect(seen.edges.map((e: any) => [e.node.actorKind, e.node.actorId])).toEqual(Array(byG).fill(['agency', G.agency.id]));
    expect(seen.edges.map((e: any) => `${e.node.action}:${e.node.entityId}`).sort()).toEqual(sorted([`plan.propose:${proposed}`, `promise.create:${promised}`]));
    // Asking for the creditor's events yields nothing; asking for its own yields its own.
    const asked = ok(await asG.gql(Q.audit, { f: { actorId: s.creditorActor } })).auditEvents;
    expect(asked).toEqual({ totalCount: 0, edges: [] });
    expect(ok(await asG.gql(Q.audit, { f: { actorId: G.agency.id } })).auditEvents.totalCount).toBe(byG);
    // The creditor's events on P1 things (which the agency can read) are not in its trail.
    for (const f of [{ entityId: s.a1 }, { entityId: s.payA1 }, { entityId: s.plan7 }, { action: 'account.create' }, { action: 'payment.record' }, { entityType: 'debtor' }]) {
      const r = ok(await asG.gql(Q.audit, { f })).auditEvents;
      expect(r, JSON.stringify(f)).toEqual({ totalCount: 0, edges: [] });
    }
    // The creditor does see them (so the empty answers above are about the agency).
    expect(ok(await s.t.gql(Q.audit, { f: { entityId: s.payA1 } })).auditEvents.totalCount).toBeGreaterThan(0);
  });
});

// ── 2. National ids ──────────────────────────────────────────────────────────────────────────────────────

describe('national ids', () => {
  it('are masked for the agency; revealDebtorNationalId is FORBIDDEN without PII_REVEAL, and with it reveals P1 debtors only', async () => {
    const s = await sceneA();
    const B = await sceneB();
    const { G, asG } = await placeAgencies(s);

    const masked = `query($id: ID!) { debtor(id: $id) { nationalIdMasked } }`;
    expect(ok(await asG.gql(masked, { id: s.D1 })).debtor.nationalIdMasked).toBe('••••1234');
    expect(ok(await asG.gql(masked, { id: s.D3 })).debtor.nationalIdMasked).toBe('••••999X');
    const list = await asG.gql(`{ debtors(first: 100) { edges { node { id nationalIdMasked } } } }`);
    expect(ok(list).debtors.edges.map((e: any) => e.node.nationalIdMasked).sort()).toEqual(['••••1234', '••••999X']);
    for (const n of Object.values(NATIONAL)) expect(JSON.stringify(list)).not.toContain(n);

    const before = await tenantCounts(s.t.id);
    const refused = expectError(await asG.gql(Q.reveal, { id: s.D1 }), 'FORBIDDEN');
    expect(refused.ext.missingScopes).toEqual(['pii:reveal']);
    expectError(await asG.gql(Q.reveal, { id: s.D2 }), 'FORBIDDEN');
    expect(await tenantCounts(s.t.id)).toEqual(before);

    // Placed again with PII_REVEAL: a new grant, so a new token (the old one named the replaced grant).
    await grant(s.t, G.agency.id, [s.P1], [...ALL_SCOPES, 'PII_REVEAL']);
    expectError(await asG.gql(Q.reveal, { id: s.D1 }), 'UNAUTHENTICATED');
    const asPii = as(s.t, await token(h, G.cred));
    expect(ok(await asPii.gql(Q.reveal, { id: s.D1 })).revealDebtorNationalId).toEqual({ debtorId: s.D1, nationalId: NATIONAL.D1 });
    expect(ok(await asPii.gql(Q.reveal, { id: s.D3 })).revealDebtorNationalId).toEqual({ debtorId: s.D3, nationalId: NATIONAL.D3 });
    await expectHidden((id) => asPii.gql(Q.reveal, { id }), s.D2, 'reveal D2 (P2 only)');
    await expectHidden((id) => asPii.gql(Q.reveal, { id }), s.D4, 'reveal D4 (no account)');
    await expectHidden((id) => asPii.gql(Q.reveal, { id }), B.DB, 'reveal tenant B debtor');
    // Still masked in reads, even with PII_REVEAL.
    expect(ok(await asPii.gql(masked, { id: s.D1 })).debtor.nationalIdMasked).toBe('••••1234');

    // Each reveal is audited as the agency's; the refused ones left nothing.
    const reveals = ok(await s.t.gql(Q.audit, { f: { action: 'debtor.reveal_national_id' } })).auditEvents.edges.map((e: any) => e.node);
    expect(reveals.map((e: any) => [e.actorKind, e.actorId, e.entityId]).sort()).toEqual(sorted([s.D1, s.D3]).map((d) => ['agency', G.agency.id, d]));
  });
});

// ── 3. Mutations out of scope ────────────────────────────────────────────────────────────────────────────

describe('mutations outside the agency’s reach or role', () => {
  it('on P2 and tenant B things: NOT_FOUND; creditor-only operations: FORBIDDEN; and nothing is written', async () => {
    const s = await sceneA();
    const B = await sceneB();
    const { G, H, asG } = await placeAgencies(s);
    const entryA1 = (await post(s.t, { accountId: s.a1, kind: 'FEE', amount: '100' })).entries[0].id as string;
    const beforeA = await tenantCounts(s.t.id);
    const beforeB = await tenantCounts(B.t.id);

    // Out of reach: NOT_FOUND.
    await expectHidden((id) => payRaw(asG, { accountId: id, amount: '100' }), s.a2, 'recordPayment P2 account');
    await expectHidden((id) => payRaw(asG, { accountId: id, amount: '100' }), s.a4, 'recordPayment P2 account of D3');
    await expectHidden((id) => payRaw(asG, { planId: id, amount: '100' }), s.plan2, 'recordPayment P2 plan');
    await expectHidden((id) => payRaw(asG, { settlementId: id, amount: '100' }), s.s6, 'recordPayment P2 offer');
    await expectHidden((id) => proposeRaw(asG, { accountIds: [id], ...INSIDE }), s.a4, 'proposePlan P2');
    await expectHidden((id) => proposeRaw(asG, { accountIds: [s.a3, id], ...INSIDE }), s.a4, 'proposePlan P1+P2');
    await expectHidden((id) => createPromiseRaw(asG, { accountId: id, amount: '100', promisedOn: '2026-06-25' }), s.a4, 'createPromise P2 account');
    await expectHidden((id) => createPromiseRaw(asG, { planId: id, amount: '100', promisedOn: '2026-06-25' }), s.plan2, 'createPromise P2 plan');
    await expectHidden((id) => asG.gql(Q.cancelPromise, { id, r: 'x' }), s.prA4, 'cancelPromise P2');
    await expectHidden((id) => payRaw(asG, { accountId: id, amount: '100' }), B.aB, 'recordPayment tenant B');
    await expectHidden((id) => createPromiseRaw(asG, { accountId: id, amount: '100', promisedOn: '2026-06-25' }), B.aB, 'createPromise tenant B');
    await expectHidden((id) => proposeRaw(asG, { accountIds: [id], ...INSIDE }), B.aB, 'proposePlan tenant B');

    // Creditor-only operations, even on P1 things in its reach: FORBIDDEN.
    const creditorOnly: [string, string, Record<string, unknown>][] = [
      ['createDebtor', `mutation { createDebtor(input: { kind: PERSON, legalName: "新人" }) { id } }`, {}],
      ['updateDebtor', `mutation($id: ID!) { updateDebtor(input: { id: $id, version: 1, legalName: "改名" }) { id } }`, { id: s.D1 }],
      ['archiveDebtor', `mutation($id: ID!) { archiveDebtor(id: $id, reason: "x") { id } }`, { id: s.D1 }],
      ['createAccount', `mutation($i: CreateAccountInput!) { createAccount(input: $i) { id } }`, { i: accountInput({ debtorId: s.D1, portfolioId: s.P1 }) }],
      ['postLedgerEntry', `mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed } }`, { i: postInput({ accountId: s.a1, kind: 'FEE', amount: '100' }) }],
      ['reverseLedgerEntry', `mutation($i: ReverseLedgerEntryInput!) { reverseLedgerEntry(input: $i) { replayed } }`, { i: { entryId: entryA1, idempotencyKey: idem('rev') } }],
      ['moveAccount', `mutation($i: MoveAccountInput!) { moveAccount(input: $i) { id } }`, { i: { id: s.a1, version: 1, portfolioId: s.P2 } }],
      ['changeAccountStatus', `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id } }`, { i: { id: s.a1, version: 1, status: 'DISPUTED' } }],
      ['importAccounts', `mutation($p: ID!) { importAccounts(input: { portfolioId: $p, rows: [] }) { rows } }`, { p: s.P1 }],
      ['createPortfolio', `mutation { createPortfolio(input: { name: "P3", currency: "CNY" }) { id } }`, {}],
      ['updatePortfolio', `mutation($id: ID!) { updatePortfolio(input: { id: $id, version: 1, name: "mine" }) { id } }`, { id: s.P1 }],
      ['approvePlan', Q.approvePlan, { id: s.plan7 }],
      ['activatePlan', Q.activatePlan, { id: s.plan7 }],
      ['rejectPlan', `mutation($id: ID!) { rejectPlan(id: $id, reason: "x") { id } }`, { id: s.plan7 }],
      ['cancelPlan', `mutation($id: ID!) { cancelPlan(id: $id, reason: "x") { id } }`, { id: s.plan7 }],
      ['evaluatePlans', `mutation { evaluatePlans { asOf } }`, {}],
      ['reversePayment', `mutation($id: ID!) { reversePayment(input: { paymentId: $id, reason: "x" }) { replayed } }`, { id: s.payA1 }],
      ['createSettlementOffer', `mutation($a: ID!) { createSettlementOffer(input: { accountIds: [$a], amount: "90000", expiresOn: "2026-07-15" }) { id } }`, { a: s.a3 }],
      ['acceptSettlementOffer', `mutation($id: ID!) { acceptSettlementOffer(id: $id) { id } }`, { id: s.s5 }],
      ['withdrawSettlementOffer', `mutation($id: ID!) { withdrawSettlementOffer(id: $id, reason: "x") { id } }`, { id: s.s5 }],
      ['setPlanRules', `mutation($p: ID) { setPlanRules(input: { portfolioId: $p, rules: { maxInstallments: 600 } }) { tenant { id } } }`, { p: s.P1 }],
      ['clearPortfolioPlanRules', `mutation($p: ID!) { clearPortfolioPlanRules(portfolioId: $p) }`, { p: s.P1 }],
      ['createAgency', `mutation { createAgency(input: { name: "Shadow", dataProtectionRef: "DPA-1", commission: { rateBps: 100 } }) { id } }`, {}],
      ['updateAgency', `mutation($id: ID!) { updateAgency(id: $id, version: 1, input: { name: "Renamed", dataProtectionRef: "DPA-1", commission: { rateBps: 9999 } }) { id } }`, { id: G.agency.id }],
      ['setAgencyStatus', `mutation($id: ID!) { setAgencyStatus(id: $id, status: SUSPENDED, reason: "x") { id } }`, { id: H.id }],
      ['createAgencyCredential', `mutation($id: ID!) { createAgencyCredential(agencyId: $id, label: "mine") { clientSecret } }`, { id: G.agency.id }],
      ['revokeAgencyCredential', `mutation($id: ID!) { revokeAgencyCredential(id: $id) { id } }`, { id: G.cred.id }],
      ['grantPortfolioAccess', `mutation($a: ID!, $p: ID!) { grantPortfolioAccess(input: { agencyId: $a, portfolioIds: [$p], scopes: [ACCOUNTS_READ, PII_REVEAL] }) { id } }`, { a: G.agency.id, p: s.P2 }],
      ['recallPortfolio', `mutation($a: ID!, $p: ID!) { recallPortfolio(agencyId: $a, portfolioId: $p, reason: "x") { id } }`, { a: H.id, p: s.P2 }],
      ['createApiKey', `mutation { createApiKey(input: { name: "backdoor", scopes: ["read", "write", "admin"] }) { secret } }`, {}],
      ['revokeApiKey', `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: s.creditorActor }],
      ['assessLateFees', `mutation { assessLateFees { __typename } }`, {}],
      ['waiveLateFee', `mutation($i: WaiveFeeInput!) { waiveLateFee(input: $i) { __typename } }`, { i: { feeEntryId: entryA1, idempotencyKey: idem('waive'), reason: 'goodwill' } }],
      ['createAlertRule', `mutation { createAlertRule(input: { name: "x", metric: DAYS_PAST_DUE, threshold: "1" }) { id } }`, {}],
      ['evaluateAlerts', `mutation { evaluateAlerts { raised } }`, {}],
      ['refreshDelinquency', `mutation { refreshDelinquency { changed } }`, {}],
      ['apiKeys', `{ apiKeys { id } }`, {}],
      ['agencies', `{ agencies { id } }`, {}],
      ['agency', `query($id: ID!) { agency(id: $id) { id } }`, { id: G.agency.id }],
      ['agencyScorecard', `{ agencyScorecard(from: "2026-01-01", to: "2026-12-31") { agency { id } } }`, {}],
      ['verifyAuditLog', `{ verifyAuditLog { __typename } }`, {}],
    ];
    const notForbidden: string[] = [];
    for (const [name, query, vars] of creditorOnly) {
      const r = await asG.gql(query, vars);
      const code = r.errors?.[0]?.extensions.code;
      if (code !== 'FORBIDDEN') notForbidden.push(`${name}: ${code ?? 'succeeded'} ${JSON.stringify(r.errors?.[0]?.message ?? r.data)}`);
    }
    expect(notForbidden).toEqual([]);

    // Nothing was written, in either tenant.
    expect(await tenantCounts(s.t.id)).toEqual(beforeA);
    expect(await tenantCounts(B.t.id)).toEqual(beforeB);
    const [g] = await h.db.admin.query<{ scopes: string[]; ended: boolean }>(`select scopes, ended_at is not null as ended from agency_grants where tenant_id = $1 and agency_id = $2`, [s.t.id, G.agency.id]);
    expect(g!.ended).toBe(false);
    expect(g!.scopes).not.toContain('pii:reveal');
    const [d1] = await h.db.admin.query<{ legal_name: string; version: number }>(`select legal_name, version from debtors where tenant_id = $1 and id = $2`, [s.t.id, s.D1]);
    expect(d1).toEqual({ legal_name: '孙一', version: 1 });
  });
});

// ── 4. Per-scope narrowing ───────────────────────────────────────────────────────────────────────────────

describe('each grant’s scopes hold for its portfolio only', () => {
  it('P1 with ACCOUNTS_READ+PAYMENTS_RECORD, P2 with ACCOUNTS_READ: reads both, records payments in P1 only; no PLANS_PROPOSE: proposePlan FORBIDDEN', async () => {
    const s = await sceneA();
    const agency = await createAgency(s.t);
    await grant(s.t, agency.id, [s.P1], ['ACCOUNTS_READ', 'PAYMENTS_RECORD']);
    await grant(s.t, agency.id, [s.P2], ['ACCOUNTS_READ']);
    const K = as(s.t, await token(h, await credential(s.t, agency.id)));

    expect(ok(await K.gql(Q.account, { id: s.a2 })).account.id).toBe(s.a2);
    expect(await listIds(K, 'accounts')).toEqual(await listIds(s.t, 'accounts'));
    expect(ok(await K.gql(`{ portfolios { id } }`)).portfolios.map((p: any) => p.id).sort()).toEqual(sorted([s.P1, s.P2]));

    const before = await tenantCounts(s.t.id);
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), s.a2, 'recordPayment P2 account (read-only there)');
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), s.a4, 'recordPayment P2 account of D3');
    await expectHidden((id) => payRaw(K, { planId: id, amount: '100' }), s.plan2, 'recordPayment P2 plan');
    expectError(await proposeRaw(K, { accountIds: [s.a3], ...INSIDE }), 'FORBIDDEN');
    expectError(await previewRaw(K, { accountIds: [s.a3], ...INSIDE }), 'FORBIDDEN');
    expectError(await createPromiseRaw(K, { accountId: s.a1, amount: '100', promisedOn: '2026-06-25' }), 'FORBIDDEN');
    expectError(await K.gql(Q.debtor, { id: s.D1 }), 'FORBIDDEN');
    expectError(await K.gql(`{ debtors(first: 10) { totalCount } }`), 'FORBIDDEN');
    expect(await tenantCounts(s.t.id)).toEqual(before);

    const paid = await pay(K, { accountId: s.a1, amount: '100' });
    expect(paid.payment.accountId).toBe(s.a1);
  });

  it('P1 without PII_REVEAL, P2 with DEBTORS_READ+PII_REVEAL: reveals D2 and D3 (in P2), D1 (P1 only) is NOT_FOUND; PLANS_PROPOSE on P1 only: a plan on a P2 account is NOT_FOUND', async () => {
    const s = await sceneA();
    const agency = await createAgency(s.t);
    await grant(s.t, agency.id, [s.P1], ALL_SCOPES);
    await grant(s.t, agency.id, [s.P2], ['DEBTORS_READ', 'PII_REVEAL']);
    const K = as(s.t, await token(h, await credential(s.t, agency.id)));

    expect(ok(await K.gql(Q.reveal, { id: s.D2 })).revealDebtorNationalId.nationalId).toBe(NATIONAL.D2);
    expect(ok(await K.gql(Q.reveal, { id: s.D3 })).revealDebtorNationalId.nationalId).toBe(NATIONAL.D3);
    await expectHidden((id) => K.gql(Q.reveal, { id }), s.D1, 'reveal D1 (no PII_REVEAL in P1)');
    // P2 carries no ACCOUNTS_READ / PLANS_PROPOSE / PAYMENTS_RECORD.
    await expectHidden((id) => K.gql(Q.account, { id }), s.a2, 'account P2 (no ACCOUNTS_READ there)');
    await expectHidden((id) => proposeRaw(K, { accountIds: [id], ...INSIDE }), s.a4, 'proposePlan P2');
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), s.a4, 'recordPayment P2');
    expect(await listIds(K, 'accounts')).toEqual(s.p1Accounts);
    expect((await propose(K, { accountIds: [s.a3], ...INSIDE })).status).toBe('ACTIVE');
  });
});

describe('each grant’s scopes hold for nested fields too', () => {
  const DETAILS = `debtor { id legalName nationalIdMasked dateOfBirth phones { number } emails { address } addresses { __typename } }`;

  it('ACCOUNTS_READ only: a P1 account’s debtor shows who owes, but no contact details or national id', async () => {
    const s = await sceneA();
    const agency = await createAgency(s.t);
    await grant(s.t, agency.id, [s.P1], ['ACCOUNTS_READ']);
    const K = as(s.t, await token(h, await credential(s.t, agency.id)));
    expectError(await K.gql(Q.debtor, { id: s.D1 }), 'FORBIDDEN');
    const d = ok(await K.gql(`query($id: ID!) { account(id: $id) { ${DETAILS} } }`, { id: s.a1 })).account.debtor;
    expect(d).toMatchObject({ id: s.D1, nationalIdMasked: null, phones: [], emails: [], addresses: [] });
  });

  it('ACCOUNTS_READ only in P1 and DEBTORS_READ only in P2: a P1-only debtor’s contact details and a P2 debtor’s accounts stay out of reach through nested fields', async () => {
    const s = await sceneA();
    const agency = await createAgency(s.t);
    await grant(s.t, agency.id, [s.P1], ['ACCOUNTS_READ']);
    await grant(s.t, agency.id, [s.P2], ['DEBTORS_READ']);
    const K = as(s.t, await token(h, await credential(s.t, agency.id)));
    // The top-level operations agree: D1 (P1 only) is no debtor of its, a2 (P2) no account of its.
    await expectHidden((id) => K.gql(Q.debtor, { id }), s.D1, 'debtor D1 without DEBTORS_READ in P1');
    await expectHidden((id) => K.gql(Q.account, { id }), s.a2, 'account a2 without ACCOUNTS_READ in P2');

    const leaks: string[] = [];
    // Account.debtor of a P1 account: D1's contact data and national id need DEBTORS_READ in a portfolio D1 owes in.
    const viaAccount = ok(await K.gql(`query($id: ID!) { account(id: $id) { ${DETAILS} } }`, { id: s.a1 })).account.debtor;
    const { nationalIdMasked, phones, emails } = viaAccount;
    if (nationalIdMasked !== null || phones.length || emails.length) leaks.push(`Account.debtor of a1 (D1, P1 only): ${JSON.stringify({ nationalIdMasked, phones, emails })}`);
    // Debtor.accounts of a P2 debtor: balances and ledgers need ACCOUNTS_READ in P2.
    const viaDebtor = await K.gql(`query($id: ID!) { debtor(id: $id) { id accounts { id balance { total { minor } } ledger(first: 10) { edges { node { id } } } } } }`, { id: s.D2 });
    const seen = (viaDebtor.data as any)?.debtor?.accounts ?? [];
    if (seen.length) leaks.push(`Debtor.accounts of D2 (P2, no ACCOUNTS_READ there): ${JSON.stringify(seen.map((a: any) => ({ id: a.id, total: a.balance.total.minor, ledgerEntries: a.ledger.edges.length })))}`);
    expect(leaks).toEqual([]);
  });
});

// ── 5. In-scope mutations ────────────────────────────────────────────────────────────────────────────────

describe('in-scope mutations', () => {
  const events = async (t: TestTenant, f: Record<string, unknown>) =>
    ok(await t.gql(Q.audit, { f })).auditEvents.edges.map((e: any) => [e.node.action, e.node.actorKind, e.node.actorId]);

  it('recordPayment on a P1 account works and is attributed to the agency (payment row and audit event)', async () => {
    const s = await sceneA();
    const { G, asG } = await placeAgencies(s);
    const paid = await pay(asG, { accountId: s.a1, amount: '2500' });
    expect(paid.replayed).toBe(false);
    expect(paid.payment.amount.minor).toBe('2500');
    expect(paid.payment.applied.minor).toBe('2500');
    // The creditor sees it too.
    expect(ok(await s.t.gql(Q.payment, { id: paid.payment.id })).payment.accountId).toBe(s.a1);
    const [row] = await h.db.admin.query<{ actor_kind: string; actor_id: string }>(`select actor_kind, actor_id from payments where tenant_id = $1 and id = $2`, [s.t.id, paid.payment.id]);
    expect(row).toEqual({ actor_kind: 'agency', actor_id: G.agency.id });
    expect(await events(s.t, { entityId: paid.payment.id })).toEqual([['payment.record', 'agency', G.agency.id]]);
    // A retry with the same idempotency key is a replay, not a second payment.
    const again = await pay(asG, { accountId: s.a1, amount: '2500', idempotencyKey: paid.payment.idempotencyKey });
    expect([again.replayed, again.payment.id]).toEqual([true, paid.payment.id]);
  });

  it('createPromise on a P1 account works and is attributed to the agency (promise row and audit event)', async () => {
    const s = await sceneA();
    const { G, asG } = await placeAgencies(s);
    const promise = ok(await createPromiseRaw(asG, { accountId: s.a3, amount: '5000', promisedOn: '2026-06-30' })).createPromise;
    expect(promise.accountId).toBe(s.a3);
    expect(ok(await s.t.gql(Q.promise, { id: promise.id })).promise.status).toBe(promise.status);
    const [pr] = await h.db.admin.query<{ created_by_kind: string; created_by_id: string }>(`select created_by_kind, created_by_id from promises where tenant_id = $1 and id = $2`, [s.t.id, promise.id]);
    expect(pr).toEqual({ created_by_kind: 'agency', created_by_id: G.agency.id });
    expect(await events(s.t, { entityId: promise.id })).toEqual([['promise.create', 'agency', G.agency.id]]);
    expect(await events(s.t, { actorId: G.agency.id })).toEqual([['promise.create', 'agency', G.agency.id]]);
  });

  it('proposePlan inside P1’s rules activates; outside them it stays PROPOSED, the agency cannot approve or activate it, the creditor can', async () => {
    const s = await sceneA();
    const { G, asG } = await placeAgencies(s);

    const inside = await propose(asG, { accountIds: [s.a3], ...INSIDE });
    expect(inside.status).toBe('ACTIVE');
    expect(inside.violations).toEqual([]);

    const outside = await propose(asG, { accountIds: [s.a9], ...OUTSIDE });
    expect(outside.status).toBe('PROPOSED');
    expect(outside.needsApproval).toBe(true);
    expect(outside.violations.map((v: any) => v.rule)).toContain('maxInstallments');
    const [rows] = await h.db.admin.query<{ proposed_by_kind: string; proposed_by_id: string }>(`select proposed_by_kind, proposed_by_id from plans where tenant_id = $1 and id = $2`, [s.t.id, outside.id]);
    expect(rows).toEqual({ proposed_by_kind: 'agency', proposed_by_id: G.agency.id });

    expectError(await asG.gql(Q.approvePlan, { id: outside.id }), 'FORBIDDEN');
    expectError(await asG.gql(Q.activatePlan, { id: outside.id }), 'FORBIDDEN');
    // Nor can it get around the rules by asking not to activate and activating later, or by an inside plan on the same account.
    expect((await proposeRaw(asG, { accountIds: [s.a9], ...INSIDE })).errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(ok(await asG.gql(Q.plan, { id: outside.id })).plan.status).toBe('PROPOSED');

    const approved = ok(await s.t.gql(Q.approvePlan, { id: outside.id })).approvePlan;
    expect(approved.status).toBe('ACTIVE');
    expect(approved.approvedById).toBe(s.creditorActor);
    const events = ok(await s.t.gql(Q.audit, { f: { entityId: outside.id } })).auditEvents.edges.map((e: any) => [e.node.action, e.node.actorKind]);
    expect(events.sort()).toEqual([['plan.approve', 'api_key'], ['plan.propose', 'agency']]);
  });
});

// ── 6. The database itself ───────────────────────────────────────────────────────────────────────────────

/** The session an agency request runs in: the app role, the tenant, the agency, and (optionally) portfolio ids. */
async function agencySession(q: AdminQuery, tenantId: string, agencyId: string, portfolioIds = ''): Promise<void> {
  await q(
    `select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true), set_config('app.agency_id', $2, true), set_config('app.portfolio_ids', $3, true)`,
    [tenantId, agencyId, portfolioIds],
  );
  const [who] = await q<{ u: string }>(`select current_user as u`);
  expect(who!.u).toBe('arrears_app');
}

const SCOPED_TABLES = [
  'accounts', 'debtors', 'debtor_contact_points', 'ledger_entries', 'plans', 'plan_installments', 'plan_accounts', 'payments', 'payment_accounts',
  'promises', 'settlement_offers', 'portfolios', 'alerts', 'audit_events', 'agencies', 'agency_grants', 'agency_placements', 'agency_credentials',
] as const;

/** What an agency session of G (tenant A, P1 granted) may see in each table, counted by the superuser. */
function p1Rows(table: (typeof SCOPED_TABLES)[number], tenantId: string, P1: string, agencyId: string): [string, unknown[]] {
  const inP1 = (alias: string) => `exists (select 1 from accounts a where a.tenant_id = ${alias}.tenant_id and a.id = ${alias}.account_id and a.portfolio_id = $2)`;
  const planInP1 = (alias: string, col: string) => `exists (select 1 from plans p where p.tenant_id = ${alias}.tenant_id and p.id = ${alias}.${col} and p.portfolio_ids <@ array[$2::uuid])`;
  const payInP1 = (alias: string) => `exists (select 1 from payments p where p.tenant_id = ${alias}.tenant_id and p.id = ${alias}.payment_id and p.portfolio_ids <@ array[$2::uuid])`;
  const debtorInP1 = (alias: string, col: string) => `exists (select 1 from accounts a where a.tenant_id = ${alias}.tenant_id and a.debtor_id = ${alias}.${col} and a.portfolio_id = $2)`;
  const both = [tenantId, P1];
  const q = (where: string, params: unknown[] = both): [string, unknown[]] => [`select count(*)::int as n from ${table} x where x.tenant_id = $1 and ${where}`, params];
  switch (table) {
    case 'accounts': return q(`x.portfolio_id = $2`);
    case 'debtors': return q(debtorInP1('x', 'id'));
    case 'debtor_contact_points': return q(debtorInP1('x', 'debtor_id'));
    case 'ledger_entries': return q(inP1('x'));
    case 'alerts': return q(inP1('x'));
    case 'plans': return q(`x.portfolio_ids <@ array[$2::uuid]`);
    case 'plan_installments': return q(planInP1('x', 'plan_id'));
    case 'plan_accounts': return q(planInP1('x', 'plan_id'));
    case 'payments': return q(`x.portfolio_ids <@ array[$2::uuid]`);
    case 'payment_accounts': return q(payInP1('x'));
    case 'promises': return q(`(${inP1('x')} or ${planInP1('x', 'plan_id')})`);
    case 'settlement_offers': return q(`x.portfolio_ids <@ array[$2::uuid]`);
    case 'portfolios': return q(`x.id = $2`);
    case 'audit_events': return q(`x.actor_kind = 'agency' and x.actor_id = $2`, [tenantId, agencyId]);
    case 'agencies': return q(`x.id = $2::uuid`, [tenantId, agencyId]);
    case 'agency_grants': return q(`x.agency_id = $2::uuid`, [tenantId, agencyId]);
    case 'agency_placements': return q(`x.agency_id = $2::uuid`, [tenantId, agencyId]);
    case 'agency_credentials': return q(`false`, [tenantId]);
  }
}

describe('the database, under an agency session', () => {
  let s: SceneA;
  let B: SceneB;
  let G: Awaited<ReturnType<typeof placeAgencies>>['G'];
  let expected: Record<string, number>;
  let totals: Record<string, number>;

  beforeAll(async () => {
    s = await sceneA();
    B = await sceneB();
    const placed = await placeAgencies(s);
    G = placed.G;
    // Rows of G's own in P1: a promise, an active plan and a proposal (and their audit events).
    ok(await createPromiseRaw(placed.asG, { accountId: s.a3, amount: '1000', promisedOn: '2026-06-30' }));
    await propose(placed.asG, { accountIds: [s.a3], ...INSIDE });
    await propose(placed.asG, { accountIds: [s.a9], ...OUTSIDE });
    expected = {};
    totals = {};
    for (const table of SCOPED_TABLES) {
      const [sql, params] = p1Rows(table, s.t.id, s.P1, G.agency.id);
      expected[table] = await count(h.db.admin.query, sql, params);
      totals[table] = await count(h.db.admin.query, `select count(*)::int as n from ${table} where tenant_id = $1`, [s.t.id]);
    }
  });

  const seenBy = (tenantId: string, agencyId: string, portfolioIds = '') =>
    rolledBack(h, async (q) => {
      await agencySession(q, tenantId, agencyId, portfolioIds);
      const out: Record<string, number> = {};
      for (const table of SCOPED_TABLES) out[table] = await count(q, `select count(*)::int as n from ${table}`);
      return out;
    });

  it('the superuser sees P2 rows and other agencies’ rows in every table (so the checks are not vacuous)', () => {
    for (const table of SCOPED_TABLES) {
      if (table !== 'agency_credentials') expect(expected[table], `${table}: G's share`).toBeGreaterThan(0);
      expect(totals[table], `${table}: the tenant's rows`).toBeGreaterThan(expected[table]!);
    }
  });

  it('G’s session (app.portfolio_ids empty) sees exactly the P1 rows, its own audit events, grants and placements, and no credentials', async () => {
    expect(await seenBy(s.t.id, G.agency.id)).toEqual(expected);
  });

  it('G’s session naming P2 in app.portfolio_ids (the application lying) sees no P2 row; naming P1 and P2 sees P1 only', async () => {
    const lying = await seenBy(s.t.id, G.agency.id, `{${s.P2}}`);
    for (const table of ['accounts', 'debtors', 'debtor_contact_points', 'ledger_entries', 'plans', 'plan_installments', 'plan_accounts', 'payments', 'payment_accounts', 'promises', 'settlement_offers', 'portfolios', 'alerts'] as const) {
      expect(lying[table], table).toBe(0);
    }
    const p2Visible = await rolledBack(h, async (q) => {
      await agencySession(q, s.t.id, G.agency.id, `{${s.P1},${s.P2}}`);
      return {
        p2Accounts: await count(q, `select count(*)::int as n from accounts where portfolio_id = $1`, [s.P2]),
        p2Portfolio: await count(q, `select count(*)::int as n from portfolios where id = $1`, [s.P2]),
        plan2: await count(q, `select count(*)::int as n from plans where id = $1`, [s.plan2]),
        payA4: await count(q, `select count(*)::int as n from payments where id = $1`, [s.payA4]),
        prA4: await count(q, `select count(*)::int as n from promises where id = $1`, [s.prA4]),
        D2: await count(q, `select count(*)::int as n from debtors where id = $1`, [s.D2]),
        accounts: await count(q, `select count(*)::int as n from accounts`),
      };
    });
    expect(p2Visible).toEqual({ p2Accounts: 0, p2Portfolio: 0, plan2: 0, payA4: 0, prA4: 0, D2: 0, accounts: expected.accounts });
  });

  it('a made-up agency id, or tenant B’s agency in tenant A, sees nothing at all', async () => {
    const nothing = Object.fromEntries(SCOPED_TABLES.map((t) => [t, 0]));
    expect(await seenBy(s.t.id, randomUUID())).toEqual(nothing);
    expect(await seenBy(s.t.id, B.GB.agency.id)).toEqual(nothing);
    // G's id in tenant B's context: none of B's rows either.
    expect(await seenBy(B.t.id, G.agency.id)).toEqual(nothing);
  });

  it('an agency session cannot insert grants, placements or agencies, nor change its agency row or its grants', async () => {
    const insertGrant = await failure(
      rolledBack(h, async (q) => {
        await agencySession(q, s.t.id, G.agency.id);
        await q(`insert into agency_grants (tenant_id, id, agency_id, portfolio_id, scopes, created_by_id) values ($1, $2, $3, $4, array['accounts:read', 'pii:reveal'], 'self')`, [s.t.id, randomUUID(), G.agency.id, s.P2]);
      }),
    );
    expect(insertGrant.code, insertGrant.message).toBe('42501');
    expect(insertGrant.message).toMatch(/row-level security/);

    const insertPlacement = await failure(
      rolledBack(h, async (q) => {
        await agencySession(q, s.t.id, G.agency.id);
        const [g] = await q<{ id: string }>(`select id from agency_grants where agency_id = $1 and ended_at is null`, [G.agency.id]);
        await q(`insert into agency_placements (tenant_id, grant_id, agency_id, portfolio_id, account_id, placed_at, currency, balance_at_placement) values ($1, $2, $3, $4, $5, now(), 'CNY', 1)`, [s.t.id, g!.id, G.agency.id, s.P2, s.a2]);
      }),
    );
    expect(insertPlacement.code, insertPlacement.message).toBe('42501');

    const insertAgency = await failure(
      rolledBack(h, async (q) => {
        await agencySession(q, s.t.id, G.agency.id);
        await q(`insert into agencies (tenant_id, id, name, commission, data_protection_ref) values ($1, $2, 'Sock puppet', '{"rateBps": 1}'::jsonb, 'x')`, [s.t.id, randomUUID()]);
      }),
    );
    expect(insertAgency.code, insertAgency.message).toBe('42501');

    // UPDATE: refused with an error, or (RLS USING) matching no row; either way nothing changes.
    const updates = await rolledBack(h, async (q) => {
      await agencySession(q, s.t.id, G.agency.id);
      const visible = await count(q, `select count(*)::int as n from agencies where id = $1`, [G.agency.id]);
      const attempt = async (sql: string, params: unknown[]) => {
        await q(`savepoint upd`);
        try {
          const rows = await q(sql, params);
          await q(`release savepoint upd`);
          return `rows:${rows.length}`;
        } catch (err) {
          await q(`rollback to savepoint upd`);
          return `error`;
        }
      };
      const agencyUpd = await attempt(`update agencies set commission = '{"rateBps": 9999}'::jsonb, status = 'active' where id = $1 returning id`, [G.agency.id]);
      const grantUpd = await attempt(`update agency_grants set scopes = array['accounts:read', 'pii:reveal'], valid_until = null where agency_id = $1 returning id`, [G.agency.id]);
      const [after] = await q<{ rate: number }>(`select (commission->>'rateBps')::int as rate from agencies where id = $1`, [G.agency.id]);
      const grants = await q<{ scopes: string[] }>(`select scopes from agency_grants where agency_id = $1 and ended_at is null`, [G.agency.id]);
      return { visible, agencyUpd, grantUpd, rate: after!.rate, scopes: grants.map((g) => [...g.scopes].sort()) };
    });
    expect(updates.visible).toBe(1);
    expect(['rows:0', 'error']).toContain(updates.agencyUpd);
    expect(['rows:0', 'error']).toContain(updates.grantUpd);
    expect(updates.rate).toBe(1500);
    expect(updates.scopes).toEqual([[...ALL_SCOPES].map((x) => x.toLowerCase().replace('_', ':')).sort()]);
  });

  it('a recall binds the very next statement of the same kind of session: inside one transaction, and after recallPortfolio', async () => {
    // Inside one transaction: the grant ends (as the owner would end it), and the next statement sees nothing.
    const inTx = await rolledBack(h, async (q) => {
      await agencySession(q, s.t.id, G.agency.id);
      const before = await count(q, `select count(*)::int as n from accounts`);
      await q(`select set_config('role', 'none', true)`);
      await q(`update agency_grants set ended_at = now(), end_reason = 'recalled' where tenant_id = $1 and agency_id = $2`, [s.t.id, G.agency.id]);
      await q(`select set_config('role', 'arrears_app', true)`);
      return { before, after: await count(q, `select count(*)::int as n from accounts`), debtors: await count(q, `select count(*)::int as n from debtors`) };
    });
    expect(inTx).toEqual({ before: expected.accounts, after: 0, debtors: 0 });

    // Through the API: the recall ends the token and empties the session.
    expect((await listIds(as(s.t, G.token), 'accounts')).length).toBe(expected.accounts);
    await recall(s.t, G.agency.id, s.P1);
    expectError(await h.gql(G.token, `{ accounts { totalCount } }`), 'UNAUTHENTICATED');
    const after = await seenBy(s.t.id, G.agency.id);
    for (const table of ['accounts', 'debtors', 'debtor_contact_points', 'ledger_entries', 'plans', 'plan_installments', 'payments', 'payment_accounts', 'promises', 'settlement_offers', 'portfolios', 'alerts'] as const) {
      expect(after[table], table).toBe(0);
    }
  });
});

// ── 7. Across tenants ────────────────────────────────────────────────────────────────────────────────────

describe('agencies across tenants', () => {
  it('tenant B’s agency gets NOT_FOUND for tenant A’s ids, and G for tenant B’s; nothing is written', async () => {
    const s = await sceneA();
    const B = await sceneB();
    const { G, asG } = await placeAgencies(s, [...ALL_SCOPES, 'PII_REVEAL']);
    const beforeA = await tenantCounts(s.t.id);
    const beforeB = await tenantCounts(B.t.id);
    const K = B.asGB;

    await expectAllHidden(
      K,
      { debtors: [s.D1, s.D3], accounts: [s.a1, s.a3], plans: [s.plan7], payments: [s.payA1], promises: [s.prA1], settlements: [s.s5], portfolios: [s.P1] },
      'B agency on A',
    );
    await expectHidden((id) => K.gql(Q.reveal, { id }), s.D1, 'B agency reveal');
    await expectHidden((id) => payRaw(K, { accountId: id, amount: '100' }), s.a1, 'B agency recordPayment');
    await expectHidden((id) => payRaw(K, { planId: id, amount: '100' }), s.plan7, 'B agency recordPayment plan');
    await expectHidden((id) => createPromiseRaw(K, { accountId: id, amount: '100', promisedOn: '2026-06-25' }), s.a1, 'B agency createPromise');
    await expectHidden((id) => proposeRaw(K, { accountIds: [id], ...INSIDE }), s.a9, 'B agency proposePlan');
    await expectHidden((id) => proposeRaw(K, { accountIds: [B.aB, id], ...INSIDE }), s.a9, 'B agency proposePlan mixed');
    await expectHidden((id) => K.gql(Q.cancelPromise, { id, r: 'x' }), s.prA1, 'B agency cancelPromise');
    await expectHidden((id) => K.gql(Q.analytics, { ids: [id] }), s.P1, 'B agency analytics');
    await expectHidden((id) => K.gql(Q.performance, { a: id }), G.agency.id, 'B agency performance of G');
    expect(ok(await K.gql(Q.grants, { a: G.agency.id, p: null, active: false })).agencyGrants.filter((g: any) => g.agencyId === G.agency.id)).toEqual([]);
    expect(ok(await K.gql(Q.grants, { a: null, p: s.P1, active: false })).agencyGrants).toEqual([]);
    expect(await listIds(K, 'accounts')).toEqual(sorted([B.aB, B.aB2, B.aB3]));
    expect(await listIds(K, 'debtors')).toEqual([B.DB]);

    await expectAllHidden(asG, { debtors: [B.DB], accounts: [B.aB], plans: [B.planB], payments: [B.payB], promises: [B.prB], settlements: [B.sB], portfolios: [B.PB] }, 'G on B');
    await expectHidden((id) => asG.gql(Q.reveal, { id }), B.DB, 'G reveal on B');
    await expectHidden((id) => payRaw(asG, { accountId: id, amount: '100' }), B.aB, 'G recordPayment on B');
    await expectHidden((id) => payRaw(asG, { settlementId: id, amount: '100' }), B.sB, 'G recordPayment offer on B');
    await expectHidden((id) => createPromiseRaw(asG, { planId: id, amount: '100', promisedOn: '2026-06-25' }), B.planB, 'G createPromise on B plan');
    await expectHidden((id) => proposeRaw(asG, { accountIds: [id], ...INSIDE }), B.aB, 'G proposePlan on B');

    expect(await tenantCounts(s.t.id)).toEqual(beforeA);
    expect(await tenantCounts(B.t.id)).toEqual(beforeB);
  });
});
