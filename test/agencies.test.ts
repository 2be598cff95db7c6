import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createDebtor, createPortfolio, expectError, getAccount, idem, ok, scopedKey } from './accounts-fixtures.js';
import { createPromiseRaw, evaluate, getPromise, pay, reversePaymentRaw } from './plans-fixtures.js';
import { createAgency, credential, GRANT, grant, recall, requestToken, token } from './agency-fixtures.js';

/**
 * Collection agencies: agency records and their commission plans, OAuth client credentials, portfolio grants,
 * the placement history of accounts, and the performance figures (placed, collected, recovery, promises,
 * commission) with the creditor's scorecard.
 *
 * Placements are stamped with the database's now() (wall-clock time), so the app clock here is the wall clock
 * plus an offset: 0 except in the promise test, which moves "today" forward to let a promise break. Periods are
 * [yesterday, tomorrow] around the real today (tenants are UTC), so placements made during a test overlap them.
 * Payments meant to land after a placement wait a few milliseconds and are received "now", so they never share
 * a millisecond with the placement they follow (placedAt has microseconds, receivedAt milliseconds).
 */

const DAY = 86_400_000;
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const today = () => dayOf(clock.now());
const addDays = (d: string, n: number) => dayOf(new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A receivedAt strictly after everything the database stamped so far. */
async function afterPlacement(): Promise<string> {
  await sleep(3);
  return new Date().toISOString();
}
const period = () => ({ from: addDays(dayOf(new Date()), -1), to: addDays(dayOf(new Date()), 1) });

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());
afterEach(() => {
  offsetMs = 0;
});

const AGENCY_FULL = `id version name status contactName contactEmail contactPhone dataProtectionRef createdAt updatedAt commission { rateBps tierBasis tiers { from rateBps } }`;
const CREATE = `mutation($i: AgencyInput!) { createAgency(input: $i) { ${AGENCY_FULL} } }`;
const UPDATE = `mutation($id: ID!, $v: Int!, $i: AgencyInput!) { updateAgency(id: $id, version: $v, input: $i) { ${AGENCY_FULL} } }`;
const STATUS = `mutation($id: ID!, $s: AgencyStatus!, $r: String!) { setAgencyStatus(id: $id, status: $s, reason: $r) { id version status } }`;
const GET = `query($id: ID!) { agency(id: $id) { ${AGENCY_FULL} } }`;
const CREATE_CRED = `mutation($a: ID!, $l: String) { createAgencyCredential(agencyId: $a, label: $l) { clientSecret credential { id clientId label createdAt revokedAt lastUsedAt } } }`;
const REVOKE_CRED = `mutation($id: ID!) { revokeAgencyCredential(id: $id) { id clientId revokedAt } }`;
const CREDS = `query($id: ID!) { agency(id: $id) { id credentials { id clientId label revokedAt } } }`;
const GRANT_M = `mutation($i: GrantPortfolioAccessInput!) { grantPortfolioAccess(input: $i) { ${GRANT} recallNote } }`;
const RECALL = `mutation($a: ID!, $p: ID!, $r: String!) { recallPortfolio(agencyId: $a, portfolioId: $p, reason: $r) { ${GRANT} recallNote } }`;
const GRANTS = `query($a: ID, $p: ID, $act: Boolean! = true) { agencyGrants(agencyId: $a, portfolioId: $p, activeOnly: $act) { ${GRANT} recallNote } }`;
const PLACEMENTS = `query($id: ID!) { account(id: $id) { id version portfolio { id } balance { total { minor } }
  placements { agencyId grantId portfolioId placedAt endedAt endReason balanceAtPlacement { minor currency } dueSinceAtPlacement } } }`;
const MOVE = `mutation($i: MoveAccountInput!) { moveAccount(input: $i) { id version portfolio { id } } }`;
const IMPORT = `mutation($i: ImportAccountsInput!) { importAccounts(input: $i) { rows accountsCreated failed errors { line field message } } }`;
const PERF_FIELDS = `agency { id name } from to
  portfolios { portfolio { id name } placedAccounts placedBalance { minor currency } collected { minor } recoveryRateBps
    promisesKept promisesPartiallyKept promisesBroken promisesKeptRatioBps commission { minor } }
  totals { currency placedAccounts placedBalance { minor } collected { minor } recoveryRateBps promisesKept promisesPartiallyKept
    promisesBroken promisesKeptRatioBps commission { minor } effectiveCommissionRateBps netRecovered { minor } rank }`;
const PERF = `query($a: ID!, $from: LocalDate!, $to: LocalDate!) { agencyPerformance(agencyId: $a, from: $from, to: $to) { ${PERF_FIELDS} } }`;
const SCORECARD = `query($from: LocalDate!, $to: LocalDate!) { agencyScorecard(from: $from, to: $to) { ${PERF_FIELDS} } }`;

const baseInput = (extra: Record<string, unknown> = {}) => ({
  name: `Agency ${idem('n')}`,
  contactEmail: 'ops@agency.example',
  dataProtectionRef: 'DPA-2026-001',
  commission: { rateBps: 1500 },
  ...extra,
});

/** An agency as the tenant sees it; `gql` lets plans-fixtures helpers act as the agency. */
function asAgency(t: TestTenant, tok: string): TestTenant {
  return { ...t, gql: (q, v) => h.gql(tok, q, v) };
}

async function placements(t: TestTenant | { gql: TestTenant['gql'] }, accountId: string): Promise<any> {
  return ok(await t.gql(PLACEMENTS, { id: accountId })).account;
}

async function auditActions(t: TestTenant, entityId: string): Promise<{ action: string; before: any; after: any; actorKind: string }[]> {
  const r = ok(await t.gql(`query($id: String!) { auditEvents(first: 100, filter: { entityId: $id }) { edges { node { seq action before after actorKind } } } }`, { id: entityId }));
  return r.auditEvents.edges.map((e: any) => e.node).sort((a: any, b: any) => a.seq - b.seq);
}

async function perf(auth: TestTenant | { gql: TestTenant['gql'] }, agencyId: string, p = period()): Promise<GqlResult> {
  return auth.gql(PERF, { a: agencyId, ...p });
}

/** A debtor and an account with `principal` owed (no interest or fees) in a portfolio. */
async function account(t: TestTenant, portfolioId: string, principal: string, extra: Record<string, unknown> = {}) {
  const did = await createDebtor(t);
  return createAccount(t, { debtorId: did, portfolioId, originalPrincipal: principal, ...extra });
}

/** Records a payment received just after the placements made so far. */
async function payAfter(t: TestTenant, accountId: string, amount: string, currency = 'CNY') {
  return pay(t, { accountId, amount, currency, receivedAt: await afterPlacement() });
}

describe('agencies: records and commission plans', () => {
  it('creates with every field, flat and tiered plans round-trip, updates need the current version, names are unique; all audited', async () => {
    const t = await h.tenant();
    const full = {
      name: 'Acme Collections',
      contactName: 'Li Wei',
      contactEmail: 'ops@acme.example',
      contactPhone: '+8613800138000',
      dataProtectionRef: 'DPA-2026-007',
      commission: { rateBps: 1500 },
    };
    const a = ok(await t.gql(CREATE, { i: full })).createAgency;
    expect(a).toMatchObject({ ...full, version: 1, status: 'ACTIVE', commission: { rateBps: 1500, tierBasis: null, tiers: [] } });

    // A tiered plan by amount collected round-trips tier by tier.
    const tiered = {
      name: 'Beta Recovery',
      dataProtectionRef: 'DPA-2026-008',
      commission: { rateBps: 0, tierBasis: 'AMOUNT_COLLECTED', tiers: [{ from: '0', rateBps: 1000 }, { from: '5000000', rateBps: 1500 }, { from: '10000000', rateBps: 2000 }] },
    };
    const b = ok(await t.gql(CREATE, { i: tiered })).createAgency;
    expect(b).toMatchObject({ name: 'Beta Recovery', contactName: null, contactEmail: null, contactPhone: null, version: 1, commission: tiered.commission });
    expect(ok(await t.gql(GET, { id: b.id })).agency.commission).toEqual(tiered.commission);

    // Update to a days-past-due plan with the version read: version 2.
    const dpd = { rateBps: 1200, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '0', rateBps: 1200 }, { from: '180', rateBps: 2500 }] };
    const u = ok(await t.gql(UPDATE, { id: a.id, v: 1, i: { ...full, contactName: 'Wang Fang', commission: dpd } })).updateAgency;
    expect(u).toMatchObject({ id: a.id, version: 2, name: 'Acme Collections', contactName: 'Wang Fang', commission: dpd });
    expect(ok(await t.gql(GET, { id: a.id })).agency).toMatchObject({ version: 2, contactName: 'Wang Fang', commission: dpd });

    // The stale version 1 is CONFLICT and changes nothing.
    const stale = expectError(await t.gql(UPDATE, { id: a.id, v: 1, i: { ...full, contactName: 'Someone Else' } }), 'CONFLICT');
    expect(stale.message).toContain('version');
    expect(stale.ext.currentVersion).toBe(2);
    expect(ok(await t.gql(GET, { id: a.id })).agency).toMatchObject({ version: 2, contactName: 'Wang Fang' });

    // Names are unique in the tenant: on create and on rename.
    expectError(await t.gql(CREATE, { i: { ...full, name: 'Beta Recovery' } }), 'CONFLICT', 'input.name');
    expectError(await t.gql(UPDATE, { id: a.id, v: 2, i: { ...full, name: 'Beta Recovery' } }), 'CONFLICT', 'input.name');
    // ... but another tenant may use the same name.
    const other = await h.tenant();
    ok(await other.gql(CREATE, { i: full }));

    const list = ok(await t.gql(`{ agencies { id name version } }`)).agencies;
    expect(list.map((x: any) => [x.name, x.version])).toEqual([
      ['Acme Collections', 2],
      ['Beta Recovery', 1],
    ]);

    const events = await auditActions(t, a.id);
    expect(events.map((e) => e.action)).toEqual(['agency.create', 'agency.update']);
    expect(events[0]!.after).toMatchObject({ name: 'Acme Collections', status: 'active', version: 1, commission: { rateBps: 1500 } });
    expect(events[1]!.before).toMatchObject({ contactName: 'Li Wei', version: 1 });
    expect(events[1]!.after).toMatchObject({ contactName: 'Wang Fang', version: 2, commission: { tierBasis: 'days_past_due' } });
    expect((await auditActions(t, b.id)).map((e) => e.action)).toEqual(['agency.create']);
  });

  it('bad input is BAD_USER_INPUT naming the field, with every problem listed; nothing is written', async () => {
    const t = await h.tenant();
    const cases: [string, Record<string, unknown>, string][] = [
      ['empty name', { name: '   ' }, 'input.name'],
      ['bad email', { contactEmail: 'not-an-email' }, 'input.contactEmail'],
      ['bad phone', { contactPhone: '12345' }, 'input.contactPhone'],
      ['rate above 100%', { commission: { rateBps: 10_001 } }, 'input.commission.rateBps'],
      ['negative rate', { commission: { rateBps: -1 } }, 'input.commission.rateBps'],
      ['tiers without a basis', { commission: { rateBps: 1000, tiers: [{ from: '0', rateBps: 1000 }] } }, 'input.commission.tierBasis'],
      ['a basis without tiers', { commission: { rateBps: 1000, tierBasis: 'AMOUNT_COLLECTED', tiers: [] } }, 'input.commission.tiers'],
      ['empty dataProtectionRef', { dataProtectionRef: '  ' }, 'input.dataProtectionRef'],
    ];
    for (const [what, extra, field] of cases) {
      const e = expectError(await t.gql(CREATE, { i: baseInput(extra) }), 'BAD_USER_INPUT', field);
      expect(e.ext.problems, what).toEqual([expect.objectContaining({ field })]);
      expect(e.message, what).toContain(field);
    }

    // Tier problems: not ascending, first tier not 0, a tier rate above 100%. The field names the tier.
    const notAscending = expectError(
      await t.gql(CREATE, { i: baseInput({ commission: { rateBps: 0, tierBasis: 'AMOUNT_COLLECTED', tiers: [{ from: '0', rateBps: 1000 }, { from: '500', rateBps: 1500 }, { from: '500', rateBps: 2000 }] } }) }),
      'BAD_USER_INPUT',
    );
    expect(notAscending.ext.field).toMatch(/^input\.commission\.tiers(\.2|\[2\])\.from$/);
    expect(notAscending.message).toContain('ascending');
    const firstNotZero = expectError(
      await t.gql(CREATE, { i: baseInput({ commission: { rateBps: 0, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '30', rateBps: 1000 }, { from: '90', rateBps: 1500 }] } }) }),
      'BAD_USER_INPUT',
    );
    expect(firstNotZero.ext.field).toMatch(/^input\.commission\.tiers(\.0|\[0\])\.from$/);
    expect(firstNotZero.message).toContain('start at 0');
    const tierRate = expectError(
      await t.gql(CREATE, { i: baseInput({ commission: { rateBps: 0, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '0', rateBps: 1000 }, { from: '90', rateBps: 10_001 }] } }) }),
      'BAD_USER_INPUT',
    );
    expect(tierRate.ext.field).toMatch(/^input\.commission\.tiers(\.1|\[1\])\.rateBps$/);

    // Missing dataProtectionRef altogether: the GraphQL layer refuses it, still naming the field.
    const { dataProtectionRef: _omit, ...noRef } = baseInput();
    expectError(await t.gql(CREATE, { i: noRef }), 'BAD_USER_INPUT', 'input.dataProtectionRef');

    // Several problems at once: all listed, the first one in `field`.
    const many = expectError(await t.gql(CREATE, { i: baseInput({ name: '', contactEmail: 'x@', commission: { rateBps: 20_000 } }) }), 'BAD_USER_INPUT', 'input.name');
    expect(many.ext.problems.map((p: any) => p.field)).toEqual(['input.name', 'input.contactEmail', 'input.commission.rateBps']);

    // The same checks guard updates.
    const a = await createAgency(t);
    expectError(await t.gql(UPDATE, { id: a.id, v: 1, i: baseInput({ contactPhone: '+86 not a phone' }) }), 'BAD_USER_INPUT', 'input.contactPhone');
    expect(ok(await t.gql(GET, { id: a.id })).agency.version).toBe(1);
    expect(ok(await t.gql(`{ agencies { id } }`)).agencies).toHaveLength(1);
  });

  it('field paths of tier and portfolio problems are dotted like the rest of the API (input.commission.tiers.1.from)', async () => {
    // errors.ts: FieldProblem.field is a "dotted path from the operation's arguments, e.g. input.phones.1.number";
    // the GraphQL layer and the other modules (plans: input.schedule.1.dueOn, api keys: input.portfolioIds.0) agree.
    const t = await h.tenant();
    const r = await t.gql(CREATE, { i: baseInput({ commission: { rateBps: 0, tierBasis: 'AMOUNT_COLLECTED', tiers: [{ from: '0', rateBps: 1000 }, { from: '0', rateBps: 1500 }] } }) });
    expectError(r, 'BAD_USER_INPUT', 'input.commission.tiers.1.from');
    const a = await createAgency(t);
    expectError(await t.gql(GRANT_M, { i: { agencyId: a.id, portfolioIds: ['not-a-uuid'], scopes: ['ACCOUNTS_READ'] } }), 'BAD_USER_INPUT', 'input.portfolioIds.0');
  });

  it('read and write keys, portfolio-scoped admin keys and agency tokens cannot manage agencies (FORBIDDEN)', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t);
    const a = await createAgency(t);
    const b = await createAgency(t);
    const g = await grant(t, b.id, [p.id]);
    expect(g).toHaveLength(1);
    const bToken = await token(h, await credential(t, b.id));

    const readKey = (await t.keyWith(['read'])).key;
    const writeKey = (await t.keyWith(['read', 'write'])).key;
    const scopedAdmin = await scopedKey(t, ['read', 'write', 'admin'], [p.id]);
    const ops: [string, string, Record<string, unknown>][] = [
      ['createAgency', CREATE, { i: baseInput() }],
      ['updateAgency', UPDATE, { id: a.id, v: 1, i: baseInput() }],
      ['setAgencyStatus', STATUS, { id: a.id, s: 'SUSPENDED', r: 'review' }],
      ['createAgencyCredential', CREATE_CRED, { a: a.id, l: 'x' }],
      ['grantPortfolioAccess', GRANT_M, { i: { agencyId: a.id, portfolioIds: [p.id], scopes: ['ACCOUNTS_READ'] } }],
      ['recallPortfolio', RECALL, { a: b.id, p: p.id, r: 'review' }],
    ];
    for (const [name, q, v] of ops) {
      for (const [who, key] of [
        ['read key', readKey],
        ['write key', writeKey],
        ['portfolio-scoped admin key', scopedAdmin],
        ['agency token', bToken],
      ] as const) {
        const r = await h.gql(key, q, v);
        expect(r.errors?.[0]?.extensions.code, `${name} with a ${who}: ${r.errors?.[0]?.message}`).toBe('FORBIDDEN');
      }
    }
    // Reads of agencies need admin too.
    expectError(await h.gql(readKey, `{ agencies { id } }`), 'FORBIDDEN');
    expectError(await h.gql(writeKey, GET, { id: a.id }), 'FORBIDDEN');
    // Nothing changed.
    expect(ok(await t.gql(GET, { id: a.id })).agency).toMatchObject({ version: 1, status: 'ACTIVE' });
    const open = ok(await t.gql(GRANTS, { p: p.id })).agencyGrants;
    expect(open.map((x: any) => x.agencyId)).toEqual([b.id]);
    expect(ok(await t.gql(`{ agencies { id } }`)).agencies).toHaveLength(2);
  });

  it("another tenant's agency is NOT_FOUND everywhere", async () => {
    const t = await h.tenant();
    const other = await h.tenant();
    const theirs = await createAgency(other);
    const p = await createPortfolio(t);
    const { from, to } = period();
    expectError(await t.gql(GET, { id: theirs.id }), 'NOT_FOUND');
    expectError(await t.gql(UPDATE, { id: theirs.id, v: 1, i: baseInput() }), 'NOT_FOUND');
    expectError(await t.gql(STATUS, { id: theirs.id, s: 'TERMINATED', r: 'not ours' }), 'NOT_FOUND');
    expectError(await t.gql(CREATE_CRED, { a: theirs.id, l: null }), 'NOT_FOUND');
    expectError(await t.gql(GRANT_M, { i: { agencyId: theirs.id, portfolioIds: [p.id], scopes: ['ACCOUNTS_READ'] } }), 'NOT_FOUND');
    expectError(await t.gql(RECALL, { a: theirs.id, p: p.id, r: 'x' }), 'NOT_FOUND');
    expectError(await t.gql(PERF, { a: theirs.id, from, to }), 'NOT_FOUND');
    expect(ok(await t.gql(GRANTS, { a: theirs.id, act: false })).agencyGrants).toEqual([]);
    expect(ok(await other.gql(GET, { id: theirs.id })).agency).toMatchObject({ version: 1, status: 'ACTIVE' });
  });
});

describe('agency credentials', () => {
  it('the secret is returned once; listings show client ids only; only the hash is stored; at most five active; revoking twice is harmless', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t);
    const a = await createAgency(t);
    await grant(t, a.id, [p.id]);

    const created = ok(await t.gql(CREATE_CRED, { a: a.id, l: 'primary' })).createAgencyCredential;
    expect(created.credential.clientId).toMatch(/^agc_[0-9A-Za-z]{22}_[0-9A-Za-z]{11}$/);
    expect(created.clientSecret).toMatch(/^acs_[0-9A-Za-z]{39}$/);
    expect(created.credential).toMatchObject({ label: 'primary', revokedAt: null, lastUsedAt: null });
    const secret: string = created.clientSecret;

    // It works at the token endpoint.
    const tok = await token(h, { clientId: created.credential.clientId, clientSecret: secret });
    expect(tok.split('.')).toHaveLength(3);

    // Listings never show it.
    const listed = await t.gql(CREDS, { id: a.id });
    expect(ok(listed).agency.credentials).toEqual([{ id: created.credential.id, clientId: created.credential.clientId, label: 'primary', revokedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect((await t.gql(`query($id: ID!) { agency(id: $id) { credentials { clientSecret } } }`, { id: a.id })).errors).toBeDefined();
    // Only a hash is stored; no column holds the secret.
    const rows = await h.db.admin.query<{ j: string; secret_hash: string }>(`select row_to_json(c)::text as j, secret_hash from agency_credentials c where tenant_id = $1`, [t.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret_hash).not.toBe(secret);
    expect(rows[0]!.j).not.toContain(secret);
    expect(rows[0]!.j).not.toContain(secret.slice(4, 30));
    // Nor does the audit log.
    const audit = await h.db.admin.query<{ j: string }>(`select row_to_json(e)::text as j from audit_events e where tenant_id = $1`, [t.id]);
    for (const e of audit) expect(e.j).not.toContain(secret.slice(4, 30));

    // Four more make five active; the sixth is CONFLICT naming agencyId.
    const more = [];
    for (let i = 0; i < 4; i++) more.push(ok(await t.gql(CREATE_CRED, { a: a.id, l: `k${i}` })).createAgencyCredential.credential);
    const sixth = expectError(await t.gql(CREATE_CRED, { a: a.id, l: 'six' }), 'CONFLICT', 'agencyId');
    expect(sixth.message).toContain('5');
    expect(ok(await t.gql(CREDS, { id: a.id })).agency.credentials).toHaveLength(5);

    // Revoke the first: its revokedAt is set; again: the same answer, no second audit event.
    const r1 = ok(await t.gql(REVOKE_CRED, { id: created.credential.id })).revokeAgencyCredential;
    expect(r1.revokedAt).not.toBeNull();
    expect(r1.clientId).toBe(created.credential.clientId);
    const r2 = ok(await t.gql(REVOKE_CRED, { id: created.credential.id })).revokeAgencyCredential;
    expect(r2.revokedAt).toBe(r1.revokedAt);
    const revokes = (await auditActions(t, a.id)).filter((e) => e.action === 'agency.credential.revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0]!.before).toMatchObject({ credentialId: created.credential.id });
    // The revoked secret no longer buys a token, and the token it bought stops working.
    const refused = await requestToken(h, { grant_type: 'client_credentials', client_id: created.credential.clientId, client_secret: secret });
    expect(refused.status).not.toBe(200);
    expectError(await h.gql(tok, `{ agencyGrants { id } }`), 'UNAUTHENTICATED');

    // With one revoked there is room for another; the list shows six, newest first, the revoked one included.
    ok(await t.gql(CREATE_CRED, { a: a.id, l: 'six' }));
    const all = ok(await t.gql(CREDS, { id: a.id })).agency.credentials;
    expect(all).toHaveLength(6);
    expect(all[0].label).toBe('six');
    expect(all.filter((c: any) => c.revokedAt !== null).map((c: any) => c.id)).toEqual([created.credential.id]);

    expectError(await t.gql(REVOKE_CRED, { id: '01890000-0000-7000-8000-000000000000' }), 'NOT_FOUND');
    const actions = (await auditActions(t, a.id)).map((e) => e.action);
    expect(actions.filter((x) => x === 'agency.credential.create')).toHaveLength(6);
  });

  it('a terminated agency cannot get credentials and has all of them revoked', async () => {
    const t = await h.tenant();
    const p = await createPortfolio(t);
    const a = await createAgency(t);
    await grant(t, a.id, [p.id]);
    const c1 = await credential(t, a.id);
    const c2 = await credential(t, a.id);
    const tok = await token(h, c1);
    ok(await h.gql(tok, `{ agencyGrants { id } }`));
    ok(await t.gql(STATUS, { id: a.id, s: 'TERMINATED', r: 'contract ended' }));
    const creds = ok(await t.gql(CREDS, { id: a.id })).agency.credentials;
    expect(creds.map((c: any) => c.id).sort()).toEqual([c1.id, c2.id].sort());
    for (const c of creds) expect(c.revokedAt).not.toBeNull();
    expectError(await t.gql(CREATE_CRED, { a: a.id, l: 'again' }), 'BAD_USER_INPUT', 'agencyId');
    expectError(await h.gql(tok, `{ agencyGrants { id } }`), 'UNAUTHENTICATED');
    expect((await requestToken(h, { grant_type: 'client_credentials', client_id: c2.clientId, client_secret: c2.clientSecret })).status).not.toBe(200);
  });
});

describe('portfolio grants', () => {
  it('bad grants are refused with the field named; nothing is written', async () => {
    const t = await h.tenant();
    const other = await h.tenant();
    const p = await createPortfolio(t);
    const theirs = await createPortfolio(other);
    const a = await createAgency(t);
    const g = (extra: Record<string, unknown>) => t.gql(GRANT_M, { i: { agencyId: a.id, portfolioIds: [p.id], scopes: ['ACCOUNTS_READ'], ...extra } });

    expectError(await g({ portfolioIds: [] }), 'BAD_USER_INPUT', 'input.portfolioIds');
    expectError(await g({ scopes: [] }), 'BAD_USER_INPUT', 'input.scopes');
    // An unknown scope never reaches the service: AgencyScope is a GraphQL enum.
    const unknownScope = expectError(await g({ scopes: ['ACCOUNTS_READ', 'DELETE_EVERYTHING'] }), 'BAD_USER_INPUT');
    expect(unknownScope.ext.field).toMatch(/^input\.scopes/);
    const now = Date.now();
    expectError(await g({ validFrom: new Date(now + 10 * DAY).toISOString(), validUntil: new Date(now + 5 * DAY).toISOString() }), 'BAD_USER_INPUT', 'input.validUntil');
    expectError(await g({ validUntil: new Date(now - DAY).toISOString() }), 'BAD_USER_INPUT', 'input.validUntil');
    // About three years at most (3 × 366 days).
    expectError(await g({ validUntil: new Date(now + 1200 * DAY).toISOString() }), 'BAD_USER_INPUT', 'input.validUntil');
    expectError(await g({ validFrom: new Date(now + 400 * DAY).toISOString() }), 'BAD_USER_INPUT', 'input.validFrom');
    // Another tenant's portfolio, an unknown portfolio, an unknown agency.
    expectError(await g({ portfolioIds: [p.id, theirs.id] }), 'NOT_FOUND');
    expectError(await g({ portfolioIds: ['01890000-0000-7000-8000-000000000000'] }), 'NOT_FOUND');
    expectError(await g({ agencyId: '01890000-0000-7000-8000-000000000000' }), 'NOT_FOUND');
    // A closed portfolio.
    const closed = await createPortfolio(t);
    ok(await t.gql(`mutation($i: UpdatePortfolioInput!) { updatePortfolio(input: $i) { id status } }`, { i: { id: closed.id, version: closed.version, status: 'CLOSED' } }));
    const c = expectError(await g({ portfolioIds: [p.id, closed.id] }), 'BAD_USER_INPUT', 'input.portfolioIds');
    expect(c.message).toContain(closed.name);
    // A suspended agency.
    ok(await t.gql(STATUS, { id: a.id, s: 'SUSPENDED', r: 'audit pending' }));
    expectError(await g({}), 'BAD_USER_INPUT', 'input.agencyId');

    expect(ok(await t.gql(GRANTS, { act: false })).agencyGrants).toEqual([]);
    const [n] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from agency_placements where tenant_id = $1`, [t.id]);
    expect(Number(n!.n)).toBe(0);
  });

  it('one agency per portfolio: another agency is CONFLICT naming the holder; the same agency replaces its grant; recall ends it; history stays', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    const a = await createAgency(t);
    const b = await createAgency(t);

    const [g1] = await grant(t, a.id, [p1.id], ['ACCOUNTS_READ', 'DEBTORS_READ']);
    expect(g1).toMatchObject({ agencyId: a.id, portfolioId: p1.id, scopes: ['ACCOUNTS_READ', 'DEBTORS_READ'], endedAt: null, endReason: null, active: true, validUntil: null });

    // b may not take p1 (even together with a free portfolio): CONFLICT naming a and its grant; nothing written.
    const held = expectError(await t.gql(GRANT_M, { i: { agencyId: b.id, portfolioIds: [p2.id, p1.id], scopes: ['ACCOUNTS_READ'] } }), 'CONFLICT', 'input.portfolioIds');
    expect(held.ext).toMatchObject({ portfolioId: p1.id, agencyId: a.id, grantId: g1.id });
    expect(ok(await t.gql(GRANTS, { a: b.id, act: false })).agencyGrants).toEqual([]);

    // a again, with other scopes and an end date: the old grant ends, a new one is open.
    const until = new Date(Date.now() + 90 * DAY).toISOString();
    const [g2] = await grant(t, a.id, [p1.id], ['PAYMENTS_RECORD', 'ACCOUNTS_READ'], { validUntil: until });
    expect(g2.id).not.toBe(g1.id);
    expect(g2).toMatchObject({ agencyId: a.id, portfolioId: p1.id, scopes: ['ACCOUNTS_READ', 'PAYMENTS_RECORD'], active: true, endedAt: null });
    expect(Date.parse(g2.validUntil)).toBe(Date.parse(until));
    const history1 = ok(await t.gql(GRANTS, { a: a.id, act: false })).agencyGrants;
    expect(history1.map((x: any) => x.id)).toEqual([g2.id, g1.id]);
    expect(history1[1]).toMatchObject({ active: false, endReason: 'recalled', recallNote: 'replaced by a new grant' });
    expect(history1[1].endedAt).not.toBeNull();
    expect(ok(await t.gql(GRANTS, { a: a.id })).agencyGrants.map((x: any) => x.id)).toEqual([g2.id]);

    // Recall: the grant ends with the reason; a second recall (or b recalling) finds nothing.
    const ended = ok(await t.gql(RECALL, { a: a.id, p: p1.id, r: 'poor performance' })).recallPortfolio;
    expect(ended).toMatchObject({ id: g2.id, endReason: 'recalled', recallNote: 'poor performance', active: false });
    expect(ended.endedAt).not.toBeNull();
    expectError(await t.gql(RECALL, { a: a.id, p: p1.id, r: 'again' }), 'NOT_FOUND');
    expectError(await t.gql(RECALL, { a: b.id, p: p2.id, r: 'never placed' }), 'NOT_FOUND');
    expectError(await t.gql(RECALL, { a: a.id, p: 'nope', r: 'x' }), 'BAD_USER_INPUT', 'portfolioId');
    expect(ok(await t.gql(GRANTS, { a: a.id })).agencyGrants).toEqual([]);
    expect(ok(await t.gql(GRANTS, { a: a.id, act: false })).agencyGrants.map((x: any) => [x.id, x.endReason])).toEqual([
      [g2.id, 'recalled'],
      [g1.id, 'recalled'],
    ]);

    // Now b may have p1.
    const [g3] = await grant(t, b.id, [p1.id, p2.id], ['ACCOUNTS_READ']);
    expect(g3.agencyId).toBe(b.id);
    expect(ok(await t.gql(GRANTS, { p: p1.id, act: false })).agencyGrants.map((x: any) => [x.agencyId, x.active])).toEqual([
      [b.id, true],
      [a.id, false],
      [a.id, false],
    ]);

    const grantEvents = (await h.db.admin.query<{ action: string; entity_id: string }>(`select action, entity_id from audit_events where tenant_id = $1 and action like 'agency.%' order by seq`, [t.id])).map(
      (e) => e.action,
    );
    expect(grantEvents).toEqual(['agency.create', 'agency.create', 'agency.grant', 'agency.grant', 'agency.recall', 'agency.grant', 'agency.grant']);
  });

  it('TERMINATED ends every grant and placement and revokes credentials; SUSPENDED keeps grants but stops tokens; terminated is final', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    const acc = await account(t, p1.id, '100000');
    const s = await createAgency(t);
    const x = await createAgency(t);
    await grant(t, s.id, [p1.id]);
    await grant(t, x.id, [p2.id]);
    const sTok = await token(h, await credential(t, s.id));
    const xCred = await credential(t, x.id);
    const xTok = await token(h, xCred);
    ok(await h.gql(sTok, `{ agencyGrants { id } }`));

    // Suspended: grants stay open, the token is refused at once, no new token either.
    expect(ok(await t.gql(STATUS, { id: s.id, s: 'SUSPENDED', r: 'complaint under review' })).setAgencyStatus).toMatchObject({ status: 'SUSPENDED', version: 2 });
    const sGrants = ok(await t.gql(GRANTS, { a: s.id, act: false })).agencyGrants;
    expect(sGrants.map((g: any) => [g.portfolioId, g.endedAt, g.active])).toEqual([[p1.id, null, true]]);
    expectError(await h.gql(sTok, `{ agencyGrants { id } }`), 'UNAUTHENTICATED');
    expect((await placements(t, acc.id)).placements.map((pl: any) => [pl.agencyId, pl.endedAt])).toEqual([[s.id, null]]);
    // Same status again changes nothing (no version bump).
    expect(ok(await t.gql(STATUS, { id: s.id, s: 'SUSPENDED', r: 'again' })).setAgencyStatus.version).toBe(2);
    // Reinstated: active again.
    expect(ok(await t.gql(STATUS, { id: s.id, s: 'ACTIVE', r: 'cleared' })).setAgencyStatus).toMatchObject({ status: 'ACTIVE', version: 3 });

    // Terminated x: its grant ends (agency_terminated), its credentials are revoked, its token dies.
    ok(await t.gql(STATUS, { id: x.id, s: 'TERMINATED', r: 'contract ended' }));
    const xGrants = ok(await t.gql(GRANTS, { a: x.id, act: false })).agencyGrants;
    expect(xGrants).toHaveLength(1);
    expect(xGrants[0]).toMatchObject({ endReason: 'agency_terminated', active: false });
    expect(xGrants[0].endedAt).not.toBeNull();
    expectError(await h.gql(xTok, `{ agencyGrants { id } }`), 'UNAUTHENTICATED');
    for (const c of ok(await t.gql(CREDS, { id: x.id })).agency.credentials) expect(c.revokedAt).not.toBeNull();
    // Terminated is final; it cannot be granted anything; p2 is free for s.
    expectError(await t.gql(STATUS, { id: x.id, s: 'ACTIVE', r: 'oops' }), 'BAD_USER_INPUT', 'status');
    expectError(await t.gql(GRANT_M, { i: { agencyId: x.id, portfolioIds: [p2.id], scopes: ['ACCOUNTS_READ'] } }), 'BAD_USER_INPUT', 'input.agencyId');
    await grant(t, s.id, [p2.id]);

    // Terminating s ends its two grants and the account's placement.
    ok(await t.gql(STATUS, { id: s.id, s: 'TERMINATED', r: 'merged' }));
    const ended = ok(await t.gql(GRANTS, { a: s.id, act: false })).agencyGrants;
    expect(ended.map((g: any) => g.endReason)).toEqual(['agency_terminated', 'agency_terminated']);
    const pl = (await placements(t, acc.id)).placements;
    expect(pl).toHaveLength(1);
    expect(pl[0]).toMatchObject({ agencyId: s.id, endReason: 'agency_terminated' });
    expect(pl[0].endedAt).not.toBeNull();

    const actions = (await auditActions(t, s.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['agency.create', 'agency.suspend', 'agency.reinstate', 'agency.terminate', 'agency.credential.create']));
    const term = (await auditActions(t, s.id)).find((e) => e.action === 'agency.terminate')!;
    expect(term.after).toMatchObject({ status: 'terminated', reason: 'merged', endedGrants: 2 });
  });
});

describe('grant audit', () => {
  it("each grant's audit event counts the accounts of its own portfolio", async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    await account(t, p1.id, '1000');
    await account(t, p1.id, '2000');
    await account(t, p2.id, '3000');
    const a = await createAgency(t);
    const gs = await grant(t, a.id, [p1.id, p2.id]);
    const byPortfolio = new Map(gs.map((g: any) => [g.portfolioId, g.id]));
    const events = await h.db.admin.query<{ entity_id: string; after: any }>(`select entity_id, after from audit_events where tenant_id = $1 and action = 'agency.grant' order by seq`, [t.id]);
    const placed = new Map(events.map((e) => [e.entity_id, (typeof e.after === 'string' ? JSON.parse(e.after) : e.after).accountsPlaced]));
    // p1 holds two accounts, p2 one.
    expect(placed.get(byPortfolio.get(p1.id))).toBe(2);
    expect(placed.get(byPortfolio.get(p2.id))).toBe(1);
  });
});

describe('placement history (Account.placements)', () => {
  it('granting places every account with its balance then; new, imported and moved accounts join; moves and recalls end placements; history stays', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const p2 = await createPortfolio(t, 'CNY', 'P2');
    const p3 = await createPortfolio(t, 'CNY', 'P3');
    const a = await createAgency(t);
    const b = await createAgency(t);
    // acc1 owes 100000 + 2000 + 1000 = 103000; acc2 owes 50000 − 7000 paid = 43000 when placed.
    const did = await createDebtor(t);
    const acc1 = await createAccount(t, { debtorId: did, portfolioId: p1.id, originalPrincipal: '100000', openingInterest: '2000', openingFees: '1000', dueOn: '2026-03-01' });
    const acc2 = await createAccount(t, { debtorId: did, portfolioId: p1.id, originalPrincipal: '50000', dueOn: '2026-04-15' });
    await pay(t, { accountId: acc2.id, amount: '7000', receivedAt: new Date().toISOString() });
    expect((await placements(t, acc1.id)).placements).toEqual([]);

    const before = Date.now();
    const [ga] = await grant(t, a.id, [p1.id]);
    const after = Date.now();
    const [gb] = await grant(t, b.id, [p2.id]);

    const pl1 = (await placements(t, acc1.id)).placements;
    expect(pl1).toEqual([
      {
        agencyId: a.id,
        grantId: ga.id,
        portfolioId: p1.id,
        placedAt: expect.any(String),
        endedAt: null,
        endReason: null,
        balanceAtPlacement: { minor: '103000', currency: 'CNY' },
        dueSinceAtPlacement: '2026-03-01',
      },
    ]);
    expect(Date.parse(pl1[0].placedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(pl1[0].placedAt)).toBeLessThanOrEqual(after + 1000);
    const pl2 = await placements(t, acc2.id);
    expect(pl2.balance.total.minor).toBe('43000');
    expect(pl2.placements.map((x: any) => [x.agencyId, x.balanceAtPlacement.minor, x.dueSinceAtPlacement])).toEqual([[a.id, '43000', '2026-04-15']]);

    // Later payments do not change what was owed at placement.
    await payAfter(t, acc1.id, '3000');
    expect((await placements(t, acc1.id)).placements[0].balanceAtPlacement.minor).toBe('103000');

    // A new account in p1 joins a's placement with its opening balance (80000 + 500 fees).
    const acc3 = await createAccount(t, { debtorId: did, portfolioId: p1.id, originalPrincipal: '80000', openingFees: '500', dueOn: '2026-05-01' });
    expect((await placements(t, acc3.id)).placements.map((x: any) => [x.agencyId, x.grantId, x.balanceAtPlacement.minor, x.endedAt])).toEqual([[a.id, ga.id, '80500', null]]);

    // Imported accounts join too: 250.00 + 10.50 interest → 25000 + 1050 = 26050 minor units.
    const imp = ok(
      await t.gql(IMPORT, {
        i: {
          portfolioId: p1.id,
          rows: [{ debtorExternalRef: 'D-IMP-1', debtorName: '王五', accountExternalRef: 'IMP-1', productType: 'loan', currency: 'CNY', principal: '250.00', interest: '10.50', openedOn: '2026-01-01', dueOn: '2026-02-01' }],
        },
      }),
    ).importAccounts;
    expect(imp).toMatchObject({ rows: 1, accountsCreated: 1, failed: 0 });
    const imported = ok(await t.gql(`{ accounts(first: 50) { edges { node { id externalRef } } } }`)).accounts.edges.map((e: any) => e.node).find((x: any) => x.externalRef === 'IMP-1');
    expect((await placements(t, imported.id)).placements.map((x: any) => [x.agencyId, x.grantId, x.balanceAtPlacement.minor, x.dueSinceAtPlacement])).toEqual([[a.id, ga.id, '26050', '2026-02-01']]);

    // Move acc1 from p1 (a) to p2 (b): a's placement ends "moved", b's begins with the balance then (103000 − 3000).
    let cur = await getAccount(t, acc1.id);
    ok(await t.gql(MOVE, { i: { id: acc1.id, version: cur.version, portfolioId: p2.id } }));
    const moved = (await placements(t, acc1.id)).placements;
    expect(moved.map((x: any) => [x.agencyId, x.grantId, x.portfolioId, x.endReason, x.balanceAtPlacement.minor])).toEqual([
      [b.id, gb.id, p2.id, null, '100000'],
      [a.id, ga.id, p1.id, 'moved', '103000'],
    ]);
    expect(moved[0].endedAt).toBeNull();
    expect(moved[1].endedAt).not.toBeNull();
    expect(Date.parse(moved[1].endedAt)).toBeLessThanOrEqual(Date.parse(moved[0].placedAt));

    // Agency b sees only its own placement of acc1.
    const bTok = await token(h, await credential(t, b.id));
    const seenByB = await placements({ gql: (q, v) => h.gql(bTok, q, v) }, acc1.id);
    expect(seenByB.placements.map((x: any) => x.agencyId)).toEqual([b.id]);

    // Move on to p3, placed with no one: b's placement ends, nothing new.
    cur = await getAccount(t, acc1.id);
    ok(await t.gql(MOVE, { i: { id: acc1.id, version: cur.version, portfolioId: p3.id } }));
    const third = (await placements(t, acc1.id)).placements;
    expect(third.map((x: any) => [x.agencyId, x.endReason])).toEqual([
      [b.id, 'moved'],
      [a.id, 'moved'],
    ]);
    for (const x of third) expect(x.endedAt).not.toBeNull();

    // Recall p1: acc2, acc3 and the imported account keep their placement, ended "recalled".
    await recall(t, a.id, p1.id, 'end of season');
    for (const id of [acc2.id, acc3.id, imported.id]) {
      const pls = (await placements(t, id)).placements;
      expect(pls).toHaveLength(1);
      expect(pls[0]).toMatchObject({ agencyId: a.id, grantId: ga.id, endReason: 'recalled' });
      expect(pls[0].endedAt).not.toBeNull();
    }
    // An account created after the recall is not placed.
    const acc4 = await account(t, p1.id, '1000');
    expect((await placements(t, acc4.id)).placements).toEqual([]);
    // Re-granting p1 to b places what is there now, history kept: acc2 has two placements, newest first.
    const [gb2] = await grant(t, b.id, [p1.id]);
    expect((await placements(t, acc2.id)).placements.map((x: any) => [x.agencyId, x.grantId, x.endReason])).toEqual([
      [b.id, gb2.id, null],
      [a.id, ga.id, 'recalled'],
    ]);
  });

  it('a grant with an end date gives its placements that end; a grant starting later places from then', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    const acc1 = await account(t, p1.id, '10000');
    const acc2 = await account(t, p2.id, '20000');
    const a = await createAgency(t);
    const until = new Date(Date.now() + 30 * DAY);
    const from = new Date(Date.now() + 10 * DAY);
    await grant(t, a.id, [p1.id], ['ACCOUNTS_READ'], { validUntil: until.toISOString() });
    const [g2] = await grant(t, a.id, [p2.id], ['ACCOUNTS_READ'], { validFrom: from.toISOString() });
    const pl1 = (await placements(t, acc1.id)).placements;
    expect(pl1).toHaveLength(1);
    expect(Date.parse(pl1[0].endedAt)).toBe(until.getTime());
    expect(pl1[0].endReason).toBeNull();
    const pl2 = (await placements(t, acc2.id)).placements;
    expect(pl2.map((x: any) => [x.grantId, Date.parse(x.placedAt), x.endedAt])).toEqual([[g2.id, from.getTime(), null]]);
    expect(g2.active).toBe(false);
  });

  it('moving an account out of a portfolio placed from a later date ends (or drops) that future placement', async () => {
    // The placement of a grant that starts in ten days belongs to the portfolio: once the account has left
    // the portfolio, the agency must not start holding it in ten days' time.
    const t = await h.tenant();
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    const acc = await account(t, p1.id, '10000');
    const a = await createAgency(t);
    await grant(t, a.id, [p1.id], ['ACCOUNTS_READ'], { validFrom: new Date(Date.now() + 10 * DAY).toISOString() });
    expect((await placements(t, acc.id)).placements).toHaveLength(1);
    const cur = await getAccount(t, acc.id);
    ok(await t.gql(MOVE, { i: { id: acc.id, version: cur.version, portfolioId: p2.id } }));
    const after = (await placements(t, acc.id)).placements;
    // Either removed, or ended no later than it starts (a zero-length placement counts for nothing).
    const live = after.filter((x: any) => x.endedAt === null || Date.parse(x.endedAt) > Date.parse(x.placedAt));
    expect(live).toEqual([]);
  });
});

describe('agency performance', () => {
  it('flat 15%: placed, collected, recovery, commission and net; reversed and pre-placement payments do not count', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const p9 = await createPortfolio(t, 'CNY', 'P9 not placed');
    const agency = await createAgency(t, { commission: { rateBps: 1500 } });
    // acc1: 110000 owed, 10000 paid before placement → placed owing 100000; acc2: 50000.
    const acc1 = await account(t, p1.id, '110000');
    const acc2 = await account(t, p1.id, '50000');
    const elsewhere = await account(t, p9.id, '70000');
    await pay(t, { accountId: acc1.id, amount: '10000', receivedAt: new Date(Date.now() - 60_000).toISOString() });
    await grant(t, agency.id, [p1.id]);

    // After placement: 30000 on acc1 and 12345 on acc2 count; 5000 on acc1 is reversed (counts for nothing);
    // 9000 on an account in an unplaced portfolio is not the agency's.
    await payAfter(t, acc1.id, '30000');
    await payAfter(t, acc2.id, '12345');
    const bounced = await payAfter(t, acc1.id, '5000');
    ok(await reversePaymentRaw(t, bounced.payment.id, 'returned by the bank'));
    await payAfter(t, elsewhere.id, '9000');

    const { from, to } = period();
    const r = ok(await perf(t, agency.id, { from, to })).agencyPerformance;
    expect(r.agency).toEqual({ id: agency.id, name: agency.name });
    expect([r.from, r.to]).toEqual([from, to]);
    // placedBalance = 100000 + 50000 = 150000; collected = 30000 + 12345 = 42345.
    // recovery = floor(42345 × 10000 / 150000) = floor(2823.0) = 2823.
    // commission = 42345 × 1500 / 10000 = 6351.75 → 6352 (half-even: .75 rounds up).
    // effective rate = floor(6352 × 10000 / 42345) = floor(1500.05…) = 1500; net = 42345 − 6352 = 35993.
    expect(r.portfolios).toEqual([
      {
        portfolio: { id: p1.id, name: 'P1' },
        placedAccounts: 2,
        placedBalance: { minor: '150000', currency: 'CNY' },
        collected: { minor: '42345' },
        recoveryRateBps: 2823,
        promisesKept: 0,
        promisesPartiallyKept: 0,
        promisesBroken: 0,
        promisesKeptRatioBps: null,
        commission: { minor: '6352' },
      },
    ]);
    expect(r.totals).toEqual([
      {
        currency: 'CNY',
        placedAccounts: 2,
        placedBalance: { minor: '150000' },
        collected: { minor: '42345' },
        recoveryRateBps: 2823,
        promisesKept: 0,
        promisesPartiallyKept: 0,
        promisesBroken: 0,
        promisesKeptRatioBps: null,
        commission: { minor: '6352' },
        effectiveCommissionRateBps: 1500,
        netRecovered: { minor: '35993' },
        rank: null,
      },
    ]);

    // A period before the placement: nothing placed, nothing collected.
    const old = ok(await perf(t, agency.id, { from: '2025-01-01', to: '2025-12-31' })).agencyPerformance;
    expect([old.portfolios, old.totals]).toEqual([[], []]);

    // After a recall the placement still counts for the period it overlapped; a payment after the recall does not.
    await recall(t, agency.id, p1.id, 'end of contract');
    await payAfter(t, acc2.id, '1000');
    const later = ok(await perf(t, agency.id, { from, to })).agencyPerformance;
    expect(later.totals.map((x: any) => [x.placedAccounts, x.placedBalance.minor, x.collected.minor, x.commission.minor])).toEqual([[2, '150000', '42345', '6352']]);
  });

  it('AMOUNT_COLLECTED tiers are marginal brackets over the period total, rounded once half-even, shared by largest remainder', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const p2 = await createPortfolio(t, 'CNY', 'P2');
    const tiers = [
      { from: '0', rateBps: 1000 },
      { from: '50000', rateBps: 2500 },
    ];
    const agency = await createAgency(t, { commission: { rateBps: 0, tierBasis: 'AMOUNT_COLLECTED', tiers } });
    const acc1 = await account(t, p1.id, '200000');
    const acc2 = await account(t, p2.id, '100000');
    await grant(t, agency.id, [p1.id, p2.id]);
    // P1 collects 50000 + 30000 = 80000 (two payments); P2 collects 40002: total 120002.
    await payAfter(t, acc1.id, '50000');
    await payAfter(t, acc1.id, '30000');
    await payAfter(t, acc2.id, '40002');

    const r = ok(await perf(t, agency.id)).agencyPerformance;
    // Brackets: 50000 × 10% + (120002 − 50000) × 25% = 50000×1000 + 70002×2500 = 50,000,000 + 175,005,000
    //   = 225,005,000 / 10000 = 22500.5 → half-even → 22500 (half-up would give 22501).
    // Per-bracket-per-portfolio rounding would differ too; the total is shared in proportion to what was collected:
    //   P1: 22500 × 80000 / 120002 = 14999.75… → 14999 r 90002; P2: 22500 × 40002 / 120002 = 7500.24… → 7500 r 30000.
    //   14999 + 7500 = 22499: the missing unit goes to the largest remainder (P1) → 15000 + 7500 = 22500.
    // Recovery: P1 80000 × 10000 / 200000 = 4000; P2 40002 × 10000 / 100000 = 4000.2 → 4000;
    //   total 120002 × 10000 / 300000 = 4000.06… → 4000.
    // Effective rate: 22500 × 10000 / 120002 = 1874.96… → 1874; net = 120002 − 22500 = 97502.
    expect(r.portfolios.map((x: any) => [x.portfolio.name, x.placedAccounts, x.placedBalance.minor, x.collected.minor, x.recoveryRateBps, x.commission.minor])).toEqual([
      ['P1', 1, '200000', '80000', 4000, '15000'],
      ['P2', 1, '100000', '40002', 4000, '7500'],
    ]);
    expect(r.totals).toHaveLength(1);
    expect(r.totals[0]).toMatchObject({
      currency: 'CNY',
      placedAccounts: 2,
      placedBalance: { minor: '300000' },
      collected: { minor: '120002' },
      recoveryRateBps: 4000,
      commission: { minor: '22500' },
      effectiveCommissionRateBps: 1874,
      netRecovered: { minor: '97502' },
    });
  });

  it('DAYS_PAST_DUE tiers: each account earns the rate of its age at placement (lower bounds inclusive), one rounding for the total', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const p2 = await createPortfolio(t, 'CNY', 'P2');
    const tiers = [
      { from: '0', rateBps: 1000 },
      { from: '90', rateBps: 2000 },
      { from: '180', rateBps: 3000 },
    ];
    const agency = await createAgency(t, { commission: { rateBps: 500, tierBasis: 'DAYS_PAST_DUE', tiers } });
    const d = today();
    const opened = addDays(d, -500);
    // Days past due when placed (today): 30 → 10%, exactly 90 → 20%, 400 → 30%.
    const young = await account(t, p1.id, '100000', { openedOn: opened, dueOn: addDays(d, -30) });
    const ninety = await account(t, p1.id, '100000', { openedOn: opened, dueOn: addDays(d, -90) });
    const old = await account(t, p2.id, '100000', { openedOn: opened, dueOn: addDays(d, -400) });
    await grant(t, agency.id, [p1.id, p2.id]);
    expect((await placements(t, ninety.id)).placements[0].dueSinceAtPlacement).toBe(addDays(d, -90));
    await payAfter(t, young.id, '10001');
    await payAfter(t, ninety.id, '10001');
    await payAfter(t, old.id, '5001');

    const r = ok(await perf(t, agency.id)).agencyPerformance;
    // Exact products: 10001×1000 + 10001×2000 + 5001×3000 = 10,001,000 + 20,002,000 + 15,003,000 = 45,006,000
    //   → 4500.6 → 4501 (rounding each account first would give 1000 + 2000 + 1500 = 4500).
    // Shares by each portfolio's exact product: P1 30,003,000, P2 15,003,000 of 45,006,000:
    //   P1 4501 × 30003000 / 45006000 = 3000.53… → 3000 r 25,503,000; P2 = 1500.46… → 1500 r 19,503,000;
    //   the missing unit goes to P1 → 3001 + 1500 = 4501.
    // Collected 10001 + 10001 + 5001 = 25003 of 300000 placed: floor(833.43) = 833; P1 20002/200000 → 1000; P2 5001/100000 → 500.
    // Effective rate floor(4501 × 10000 / 25003) = floor(1800.18…) = 1800; net = 25003 − 4501 = 20502.
    expect(r.portfolios.map((x: any) => [x.portfolio.name, x.placedAccounts, x.placedBalance.minor, x.collected.minor, x.recoveryRateBps, x.commission.minor])).toEqual([
      ['P1', 2, '200000', '20002', 1000, '3001'],
      ['P2', 1, '100000', '5001', 500, '1500'],
    ]);
    expect(r.totals[0]).toMatchObject({
      placedAccounts: 3,
      placedBalance: { minor: '300000' },
      collected: { minor: '25003' },
      recoveryRateBps: 833,
      commission: { minor: '4501' },
      effectiveCommissionRateBps: 1800,
      netRecovered: { minor: '20502' },
    });
  });

  it("days past due at placement are counted in the tenant's time zone", async () => {
    // Kiritimati (UTC+14) is a day ahead of UTC from 10:00 UTC; Pago Pago (UTC−11) a day behind before 11:00 UTC.
    // The due date is chosen so that the tenant's count and a UTC count fall on either side of the 90-day tier.
    const t = await h.tenant();
    const ahead = new Date().getUTCHours() >= 10;
    const zone = ahead ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    await h.db.admin.query(`update tenants set time_zone = $1 where id = $2`, [zone, t.id]);
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    expect(local).not.toBe(dayOf(new Date()));
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const agency = await createAgency(t, { commission: { rateBps: 0, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '0', rateBps: 1000 }, { from: '90', rateBps: 2000 }] } });
    // Ahead: due local−90 → 90 days locally (20%), 89 by UTC dates. Behind: due local−89 → 89 locally (10%), 90 by UTC.
    const dueOn = addDays(local, ahead ? -90 : -89);
    const acc = await account(t, p1.id, '100000', { openedOn: addDays(local, -400), dueOn });
    await grant(t, agency.id, [p1.id]);
    await payAfter(t, acc.id, '10000');
    const r = ok(await perf(t, agency.id, { from: addDays(local, -1), to: addDays(local, 1) })).agencyPerformance;
    // 10000 × 20% = 2000 (ahead) or 10000 × 10% = 1000 (behind).
    expect(r.totals[0]).toMatchObject({ collected: { minor: '10000' }, commission: { minor: ahead ? '2000' : '1000' } });
  });

  it("promises the agency took, due in the period: kept, partially kept and broken, and the kept ratio", async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const { agency, token: tok } = await (async () => {
      const a = await createAgency(t, { commission: { rateBps: 1000 } });
      await grant(t, a.id, [p1.id]);
      return { agency: a, token: await token(h, await credential(t, a.id)) };
    })();
    const asA = asAgency(t, tok);
    const accs = [];
    for (let i = 0; i < 5; i++) accs.push(await account(t, p1.id, '100000'));
    const [kept, partial, broken, byCreditor, later] = accs;
    const d = today();

    // The agency takes four promises (one due in ten days, outside the period); the creditor takes one.
    const promise = async (who: TestTenant, accountId: string, amount: string, promisedOn: string) => ok(await createPromiseRaw(who, { accountId, amount, promisedOn })).createPromise;
    const pk = await promise(asA, kept!.id, '20000', d);
    const pp = await promise(asA, partial!.id, '30000', d);
    const pb = await promise(asA, broken!.id, '15000', d);
    const pl = await promise(asA, later!.id, '5000', addDays(d, 10));
    const pc = await promise(t, byCreditor!.id, '1000', d);
    // Payments (recorded by the creditor; see the next test for the agency recording them): kept in full,
    // partial 10000 of 30000, the creditor's and the later one kept.
    await payAfter(t, kept!.id, '20000');
    await payAfter(t, partial!.id, '10000');
    await payAfter(t, byCreditor!.id, '1000');
    await payAfter(t, later!.id, '5000');
    expect((await getPromise(t, pk.id)).status).toBe('KEPT');
    expect((await getPromise(t, pl.id)).status).toBe('KEPT');
    expect((await getPromise(t, pc.id)).status).toBe('KEPT');
    expect((await getPromise(t, pp.id)).status).toBe('PENDING');

    // Three days on (grace is 2 days: decided once promisedOn + 2 < today), the evaluation decides the rest.
    offsetMs = 3 * DAY;
    const ev = ok(await evaluate(t)).evaluatePlans;
    expect([ev.promisesPartiallyKept, ev.promisesBroken]).toEqual([1, 1]);
    expect((await getPromise(t, pp.id)).status).toBe('PARTIALLY_KEPT');
    expect((await getPromise(t, pb.id)).status).toBe('BROKEN');

    // Counted: the agency's promises due in [d−1, d+1]: kept 1, partially kept 1, broken 1 → 1 × 10000 / 3 = 3333.
    // Not counted: the creditor's promise, and the agency's promise due on d+10.
    // Collected 20000 + 10000 + 1000 + 5000 = 36000 of 500000: 720; commission 10% = 3600; net 32400.
    const r = ok(await perf(t, agency.id, { from: addDays(d, -1), to: addDays(d, 1) })).agencyPerformance;
    expect(r.portfolios.map((x: any) => [x.promisesKept, x.promisesPartiallyKept, x.promisesBroken, x.promisesKeptRatioBps])).toEqual([[1, 1, 1, 3333]]);
    expect(r.totals[0]).toMatchObject({
      placedAccounts: 5,
      placedBalance: { minor: '500000' },
      collected: { minor: '36000' },
      recoveryRateBps: 720,
      promisesKept: 1,
      promisesPartiallyKept: 1,
      promisesBroken: 1,
      promisesKeptRatioBps: 3333,
      commission: { minor: '3600' },
      netRecovered: { minor: '32400' },
    });
    // A period holding only d+10: the later kept promise alone → 10000.
    const ahead = ok(await perf(t, agency.id, { from: addDays(d, 5), to: addDays(d, 12) })).agencyPerformance;
    expect(ahead.totals[0]).toMatchObject({ promisesKept: 1, promisesPartiallyKept: 0, promisesBroken: 0, promisesKeptRatioBps: 10000, collected: { minor: '0' } });
  });

  it('payments the agency records itself (PAYMENTS_RECORD) are applied and count as collected', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const acc = await account(t, p1.id, '100000');
    const agency = await createAgency(t, { commission: { rateBps: 1000 } });
    await grant(t, agency.id, [p1.id], ['ACCOUNTS_READ', 'PAYMENTS_RECORD']);
    const asA = asAgency(t, await token(h, await credential(t, agency.id)));
    const paid = await payAfter(asA, acc.id, '25000');
    expect(paid.payment).toMatchObject({ accountId: acc.id, status: 'POSTED', amount: { minor: '25000', currency: 'CNY' }, applied: { minor: '25000' } });
    expect((await getAccount(t, acc.id)).balance.total.minor).toBe('75000');
    // 25000 of 100000 → 2500 bps; commission 10% = 2500; net 22500.
    const r = ok(await perf(t, agency.id)).agencyPerformance;
    expect(r.totals[0]).toMatchObject({ collected: { minor: '25000' }, recoveryRateBps: 2500, commission: { minor: '2500' }, netRecovered: { minor: '22500' } });
  });

  it('re-granting a portfolio to the same agency (new scopes) does not count its accounts or their balance twice', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const agency = await createAgency(t, { commission: { rateBps: 1000 } });
    const acc = await account(t, p1.id, '100000');
    await grant(t, agency.id, [p1.id], ['ACCOUNTS_READ']);
    await grant(t, agency.id, [p1.id], ['ACCOUNTS_READ', 'PAYMENTS_RECORD']);
    await payAfter(t, acc.id, '10000');
    // One account owing 100000, placed all along; 10000 collected → 1000 bps, commission 1000.
    const r = ok(await perf(t, agency.id)).agencyPerformance;
    expect(r.totals[0]).toMatchObject({ placedAccounts: 1, collected: { minor: '10000' }, commission: { minor: '1000' } });
    expect(r.totals[0].placedBalance.minor).toBe('100000');
    expect(r.totals[0].recoveryRateBps).toBe(1000);
  });

  it('the scorecard ranks each currency by recovery rate; agencies with nothing placed are listed without totals', async () => {
    const t = await h.tenant();
    const cnyX = await createPortfolio(t, 'CNY', 'X-CNY');
    const cnyY = await createPortfolio(t, 'CNY', 'Y-CNY');
    const usdX = await createPortfolio(t, 'USD', 'X-USD');
    const x = await createAgency(t, { name: 'Agency X', commission: { rateBps: 1000 } });
    const y = await createAgency(t, { name: 'Agency Y', commission: { rateBps: 2000 } });
    const z = await createAgency(t, { name: 'Agency Z' });
    const ax = await account(t, cnyX.id, '100000');
    const ay = await account(t, cnyY.id, '100000');
    const ux = await account(t, usdX.id, '10000', { currency: 'USD' });
    await grant(t, x.id, [cnyX.id, usdX.id]);
    await grant(t, y.id, [cnyY.id]);
    await payAfter(t, ax.id, '20000');
    await payAfter(t, ay.id, '50000');
    await payAfter(t, ux.id, '6000', 'USD');

    const rows = ok(await t.gql(SCORECARD, period())).agencyScorecard;
    expect(rows.map((r: any) => r.agency.name)).toEqual(['Agency X', 'Agency Y', 'Agency Z']);
    const byName = new Map(rows.map((r: any) => [r.agency.name, r]));
    // CNY: X 20000/100000 = 2000 bps, Y 50000/100000 = 5000 bps → Y first, X second.
    // USD: X alone, 6000/10000 = 6000 bps → rank 1.  Commission: X 10% of 20000 = 2000 and of 6000 = 600; Y 20% of 50000 = 10000.
    const tx = (byName.get('Agency X') as any).totals.map((c: any) => [c.currency, c.recoveryRateBps, c.rank, c.commission.minor, c.netRecovered.minor]);
    expect(tx).toEqual([
      ['CNY', 2000, 2, '2000', '18000'],
      ['USD', 6000, 1, '600', '5400'],
    ]);
    const ty = (byName.get('Agency Y') as any).totals.map((c: any) => [c.currency, c.recoveryRateBps, c.rank, c.commission.minor, c.netRecovered.minor]);
    expect(ty).toEqual([['CNY', 5000, 1, '10000', '40000']]);
    expect((byName.get('Agency Z') as any).totals).toEqual([]);
    expect((byName.get('Agency Z') as any).agency.id).toBe(z.id);
    expect((byName.get('Agency X') as any).portfolios.map((p: any) => [p.portfolio.name, p.placedBalance.currency, p.collected.minor])).toEqual([
      ['X-CNY', 'CNY', '20000'],
      ['X-USD', 'USD', '6000'],
    ]);
    // agencyPerformance leaves rank null.
    expect(ok(await perf(t, x.id)).agencyPerformance.totals.map((c: any) => c.rank)).toEqual([null, null]);
  });

  it('bad periods are BAD_USER_INPUT naming the field; agencies read their own figures only; the scorecard is for the creditor', async () => {
    const t = await h.tenant();
    const p1 = await createPortfolio(t, 'CNY', 'P1');
    const p2 = await createPortfolio(t, 'CNY', 'P2');
    const acc = await account(t, p1.id, '100000');
    const a = await createAgency(t);
    const b = await createAgency(t);
    await grant(t, a.id, [p1.id]);
    await grant(t, b.id, [p2.id]);
    await payAfter(t, acc.id, '10000');

    expectError(await t.gql(PERF, { a: a.id, from: '2026-06-30', to: '2026-06-01' }), 'BAD_USER_INPUT', 'to');
    expectError(await t.gql(PERF, { a: a.id, from: '2026-02-30', to: '2026-06-01' }), 'BAD_USER_INPUT', 'from');
    expectError(await t.gql(PERF, { a: a.id, from: '2026-01-01', to: '01/06/2026' }), 'BAD_USER_INPUT', 'to');
    // 2020-01-01 → 2023-12-31 is 1460 days > 3 × 366 = 1098.
    expectError(await t.gql(PERF, { a: a.id, from: '2020-01-01', to: '2023-12-31' }), 'BAD_USER_INPUT', 'to');
    expectError(await t.gql(SCORECARD, { from: '2026-06-30', to: '2026-06-01' }), 'BAD_USER_INPUT', 'to');
    expectError(await t.gql(SCORECARD, { from: '2020-01-01', to: '2023-12-31' }), 'BAD_USER_INPUT', 'to');
    expectError(await t.gql(PERF, { a: 'not-an-id', ...period() }), 'BAD_USER_INPUT', 'agencyId');
    // 2024-01-01 → 2026-12-31 is 1095 days: allowed.
    ok(await t.gql(PERF, { a: a.id, from: '2024-01-01', to: '2026-12-31' }));

    // Agency a reads its own figures (the same as the creditor sees), not b's, and not the scorecard.
    const aTok = await token(h, await credential(t, a.id));
    const asA = asAgency(t, aTok);
    const own = ok(await perf(asA, a.id)).agencyPerformance;
    expect(own).toEqual(ok(await perf(t, a.id)).agencyPerformance);
    expect(own.totals[0]).toMatchObject({ collected: { minor: '10000' }, recoveryRateBps: 1000 });
    expectError(await perf(asA, b.id), 'NOT_FOUND');
    // Its grant list is its own whatever it asks for.
    expect(ok(await asA.gql(GRANTS, { a: b.id, act: false })).agencyGrants.map((g: any) => g.agencyId)).toEqual([a.id]);
    expectError(await asA.gql(SCORECARD, period()), 'FORBIDDEN');
    // Keys without admin, and portfolio-scoped admin keys, are refused.
    const readKey = (await t.keyWith(['read'])).key;
    expectError(await h.gql(readKey, PERF, { a: a.id, ...period() }), 'FORBIDDEN');
    expectError(await h.gql(readKey, SCORECARD, period()), 'FORBIDDEN');
    const scopedAdmin = await scopedKey(t, ['read', 'admin'], [p1.id]);
    expectError(await h.gql(scopedAdmin, PERF, { a: a.id, ...period() }), 'FORBIDDEN');
    expectError(await h.gql(scopedAdmin, SCORECARD, period()), 'FORBIDDEN');
  });
});

