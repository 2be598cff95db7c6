import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import { agencyWithToken, ALL_SCOPES } from './agency-fixtures.js';
import { asApp as asAppIn, count, failure, rolledBack as rolledBackIn } from './sql-fixtures.js';

/**
 * Security of credit checks: another tenant sees and changes nothing (NOT_FOUND worded as for an id that exists
 * nowhere), a key limited to portfolios reaches only checks, reports and risk history of debtors it reaches
 * through an account in scope, scopes are enforced, agencies are shut out, the database isolates tenants and
 * portfolios and keeps the risk history append-only by itself, bureau credentials are stored sealed and never
 * shown, and the credit settings are validated and audited. Bureaus are SANDBOX (no network) except in the
 * secrets test, which only stores an HTTP_JSON bureau and never pulls through it. `any` appears where GraphQL
 * results are handled.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';

async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string, label = ''): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>'), label).toBe(none.message.replace(NOWHERE, '<id>'));
}

const as = (t: TestTenant, key: string): TestTenant => ({ ...t, key, gql: (q, v) => h.gql(key, q, v) });

const REPORT = `id debtorId riskRating scoreBand score noHit fraudAlert publicRecords purged suggestedStrategy { strategy note }`;
const CHECK = `id status debtorId bureauId purpose pullType failureCode failureReason attempts requestedAt cost { minor currency } report { ${REPORT} }`;
const BUREAU = `id version name provider baseUrl hasCredential subscriberCode timeoutMs maxRetries active circuit costPerPull { minor currency }`;
const SETTINGS = `version reuseWindowDays retentionDays strategyRules { riskRatings scoreBands fraudAlert minPublicRecords strategy note }`;

const Q = {
  check: `query($id: ID!) { creditCheck(id: $id) { ${CHECK} } }`,
  checks: `query($id: ID!) { creditChecks(debtorId: $id) { ${CHECK} } }`,
  payload: `mutation($id: ID!) { readCreditReportPayload(reportId: $id) { payload report { ${REPORT} } } }`,
  request: `mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { ${CHECK} } }`,
  bureaus: `{ creditBureaus { ${BUREAU} } }`,
  createBureau: `mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { ${BUREAU} } }`,
  updateBureau: `mutation($id: ID!, $v: Int!, $i: CreditBureauInput!) { updateCreditBureau(id: $id, version: $v, input: $i) { ${BUREAU} } }`,
  settings: `{ creditSettings { ${SETTINGS} } }`,
  setSettings: `mutation($i: CreditSettingsInput!) { setCreditSettings(input: $i) { ${SETTINGS} } }`,
  usage: `query($m: String!) { creditUsage(month: $m) { bureau { id name } pulls failed reused cost { minor currency } } }`,
  risk: `query($id: ID!) { debtor(id: $id) { id riskRating riskHistory { at previousRating reportId riskRating score scoreBand } } }`,
};

const requestRaw = (t: TestTenant, debtorId: string, extra: Record<string, unknown> = {}): Promise<GqlResult> =>
  t.gql(Q.request, { i: { debtorId, purpose: 'COLLECTION', pullType: 'SOFT', ...extra } });

async function requestCheck(t: TestTenant, debtorId: string, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await requestRaw(t, debtorId, extra)).requestCreditCheck;
}

async function createBureau(t: TestTenant, input: Record<string, unknown> = {}): Promise<any> {
  return ok(await t.gql(Q.createBureau, { i: { name: `Sandbox ${randomBytes(3).toString('hex')}`, provider: 'SANDBOX', costPerPull: '150', costCurrency: 'USD', ...input } })).createCreditBureau;
}

/** A person with a national id whose last four characters pick the sandbox test case (providers/README.md). */
async function debtorWithId(t: TestTenant, legalName: string, tail: string): Promise<string> {
  const nationalId = `11010119${randomBytes(3).toString('hex').toUpperCase()}${tail}`;
  return ok(await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: { kind: 'PERSON', legalName, nationalId } })).createDebtor.id;
}

const TABLES = ['credit_bureaus', 'credit_settings', 'credit_checks', 'credit_reports', 'debtor_risk_history', 'audit_events'] as const;
const CREDIT_TABLES = ['credit_bureaus', 'credit_settings', 'credit_checks', 'credit_reports', 'debtor_risk_history'] as const;

async function tableCounts(tenantId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = await count(h.db.admin.query, `select count(*)::int as n from ${t} where tenant_id = $1`, [tenantId]);
  return out;
}

/**
 * A tenant with two portfolios, a sandbox bureau and its own credit settings; d1 (high risk, national id ending
 * 0002) has an account in P1, d2 (fraud alert, ending 0003) one in P2; each has a completed check with a report
 * and a risk-history row: a row in every table of the module.
 */
async function seeded(name: string) {
  const t = await h.tenant(name);
  const P1 = (await createPortfolio(t, 'CNY', 'P1')).id;
  const P2 = (await createPortfolio(t, 'CNY', 'P2')).id;
  const bureau = await createBureau(t, { name: 'Sandbox' });
  const settings = ok(await t.gql(Q.setSettings, { i: { reuseWindowDays: 30, retentionDays: 365 } })).setCreditSettings;
  const d1 = await debtorWithId(t, `${name} 甲`, '0002');
  const d2 = await debtorWithId(t, `${name} 乙`, '0003');
  const a1 = (await createAccount(t, { debtorId: d1, portfolioId: P1 })).id as string;
  const a2 = (await createAccount(t, { debtorId: d2, portfolioId: P2 })).id as string;
  const c1 = await requestCheck(t, d1);
  const c2 = await requestCheck(t, d2);
  expect([c1.status, c2.status]).toEqual(['COMPLETED', 'COMPLETED']);
  expect(c1.report).toMatchObject({ debtorId: d1, riskRating: 'CRITICAL', scoreBand: 'VERY_POOR', publicRecords: 1, fraudAlert: false });
  expect(c2.report).toMatchObject({ debtorId: d2, riskRating: 'LOW', scoreBand: 'GOOD', fraudAlert: true });
  return { t, P1, P2, bureau, settings, d1, d2, a1, a2, c1, c2, r1: c1.report.id as string, r2: c2.report.id as string };
}
type Seeded = Awaited<ReturnType<typeof seeded>>;

/** What the tenant's admin sees of its credit data, for a before/after comparison. */
async function snapshot(s: Seeded) {
  return {
    counts: await tableCounts(s.t.id),
    c1: ok(await s.t.gql(Q.check, { id: s.c1.id })).creditCheck,
    c2: ok(await s.t.gql(Q.check, { id: s.c2.id })).creditCheck,
    checks1: ok(await s.t.gql(Q.checks, { id: s.d1 })).creditChecks,
    bureaus: ok(await s.t.gql(Q.bureaus)).creditBureaus,
    settings: ok(await s.t.gql(Q.settings)).creditSettings,
    risk1: ok(await s.t.gql(Q.risk, { id: s.d1 })).debtor,
  };
}

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('cross-tenant', () => {
  it("tenant B gets NOT_FOUND for tenant A's checks, debtors, reports and bureaus, its own lists show nothing of A, and nothing is written in A", async () => {
    const A = await seeded('A');
    ok(await A.t.gql(Q.setSettings, { i: { reuseWindowDays: 7, retentionDays: 90, strategyRules: [{ strategy: 'manual_review', note: 'A only' }] } }));
    const before = await snapshot(A);
    const B = await seeded('B');
    const K = B.t;

    await expectHidden((id) => K.gql(Q.check, { id }), A.c1.id, 'creditCheck');
    await expectHidden((id) => K.gql(Q.checks, { id }), A.d1, 'creditChecks');
    await expectHidden((id) => K.gql(Q.payload, { id }), A.r1, 'readCreditReportPayload');
    await expectHidden((id) => requestRaw(K, id), A.d1, 'requestCreditCheck on A’s debtor');
    await expectHidden((id) => requestRaw(K, id, { force: true, bureauId: B.bureau.id }), A.d2, 'requestCreditCheck on A’s debtor with B’s bureau');
    await expectHidden((id) => requestRaw(K, B.d1, { bureauId: id, force: true }), A.bureau.id, 'requestCreditCheck with A’s bureau');
    await expectHidden((id) => K.gql(Q.updateBureau, { id, v: 1, i: { name: 'Taken over', provider: 'SANDBOX', active: false } }), A.bureau.id, 'updateCreditBureau');

    // B's own lists: B's bureau, B's usage, B's settings; nothing of A's.
    const bureaus = ok(await K.gql(Q.bureaus)).creditBureaus;
    expect(bureaus.map((b: any) => b.id)).toEqual([B.bureau.id]);
    const month = String(B.c1.requestedAt).slice(0, 7);
    const usage = ok(await K.gql(Q.usage, { m: month })).creditUsage;
    expect(usage.map((u: any) => u.bureau.id)).toEqual([B.bureau.id]);
    expect(usage[0]).toMatchObject({ pulls: 2, failed: 0, reused: 0, cost: { minor: '300', currency: 'USD' } });
    const settingsB = ok(await K.gql(Q.settings)).creditSettings;
    expect(settingsB).toMatchObject({ version: 1, reuseWindowDays: 30, retentionDays: 365 });
    expect(JSON.stringify(settingsB)).not.toContain('A only');
    // The risk history of B's debtor is B's alone.
    const riskB = ok(await K.gql(Q.risk, { id: B.d1 })).debtor.riskHistory;
    expect(riskB.map((r: any) => r.reportId)).toEqual([B.r1]);

    // A is exactly as it was: no check, report, history, bureau change or audit event was written there.
    expect(await snapshot(A)).toEqual(before);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('keys limited to some portfolios', () => {
  it('a P1 key (read, write, pii:reveal) requests and reads checks of a P1 debtor, and gets NOT_FOUND for everything of a debtor only in P2', async () => {
    const s = await seeded('S');
    const K = as(s.t, await scopedKey(s.t, ['read', 'write', 'pii:reveal'], [s.P1]));

    // Its own debtor: a reuse, a forced pull, the checks, the report's payload and the risk history.
    const reused = await requestCheck(K, s.d1);
    expect(reused).toMatchObject({ status: 'REUSED', debtorId: s.d1, report: { id: s.r1 } });
    const fresh = await requestCheck(K, s.d1, { force: true });
    expect(fresh).toMatchObject({ status: 'COMPLETED', debtorId: s.d1 });
    expect(fresh.report.id).not.toBe(s.r1);
    expect(ok(await K.gql(Q.check, { id: s.c1.id })).creditCheck).toMatchObject({ id: s.c1.id, report: { id: s.r1 } });
    expect(ok(await K.gql(Q.checks, { id: s.d1 })).creditChecks.map((c: any) => c.id).sort()).toEqual([s.c1.id, reused.id, fresh.id].sort());
    const payload = ok(await K.gql(Q.payload, { id: s.r1 })).readCreditReportPayload;
    expect(payload.report.id).toBe(s.r1);
    expect(payload.payload).toMatchObject({ bureau: 'sandbox' });
    const risk = ok(await K.gql(Q.risk, { id: s.d1 })).debtor;
    expect(risk.riskRating).toBe('CRITICAL');
    expect(risk.riskHistory.map((r: any) => r.reportId).sort()).toEqual([s.r1, fresh.report.id].sort());

    // The P2 debtor and its check and report: as if they did not exist.
    const before = await tableCounts(s.t.id);
    await expectHidden((id) => requestRaw(K, id), s.d2, 'requestCreditCheck P2 debtor');
    await expectHidden((id) => requestRaw(K, id, { force: true }), s.d2, 'requestCreditCheck P2 debtor, forced');
    await expectHidden((id) => K.gql(Q.check, { id }), s.c2.id, 'creditCheck P2');
    await expectHidden((id) => K.gql(Q.checks, { id }), s.d2, 'creditChecks P2');
    await expectHidden((id) => K.gql(Q.payload, { id }), s.r2, 'readCreditReportPayload P2');
    await expectHidden((id) => K.gql(Q.risk, { id }), s.d2, 'debtor P2 (riskHistory)');
    expect(await tableCounts(s.t.id)).toEqual(before);
  });

  it('a P1 key asking for a P2 debtor while a tenant-wide pull for that debtor is in flight still gets NOT_FOUND, not the other pull’s check', async () => {
    const s = await seeded('SF');
    // A bureau that answers 500 every time for national ids ending 0500, retried five times with backoff: the
    // tenant-wide pull stays in flight for a while (seconds on average).
    const slow = await createBureau(s.t, { name: 'Slow', maxRetries: 5 });
    const d3 = await debtorWithId(s.t, 'SF 丙', '0500');
    await createAccount(s.t, { debtorId: d3, portfolioId: s.P2 });
    const K = as(s.t, await scopedKey(s.t, ['read', 'write', 'pii:reveal'], [s.P1]));

    const wide = requestRaw(s.t, d3, { bureauId: slow.id });
    // Wait until the tenant-wide pull has recorded its pending check (it is then in flight, calling the bureau).
    for (let i = 0; i < 200; i++) {
      if ((await count(h.db.admin.query, `select count(*)::int as n from credit_checks where tenant_id = $1 and debtor_id = $2 and status = 'pending'`, [s.t.id, d3])) > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const scoped = await requestRaw(K, d3, { bureauId: slow.id });
    const wideCheck = ok(await wide).requestCreditCheck;
    expect(wideCheck).toMatchObject({ status: 'FAILED', failureCode: 'http_5xx', debtorId: d3 });
    expect(scoped.data?.requestCreditCheck ?? null, 'the P1 key received the P2 debtor’s check').toBeNull();
    expectError(scoped, 'NOT_FOUND');
    expect(scoped.errors![0]!.message).toBe(`Debtor ${d3} not found`);
  });

  it('a portfolio-scoped admin key cannot configure bureaus or settings, nor read the usage (FORBIDDEN), and writes nothing', async () => {
    const s = await seeded('SA');
    const K = as(s.t, await scopedKey(s.t, ['read', 'write', 'admin', 'pii:reveal'], [s.P1]));
    const before = await snapshot(s);
    const month = String(s.c1.requestedAt).slice(0, 7);
    expectError(await K.gql(Q.createBureau, { i: { name: 'Scoped', provider: 'SANDBOX' } }), 'FORBIDDEN');
    expectError(await K.gql(Q.updateBureau, { id: s.bureau.id, v: s.bureau.version, i: { name: 'Scoped', provider: 'SANDBOX', active: false } }), 'FORBIDDEN');
    expectError(await K.gql(Q.setSettings, { i: { reuseWindowDays: 0, retentionDays: 1 } }), 'FORBIDDEN');
    expectError(await K.gql(Q.usage, { m: month }), 'FORBIDDEN');
    expect(await snapshot(s)).toEqual(before);
    // The same key still does its work in P1.
    expect((await requestCheck(K, s.d1)).status).toBe('REUSED');
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('scopes', () => {
  it('read-only: FORBIDDEN on requestCreditCheck; without pii:reveal: FORBIDDEN on readCreditReportPayload; without admin: FORBIDDEN on bureaus, settings and usage', async () => {
    const s = await seeded('R');
    const R = as(s.t, (await s.t.keyWith(['read'])).key);
    const W = as(s.t, (await s.t.keyWith(['read', 'write'])).key);
    const WP = as(s.t, (await s.t.keyWith(['read', 'write', 'pii:reveal'])).key);
    const before = await snapshot(s);
    const month = String(s.c1.requestedAt).slice(0, 7);

    expectError(await requestRaw(R, s.d1), 'FORBIDDEN');
    expectError(await requestRaw(R, s.d1, { force: true }), 'FORBIDDEN');
    for (const K of [R, W]) expectError(await K.gql(Q.payload, { id: s.r1 }), 'FORBIDDEN');
    for (const K of [R, W, WP]) {
      expectError(await K.gql(Q.createBureau, { i: { name: 'Nope', provider: 'SANDBOX' } }), 'FORBIDDEN');
      expectError(await K.gql(Q.updateBureau, { id: s.bureau.id, v: s.bureau.version, i: { name: 'Nope', provider: 'SANDBOX' } }), 'FORBIDDEN');
      expectError(await K.gql(Q.setSettings, { i: { reuseWindowDays: 0, retentionDays: 1 } }), 'FORBIDDEN');
      expectError(await K.gql(Q.usage, { m: month }), 'FORBIDDEN');
    }
    // Nothing was pulled, read (no credit_report.read audit event) or changed.
    expect(await snapshot(s)).toEqual(before);

    // What the scopes do allow (so the refusals above are not vacuous).
    expect(ok(await R.gql(Q.check, { id: s.c1.id })).creditCheck.id).toBe(s.c1.id);
    expect(ok(await R.gql(Q.settings)).creditSettings.version).toBe(s.settings.version);
    expect((await requestCheck(W, s.d1)).status).toBe('REUSED');
    expect(ok(await WP.gql(Q.payload, { id: s.r1 })).readCreditReportPayload.report.id).toBe(s.r1);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('agencies', () => {
  it('an agency token with every scope on the portfolio gets FORBIDDEN ("not available to agency tokens") for every credit operation', async () => {
    const s = await seeded('AG');
    const ag = await agencyWithToken(h, s.t, [s.P1, s.P2], [...ALL_SCOPES, 'PII_REVEAL']);
    const before = await snapshot(s);
    const month = String(s.c1.requestedAt).slice(0, 7);
    const calls: [string, () => Promise<GqlResult>][] = [
      ['requestCreditCheck', () => h.gql(ag.token, Q.request, { i: { debtorId: s.d1, purpose: 'COLLECTION', pullType: 'SOFT', force: true } })],
      ['creditCheck', () => ag.gql(Q.check, { id: s.c1.id })],
      ['creditChecks', () => ag.gql(Q.checks, { id: s.d1 })],
      ['creditBureaus', () => ag.gql(Q.bureaus)],
      ['readCreditReportPayload', () => ag.gql(Q.payload, { id: s.r1 })],
      ['creditSettings', () => ag.gql(Q.settings)],
      ['creditUsage', () => ag.gql(Q.usage, { m: month })],
      ['createCreditBureau', () => ag.gql(Q.createBureau, { i: { name: 'Agency bureau', provider: 'SANDBOX' } })],
      ['updateCreditBureau', () => ag.gql(Q.updateBureau, { id: s.bureau.id, v: s.bureau.version, i: { name: 'Agency bureau', provider: 'SANDBOX' } })],
      ['setCreditSettings', () => ag.gql(Q.setSettings, { i: { reuseWindowDays: 0, retentionDays: 1 } })],
    ];
    for (const [op, call] of calls) {
      const r = await call();
      const e = expectError(r, 'FORBIDDEN');
      expect(e.message, op).toContain('not available to agency tokens');
      expect(e.message, op).toContain(op);
      expect(r.data, op).toBeNull();
    }
    // The agency's token works for what it is granted (so the refusals are not an authentication failure).
    expect(ok(await ag.gql(`query($id: ID!) { debtor(id: $id) { id } }`, { id: s.d1 })).debtor.id).toBe(s.d1);
    expect(await snapshot(s)).toEqual(before);
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
        for (const table of CREDIT_TABLES) {
          expect(await count(q, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]), `${tenant}: ${table}`).toBe(0);
          const all = await count(q, `select count(*)::int as n from ${table}`);
          if (tenant === B.t.id) expect(all, `${table}: B's rows`).toBeGreaterThan(0);
          else expect(all, `${tenant}: ${table}`).toBe(0);
        }
        expect(await count(q, `select count(*)::int as n from credit_checks where id = $1`, [A.c1.id])).toBe(0);
        expect(await count(q, `select count(*)::int as n from credit_reports where id = $1`, [A.r1])).toBe(0);
        expect(await count(q, `select count(*)::int as n from credit_bureaus where id = $1`, [A.bureau.id])).toBe(0);
        expect(await count(q, `select count(*)::int as n from debtor_risk_history where debtor_id = $1`, [A.d1])).toBe(0);
        // Nor can they be changed from there.
        expect((await q(`update credit_bureaus set active = false where id = $1 returning id`, [A.bureau.id])).length).toBe(0);
        expect((await q(`update credit_checks set failure_reason = 'x' where id = $1 returning id`, [A.c1.id])).length).toBe(0);
      });
    }
  });

  it('as the app role scoped to P1, only the checks, reports and risk history of P1 debtors are visible', async () => {
    const seen = await asApp(A.t.id, async (q) => {
      await q(`select set_config('app.portfolio_ids', $1, true)`, [`{${A.P1}}`]);
      const n = (sql: string, id: string) => count(q, `select count(*)::int as n from ${sql}`, [id]);
      return {
        hidden: {
          checks: await n(`credit_checks where debtor_id = $1`, A.d2),
          check: await n(`credit_checks where id = $1`, A.c2.id),
          reports: await n(`credit_reports where debtor_id = $1`, A.d2),
          history: await n(`debtor_risk_history where debtor_id = $1`, A.d2),
        },
        visible: {
          checks: await n(`credit_checks where debtor_id = $1`, A.d1),
          reports: await n(`credit_reports where debtor_id = $1`, A.d1),
          history: await n(`debtor_risk_history where debtor_id = $1`, A.d1),
        },
        all: {
          checks: (await q<{ d: string }>(`select distinct debtor_id::text as d from credit_checks`)).map((r) => r.d),
          reports: (await q<{ d: string }>(`select distinct debtor_id::text as d from credit_reports`)).map((r) => r.d),
          history: (await q<{ d: string }>(`select distinct debtor_id::text as d from debtor_risk_history`)).map((r) => r.d),
        },
      };
    });
    for (const [k, v] of Object.entries(seen.hidden)) expect(v, `hidden ${k}`).toBe(0);
    for (const [k, v] of Object.entries(seen.visible)) expect(v, `visible ${k}`).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(seen.all)) expect(v, `all ${k}`).toEqual([A.d1]);
  });

  it('UPDATE, DELETE and TRUNCATE of debtor_risk_history are refused to the app role and to the owner; DELETE of checks and reports is refused to the app role', async () => {
    for (const [op, stmt] of [
      ['UPDATE', `update debtor_risk_history set risk_rating = 'low' where tenant_id = $1`],
      ['DELETE', `delete from debtor_risk_history where tenant_id = $1`],
    ] as const) {
      const app = await failure(asApp(A.t.id, (q) => q(stmt, [A.t.id])));
      expect(app.code, `app: ${stmt}`).toBe('42501');
      expect(app.message, `app: ${stmt}`).toMatch(/permission denied/);
      const owner = await failure(rolledBack((q) => q(stmt, [A.t.id])));
      expect(owner.code, `owner: ${stmt}`).toBe('42501');
      expect(owner.message, `owner: ${stmt}`).toContain(`debtor_risk_history is append-only: ${op} refused`);
    }
    const truncate = await failure(rolledBack((q) => q(`truncate debtor_risk_history`)));
    expect(truncate.message).toContain('debtor_risk_history is append-only: TRUNCATE refused');
    for (const table of ['credit_reports', 'credit_checks', 'credit_bureaus', 'credit_settings']) {
      const del = await failure(asApp(A.t.id, (q) => q(`delete from ${table} where tenant_id = $1`, [A.t.id])));
      expect(del.code, `delete ${table}`).toBe('42501');
      expect(del.message, `delete ${table}`).toMatch(/permission denied/);
    }
    const after = await tableCounts(A.t.id);
    for (const t of CREDIT_TABLES) expect(after[t], t).toBeGreaterThan(0);
  });

  it('inserting rows for tenant B while tenant A is set fails (WITH CHECK), and so does a check for a P2 debtor with only P1 in scope', async () => {
    const inserts: [string, string, unknown[]][] = [
      ['credit_bureaus', `insert into credit_bureaus (tenant_id, id, name, provider) values ($1, $2, 'Planted', 'sandbox')`, [B.t.id, randomUUID()]],
      ['credit_settings', `insert into credit_settings (tenant_id, reuse_window_days, retention_days) values ($1, 0, 1)`, [B.t.id]],
      [
        'credit_checks',
        `insert into credit_checks (tenant_id, id, debtor_id, bureau_id, purpose, pull_type, status, cost_currency, requested_by_kind, requested_by_id)
         values ($1, $2, $3, $4, 'collection', 'soft', 'failed', 'USD', 'api_key', 'planted')`,
        [B.t.id, randomUUID(), B.d1, B.bureau.id],
      ],
      [
        'credit_reports',
        `insert into credit_reports (tenant_id, id, debtor_id, bureau_id, check_id, purpose, pull_type, pulled_at, expires_at, no_hit, thin_file, fraud_alert,
                                     score_band, risk_rating, delinquencies, tradelines, public_records, inquiries)
         values ($1, $2, $3, $4, $5, 'collection', 'soft', now(), now() + interval '1 day', false, false, false, 'excellent', 'low', 0, 0, 0, 0)`,
        [B.t.id, randomUUID(), B.d1, B.bureau.id, B.c1.id],
      ],
      [
        'debtor_risk_history',
        `insert into debtor_risk_history (tenant_id, id, debtor_id, risk_rating, score_band, report_id) values ($1, $2, $3, 'low', 'excellent', $4)`,
        [B.t.id, randomUUID(), B.d1, B.r1],
      ],
    ];
    for (const [table, stmt, params] of inserts) {
      const f = await failure(asApp(A.t.id, (q) => q(stmt, params)));
      expect(f.code, table).toBe('42501');
      expect(f.message, table).toMatch(/row-level security/);
    }

    // Scoped to P1: a check, report or history row for the P2 debtor is refused; for the P1 debtor it is accepted.
    const scopedInsert = (debtorId: string, reportId: string, checkId: string) =>
      asApp(A.t.id, async (q) => {
        await q(`select set_config('app.portfolio_ids', $1, true)`, [`{${A.P1}}`]);
        await q(
          `insert into credit_checks (tenant_id, id, debtor_id, bureau_id, purpose, pull_type, status, cost_currency, requested_by_kind, requested_by_id)
           values ($1, $2, $3, $4, 'collection', 'soft', 'failed', 'USD', 'api_key', 'planted')`,
          [A.t.id, randomUUID(), debtorId, A.bureau.id],
        );
        await q(
          `insert into credit_reports (tenant_id, id, debtor_id, bureau_id, check_id, purpose, pull_type, pulled_at, expires_at, no_hit, thin_file, fraud_alert,
                                       score_band, risk_rating, delinquencies, tradelines, public_records, inquiries)
           values ($1, $2, $3, $4, $5, 'collection', 'soft', now(), now() + interval '1 day', false, false, false, 'excellent', 'low', 0, 0, 0, 0)`,
          [A.t.id, randomUUID(), debtorId, A.bureau.id, checkId],
        );
        await q(`insert into debtor_risk_history (tenant_id, id, debtor_id, risk_rating, score_band, report_id) values ($1, $2, $3, 'low', 'excellent', $4)`, [
          A.t.id,
          randomUUID(),
          debtorId,
          reportId,
        ]);
        return 'inserted';
      });
    expect(await scopedInsert(A.d1, A.r1, A.c1.id)).toBe('inserted');
    const p2 = await failure(scopedInsert(A.d2, A.r2, A.c2.id));
    expect(p2.code).toBe('42501');
    expect(p2.message).toMatch(/row-level security/);
    // Everything above was rolled back.
    expect(await count(h.db.admin.query, `select count(*)::int as n from credit_checks where requested_by_id = 'planted'`)).toBe(0);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('bureau credentials', () => {
  const SECRET = 'sk_live_TESTSECRET_' + 'q7Zr9XwPp2LmN4vB8cD1';

  it('are stored sealed, never returned, never audited or logged in clear, and "" removes them', async () => {
    const t = await h.tenant('Secrets');
    const created = ok(
      await t.gql(Q.createBureau, {
        i: { name: 'Experian-ish', provider: 'HTTP_JSON', baseUrl: 'https://bureau.example/api', credential: SECRET, subscriberCode: 'SUB-1', fieldMapping: { score: 'data.score' } },
      }),
    ).createCreditBureau;
    expect(created).toMatchObject({ provider: 'HTTP_JSON', baseUrl: 'https://bureau.example/api', hasCredential: true, subscriberCode: 'SUB-1' });
    expect(JSON.stringify(created)).not.toContain('TESTSECRET');

    // At rest: sealed, with a key id; the bytes do not hold the secret in clear.
    const [row] = await h.db.admin.query<{ sealed: string | null; key_id: string | null }>(
      `select encode(credential_sealed, 'hex') as sealed, credential_key_id as key_id from credit_bureaus where tenant_id = $1 and id = $2`,
      [t.id, created.id],
    );
    expect(row!.sealed).not.toBeNull();
    expect(row!.key_id).not.toBeNull();
    const bytes = Buffer.from(row!.sealed!, 'hex');
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    expect(bytes.includes(Buffer.from('TESTSECRET'))).toBe(false);
    expect(bytes.toString('latin1')).not.toContain('TESTSECRET');
    expect(await count(h.db.admin.query, `select count(*)::int as n from credit_bureaus where tenant_id = $1 and row_to_json(credit_bureaus)::text like '%TESTSECRET%'`, [t.id])).toBe(0);

    // The API: a flag, and the secret nowhere in the answer.
    const listed = await t.gql(Q.bureaus);
    expect(ok(listed).creditBureaus).toHaveLength(1);
    expect(ok(listed).creditBureaus[0]).toMatchObject({ id: created.id, hasCredential: true });
    expect(JSON.stringify(listed)).not.toContain('TESTSECRET');

    // A credential in the URL is refused, and the refusal does not echo it.
    const inUrl = await t.gql(Q.createBureau, { i: { name: 'Leaky', provider: 'HTTP_JSON', baseUrl: `https://user:${SECRET}@bureau.example/api` } });
    expectError(inUrl, 'BAD_USER_INPUT', 'input.baseUrl');
    expect(JSON.stringify(inUrl.errors)).not.toContain('TESTSECRET');

    // An update without a credential keeps it.
    const renamed = ok(await t.gql(Q.updateBureau, { id: created.id, v: created.version, i: { name: 'Experian-ish 2', provider: 'HTTP_JSON', baseUrl: 'https://bureau.example/api' } })).updateCreditBureau;
    expect(renamed).toMatchObject({ name: 'Experian-ish 2', hasCredential: true, version: created.version + 1 });
    expect(JSON.stringify(renamed)).not.toContain('TESTSECRET');

    // "" removes it.
    const cleared = ok(await t.gql(Q.updateBureau, { id: created.id, v: renamed.version, i: { name: 'Experian-ish 2', provider: 'HTTP_JSON', baseUrl: 'https://bureau.example/api', credential: '' } })).updateCreditBureau;
    expect(cleared).toMatchObject({ hasCredential: false, version: renamed.version + 1 });
    expect(ok(await t.gql(Q.bureaus)).creditBureaus[0].hasCredential).toBe(false);
    const [after] = await h.db.admin.query<{ sealed: boolean; key_id: boolean }>(
      `select credential_sealed is null as sealed, credential_key_id is null as key_id from credit_bureaus where tenant_id = $1 and id = $2`,
      [t.id, created.id],
    );
    expect(after).toEqual({ sealed: true, key_id: true });

    // The audit trail: each change is there, with hasCredential, and without the secret.
    const events = await h.db.admin.query<{ action: string; before: string | null; after: string | null }>(
      `select action, before::text as before, after::text as after from audit_events where tenant_id = $1 and entity_type = 'credit_bureau' order by seq`,
      [t.id],
    );
    expect(events.map((e) => e.action)).toEqual(['credit_bureau.create', 'credit_bureau.update', 'credit_bureau.update']);
    expect(JSON.parse(events[0]!.after!)).toMatchObject({ hasCredential: true, baseUrl: 'https://bureau.example/api' });
    expect(JSON.parse(events[2]!.before!)).toMatchObject({ hasCredential: true });
    expect(JSON.parse(events[2]!.after!)).toMatchObject({ hasCredential: false });
    expect(await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1 and row_to_json(audit_events)::text like '%TESTSECRET%'`, [t.id])).toBe(0);
    // And the logs.
    expect(h.logs.filter((l) => l.includes('TESTSECRET'))).toEqual([]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('credit settings and strategy rules', () => {
  it('setCreditSettings refuses inconsistent values with BAD_USER_INPUT naming each field, and changes nothing', async () => {
    const t = await h.tenant('Settings');
    const first = ok(await t.gql(Q.setSettings, { i: { reuseWindowDays: 10, retentionDays: 100 } })).setCreditSettings;
    expect(first).toMatchObject({ version: 1, reuseWindowDays: 10, retentionDays: 100 });
    const auditsBefore = await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1 and action = 'credit_settings.set'`, [t.id]);
    expect(auditsBefore).toBe(1);

    const bad = async (input: Record<string, unknown>, fields: string[]) => {
      const r = await t.gql(Q.setSettings, { i: input });
      const e = expectError(r, 'BAD_USER_INPUT', fields[0]);
      expect((e.ext.problems as { field: string }[]).map((p) => p.field), JSON.stringify(input)).toEqual(fields);
      expect(r.data).toBeNull();
    };
    await bad({ reuseWindowDays: 40, retentionDays: 30 }, ['input.reuseWindowDays']);
    await bad({ reuseWindowDays: -1, retentionDays: 30 }, ['input.reuseWindowDays']);
    await bad({ reuseWindowDays: 0, retentionDays: -5 }, ['input.retentionDays']);
    await bad({ reuseWindowDays: 0, retentionDays: 0 }, ['input.retentionDays']);
    await bad({ reuseWindowDays: 366, retentionDays: 3661 }, ['input.reuseWindowDays', 'input.retentionDays']);
    await bad({ reuseWindowDays: 1, retentionDays: 30, strategyRules: [{ strategy: 'escalate_everything' }] }, ['input.strategyRules.0.strategy']);
    await bad({ reuseWindowDays: 1, retentionDays: 30, strategyRules: [{ strategy: 'standard' }, { riskRatings: ['low', 'extreme'], strategy: 'standard' }] }, ['input.strategyRules.1.riskRatings']);
    await bad({ reuseWindowDays: 1, retentionDays: 30, strategyRules: [{ scoreBands: ['stellar'], strategy: 'standard' }] }, ['input.strategyRules.0.scoreBands']);
    await bad({ reuseWindowDays: 1, retentionDays: 30, strategyRules: [{ minPublicRecords: -1, strategy: 'standard' }] }, ['input.strategyRules.0.minPublicRecords']);
    await bad(
      { reuseWindowDays: 1, retentionDays: 30, strategyRules: [{ strategy: 'standard' }, { riskRatings: ['HIGH'], scoreBands: ['good'], strategy: 'Legal_Review' }] },
      ['input.strategyRules.1.strategy', 'input.strategyRules.1.riskRatings'],
    );

    expect(ok(await t.gql(Q.settings)).creditSettings).toEqual(first);
    expect(await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1 and action = 'credit_settings.set'`, [t.id])).toBe(1);
  });

  it('custom rules change CreditReport.suggestedStrategy (first match wins), null rules restore the defaults, and every change is audited', async () => {
    const s = await seeded('Rules');
    const strategyOf = async (checkId: string) => ok(await s.t.gql(Q.check, { id: checkId })).creditCheck.report.suggestedStrategy;
    const set = async (strategyRules: unknown[] | null) => ok(await s.t.gql(Q.setSettings, { i: { reuseWindowDays: 30, retentionDays: 365, strategyRules } })).setCreditSettings;
    const audits = () =>
      h.db.admin.query<{ before: string | null; after: string }>(`select before::text as before, after::text as after from audit_events where tenant_id = $1 and action = 'credit_settings.set' order by seq`, [s.t.id]);
    expect((await audits()).length).toBe(1);

    // The defaults: d1 (critical, a public record) → legal_review; d2 (fraud alert) → verify_identity.
    expect(await strategyOf(s.c1.id)).toMatchObject({ strategy: 'legal_review' });
    expect(await strategyOf(s.c2.id)).toMatchObject({ strategy: 'verify_identity' });

    // Two rules match d1: the first wins.
    const v2 = await set([
      { riskRatings: ['critical'], strategy: 'manual_review', note: 'first' },
      { riskRatings: ['critical'], strategy: 'standard', note: 'second' },
    ]);
    expect(v2.version).toBe(s.settings.version + 1);
    expect(await strategyOf(s.c1.id)).toEqual({ strategy: 'manual_review', note: 'first' });
    expect(await strategyOf(s.c2.id)).toBeNull();

    // Bands, fraud flags and public records; an earlier rule wins over a fraud rule further down.
    await set([
      { scoreBands: ['excellent', 'good'], strategy: 'self_service', note: 'good scores' },
      { fraudAlert: true, strategy: 'verify_identity' },
      { minPublicRecords: 2, strategy: 'legal_review' },
      { minPublicRecords: 1, scoreBands: ['very_poor'], fraudAlert: false, strategy: 'early_escalation', note: 'one record' },
      { strategy: 'standard' },
    ]);
    expect(await strategyOf(s.c1.id)).toEqual({ strategy: 'early_escalation', note: 'one record' });
    expect(await strategyOf(s.c2.id)).toEqual({ strategy: 'self_service', note: 'good scores' });

    // No rule matches: no suggestion.
    await set([{ scoreBands: ['excellent'], strategy: 'self_service' }]);
    expect(await strategyOf(s.c1.id)).toBeNull();
    // The readCreditReportPayload report answers the same.
    expect(ok(await s.t.gql(Q.payload, { id: s.r1 })).readCreditReportPayload.report.suggestedStrategy).toBeNull();

    // Absent rules: the defaults again.
    const last = await set(null);
    expect(last.version).toBe(s.settings.version + 4);
    expect(await strategyOf(s.c1.id)).toMatchObject({ strategy: 'legal_review' });
    expect(await strategyOf(s.c2.id)).toMatchObject({ strategy: 'verify_identity' });

    // Every change audited, each before being the previous after.
    const events = await audits();
    expect(events).toHaveLength(5);
    expect(events[0]!.before).toBeNull();
    for (let i = 1; i < events.length; i++) expect(JSON.parse(events[i]!.before!), `event ${i}`).toEqual(JSON.parse(events[i - 1]!.after));
    expect(JSON.parse(events[1]!.after).strategyRules.map((r: any) => r.note)).toEqual(['first', 'second']);
    expect(JSON.parse(events[4]!.after).version).toBe(last.version);
  });
});
