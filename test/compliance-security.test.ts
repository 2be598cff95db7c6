import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import { count, failure, rolledBack } from './sql-fixtures.js';
import { agencyWithToken, ALL_SCOPES, createAgency, credential, grant, token } from './agency-fixtures.js';
import {
  auditEvents,
  codes,
  complianceCounts,
  contactsOf,
  createDebtorWith,
  eligibility,
  eligibilityRaw,
  expectBlocked,
  logContact,
  logContactRaw,
  openDispute,
  openDisputeRaw,
  Q,
  recordNotice,
  recordNoticeRaw,
  resolveDispute,
  resolveDisputeRaw,
  setContactRules,
  setContactRulesRaw,
  setPreference,
  setPreferenceRaw,
  withBearer,
} from './compliance-fixtures.js';

/**
 * Isolation of the contact log, consent, contact rules, disputes and validation notices: another tenant's ids,
 * a key scoped to one portfolio, and collection agencies (with and without CONTACTS_WRITE) reach nothing out of
 * their reach — every query by id and every mutation answers NOT_FOUND worded as for an id that exists nowhere,
 * lists hold only what is in reach, and nothing is written. What agencies may never do (resolve a dispute, set
 * contact rules, override the guard) is FORBIDDEN. Below the API, the database enforces the same reach for the
 * app role under an agency or portfolio session, hides the webhook tables from scoped sessions, and keeps the
 * contact log, consent history and validation notices append-only even for the owner.
 *
 * The clock is 2026-06-15 16:00Z (12:00 in New York, where the debtors live) unless a test moves it.
 * `any` appears where GraphQL results are handled: their shape is the query's selection set.
 */

const START = new Date('2026-06-15T16:00:00Z');
let now = START;
const clock = { now: () => now };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());
afterEach(() => {
  now = START;
});

const NOWHERE = '00000000-0000-7000-8000-0000000000ff';
const NY = { timeZone: 'America/New_York', country: 'US' };
/** 10:00 in New York on the clock's day: inside the window. */
const AT = '2026-06-15T14:00:00Z';

/** NOT_FOUND, worded exactly as for an id that exists nowhere. */
async function expectHidden(call: (id: string) => Promise<GqlResult>, id: string, label: string): Promise<void> {
  const real = expectError(await call(id), 'NOT_FOUND');
  const none = expectError(await call(NOWHERE), 'NOT_FOUND');
  expect(real.message.replace(id, '<id>'), label).toBe(none.message.replace(NOWHERE, '<id>'));
}

const sorted = (xs: string[]) => [...xs].sort();
const ids = (rows: { id: string }[]) => sorted(rows.map((r) => r.id));

async function disputeIds(t: TestTenant, f: Record<string, unknown> | null = null): Promise<string[]> {
  return sorted(ok(await t.gql(Q.disputes, { f })).disputes.edges.map((e: any) => e.node.id));
}

/**
 * Tenant A (UTC): portfolios P1 and P2. D1 owes a1 (P1), D2 owes a2 (P2), D3 owes a3 (P1) and a4 (P2); all live
 * in New York. One creditor call logged on each account (c1…c4), SMS consent for each debtor, a validation
 * notice on a1 and a2 (n1, n2), and an open dispute on a5 (P1, D1) and a6 (P2, D2): dP1, dP2.
 */
async function sceneA() {
  const t = await h.tenant();
  const P1 = (await createPortfolio(t, 'CNY', 'P1')).id as string;
  const P2 = (await createPortfolio(t, 'CNY', 'P2')).id as string;
  const D1 = await createDebtorWith(t, { ...NY, legalName: 'D1' });
  const D2 = await createDebtorWith(t, { ...NY, legalName: 'D2' });
  const D3 = await createDebtorWith(t, { ...NY, legalName: 'D3' });
  const acc = async (debtorId: string, portfolioId: string) => (await createAccount(t, { debtorId, portfolioId, originalPrincipal: '100000', dueOn: '2026-03-01' })).id as string;
  const a1 = await acc(D1, P1), a3 = await acc(D3, P1), a5 = await acc(D1, P1);
  const a2 = await acc(D2, P2), a4 = await acc(D3, P2), a6 = await acc(D2, P2);
  const call = async (accountId: string) => (await logContact(t, { accountId, occurredAt: AT, collector: 'creditor desk' })).contact.id as string;
  const c1 = await call(a1), c2 = await call(a2), c3 = await call(a3), c4 = await call(a4);
  for (const d of [D1, D2, D3]) await setPreference(t, d, 'SMS', 'GRANTED');
  const n1 = (await recordNotice(t, a1, '2026-06-01T10:00:00Z')).id as string;
  const n2 = (await recordNotice(t, a2, '2026-06-01T10:00:00Z')).id as string;
  const dP1 = (await openDispute(t, a5, 'WRONG_AMOUNT')).id as string;
  const dP2 = (await openDispute(t, a6, 'NOT_MY_DEBT')).id as string;
  return { t, P1, P2, D1, D2, D3, a1, a2, a3, a4, a5, a6, c1, c2, c3, c4, n1, n2, dP1, dP2 };
}
type SceneA = Awaited<ReturnType<typeof sceneA>>;

/** Tenant B: the same shapes, one of each: aB with a call cB and a notice nB, aB2 with an open dispute dB; its own '*' rules. */
async function sceneB() {
  const t = await h.tenant();
  const PB = (await createPortfolio(t, 'CNY', 'PB')).id as string;
  const DB = await createDebtorWith(t, { ...NY, legalName: 'DB' });
  const aB = (await createAccount(t, { debtorId: DB, portfolioId: PB, originalPrincipal: '100000', dueOn: '2026-03-01' })).id as string;
  const aB2 = (await createAccount(t, { debtorId: DB, portfolioId: PB, originalPrincipal: '100000', dueOn: '2026-03-01' })).id as string;
  const cB = (await logContact(t, { accountId: aB, occurredAt: AT })).contact.id as string;
  await setPreference(t, DB, 'EMAIL', 'GRANTED');
  const nB = (await recordNotice(t, aB, '2026-06-01T10:00:00Z')).id as string;
  const dB = (await openDispute(t, aB2, 'ALREADY_PAID')).id as string;
  await setContactRules(t, '*', { windowStart: '11:00' });
  return { t, PB, DB, aB, aB2, cB, nB, dB };
}

/**
 * Every compliance query and mutation by id, as `K`, for things it must not reach: NOT_FOUND worded as for an
 * unknown id. `accounts` pairs each account with its debtor (contactEligibility takes both).
 */
async function expectAllHidden(K: TestTenant, x: { accounts?: [string, string][]; debtors?: string[]; contacts?: string[]; disputes?: string[] }, label: string, canResolve = true) {
  for (const [debtorId, accountId] of x.accounts ?? []) {
    await expectHidden((id) => eligibilityRaw(K, { debtorId: id === NOWHERE ? NOWHERE : debtorId, accountId: id }, AT), accountId, `${label}: contactEligibility`);
    await expectHidden((id) => logContactRaw(K, { accountId: id, occurredAt: AT }), accountId, `${label}: logContact`);
    await expectHidden((id) => openDisputeRaw(K, id), accountId, `${label}: openDispute`);
    await expectHidden((id) => recordNoticeRaw(K, id, '2026-06-10T10:00:00Z'), accountId, `${label}: recordValidationNotice`);
    await expectHidden((id) => K.gql(Q.accountCompliance, { id }), accountId, `${label}: Account.disputes/validationNotices`);
  }
  for (const debtorId of x.debtors ?? []) {
    await expectHidden((id) => setPreferenceRaw(K, id, 'EMAIL', 'OPTED_OUT'), debtorId, `${label}: setContactPreference`);
    await expectHidden((id) => K.gql(Q.debtorPreferences, { id }), debtorId, `${label}: Debtor.contactPreferences`);
  }
  for (const contactId of x.contacts ?? []) await expectHidden((id) => K.gql(Q.contact, { id }), contactId, `${label}: contactAttempt`);
  for (const disputeId of x.disputes ?? []) {
    await expectHidden((id) => K.gql(Q.dispute, { id }), disputeId, `${label}: dispute`);
    // Agencies may never resolve a dispute: for them it is FORBIDDEN whatever the id (tested separately).
    if (canResolve) await expectHidden((id) => resolveDisputeRaw(K, id, 'UPHELD'), disputeId, `${label}: resolveDispute`);
  }
}

/** Filtered lists naming things out of reach: empty (or NOT_FOUND), never data. */
async function expectListsEmpty(K: TestTenant, x: { accounts?: string[]; debtors?: string[] }, label: string) {
  for (const accountId of x.accounts ?? []) {
    expect(await contactsOf(K, { accountId }), `${label}: contactAttempts(accountId)`).toEqual([]);
    expect(await disputeIds(K, { accountId }), `${label}: disputes(accountId)`).toEqual([]);
  }
  for (const debtorId of x.debtors ?? []) {
    expect(await contactsOf(K, { debtorId }), `${label}: contactAttempts(debtorId)`).toEqual([]);
    expect(await disputeIds(K, { debtorId }), `${label}: disputes(debtorId)`).toEqual([]);
  }
}

// ── 1. Another tenant ────────────────────────────────────────────────────────────────────────────────────

describe('another tenant’s contacts, consent, rules, disputes and notices', () => {
  it('by id: NOT_FOUND for every query and mutation; lists hold none of them; nothing is written in either tenant', async () => {
    const A = await sceneA();
    const B = await sceneB();
    const beforeA = await complianceCounts(h, A.t.id);
    const beforeB = await complianceCounts(h, B.t.id);

    await expectAllHidden(A.t, { accounts: [[B.DB, B.aB], [B.DB, B.aB2]], debtors: [B.DB], contacts: [B.cB], disputes: [B.dB] }, 'A → B');
    await expectListsEmpty(A.t, { accounts: [B.aB, B.aB2], debtors: [B.DB] }, 'A → B');
    // The unfiltered lists are A's own, whole.
    expect(ids(await contactsOf(A.t))).toEqual(sorted([A.c1, A.c2, A.c3, A.c4]));
    expect(await disputeIds(A.t)).toEqual(sorted([A.dP1, A.dP2]));
    // And the other way round.
    await expectAllHidden(B.t, { accounts: [[A.D1, A.a1]], debtors: [A.D1], contacts: [A.c1], disputes: [A.dP1] }, 'B → A');
    expect(ids(await contactsOf(B.t))).toEqual([B.cB]);

    // Contact rules are per tenant: B's stricter '*' row neither shows in A's overview nor applies to A's debtors.
    expect(ok(await A.t.gql(Q.rules)).contactRules.tenantRules).toEqual([]);
    expect(ok(await B.t.gql(Q.rules)).contactRules.tenantRules.map((r: any) => [r.jurisdiction, r.rules.windowStart])).toEqual([['*', '11:00']]);
    expect((await eligibility(A.t, { debtorId: A.D1, accountId: A.a1 }, '2026-06-15T13:30:00Z')).rules.windowStart).toBe('08:00');
    expect(ok(await A.t.gql(Q.effectiveRules, { j: '*' })).effectiveContactRules.rules.windowStart).toBe('08:00');
    expect(ok(await B.t.gql(Q.effectiveRules, { j: '*' })).effectiveContactRules.rules.windowStart).toBe('11:00');
    // Nor does A's consent for its debtors leak into B's (B's debtor has no SMS consent).
    expect(codes(await eligibility(B.t, { debtorId: B.DB, accountId: B.aB }, '2026-06-15T16:00:00Z', 'SMS'))).toEqual(['NO_CONSENT']);

    expect(await complianceCounts(h, A.t.id)).toEqual(beforeA);
    expect(await complianceCounts(h, B.t.id)).toEqual(beforeB);
  });

  it('an account of tenant B named with a debtor of tenant A (and the other way round) is NOT_FOUND, not a mismatch', async () => {
    const A = await sceneA();
    const B = await sceneB();
    expectError(await eligibilityRaw(A.t, { debtorId: A.D1, accountId: B.aB }, AT), 'NOT_FOUND');
    // A's own account with B's debtor: the account is found, the pair is not a debtor's (nothing of B's is said).
    const mismatch = expectError(await eligibilityRaw(A.t, { debtorId: B.DB, accountId: A.a1 }, AT), 'BAD_USER_INPUT', 'accountId');
    expect(mismatch.message).not.toMatch(/DB|tenant/);
  });
});

// ── 2. A key scoped to one portfolio ─────────────────────────────────────────────────────────────────────

describe('a key scoped to P1', () => {
  it('reaches nothing of P2 (NOT_FOUND), lists only P1 rows, and sees D3’s consent through its P1 account', async () => {
    const A = await sceneA();
    const K = withBearer(h, A.t, await scopedKey(A.t, ['read', 'write'], [A.P1]));
    const before = await complianceCounts(h, A.t.id);

    await expectAllHidden(K, { accounts: [[A.D2, A.a2], [A.D3, A.a4], [A.D2, A.a6]], debtors: [A.D2], contacts: [A.c2, A.c4], disputes: [A.dP2] }, 'P1 key → P2');
    await expectListsEmpty(K, { accounts: [A.a2, A.a4, A.a6], debtors: [A.D2] }, 'P1 key → P2');
    expect(await complianceCounts(h, A.t.id)).toEqual(before);

    expect(ids(await contactsOf(K))).toEqual(sorted([A.c1, A.c3]));
    expect(ids(await contactsOf(K, { debtorId: A.D3 }))).toEqual([A.c3]);
    expect(ids(await contactsOf(K, { channel: 'CALL' }))).toEqual(sorted([A.c1, A.c3]));
    expect(await disputeIds(K)).toEqual([A.dP1]);
    expect(await disputeIds(K, { status: 'OPEN' })).toEqual([A.dP1]);
    expect(await disputeIds(K, { debtorId: A.D1 })).toEqual([A.dP1]);
    const a5 = ok(await K.gql(Q.accountCompliance, { id: A.a5 })).account;
    expect(a5.disputes.map((d: any) => d.id)).toEqual([A.dP1]);
    expect(ok(await K.gql(Q.accountCompliance, { id: A.a1 })).account.validationNotices.map((n: any) => n.id)).toEqual([A.n1]);
    expect(ok(await K.gql(Q.contact, { id: A.c3 })).contactAttempt.accountId).toBe(A.a3);
    expect(ok(await K.gql(Q.dispute, { id: A.dP1 })).dispute.accountId).toBe(A.a5);
    expect(ok(await K.gql(Q.debtorPreferences, { id: A.D3 })).debtor.contactPreferences.map((p: any) => [p.channel, p.state])).toEqual([['SMS', 'GRANTED']]);

    // Inside P1 it works: log, consent, notice, eligibility, open and resolve.
    const c = (await logContact(K, { accountId: A.a1, occurredAt: '2026-06-15T15:00:00Z' })).contact;
    expect(c.actorKind).toBe('api_key');
    expect((await setPreference(K, A.D1, 'EMAIL', 'GRANTED')).state).toBe('GRANTED');
    expect((await recordNotice(K, A.a3, '2026-06-10T10:00:00Z')).accountId).toBe(A.a3);
    expect((await eligibility(K, { debtorId: A.D3, accountId: A.a3 }, AT)).attemptsInPeriod).toBe(1);
    expect((await resolveDispute(K, A.dP1, 'REJECTED')).status).toBe('RESOLVED');
    expect((await openDispute(K, A.a3)).priorAccountStatus).toBe('CURRENT');
  });

  it('contact rules are set only with a tenant-wide admin key: a P1-scoped admin key gets FORBIDDEN and writes nothing', async () => {
    const A = await sceneA();
    const K = withBearer(h, A.t, await scopedKey(A.t, ['read', 'write', 'admin'], [A.P1]));
    const before = await complianceCounts(h, A.t.id);
    expectError(await setContactRulesRaw(K, '*', { windowStart: '09:00' }), 'FORBIDDEN');
    expectError(await setContactRulesRaw(K, 'US', {}), 'FORBIDDEN');
    expect(await complianceCounts(h, A.t.id)).toEqual(before);
    // It may read the rules, and override the guard on P1 accounts (it is an admin key of the creditor).
    expect(ok(await K.gql(Q.effectiveRules, { j: 'US' })).effectiveContactRules.jurisdiction).toBe('US');
    expect((await logContact(K, { accountId: A.a1, occurredAt: '2026-06-15T11:00:00Z', overrideReason: 'debtor asked for an early call' })).contact.overriddenCodes).toEqual(['OUTSIDE_CONTACT_WINDOW']);
    await expectHidden((id) => logContactRaw(K, { accountId: id, occurredAt: '2026-06-15T11:00:00Z', overrideReason: 'x' }), A.a2, 'P1 admin override on P2');
  });
});

// ── 3. Agencies ──────────────────────────────────────────────────────────────────────────────────────────

describe('an agency granted P1 with CONTACTS_WRITE', () => {
  it('logs contacts, records consent and notices, and opens disputes in P1, as itself; everything of P2 is NOT_FOUND; lists hold P1 only', async () => {
    const A = await sceneA();
    const G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    const before = await complianceCounts(h, A.t.id);

    await expectAllHidden(asG, { accounts: [[A.D2, A.a2], [A.D3, A.a4]], debtors: [A.D2], contacts: [A.c2, A.c4], disputes: [A.dP2] }, 'agency → P2', false);
    await expectListsEmpty(asG, { accounts: [A.a2, A.a4, A.a6], debtors: [A.D2] }, 'agency → P2');
    expect(await complianceCounts(h, A.t.id)).toEqual(before);
    expect(ids(await contactsOf(asG))).toEqual(sorted([A.c1, A.c3]));
    expect(await disputeIds(asG)).toEqual([A.dP1]);

    const e = await eligibility(asG, { debtorId: A.D1, accountId: A.a1 }, '2026-06-15T15:00:00Z');
    expect([e.allowed, e.attemptsInPeriod, e.timeZone]).toEqual([true, 1, 'America/New_York']);
    const c = (await logContact(asG, { accountId: A.a1, occurredAt: '2026-06-15T15:00:00Z', collector: 'agency agent 7' })).contact;
    expect(c).toMatchObject({ agencyId: G.agency.id, actorKind: 'agency', overriddenCodes: [] });
    expect(ok(await A.t.gql(Q.contact, { id: c.id })).contactAttempt.agencyId).toBe(G.agency.id);
    const pref = await setPreference(asG, A.D1, 'EMAIL', 'OPTED_OUT', 'told our agent');
    expect([pref.state, pref.actorKind]).toEqual(['OPTED_OUT', 'agency']);
    const n = await recordNotice(asG, A.a3, '2026-06-12T10:00:00Z');
    expect(n.disputeBy).toBe('2026-07-19');
    const d = await openDispute(asG, A.a3, 'ALREADY_PAID', 'debtor sent a receipt to the agency');
    expect([d.openedByKind, d.withinValidationPeriod, d.status]).toEqual(['agency', true, 'OPEN']);
    expect(ok(await asG.gql(Q.effectiveRules, { j: 'US' })).effectiveContactRules.rules.windowStart).toBe('08:00');
    // The guard applies to the agency as to the creditor: outside the window it is refused.
    await expectBlocked(await logContactRaw(asG, { accountId: A.a1, occurredAt: '2026-06-15T11:00:00Z' }), ['OUTSIDE_CONTACT_WINDOW']);

    // Its audit trail names the agency; it reads its own events.
    const mine = await auditEvents(asG, 'contact.log');
    expect(mine.map((x) => [x.entityId, x.actorKind, x.actorId])).toEqual([[c.id, 'agency', G.agency.id]]);
    expect((await auditEvents(asG, 'contact.blocked')).map((x) => x.actorKind)).toEqual(['agency']);
  });

  it('gets FORBIDDEN for resolveDispute (even in P1), setContactRules, contactRules, logContact with an override and recording consent (GRANTED); nothing is written', async () => {
    const A = await sceneA();
    const G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    const before = await complianceCounts(h, A.t.id);
    expectError(await resolveDisputeRaw(asG, A.dP1, 'REJECTED'), 'FORBIDDEN');
    expectError(await resolveDisputeRaw(asG, A.dP1, 'UPHELD'), 'FORBIDDEN');
    expectError(await resolveDisputeRaw(asG, A.dP2, 'UPHELD'), 'FORBIDDEN');
    expectError(await setContactRulesRaw(asG, '*', { windowStart: '09:00' }), 'FORBIDDEN');
    expectError(await asG.gql(Q.rules), 'FORBIDDEN');
    const o = expectError(await logContactRaw(asG, { accountId: A.a1, occurredAt: '2026-06-15T11:00:00Z', overrideReason: 'the debtor asked' }), 'FORBIDDEN');
    expect(o.ext.field).toBe('input.overrideReason');
    expectError(await logContactRaw(asG, { accountId: A.a1, occurredAt: AT, overrideReason: 'nothing to override' }), 'FORBIDDEN');
    // Consent is recorded by the creditor: an agency may record opt-outs only, for a debtor it reaches or not.
    for (const debtorId of [A.D1, A.D3, A.D2, NOWHERE]) {
      for (const channel of ['SMS', 'EMAIL', 'CALL']) {
        const g = expectError(await setPreferenceRaw(asG, debtorId, channel, 'GRANTED', 'the debtor told our agent'), 'FORBIDDEN', 'input.state');
        expect(g.message, `${debtorId} ${channel}`).toMatch(/opt-outs/);
      }
    }
    expect(await complianceCounts(h, A.t.id)).toEqual(before);
    // D1 has no EMAIL consent: the agency could not open the channel.
    expect(codes(await eligibility(A.t, { debtorId: A.D1, accountId: A.a1 }, AT, 'EMAIL'))).toEqual(['NO_CONSENT']);
    expect(ok(await A.t.gql(Q.dispute, { id: A.dP1 })).dispute.status).toBe('OPEN');
    // The dispute is still readable to it (ACCOUNTS_READ), unchanged.
    expect(ok(await asG.gql(Q.dispute, { id: A.dP1 })).dispute).toMatchObject({ status: 'OPEN', version: 1 });
  });
});

describe('an agency whose P1 grant lacks CONTACTS_WRITE', () => {
  it('with only ACCOUNTS_READ: every contact, consent, notice and dispute write is FORBIDDEN (no grant carries contacts:write), reads still work', async () => {
    // As for any scope no grant carries (see agencies-security: proposePlan without PLANS_PROPOSE): FORBIDDEN
    // naming the missing scope, whatever the id; NOT_FOUND is for a scope held on other portfolios (next test).
    const A = await sceneA();
    const R = await agencyWithToken(h, A.t, [A.P1], ['ACCOUNTS_READ', 'DEBTORS_READ']);
    const asR = withBearer(h, A.t, R.token);
    const before = await complianceCounts(h, A.t.id);
    const refusals: [string, GqlResult][] = [
      ['logContact', await logContactRaw(asR, { accountId: A.a1, occurredAt: AT })],
      ['contactEligibility', await eligibilityRaw(asR, { debtorId: A.D1, accountId: A.a1 }, AT)],
      ['setContactPreference', await setPreferenceRaw(asR, A.D1, 'SMS', 'OPTED_OUT')],
      ['openDispute', await openDisputeRaw(asR, A.a1)],
      ['recordValidationNotice', await recordNoticeRaw(asR, A.a1, '2026-06-10T10:00:00Z')],
      ['effectiveContactRules', await asR.gql(Q.effectiveRules, { j: 'US' })],
    ];
    for (const [op, r] of refusals) {
      const e = expectError(r, 'FORBIDDEN');
      expect(e.ext.missingScopes, op).toEqual(['contacts:write']);
      expect(r.data, op).toBeNull();
    }
    expect(await complianceCounts(h, A.t.id)).toEqual(before);
    // What ACCOUNTS_READ gives: the log, the disputes and the nested fields of P1.
    expect(ids(await contactsOf(asR))).toEqual(sorted([A.c1, A.c3]));
    expect(ok(await asR.gql(Q.contact, { id: A.c1 })).contactAttempt.id).toBe(A.c1);
    expect(await disputeIds(asR)).toEqual([A.dP1]);
    expect(ok(await asR.gql(Q.accountCompliance, { id: A.a5 })).account.disputes.map((d: any) => d.id)).toEqual([A.dP1]);
    expect(ok(await asR.gql(Q.debtorPreferences, { id: A.D1 })).debtor.contactPreferences.map((p: any) => p.channel)).toEqual(['SMS']);
  });

  it('CONTACTS_WRITE on P2 only and ACCOUNTS_READ on P1 only: it may log in P2 but not read the log there, and may read P1 but not log there', async () => {
    const A = await sceneA();
    const agency = await createAgency(A.t);
    await grant(A.t, agency.id, [A.P1], ['ACCOUNTS_READ']);
    await grant(A.t, agency.id, [A.P2], ['CONTACTS_WRITE']);
    const asM = withBearer(h, A.t, await token(h, await credential(A.t, agency.id)));
    const c = (await logContact(asM, { accountId: A.a2, occurredAt: '2026-06-15T15:00:00Z' })).contact;
    expect(c.agencyId).toBe(agency.id);
    await expectHidden((id) => asM.gql(Q.contact, { id }), c.id, 'contactAttempt P2');
    expect(ids(await contactsOf(asM))).toEqual(sorted([A.c1, A.c3]));
    await expectHidden((id) => logContactRaw(asM, { accountId: id, occurredAt: AT }), A.a1, 'logContact P1');
    // The creditor sees it.
    expect(ok(await A.t.gql(Q.contact, { id: c.id })).contactAttempt.agencyId).toBe(agency.id);
  });
});

describe('one log for everyone: the guard counts the creditor’s and the agencies’ contacts together', () => {
  it('4 creditor calls and 3 agency calls make 7: the 8th is refused to both; an agency’s conversation and an opt-out it records bind the creditor', async () => {
    now = new Date('2026-06-15T18:00:00Z');
    const A = await sceneA();
    const G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    const D = await createDebtorWith(A.t, { ...NY, legalName: 'shared' });
    const acc = async () => (await createAccount(A.t, { debtorId: D, portfolioId: A.P1, originalPrincipal: '100000', dueOn: '2026-03-01' })).id as string;
    const a = await acc();
    const s = { debtorId: D, accountId: a };
    const day = (d: number) => `2026-06-${String(d).padStart(2, '0')}T14:00:00Z`;
    for (const d of [9, 11, 13, 15]) await logContact(A.t, { accountId: a, occurredAt: day(d) });
    for (const d of [10, 12, 14]) await logContact(asG, { accountId: a, occurredAt: day(d) });
    for (const K of [A.t, asG]) {
      const e = await eligibility(K, s, '2026-06-15T17:00:00Z');
      expect([codes(e), e.attemptsInPeriod]).toEqual([['FREQUENCY_CAP_REACHED'], 7]);
      await expectBlocked(await logContactRaw(K, { accountId: a, occurredAt: '2026-06-15T17:00:00Z' }), ['FREQUENCY_CAP_REACHED']);
    }
    const log = await contactsOf(A.t, { accountId: a });
    expect(log.map((c) => c.actorKind).sort()).toEqual(['agency', 'agency', 'agency', 'api_key', 'api_key', 'api_key', 'api_key']);

    // A conversation the agency had blocks the creditor's calls on that account.
    const b = await acc();
    await logContact(asG, { accountId: b, occurredAt: day(15), outcome: 'PROMISE_MADE' });
    await expectBlocked(await logContactRaw(A.t, { accountId: b, occurredAt: '2026-06-15T17:00:00Z' }), ['RECENT_CONVERSATION']);
    // An opt-out the agency recorded (at 18:00Z, the clock) binds the creditor from then on.
    const optOut = await setPreference(asG, D, 'CALL', 'OPTED_OUT', 'told the agency');
    expect([optOut.actorKind, optOut.recordedAt]).toEqual(['agency', '2026-06-15T18:00:00.000Z']);
    const c = await acc();
    await expectBlocked(await logContactRaw(A.t, { accountId: c, occurredAt: '2026-06-15T18:00:00Z' }), ['OPTED_OUT']);
    expect(codes(await eligibility(asG, { debtorId: D, accountId: c }, '2026-06-15T18:00:00Z'))).toEqual(['OPTED_OUT']);
    // A call the creditor made at 17:00Z, before the opt-out, is judged by its time: it is logged.
    expect((await logContact(A.t, { accountId: c, occurredAt: '2026-06-15T17:00:00Z' })).contact.overriddenCodes).toEqual([]);
  });

  it('concurrent attempts for the 6th, 7th and 8th call on one account: two are logged, one refused', async () => {
    now = new Date('2026-06-15T18:00:00Z');
    const A = await sceneA();
    const G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    const D = await createDebtorWith(A.t, { ...NY, legalName: 'race' });
    const a = (await createAccount(A.t, { debtorId: D, portfolioId: A.P1, originalPrincipal: '100000', dueOn: '2026-03-01' })).id as string;
    for (const d of [10, 11, 12, 13, 14]) await logContact(A.t, { accountId: a, occurredAt: `2026-06-${d}T14:00:00Z` });
    // Three calls at the same instant (so the outcome does not depend on the order they are judged in).
    const results = await Promise.all([
      logContactRaw(A.t, { accountId: a, occurredAt: '2026-06-15T14:00:00Z' }),
      logContactRaw(asG, { accountId: a, occurredAt: '2026-06-15T14:00:00Z' }),
      logContactRaw(A.t, { accountId: a, occurredAt: '2026-06-15T14:00:00Z' }),
    ]);
    const outcomes = results.map((r) => (r.errors ? r.errors[0]!.extensions.code : 'LOGGED')).sort();
    expect(outcomes).toEqual(['COMPLIANCE_BLOCKED', 'LOGGED', 'LOGGED']);
    expect((await contactsOf(A.t, { accountId: a })).length).toBe(7);
  });

  it('concurrent openDispute on one account: exactly one opens, the other is CONFLICT', async () => {
    const A = await sceneA();
    const G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    const results = await Promise.all([openDisputeRaw(A.t, A.a1), openDisputeRaw(asG, A.a1), openDisputeRaw(A.t, A.a1)]);
    expect(results.map((r) => (r.errors ? r.errors[0]!.extensions.code : 'OPENED')).sort()).toEqual(['CONFLICT', 'CONFLICT', 'OPENED']);
    expect(await disputeIds(A.t, { accountId: A.a1 })).toHaveLength(1);
  });
});

// ── 4. The database itself ───────────────────────────────────────────────────────────────────────────────

/** Sets up a session as the app role with a tenant, an agency (or '') and portfolio ids (or ''). */
async function session(q: AdminQuery, tenantId: string, agencyId: string, portfolioIds: string): Promise<void> {
  await q(
    `select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true), set_config('app.agency_id', $2, true), set_config('app.portfolio_ids', $3, true)`,
    [tenantId, agencyId, portfolioIds],
  );
  const [who] = await q<{ u: string }>(`select current_user as u`);
  expect(who!.u).toBe('arrears_app');
}

const SCOPED = ['contact_attempts', 'contact_preferences', 'disputes', 'validation_notices'] as const;
const WEBHOOK_TABLES = ['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts'] as const;

/** Rows of each scoped table of the tenant that belong to P1 (through an account in P1), counted by the owner. */
async function p1Counts(tenantId: string, P1: string): Promise<Record<(typeof SCOPED)[number], number>> {
  const q = h.db.admin.query;
  const byAccount = (table: string) =>
    count(q, `select count(*)::int as n from ${table} x where x.tenant_id = $1 and exists (select 1 from accounts a where a.tenant_id = x.tenant_id and a.id = x.account_id and a.portfolio_id = $2)`, [tenantId, P1]);
  return {
    contact_attempts: await byAccount('contact_attempts'),
    disputes: await byAccount('disputes'),
    validation_notices: await byAccount('validation_notices'),
    contact_preferences: await count(
      q,
      `select count(*)::int as n from contact_preferences x where x.tenant_id = $1 and exists (select 1 from accounts a where a.tenant_id = x.tenant_id and a.debtor_id = x.debtor_id and a.portfolio_id = $2)`,
      [tenantId, P1],
    ),
  };
}

describe('the database, under agency and portfolio sessions', () => {
  let A: SceneA;
  let G: Awaited<ReturnType<typeof agencyWithToken>>;
  let expected: Record<string, number>;
  let totals: Record<string, number>;

  beforeAll(async () => {
    A = await sceneA();
    await sceneB();
    G = await agencyWithToken(h, A.t, [A.P1], ALL_SCOPES);
    const asG = withBearer(h, A.t, G.token);
    // The creditor's own '*' rules; a webhook endpoint subscribed to disputes (as the owner: the API would check
    // the URL), so the agency's openDispute below raises an event and a delivery through the outbox function.
    await setContactRules(A.t, '*', { windowStart: '08:30' });
    const endpoint = randomUUID();
    await h.db.admin.query(
      `insert into webhook_endpoints (tenant_id, id, url, event_types, secret_ciphertext, secret_key_id) values ($1, $2, 'https://hooks.example.com/a', array['dispute.opened'], '\\x00'::bytea, 'test1')`,
      [A.t.id, endpoint],
    );
    await logContact(asG, { accountId: A.a3, occurredAt: '2026-06-15T15:00:00Z' });
    await openDispute(asG, A.a1, 'OTHER');
    const [delivery] = await h.db.admin.query<{ id: string }>(`select id::text as id from webhook_deliveries where tenant_id = $1 limit 1`, [A.t.id]);
    await h.db.admin.query(`insert into webhook_attempts (tenant_id, id, delivery_id, endpoint_id, attempted_at, duration_ms, status_code, worker_id) values ($1, $2, $3, $4, now(), 12, 500, 'w1')`, [
      A.t.id,
      randomUUID(),
      delivery!.id,
      endpoint,
    ]);
    expected = await p1Counts(A.t.id, A.P1);
    totals = {};
    for (const table of [...SCOPED, ...WEBHOOK_TABLES, 'contact_rules']) totals[table] = await count(h.db.admin.query, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]);
  });

  const seen = (tenantId: string, agencyId: string, portfolioIds: string) =>
    rolledBack(h, async (q) => {
      await session(q, tenantId, agencyId, portfolioIds);
      const out: Record<string, number> = {};
      for (const table of [...SCOPED, ...WEBHOOK_TABLES, 'contact_rules']) out[table] = await count(q, `select count(*)::int as n from ${table}`);
      return out;
    });

  it('the owner sees P2 rows and webhook rows of the tenant (so the checks are not vacuous)', () => {
    for (const table of SCOPED) {
      expect(expected[table], `${table}: P1's share`).toBeGreaterThan(0);
      expect(totals[table], `${table}: the tenant's rows`).toBeGreaterThan(expected[table]!);
    }
    for (const table of WEBHOOK_TABLES) expect(totals[table], table).toBeGreaterThan(0);
    expect(totals.contact_rules).toBe(1);
  });

  it('the agency’s session sees exactly P1’s contacts, consent, disputes and notices, the tenant’s contact rules, and no webhook table', async () => {
    const got = await seen(A.t.id, G.agency.id, '');
    expect(got).toEqual({ ...expected, webhook_endpoints: 0, webhook_events: 0, webhook_deliveries: 0, webhook_attempts: 0, contact_rules: 1 });
  });

  it('the agency’s session naming P2 (the application lying) sees none of P2; a P1-scoped key’s session sees P1 and no webhooks', async () => {
    const lying = await seen(A.t.id, G.agency.id, `{${A.P2}}`);
    for (const table of [...SCOPED, ...WEBHOOK_TABLES]) expect(lying[table], table).toBe(0);
    const scoped = await seen(A.t.id, '', `{${A.P1}}`);
    expect(scoped).toEqual({ ...expected, webhook_endpoints: 0, webhook_events: 0, webhook_deliveries: 0, webhook_attempts: 0, contact_rules: 1 });
    // Unscoped, the creditor's session sees all of it.
    expect(await seen(A.t.id, '', '')).toEqual(totals);
  });

  it('another tenant’s session, or none, sees nothing of tenant A', async () => {
    const B = await sceneB();
    const other = await seen(B.t.id, '', '');
    const ofA = await rolledBack(h, async (q) => {
      await session(q, B.t.id, '', '');
      const out: Record<string, number> = {};
      for (const table of [...SCOPED, ...WEBHOOK_TABLES, 'contact_rules']) out[table] = await count(q, `select count(*)::int as n from ${table} where tenant_id = $1`, [A.t.id]);
      return out;
    });
    for (const [table, n] of Object.entries(ofA)) expect(n, table).toBe(0);
    expect(other.contact_attempts).toBeGreaterThan(0);
    const none = await rolledBack(h, async (q) => {
      await q(`select set_config('role', 'arrears_app', true)`);
      const out: Record<string, number> = {};
      for (const table of [...SCOPED, 'contact_rules']) out[table] = await count(q, `select count(*)::int as n from ${table}`);
      return out;
    });
    for (const [table, n] of Object.entries(none)) expect(n, table).toBe(0);
  });

  it('the agency’s session cannot write contacts or disputes for P2, nor contact rules at all; for P1 it can insert a contact', async () => {
    const insertContact = (accountId: string, debtorId: string) =>
      rolledBack(h, async (q) => {
        await session(q, A.t.id, G.agency.id, '');
        await q(
          `insert into contact_attempts (tenant_id, id, debtor_id, account_id, channel, direction, outcome, occurred_at, debtor_local_time, time_zone, actor_kind, actor_id)
           values ($1, $2, $3, $4, 'call', 'outbound', 'no_answer', now(), '10:00', 'UTC', 'agency', $5)`,
          [A.t.id, randomUUID(), debtorId, accountId, G.agency.id],
        );
        return 'inserted';
      });
    const p2 = await failure(insertContact(A.a2, A.D2));
    expect(p2.code, p2.message).toBe('42501');
    expect(p2.message).toMatch(/row-level security/);
    expect(await insertContact(A.a1, A.D1)).toBe('inserted');

    const rules = await failure(
      rolledBack(h, async (q) => {
        await session(q, A.t.id, G.agency.id, '');
        await q(`insert into contact_rules (tenant_id, id, jurisdiction, rules, updated_by_id) values ($1, $2, 'GB', '{}'::jsonb, 'agency')`, [A.t.id, randomUUID()]);
      }),
    );
    expect(rules.code, rules.message).toBe('42501');

    // UPDATE: refused, or matching no row; either way nothing changes.
    const updates = await rolledBack(h, async (q) => {
      await session(q, A.t.id, G.agency.id, '');
      const attempt = async (sql: string, params: unknown[]) => {
        await q(`savepoint upd`);
        try {
          const rows = await q(sql, params);
          await q(`release savepoint upd`);
          return `rows:${rows.length}`;
        } catch {
          await q(`rollback to savepoint upd`);
          return 'error';
        }
      };
      return {
        dispute: await attempt(`update disputes set status = 'resolved', outcome = 'upheld', resolved_at = now() where id = $1 returning id`, [A.dP2]),
        rules: await attempt(`update contact_rules set rules = '{}'::jsonb where tenant_id = $1 returning id`, [A.t.id]),
      };
    });
    expect(['rows:0', 'error']).toContain(updates.dispute);
    expect(['rows:0', 'error']).toContain(updates.rules);
    expect((await h.db.admin.query<{ status: string }>(`select status from disputes where id = $1`, [A.dP2]))[0]!.status).toBe('open');
    expect(ok(await A.t.gql(Q.effectiveRules, { j: '*' })).effectiveContactRules.rules.windowStart).toBe('08:30');
  });
});

describe('append-only records', () => {
  it('UPDATE and DELETE of the contact log, consent history and validation notices are refused to the app role and to the owner; TRUNCATE of the log too', async () => {
    const A = await sceneA();
    const before = await complianceCounts(h, A.t.id);
    for (const table of ['contact_attempts', 'contact_preferences', 'validation_notices']) {
      for (const [op, stmt] of [
        ['UPDATE', `update ${table} set created_at = now() where tenant_id = $1`],
        ['DELETE', `delete from ${table} where tenant_id = $1`],
      ] as const) {
        const app = await failure(
          rolledBack(h, async (q) => {
            await session(q, A.t.id, '', '');
            await q(stmt, [A.t.id]);
          }),
        );
        expect(app.code, `app: ${stmt}`).toBe('42501');
        expect(app.message, `app: ${stmt}`).toMatch(/permission denied/);
        const owner = await failure(rolledBack(h, (q) => q(stmt, [A.t.id])));
        expect(owner.code, `owner: ${stmt}`).toBe('42501');
        expect(owner.message, `owner: ${stmt}`).toContain(`${table} is append-only: ${op} refused`);
      }
    }
    const truncate = await failure(rolledBack(h, (q) => q(`truncate contact_attempts`)));
    expect(truncate.message).toContain('contact_attempts is append-only: TRUNCATE refused');
    // Disputes are updated (resolved) but never deleted by the app.
    const del = await failure(
      rolledBack(h, async (q) => {
        await session(q, A.t.id, '', '');
        await q(`delete from disputes where tenant_id = $1`, [A.t.id]);
      }),
    );
    expect(del.code).toBe('42501');
    expect(await complianceCounts(h, A.t.id)).toEqual(before);
  });
});
