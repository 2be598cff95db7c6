import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestTenant } from './harness.js';
import { expectError, ok } from './accounts-fixtures.js';
import {
  accountStatus,
  addAccount,
  auditEvents,
  changeAccountStatusRaw,
  codes,
  complianceCounts,
  contactsOf,
  eligibility,
  eligibilityRaw,
  expectBlocked,
  hoursBetween,
  logContact,
  logContactRaw,
  openDispute,
  openDisputeRaw,
  Q,
  recordNotice,
  recordNoticeRaw,
  resolveDispute,
  resolveDisputeRaw,
  scene,
  setContactRules,
  setContactRulesRaw,
  setPreference,
  tenantInZone,
  updateDebtor,
  withBearer,
  type DebtorSpec,
  type RulesInput,
  type Scene,
} from './compliance-fixtures.js';
import { assess, attach, createPolicy, feeLines, preview } from './late-fees-fixtures.js';
import { createPromiseRaw, evaluate, getPlan, getPromise, offerRaw, propose, setRules as setPlanRules, settlementEnd } from './plans-fixtures.js';

/**
 * Lawful contact and disputes (issue 9, parts 1–3) over GraphQL and the real database: the contact window on
 * the debtor's clock across daylight-saving changes (America/New_York, Europe/London) and in Asia/Shanghai, the
 * Regulation F frequency cap (7 calls in 7 local dates, the 8th refused) and quiet period after a conversation
 * at their boundaries, every block reason, admin overrides, stricter tenant rules, fallbacks, bad input, the
 * append-only log and its audit trail, and disputes pausing contact, late fees and plans.
 *
 * The clock is set per test (and reset after each) so that `occurredAt` values are recent: the log accepts
 * contacts up to 30 days old and at most 5 minutes ahead. Tenants are UTC unless said.
 *
 * `any` appears only where GraphQL results are handled: their shape is the query's selection set, which
 * TypeScript cannot see; the assertions check it.
 */

const START = new Date('2026-06-15T16:00:00Z');
let now = START;
const clock = { now: () => now };
const setNow = (iso: string) => {
  now = new Date(iso);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => h?.close());
afterEach(() => {
  now = START;
});

const NY = { timeZone: 'America/New_York', country: 'US' } satisfies DebtorSpec;
const LONDON = { timeZone: 'Europe/London', country: 'GB' } satisfies DebtorSpec;
const SHANGHAI = { timeZone: 'Asia/Shanghai', country: 'CN' } satisfies DebtorSpec;

/** The checks of an eligibility at one instant, compactly: [allowed, codes, localDate, localTime, nextAllowedAt]. */
async function judged(t: TestTenant, s: Scene, at: string, channel = 'CALL'): Promise<[boolean, string[], string, string, string | null]> {
  const e = await eligibility(t, s, at, channel);
  return [e.allowed, codes(e), e.localDate, e.localTime, e.nextAllowedAt];
}

const WINDOW = ['OUTSIDE_CONTACT_WINDOW'];
const sorted = (xs: string[]) => [...xs].sort();

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('the contact window on the debtor’s clock, across daylight-saving changes', () => {
  it('America/New_York, spring forward (2026-03-08 02:00 EST → 03:00 EDT): the same UTC instant is 07:30 one day and 08:30 the next', async () => {
    setNow('2026-03-09T15:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);

    const e = await eligibility(t, s, '2026-03-08T12:30:00Z');
    expect(e).toEqual({
      allowed: true,
      blocks: [],
      warnings: [],
      localDate: '2026-03-08',
      localTime: '08:30',
      timeZone: 'America/New_York',
      timeZoneSource: 'DEBTOR',
      jurisdiction: 'US',
      attemptsInPeriod: 0,
      nextAllowedAt: null,
      rules: { windowStart: '08:00', windowEnd: '21:00', blockedWeekdays: [], caps: [{ channel: 'CALL', max: 7, days: 7 }], quietDaysAfterConversation: 7 },
    });
    // The day before, 12:30Z is 07:30 EST: too early, allowed from 08:00 EST = 13:00Z.
    expect(await judged(t, s, '2026-03-07T12:30:00Z')).toEqual([false, WINDOW, '2026-03-07', '07:30', '2026-03-07T13:00:00.000Z']);
    expect(await judged(t, s, '2026-03-07T13:00:00Z')).toEqual([true, [], '2026-03-07', '08:00', null]);
    // On the switch day the window opens at 08:00 EDT = 12:00Z.
    expect(await judged(t, s, '2026-03-08T11:59:00Z')).toEqual([false, WINDOW, '2026-03-08', '07:59', '2026-03-08T12:00:00.000Z']);
    expect(await judged(t, s, '2026-03-08T12:00:00Z')).toEqual([true, [], '2026-03-08', '08:00', null]);
    // Evening boundaries: 20:59 allowed, 21:00 not (end exclusive), on either side of the switch.
    expect(await judged(t, s, '2026-03-08T01:59:00Z')).toEqual([true, [], '2026-03-07', '20:59', null]);
    // 21:00 EST on 03-07: the next opening is 08:00 EDT on 03-08, ten real hours later (the night lost an hour).
    expect(await judged(t, s, '2026-03-08T02:00:00Z')).toEqual([false, WINDOW, '2026-03-07', '21:00', '2026-03-08T12:00:00.000Z']);
    expect(await judged(t, s, '2026-03-09T00:59:00Z')).toEqual([true, [], '2026-03-08', '20:59', null]);
    expect(await judged(t, s, '2026-03-09T01:00:00Z')).toEqual([false, WINDOW, '2026-03-08', '21:00', '2026-03-09T12:00:00.000Z']);
    // An offset in the input only names the instant: 07:30-05:00 is 12:30Z, which is 08:30 EDT on 03-08.
    expect(await judged(t, s, '2026-03-08T07:30:00-05:00')).toEqual([true, [], '2026-03-08', '08:30', null]);
    expect(await judged(t, s, '2026-03-08T08:30:00-04:00')).toEqual([true, [], '2026-03-08', '08:30', null]);
    // No `at`: now (the clock's 15:00Z on 03-09 is 11:00 EDT).
    expect(await eligibility(t, s, null)).toMatchObject({ allowed: true, localDate: '2026-03-09', localTime: '11:00' });

    // logContact judges occurredAt the same way and records the local reading.
    const logged = await logContact(t, { accountId: s.accountId, occurredAt: '2026-03-08T08:30:00-04:00', channel: 'LETTER', outcome: 'SENT' });
    expect(logged.contact).toMatchObject({ occurredAt: '2026-03-08T12:30:00.000Z', debtorLocalTime: '08:30', timeZone: 'America/New_York', channel: 'LETTER', direction: 'OUTBOUND' });
    expect(logged.eligibility).toMatchObject({ allowed: true, localTime: '08:30', localDate: '2026-03-08' });
    const refused = await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-03-07T07:30:00-05:00' }), WINDOW);
    expect(refused.ext).toMatchObject({ localTime: '07:30', timeZone: 'America/New_York', nextAllowedAt: '2026-03-07T13:00:00.000Z' });
    expect(refused.ext.blocks).toEqual([{ code: 'OUTSIDE_CONTACT_WINDOW', message: expect.stringContaining('07:30 in America/New_York'), overridable: true }]);
  });

  it('America/New_York, fall back (2026-11-01 02:00 EDT → 01:00 EST): 12:30Z is 08:30 the day before and 07:30 on the day', async () => {
    setNow('2026-11-02T15:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    expect(await judged(t, s, '2026-10-31T12:30:00Z')).toEqual([true, [], '2026-10-31', '08:30', null]);
    expect(await judged(t, s, '2026-11-01T12:30:00Z')).toEqual([false, WINDOW, '2026-11-01', '07:30', '2026-11-01T13:00:00.000Z']);
    expect(await judged(t, s, '2026-11-01T12:59:00Z')).toEqual([false, WINDOW, '2026-11-01', '07:59', '2026-11-01T13:00:00.000Z']);
    expect(await judged(t, s, '2026-11-01T13:00:00Z')).toEqual([true, [], '2026-11-01', '08:00', null]);
    // The evening before the switch (EDT) and of the switch day (EST).
    expect(await judged(t, s, '2026-11-01T00:59:00Z')).toEqual([true, [], '2026-10-31', '20:59', null]);
    expect(await judged(t, s, '2026-11-01T01:00:00Z')).toEqual([false, WINDOW, '2026-10-31', '21:00', '2026-11-01T13:00:00.000Z']);
    expect(await judged(t, s, '2026-11-02T01:59:00Z')).toEqual([true, [], '2026-11-01', '20:59', null]);
    expect(await judged(t, s, '2026-11-02T02:00:00Z')).toEqual([false, WINDOW, '2026-11-01', '21:00', '2026-11-02T13:00:00.000Z']);
    // The repeated hour: 01:30 EDT and 01:30 EST are both 01:30, both outside, both lifting at 08:00 EST.
    expect(await judged(t, s, '2026-11-01T05:30:00Z')).toEqual([false, WINDOW, '2026-11-01', '01:30', '2026-11-01T13:00:00.000Z']);
    expect(await judged(t, s, '2026-11-01T06:30:00Z')).toEqual([false, WINDOW, '2026-11-01', '01:30', '2026-11-01T13:00:00.000Z']);

    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-11-01T07:30:00-05:00' }), WINDOW);
    const c = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-11-01T08:00:00-05:00' })).contact;
    expect([c.occurredAt, c.debtorLocalTime]).toEqual(['2026-11-01T13:00:00.000Z', '08:00']);
  });

  it('Europe/London, spring forward (2026-03-29 01:00 GMT → 02:00 BST) and fall back (2026-10-25 02:00 BST → 01:00 GMT)', async () => {
    setNow('2026-03-30T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, LONDON);
    expect((await eligibility(t, s, '2026-03-29T07:30:00Z')).jurisdiction).toBe('GB');
    expect(await judged(t, s, '2026-03-28T07:30:00Z')).toEqual([false, WINDOW, '2026-03-28', '07:30', '2026-03-28T08:00:00.000Z']);
    expect(await judged(t, s, '2026-03-28T08:00:00Z')).toEqual([true, [], '2026-03-28', '08:00', null]);
    expect(await judged(t, s, '2026-03-29T06:59:00Z')).toEqual([false, WINDOW, '2026-03-29', '07:59', '2026-03-29T07:00:00.000Z']);
    expect(await judged(t, s, '2026-03-29T07:00:00Z')).toEqual([true, [], '2026-03-29', '08:00', null]);
    expect(await judged(t, s, '2026-03-29T07:30:00Z')).toEqual([true, [], '2026-03-29', '08:30', null]);
    expect(await judged(t, s, '2026-03-28T20:59:00Z')).toEqual([true, [], '2026-03-28', '20:59', null]);
    expect(await judged(t, s, '2026-03-28T21:00:00Z')).toEqual([false, WINDOW, '2026-03-28', '21:00', '2026-03-29T07:00:00.000Z']);
    expect(await judged(t, s, '2026-03-29T19:59:00Z')).toEqual([true, [], '2026-03-29', '20:59', null]);
    expect(await judged(t, s, '2026-03-29T20:00:00Z')).toEqual([false, WINDOW, '2026-03-29', '21:00', '2026-03-30T07:00:00.000Z']);

    // Autumn.
    expect(await judged(t, s, '2026-10-24T07:30:00Z')).toEqual([true, [], '2026-10-24', '08:30', null]);
    expect(await judged(t, s, '2026-10-24T20:00:00Z')).toEqual([false, WINDOW, '2026-10-24', '21:00', '2026-10-25T08:00:00.000Z']);
    expect(await judged(t, s, '2026-10-25T07:30:00Z')).toEqual([false, WINDOW, '2026-10-25', '07:30', '2026-10-25T08:00:00.000Z']);
    expect(await judged(t, s, '2026-10-25T08:00:00Z')).toEqual([true, [], '2026-10-25', '08:00', null]);
    expect(await judged(t, s, '2026-10-25T20:59:00Z')).toEqual([true, [], '2026-10-25', '20:59', null]);
    expect(await judged(t, s, '2026-10-25T21:00:00Z')).toEqual([false, WINDOW, '2026-10-25', '21:00', '2026-10-26T08:00:00.000Z']);

    // The log (the clock is two days after the spring switch).
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-03-28T07:30:00+00:00' }), WINDOW);
    const c = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-03-29T08:30:00+01:00' })).contact;
    expect([c.occurredAt, c.debtorLocalTime, c.timeZone]).toEqual(['2026-03-29T07:30:00.000Z', '08:30', 'Europe/London']);
  });

  it('Asia/Shanghai (UTC+8 all year): 00:00Z is 08:00 and 13:00Z is 21:00 in March and November alike; the local date runs ahead of UTC', async () => {
    setNow('2026-11-02T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, SHANGHAI);
    expect((await eligibility(t, s, '2026-03-08T00:00:00Z')).jurisdiction).toBe('CN');
    expect(await judged(t, s, '2026-03-07T23:59:00Z')).toEqual([false, WINDOW, '2026-03-08', '07:59', '2026-03-08T00:00:00.000Z']);
    expect(await judged(t, s, '2026-03-08T00:00:00Z')).toEqual([true, [], '2026-03-08', '08:00', null]);
    expect(await judged(t, s, '2026-03-08T12:59:00Z')).toEqual([true, [], '2026-03-08', '20:59', null]);
    expect(await judged(t, s, '2026-03-08T13:00:00Z')).toEqual([false, WINDOW, '2026-03-08', '21:00', '2026-03-09T00:00:00.000Z']);
    // The US and UK switch days change nothing here.
    expect(await judged(t, s, '2026-03-29T00:00:00Z')).toEqual([true, [], '2026-03-29', '08:00', null]);
    expect(await judged(t, s, '2026-10-25T13:00:00Z')).toEqual([false, WINDOW, '2026-10-25', '21:00', '2026-10-26T00:00:00.000Z']);
    expect(await judged(t, s, '2026-11-01T00:00:00Z')).toEqual([true, [], '2026-11-01', '08:00', null]);
    expect(await judged(t, s, '2026-10-31T23:59:00Z')).toEqual([false, WINDOW, '2026-11-01', '07:59', '2026-11-01T00:00:00.000Z']);

    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-11-02T07:59:00+08:00' }), WINDOW);
    const c = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-11-02T08:00:00+08:00' })).contact;
    expect([c.occurredAt, c.debtorLocalTime, c.timeZone]).toEqual(['2026-11-02T00:00:00.000Z', '08:00', 'Asia/Shanghai']);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('time zone and jurisdiction fallbacks', () => {
  it('a debtor without a time zone is judged on the tenant’s clock, and the answer says so; no preset for the country → the platform default, said too', async () => {
    setNow('2026-06-15T06:00:00Z');
    const t = await tenantInZone(h, 'Asia/Shanghai');
    const s = await scene(t, {});
    // 00:30Z is 08:30 in Shanghai (00:30 in UTC, which would be refused).
    const e = await eligibility(t, s, '2026-06-15T00:30:00Z');
    expect(e).toMatchObject({ allowed: true, localTime: '08:30', localDate: '2026-06-15', timeZone: 'Asia/Shanghai', timeZoneSource: 'TENANT', jurisdiction: '*' });
    expect(e.warnings).toEqual(['TIME_ZONE_FALLBACK', 'JURISDICTION_DEFAULT']);
    expect(await judged(t, s, '2026-06-14T23:30:00Z')).toEqual([false, WINDOW, '2026-06-15', '07:30', '2026-06-15T00:00:00.000Z']);
    const c = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T08:30:00+08:00' })).contact;
    expect([c.timeZone, c.debtorLocalTime]).toEqual(['Asia/Shanghai', '08:30']);

    // A UTC tenant: a US debtor without a zone is judged in UTC (US rules, fallback warned).
    const u = await h.tenant();
    const us = await scene(u, { country: 'US' });
    const eu = await eligibility(u, us, '2026-06-15T07:59:00Z');
    expect(eu).toMatchObject({ allowed: false, timeZone: 'UTC', timeZoneSource: 'TENANT', jurisdiction: 'US', localTime: '07:59', warnings: ['TIME_ZONE_FALLBACK'] });

    // A French debtor with a zone: no French preset, so '*' with a warning; the zone is the debtor's.
    const fr = await scene(u, { timeZone: 'Europe/Paris', country: 'FR' });
    expect(await eligibility(u, fr, '2026-06-15T06:00:00Z')).toMatchObject({ allowed: true, localTime: '08:00', timeZone: 'Europe/Paris', timeZoneSource: 'DEBTOR', jurisdiction: '*', warnings: ['JURISDICTION_DEFAULT'] });

    // A vulnerable debtor: allowed, with a warning.
    const vul = await scene(u, { ...NY, vulnerable: true });
    expect(await eligibility(u, vul, '2026-06-15T14:00:00Z')).toMatchObject({ allowed: true, warnings: ['DEBTOR_VULNERABLE'] });
  });

  it('setting the debtor’s time zone later changes the clock the guard reads', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, { country: 'CN' });
    // 2026-06-15T01:00Z: 01:00 UTC (refused) but 09:00 in Shanghai.
    expect(await judged(t, s, '2026-06-15T01:00:00Z')).toEqual([false, WINDOW, '2026-06-15', '01:00', '2026-06-15T08:00:00.000Z']);
    expect((await updateDebtor(t, s.debtorId, { timeZone: 'Asia/Shanghai' })).timeZone).toBe('Asia/Shanghai');
    const e = await eligibility(t, s, '2026-06-15T01:00:00Z');
    expect([e.allowed, e.localTime, e.timeZoneSource, e.warnings]).toEqual([true, '09:00', 'DEBTOR', []]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

/** Logs outbound calls at these instants (each must be allowed), returning the contacts. */
async function calls(t: TestTenant, accountId: string, instants: string[], outcome = 'NO_ANSWER'): Promise<any[]> {
  const out = [];
  for (const occurredAt of instants) out.push((await logContact(t, { accountId, occurredAt, outcome })).contact);
  return out;
}

describe('the frequency cap: 7 calls in 7 local dates, the 8th refused', () => {
  it('at its boundaries: the 7th call is allowed, the 8th refused (nothing written, audited), and the next local date frees one', async () => {
    setNow('2026-06-15T18:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await addAccount(t, s);
    // 06-09 20:30 EDT is 06-10 00:30Z: on the debtor's calendar it is 06-09, and that is what counts.
    const first = '2026-06-10T00:30:00Z';
    await calls(t, s.accountId, [first, '2026-06-10T14:00:00Z', '2026-06-11T14:00:00Z', '2026-06-12T14:00:00Z', '2026-06-13T14:00:00Z', '2026-06-14T14:00:00Z']);
    // Neither an inbound call, nor a letter, nor an SMS counts toward the call cap.
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T15:00:00Z', direction: 'INBOUND', outcome: 'LEFT_MESSAGE' });
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T15:00:00Z', channel: 'LETTER', outcome: 'SENT' });
    // Consent counts from when it is recorded: recorded before the SMS it covers.
    setNow('2026-06-14T14:30:00Z');
    await setPreference(t, s.debtorId, 'SMS', 'GRANTED');
    setNow('2026-06-15T18:00:00Z');
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T15:00:00Z', channel: 'SMS', outcome: 'SENT' });

    const before7 = await eligibility(t, s, '2026-06-15T14:00:00Z');
    expect([before7.allowed, before7.attemptsInPeriod]).toEqual([true, 6]);
    const seventh = await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T10:00:00-04:00' });
    expect([seventh.eligibility.allowed, seventh.eligibility.attemptsInPeriod]).toEqual([true, 6]);

    // The 8th on 06-15: refused, and lifted on 06-16 (when 06-09 leaves the period) at the window's opening.
    const e = await eligibility(t, s, '2026-06-15T15:00:00Z');
    expect([e.allowed, codes(e), e.attemptsInPeriod, e.nextAllowedAt]).toEqual([false, ['FREQUENCY_CAP_REACHED'], 7, '2026-06-16T12:00:00.000Z']);
    expect(e.blocks[0]).toMatchObject({ overridable: true, message: expect.stringContaining('2026-06-09…2026-06-15') });
    const before = await complianceCounts(h, t.id);
    const refused = await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T11:00:00-04:00' }), ['FREQUENCY_CAP_REACHED']);
    expect(refused.ext.nextAllowedAt).toBe('2026-06-16T12:00:00.000Z');
    const after = await complianceCounts(h, t.id);
    expect(after).toEqual({ ...before, audit_events: before.audit_events + 1 });
    const [blocked] = await auditEvents(t, 'contact.blocked', s.accountId);
    expect(blocked).toMatchObject({ entityType: 'account', entityId: s.accountId });
    expect(blocked.after).toMatchObject({ channel: 'call', reasons: ['FREQUENCY_CAP_REACHED'], localTime: '11:00', timeZone: 'America/New_York', overrideRequested: false });
    // Still refused late that evening (the window too), on the same local date.
    const late = await eligibility(t, s, '2026-06-16T00:59:00Z');
    expect([codes(late), late.localDate, late.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], '2026-06-15', '2026-06-16T12:00:00.000Z']);
    const night = await eligibility(t, s, '2026-06-16T03:59:00Z');
    expect([codes(night), night.localDate, night.nextAllowedAt]).toEqual([['OUTSIDE_CONTACT_WINDOW', 'FREQUENCY_CAP_REACHED'], '2026-06-15', '2026-06-16T12:00:00.000Z']);

    // 06-16: the period is 06-10…06-16 and holds 6 calls. The first call was only 155.5 hours before 08:00 on
    // 06-16, and on 06-10 by the UTC calendar: a rolling 168 hours, or UTC dates, would still refuse.
    expect(hoursBetween(first, '2026-06-16T12:00:00Z')).toBe(155.5);
    const next = await eligibility(t, s, '2026-06-16T12:00:00Z');
    expect([next.allowed, next.attemptsInPeriod, next.localDate]).toEqual([true, 6, '2026-06-16']);
    const early = await eligibility(t, s, '2026-06-16T11:59:00Z');
    expect([codes(early), early.attemptsInPeriod]).toEqual([WINDOW, 6]);

    // The cap is per account (per debt): the debtor's other account is untouched.
    expect(await eligibility(t, { debtorId: s.debtorId, accountId: other }, '2026-06-15T15:00:00Z')).toMatchObject({ allowed: true, attemptsInPeriod: 0 });
    // 7 call rows exist on the account, no more.
    expect((await contactsOf(t, { accountId: s.accountId, channel: 'CALL' })).filter((c) => c.direction === 'OUTBOUND')).toHaveLength(7);
  });

  it('a call logged after a later one (out of order, or back-dated) counts in every period it falls in: no 8th call in 7 dates gets through', async () => {
    setNow('2026-06-15T18:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    await calls(t, s.accountId, ['2026-06-09T14:00:00Z', '2026-06-10T14:00:00Z', '2026-06-11T14:00:00Z', '2026-06-12T14:00:00Z', '2026-06-13T14:00:00Z', '2026-06-14T14:00:00Z']);
    // The 7th call of 06-09…06-15, made at 11:00 EDT and logged first.
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T11:00:00-04:00' });
    expect((await eligibility(t, s, '2026-06-15T16:00:00Z')).attemptsInPeriod).toBe(7);
    // A colleague logs the call they made at 10:00 EDT, a minute later: it would be the 8th call of 06-09…06-15.
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T10:00:00-04:00' }), ['FREQUENCY_CAP_REACHED']);
    // A call back-dated to 06-12 would be the 8th of 06-09…06-15 as well.
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-12T15:00:00Z' }), ['FREQUENCY_CAP_REACHED']);
    // Judged on 06-12 the trailing period 06-06…06-12 holds only 4 calls, but 06-09…06-15 (later contacts) holds 7.
    const backDated = await eligibility(t, s, '2026-06-12T15:00:00Z');
    expect([codes(backDated), backDated.attemptsInPeriod]).toEqual([['FREQUENCY_CAP_REACHED'], 7]);
    expect(backDated.blocks[0].message).toContain('2026-06-09…2026-06-15');
    expect((await eligibility(t, s, '2026-06-15T16:00:00Z')).attemptsInPeriod).toBe(7);
    expect((await contactsOf(t, { accountId: s.accountId, channel: 'CALL' })).length).toBe(7);
    // 06-08 is in no full period (06-02…06-08 to 06-08…06-14 hold at most 6): a call back-dated there is allowed,
    // and then 06-08…06-14 is full as well.
    const on8 = await eligibility(t, s, '2026-06-08T15:00:00Z');
    expect([on8.allowed, on8.attemptsInPeriod]).toEqual([true, 6]);
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-08T15:00:00Z' });
    expect((await eligibility(t, s, '2026-06-08T16:00:00Z')).attemptsInPeriod).toBe(7);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-08T16:00:00Z' }), ['FREQUENCY_CAP_REACHED']);
    expect((await contactsOf(t, { accountId: s.accountId, channel: 'CALL' })).length).toBe(8);
  });

  it('a 7-day period across the spring switch lasts 167 hours and still counts 7 local dates (America/New_York)', async () => {
    setNow('2026-03-11T20:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    // 08:00 local on 03-05 … 03-11: 13:00Z while EST, 12:00Z from 03-08 (EDT).
    const at8 = ['2026-03-05T13:00:00Z', '2026-03-06T13:00:00Z', '2026-03-07T13:00:00Z', '2026-03-08T12:00:00Z', '2026-03-09T12:00:00Z', '2026-03-10T12:00:00Z', '2026-03-11T12:00:00Z'];
    const logged = await calls(t, s.accountId, at8);
    expect(logged.map((c) => c.debtorLocalTime)).toEqual(Array(7).fill('08:00'));
    const e = await eligibility(t, s, '2026-03-11T23:00:00Z');
    expect([codes(e), e.attemptsInPeriod, e.localTime, e.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], 7, '19:00', '2026-03-12T12:00:00.000Z']);
    setNow('2026-03-11T23:30:00Z');
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-03-11T19:00:00-04:00' }), ['FREQUENCY_CAP_REACHED']);

    // 08:00 EDT on 03-12 is 167 hours after the first call: a new local date, so one call is free again.
    setNow('2026-03-12T13:00:00Z');
    expect(hoursBetween(at8[0]!, '2026-03-12T12:00:00Z')).toBe(167);
    const early = await eligibility(t, s, '2026-03-12T11:59:00Z');
    expect([codes(early), early.localTime, early.attemptsInPeriod]).toEqual([WINDOW, '07:59', 6]);
    expect(await eligibility(t, s, '2026-03-12T12:00:00Z')).toMatchObject({ allowed: true, attemptsInPeriod: 6, localDate: '2026-03-12' });
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-03-12T08:00:00-04:00' });
    // And the period 03-06…03-12 is full again until 03-13.
    const full = await eligibility(t, s, '2026-03-12T12:30:00Z');
    expect([codes(full), full.attemptsInPeriod, full.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], 7, '2026-03-13T12:00:00.000Z']);
  });

  it('a 7-day period across the autumn switch lasts 169 hours (America/New_York)', async () => {
    setNow('2026-11-02T20:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const at8 = ['2026-10-27T12:00:00Z', '2026-10-28T12:00:00Z', '2026-10-29T12:00:00Z', '2026-10-30T12:00:00Z', '2026-10-31T12:00:00Z', '2026-11-01T13:00:00Z', '2026-11-02T13:00:00Z'];
    expect((await calls(t, s.accountId, at8)).map((c) => c.debtorLocalTime)).toEqual(Array(7).fill('08:00'));
    const e = await eligibility(t, s, '2026-11-02T22:00:00Z');
    expect([codes(e), e.attemptsInPeriod, e.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], 7, '2026-11-03T13:00:00.000Z']);
    // 12:00Z on 11-03 is exactly 168 hours after the first call, but 07:00 EST: only the window refuses it.
    const at168 = await eligibility(t, s, '2026-11-03T12:00:00Z');
    expect([codes(at168), at168.attemptsInPeriod, at168.nextAllowedAt]).toEqual([WINDOW, 6, '2026-11-03T13:00:00.000Z']);
    expect(hoursBetween(at8[0]!, '2026-11-03T13:00:00Z')).toBe(169);
    expect(await eligibility(t, s, '2026-11-03T13:00:00Z')).toMatchObject({ allowed: true, attemptsInPeriod: 6, localTime: '08:00' });
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('no calls for 7 days after a telephone conversation (its date the first)', () => {
  it('a right-party conversation on C blocks calls through C+6 and frees them at the window’s opening on C+7; other channels are unaffected', async () => {
    setNow('2026-06-17T13:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    // C = 06-10, 20:00 EDT (06-11 00:00Z).
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-10T20:00:00-04:00', outcome: 'RIGHT_PARTY_CONTACT' });
    const sameDay = await eligibility(t, s, '2026-06-11T00:30:00Z');
    expect([codes(sameDay), sameDay.localDate, sameDay.nextAllowedAt]).toEqual([['RECENT_CONVERSATION'], '2026-06-10', '2026-06-17T12:00:00.000Z']);
    expect(sameDay.blocks[0]).toMatchObject({ overridable: true, message: expect.stringContaining('2026-06-10') });
    const c6 = await eligibility(t, s, '2026-06-17T00:59:00Z');
    expect([codes(c6), c6.localDate, c6.nextAllowedAt]).toEqual([['RECENT_CONVERSATION'], '2026-06-16', '2026-06-17T12:00:00.000Z']);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-16T20:59:00-04:00' }), ['RECENT_CONVERSATION']);
    expect(await judged(t, s, '2026-06-17T11:59:00Z')).toEqual([false, WINDOW, '2026-06-17', '07:59', '2026-06-17T12:00:00.000Z']);
    expect(await judged(t, s, '2026-06-17T12:00:00Z')).toEqual([true, [], '2026-06-17', '08:00', null]);
    // Letters and (consented) SMS are not calls. Consent counts from when it is recorded: record it before 06-12.
    setNow('2026-06-11T14:00:00Z');
    await setPreference(t, s.debtorId, 'SMS', 'GRANTED');
    setNow('2026-06-17T13:00:00Z');
    expect((await eligibility(t, s, '2026-06-12T14:00:00Z', 'SMS')).allowed).toBe(true);
    expect((await eligibility(t, s, '2026-06-12T14:00:00Z', 'LETTER')).allowed).toBe(true);
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-12T14:00:00Z', channel: 'SMS', outcome: 'SENT' });
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-17T12:00:00Z' });
  });

  it('across the spring switch: a conversation at 20:00 EST on 03-05 blocks through 20:59 EDT on 03-11, frees 08:00 EDT on 03-12', async () => {
    setNow('2026-03-12T13:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-03-05T20:00:00-05:00', outcome: 'PROMISE_MADE' });
    const last = await eligibility(t, s, '2026-03-12T00:59:00Z');
    expect([codes(last), last.localDate, last.localTime, last.nextAllowedAt]).toEqual([['RECENT_CONVERSATION'], '2026-03-11', '20:59', '2026-03-12T12:00:00.000Z']);
    expect((await eligibility(t, s, '2026-03-12T12:00:00Z')).allowed).toBe(true);
  });

  it.each([
    ['OUTBOUND', 'RIGHT_PARTY_CONTACT', 'CALL', true],
    ['OUTBOUND', 'PROMISE_MADE', 'CALL', true],
    ['OUTBOUND', 'REFUSED', 'CALL', true],
    ['OUTBOUND', 'DISPUTE_RAISED', 'CALL', true],
    ['INBOUND', 'RIGHT_PARTY_CONTACT', 'CALL', true],
    ['INBOUND', 'PROMISE_MADE', 'CALL', true],
    ['OUTBOUND', 'NO_ANSWER', 'CALL', false],
    ['OUTBOUND', 'LEFT_MESSAGE', 'CALL', false],
    ['OUTBOUND', 'WRONG_NUMBER', 'CALL', false],
    ['INBOUND', 'LEFT_MESSAGE', 'CALL', false],
    ['OUTBOUND', 'RIGHT_PARTY_CONTACT', 'VISIT', false],
    ['INBOUND', 'RIGHT_PARTY_CONTACT', 'EMAIL', false],
  ])('a %s %s %s is a conversation: %s', async (direction, outcome, channel, conversation) => {
    setNow('2026-06-15T18:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T10:00:00-04:00', direction, outcome, channel });
    const e = await eligibility(t, s, '2026-06-15T14:00:00-04:00');
    expect(codes(e)).toEqual(conversation ? ['RECENT_CONVERSATION'] : []);
    expect(e.nextAllowedAt).toBe(conversation ? '2026-06-22T12:00:00.000Z' : null);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('every block reason', () => {
  it('deceased and bankrupt debtors: blocked on every channel, not overridable, no nextAllowedAt; inbound contacts are still recorded', async () => {
    const t = await h.tenant();
    const at = '2026-06-15T14:00:00Z';
    for (const [flag, code] of [['deceased', 'DEBTOR_DECEASED'], ['bankrupt', 'DEBTOR_BANKRUPT']] as const) {
      const s = await scene(t, NY);
      expect((await eligibility(t, s, at)).allowed, flag).toBe(true);
      await updateDebtor(t, s.debtorId, { [flag]: true });
      for (const channel of ['CALL', 'SMS', 'EMAIL', 'LETTER', 'VISIT', 'LEGAL_NOTICE']) {
        const e = await eligibility(t, s, at, channel);
        expect(e.allowed, `${flag} ${channel}`).toBe(false);
        expect(e.blocks[0], `${flag} ${channel}`).toMatchObject({ code, overridable: false });
        expect(e.nextAllowedAt).toBeNull();
      }
      const before = await complianceCounts(h, t.id);
      await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at }), [code]);
      // An admin override cannot lift it.
      const o = await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel: 'LETTER', outcome: 'SENT', overrideReason: 'estate asked for a statement' }), [code]);
      expect(o.ext.blocks).toEqual([expect.objectContaining({ code, overridable: false })]);
      expect((await complianceCounts(h, t.id)).contact_attempts).toBe(before.contact_attempts);
      // What the debtor (or the estate) initiates is recorded as it happened.
      const inbound = await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T23:30:00-04:00', direction: 'INBOUND', outcome: 'RIGHT_PARTY_CONTACT', notes: 'called in' });
      expect(inbound.eligibility).toBeNull();
      expect(inbound.contact).toMatchObject({ direction: 'INBOUND', debtorLocalTime: null, timeZone: null, overriddenCodes: [] });
    }
  });

  it('cease communication: calls, SMS, email and visits refused outright; a letter or legal notice only with an admin override (audited)', async () => {
    const t = await h.tenant();
    const s = await scene(t, { ...NY, ceaseCommunication: true });
    // Consent on record before `at` (it counts from when it is recorded), so only the cease request refuses SMS and email.
    setNow('2026-06-15T13:00:00Z');
    await setPreference(t, s.debtorId, 'SMS', 'GRANTED');
    await setPreference(t, s.debtorId, 'EMAIL', 'GRANTED');
    setNow('2026-06-15T16:00:00Z');
    const at = '2026-06-15T14:00:00Z';
    for (const channel of ['CALL', 'SMS', 'EMAIL', 'VISIT']) {
      const e = await eligibility(t, s, at, channel);
      expect([codes(e), e.blocks[0].overridable, e.nextAllowedAt], channel).toEqual([['CEASE_COMMUNICATION'], false, null]);
      await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel, overrideReason: 'need to reach them' }), ['CEASE_COMMUNICATION']);
    }
    for (const channel of ['LETTER', 'LEGAL_NOTICE']) {
      const e = await eligibility(t, s, at, channel);
      expect([codes(e), e.blocks[0].overridable], channel).toEqual([['CEASE_COMMUNICATION'], true]);
      await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel, outcome: 'SENT' }), ['CEASE_COMMUNICATION']);
    }
    const before = await complianceCounts(h, t.id);
    const o = await logContact(t, { accountId: s.accountId, occurredAt: at, channel: 'LETTER', outcome: 'SENT', overrideReason: 'notice that collection has stopped (FDCPA 1692c(c))' });
    expect(o.contact).toMatchObject({ overriddenCodes: ['CEASE_COMMUNICATION'], overrideReason: 'notice that collection has stopped (FDCPA 1692c(c))', actorKind: 'api_key' });
    expect(o.eligibility).toMatchObject({ allowed: false, blocks: [expect.objectContaining({ code: 'CEASE_COMMUNICATION' })] });
    expect(await complianceCounts(h, t.id)).toMatchObject({ contact_attempts: before.contact_attempts + 1, audit_events: before.audit_events + 1 });
    const [ev] = await auditEvents(t, 'contact.log_override', o.contact.id);
    expect(ev.after).toMatchObject({ channel: 'letter', overriddenCodes: ['CEASE_COMMUNICATION'], overrideReason: 'notice that collection has stopped (FDCPA 1692c(c))' });
    // Lifting the request lifts the block.
    await updateDebtor(t, s.debtorId, { ceaseCommunication: false });
    expect((await eligibility(t, s, at)).allowed).toBe(true);
  });

  it('SMS and email need consent on record (NO_CONSENT); an opt-out blocks any channel (OPTED_OUT); the latest preference decides; neither is overridable', async () => {
    // Preferences are recorded at the contacts' own time (they count from when they are recorded).
    const at = '2026-06-15T14:00:00Z';
    setNow(at);
    const t = await h.tenant();
    const s = await scene(t, NY);
    const j = async (channel: string) => {
      const e = await eligibility(t, s, at, channel);
      return [codes(e), e.blocks.map((b: any) => b.overridable), e.nextAllowedAt];
    };
    expect(await j('SMS')).toEqual([['NO_CONSENT'], [false], null]);
    expect(await j('EMAIL')).toEqual([['NO_CONSENT'], [false], null]);
    for (const channel of ['CALL', 'LETTER', 'VISIT', 'LEGAL_NOTICE']) expect(await j(channel), channel).toEqual([[], [], null]);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel: 'SMS', outcome: 'SENT', overrideReason: 'urgent' }), ['NO_CONSENT']);

    const granted = await setPreference(t, s.debtorId, 'SMS', 'GRANTED', 'web form');
    expect(granted).toMatchObject({ debtorId: s.debtorId, channel: 'SMS', state: 'GRANTED', source: 'web form', actorKind: 'api_key' });
    expect(await j('SMS')).toEqual([[], [], null]);
    expect(await j('EMAIL')).toEqual([['NO_CONSENT'], [false], null]);
    await logContact(t, { accountId: s.accountId, occurredAt: at, channel: 'SMS', outcome: 'SENT' });

    await setPreference(t, s.debtorId, 'SMS', 'OPTED_OUT', 'replied STOP');
    await setPreference(t, s.debtorId, 'CALL', 'OPTED_OUT', 'asked not to be called');
    expect(await j('SMS')).toEqual([['OPTED_OUT'], [false], null]);
    expect(await j('CALL')).toEqual([['OPTED_OUT'], [false], null]);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, overrideReason: 'urgent' }), ['OPTED_OUT']);
    expect(await j('LETTER')).toEqual([[], [], null]);
    // An opt-out combined with a time block: not time-bound, so no nextAllowedAt.
    const night = await eligibility(t, s, '2026-06-16T03:00:00Z');
    expect([codes(night), night.nextAllowedAt]).toEqual([['OPTED_OUT', 'OUTSIDE_CONTACT_WINDOW'], null]);

    // Debtor.contactPreferences: the latest per channel.
    const prefs = ok(await t.gql(Q.debtorPreferences, { id: s.debtorId })).debtor.contactPreferences.map((p: any) => [p.channel, p.state]).sort();
    expect(prefs).toEqual([['CALL', 'OPTED_OUT'], ['SMS', 'OPTED_OUT']]);
    // Granting again wins; the history is kept.
    await setPreference(t, s.debtorId, 'SMS', 'GRANTED', 'called in to opt back in');
    expect(await j('SMS')).toEqual([[], [], null]);
    const [history] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from contact_preferences where tenant_id = $1 and debtor_id = $2`, [t.id, s.debtorId]);
    expect(Number(history!.n)).toBe(4);
    expect((await auditEvents(t, 'contact_preference.set', s.debtorId)).length).toBe(4);
  });

  it('consent and opt-outs count from when they are recorded (by the service clock, 5 minutes of tolerance): a contact is judged by what was on record at its time', async () => {
    // T = 14:00Z (10:00 EDT): SMS consent recorded.
    setNow('2026-06-15T14:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const sms = (occurredAt: string) => logContactRaw(t, { accountId: s.accountId, occurredAt, channel: 'SMS', outcome: 'SENT' });
    const granted = await setPreference(t, s.debtorId, 'SMS', 'GRANTED', 'web form');
    expect(granted.recordedAt).toBe('2026-06-15T14:00:00.000Z');
    // An SMS an hour before T, logged now: no consent was on record then.
    expect(codes(await eligibility(t, s, '2026-06-15T13:00:00Z', 'SMS'))).toEqual(['NO_CONSENT']);
    const before = await complianceCounts(h, t.id);
    await expectBlocked(await sms('2026-06-15T13:00:00Z'), ['NO_CONSENT']);
    expect((await complianceCounts(h, t.id)).contact_attempts).toBe(before.contact_attempts);
    // The tolerance: from T − 5 min on, the consent counts; a second earlier it does not.
    expect((await eligibility(t, s, '2026-06-15T13:55:00Z', 'SMS')).allowed).toBe(true);
    expect(codes(await eligibility(t, s, '2026-06-15T13:54:59Z', 'SMS'))).toEqual(['NO_CONSENT']);
    // A minute after T: allowed.
    setNow('2026-06-15T14:01:00Z');
    expect((await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:01:00Z', channel: 'SMS', outcome: 'SENT' })).contact.overriddenCodes).toEqual([]);

    // U = 16:00Z: opt-outs of SMS and of calls recorded.
    setNow('2026-06-15T16:00:00Z');
    expect((await setPreference(t, s.debtorId, 'SMS', 'OPTED_OUT', 'replied STOP')).recordedAt).toBe('2026-06-15T16:00:00.000Z');
    await setPreference(t, s.debtorId, 'CALL', 'OPTED_OUT', 'asked not to be called');
    // At and after U: refused.
    for (const channel of ['SMS', 'CALL']) {
      expect(codes(await eligibility(t, s, '2026-06-15T16:00:00Z', channel)), channel).toEqual(['OPTED_OUT']);
      expect(codes(await eligibility(t, s, '2026-06-15T18:00:00Z', channel)), channel).toEqual(['OPTED_OUT']);
      expect(codes(await eligibility(t, s, null, channel)), channel).toEqual(['OPTED_OUT']);
    }
    await expectBlocked(await sms('2026-06-15T16:00:00Z'), ['OPTED_OUT']);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T16:00:00Z' }), ['OPTED_OUT']);
    // Within the tolerance before U the opt-out already applies.
    expect(codes(await eligibility(t, s, '2026-06-15T15:56:00Z', 'SMS'))).toEqual(['OPTED_OUT']);
    // An SMS and a call made at 15:00Z, before U, logged after it: judged by what was on record then (consent; no opt-out).
    expect((await eligibility(t, s, '2026-06-15T15:00:00Z', 'SMS')).allowed).toBe(true);
    const early = await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T15:00:00Z', channel: 'SMS', outcome: 'SENT' });
    expect([early.contact.overriddenCodes, early.eligibility.allowed]).toEqual([[], true]);
    expect((await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T15:00:00Z' })).contact.overriddenCodes).toEqual([]);
    // The debtor's current preferences are the opt-outs.
    const prefs = ok(await t.gql(Q.debtorPreferences, { id: s.debtorId })).debtor.contactPreferences.map((p: any) => [p.channel, p.state, p.recordedAt]).sort();
    expect(prefs).toEqual([
      ['CALL', 'OPTED_OUT', '2026-06-15T16:00:00.000Z'],
      ['SMS', 'OPTED_OUT', '2026-06-15T16:00:00.000Z'],
    ]);
  });

  it('an open dispute blocks outbound contact during its open interval (a letter or legal notice only by admin override, audited); inbound contacts are recorded meanwhile', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await addAccount(t, s);
    // Opened at 13:00Z (09:00 EDT); the clock then moves on to 16:00Z.
    setNow('2026-06-15T13:00:00Z');
    const d = await openDispute(t, s.accountId, 'NOT_MY_DEBT');
    expect(d.openedAt).toBe('2026-06-15T13:00:00.000Z');
    setNow('2026-06-15T16:00:00Z');
    const at = '2026-06-15T14:00:00Z';
    // The verification letter (FDCPA §1692g(b)) may go out by admin override; nothing else may.
    for (const [channel, overridable] of [['CALL', false], ['VISIT', false], ['LETTER', true], ['LEGAL_NOTICE', true]] as const) {
      const e = await eligibility(t, s, at, channel);
      expect([codes(e), e.blocks[0].overridable, e.nextAllowedAt], channel).toEqual([['OPEN_DISPUTE'], overridable, null]);
      expect(e.blocks[0].message).toContain(d.id);
    }
    await setPreference(t, s.debtorId, 'EMAIL', 'GRANTED');
    const email = await eligibility(t, s, '2026-06-15T16:00:00Z', 'EMAIL');
    expect([codes(email), email.blocks[0].overridable]).toEqual([['OPEN_DISPUTE'], false]);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, overrideReason: 'need to reach them' }), ['OPEN_DISPUTE']);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T16:00:00Z', channel: 'EMAIL', outcome: 'SENT', overrideReason: 'verification' }), ['OPEN_DISPUTE']);
    // A letter without a reason is refused; a write key that is not admin may not override.
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel: 'LETTER', outcome: 'SENT' }), ['OPEN_DISPUTE']);
    const writer = withBearer(h, t, (await t.keyWith(['read', 'write'])).key);
    expectError(await logContactRaw(writer, { accountId: s.accountId, occurredAt: at, channel: 'LETTER', outcome: 'SENT', overrideReason: 'verification letter' }), 'FORBIDDEN', 'input.overrideReason');
    // The admin key logs the verification letter: the contact carries the code and the reason, audited as an override.
    const letter = await logContact(t, { accountId: s.accountId, occurredAt: at, channel: 'LETTER', outcome: 'SENT', overrideReason: 'verification letter' });
    expect(letter.contact).toMatchObject({ channel: 'LETTER', overriddenCodes: ['OPEN_DISPUTE'], overrideReason: 'verification letter' });
    const [ev] = await auditEvents(t, 'contact.log_override', letter.contact.id);
    expect(ev.after).toMatchObject({ channel: 'letter', overriddenCodes: ['OPEN_DISPUTE'], overrideReason: 'verification letter' });
    expect(await auditEvents(t, 'contact.log', letter.contact.id)).toEqual([]);

    // A contact before the dispute was opened (08:30 EDT, logged after it was opened) is judged as of its time: lawful.
    expect(await judged(t, s, '2026-06-15T12:30:00Z')).toEqual([true, [], '2026-06-15', '08:30', null]);
    expect((await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T12:30:00Z' })).contact.overriddenCodes).toEqual([]);
    // From the opening instant on, it is blocked.
    expect(codes(await eligibility(t, s, '2026-06-15T13:00:00Z'))).toEqual(['OPEN_DISPUTE']);

    await logContact(t, { accountId: s.accountId, occurredAt: at, direction: 'INBOUND', outcome: 'DISPUTE_RAISED', notes: 'sent documents' });
    // The debtor's other account is not in dispute.
    expect((await eligibility(t, { debtorId: s.debtorId, accountId: other }, at)).allowed).toBe(true);
    await resolveDispute(t, d.id, 'REJECTED');
    // After the resolution (16:00Z) the inbound conversation blocks calls (it was a conversation), but not letters.
    expect(codes(await eligibility(t, s, '2026-06-15T16:30:00Z'))).toEqual(['RECENT_CONVERSATION']);
    expect((await eligibility(t, s, '2026-06-15T16:30:00Z', 'LETTER')).allowed).toBe(true);
    // A contact during the dispute's open interval stays refused after the resolution.
    expect(codes(await eligibility(t, s, at))).toEqual(['OPEN_DISPUTE', 'RECENT_CONVERSATION']);
    expect(codes(await eligibility(t, s, at, 'LETTER'))).toEqual(['OPEN_DISPUTE']);
  });

  it('an account out of collection (written off after an upheld dispute): NOT_IN_COLLECTION, overridable by an admin', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const d = await openDispute(t, s.accountId, 'IDENTITY_THEFT');
    expect((await resolveDispute(t, d.id, 'UPHELD')).outcome).toBe('UPHELD');
    expect(await accountStatus(t, s.accountId)).toBe('WRITTEN_OFF');
    const e = await eligibility(t, s, '2026-06-15T14:00:00Z', 'LETTER');
    expect([codes(e), e.blocks[0].overridable, e.blocks[0].message]).toEqual([['NOT_IN_COLLECTION'], true, expect.stringContaining('written off')]);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z', channel: 'LETTER', outcome: 'SENT' }), ['NOT_IN_COLLECTION']);
    const o = await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z', channel: 'LETTER', outcome: 'SENT', overrideReason: 'confirming the write-off' });
    expect(o.contact.overriddenCodes).toEqual(['NOT_IN_COLLECTION']);
  });

  it('letters and legal notices are not held to the contact window or blocked weekdays (they arrive with the post); a cap the tenant sets on them applies', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    await setContactRules(t, '*', { blockedWeekdays: [7], caps: [{ channel: 'CALL', max: 7, days: 7 }, { channel: 'LETTER', max: 2, days: 7 }] });
    // Sunday 06-14, 23:30 EDT: outside the window on a blocked day.
    const night = '2026-06-15T03:30:00Z';
    expect(await judged(t, s, night)).toEqual([false, [...WINDOW, 'BLOCKED_WEEKDAY'], '2026-06-14', '23:30', '2026-06-15T12:00:00.000Z']);
    for (const channel of ['LETTER', 'LEGAL_NOTICE']) expect(await judged(t, s, night, channel), channel).toEqual([true, [], '2026-06-14', '23:30', null]);
    // Two letters: Tuesday 06-09 at 23:00 EDT and Sunday 06-14 at noon, both logged without override.
    const l1 = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-10T03:00:00Z', channel: 'LETTER', outcome: 'SENT' })).contact;
    const l2 = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T12:00:00-04:00', channel: 'LETTER', outcome: 'SENT' })).contact;
    expect([l1.debtorLocalTime, l1.overriddenCodes, l2.debtorLocalTime, l2.overriddenCodes]).toEqual(['23:00', [], '12:00', []]);
    // A third letter in 06-09…06-15 is over the tenant's letter cap; it lifts at the start of 06-16 (local), when
    // 06-09 leaves the period: no window to wait for.
    const capped = await eligibility(t, s, '2026-06-15T14:00:00Z', 'LETTER');
    expect([codes(capped), capped.attemptsInPeriod, capped.blocks[0].overridable, capped.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], 2, true, '2026-06-16T04:00:00.000Z']);
    const refused = await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z', channel: 'LETTER', outcome: 'SENT' }), ['FREQUENCY_CAP_REACHED']);
    expect(refused.ext.nextAllowedAt).toBe('2026-06-16T04:00:00.000Z');
    expect(await judged(t, s, '2026-06-16T04:00:00Z', 'LETTER')).toEqual([true, [], '2026-06-16', '00:00', null]);
    // Legal notices are not capped here; calls are not counted with letters.
    expect((await eligibility(t, s, '2026-06-15T14:00:00Z', 'LEGAL_NOTICE')).allowed).toBe(true);
    expect(await eligibility(t, s, '2026-06-15T14:00:00Z')).toMatchObject({ allowed: true, attemptsInPeriod: 0 });
  });

  it('stricter tenant rules: window 09:00–20:00, no Sundays (BLOCKED_WEEKDAY), 3 calls in 7 days', async () => {
    setNow('2026-06-17T23:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const row = await setContactRules(t, '*', { windowStart: '09:00', windowEnd: '20:00', blockedWeekdays: [7], caps: [{ channel: 'CALL', max: 3, days: 7 }] });
    expect(row).toMatchObject({ jurisdiction: '*', version: 1, rules: { windowStart: '09:00', windowEnd: '20:00', blockedWeekdays: [7], caps: [{ channel: 'CALL', max: 3, days: 7 }], quietDaysAfterConversation: 7 } });
    const eff = ok(await t.gql(Q.effectiveRules, { j: 'us' })).effectiveContactRules;
    expect(eff).toEqual({ jurisdiction: 'US', rules: { windowStart: '09:00', windowEnd: '20:00', blockedWeekdays: [7], caps: [{ channel: 'CALL', max: 3, days: 7 }], quietDaysAfterConversation: 7 } });

    // Saturday 2026-06-13: 08:30 is now too early (allowed from 09:00); 20:00 too late, and Sunday is skipped.
    expect(await judged(t, s, '2026-06-13T12:30:00Z')).toEqual([false, WINDOW, '2026-06-13', '08:30', '2026-06-13T13:00:00.000Z']);
    expect(await judged(t, s, '2026-06-13T13:00:00Z')).toEqual([true, [], '2026-06-13', '09:00', null]);
    expect(await judged(t, s, '2026-06-13T23:59:00Z')).toEqual([true, [], '2026-06-13', '19:59', null]);
    expect(await judged(t, s, '2026-06-14T00:00:00Z')).toEqual([false, WINDOW, '2026-06-13', '20:00', '2026-06-15T13:00:00.000Z']);
    // Sunday 06-14, noon: blocked weekday; next opening Monday 09:00 EDT.
    const sunday = await eligibility(t, s, '2026-06-14T16:00:00Z');
    expect([codes(sunday), sunday.blocks[0].overridable, sunday.blocks[0].message, sunday.nextAllowedAt]).toEqual([['BLOCKED_WEEKDAY'], true, expect.stringContaining('Sunday'), '2026-06-15T13:00:00.000Z']);
    expect(sunday.rules).toMatchObject({ windowStart: '09:00', windowEnd: '20:00', blockedWeekdays: [7] });
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-14T12:00:00-04:00' }), ['BLOCKED_WEEKDAY']);

    // Three calls Monday to Wednesday; the fourth is refused until the next Monday (06-22) at 09:00.
    await calls(t, s.accountId, ['2026-06-15T14:00:00Z', '2026-06-16T14:00:00Z', '2026-06-17T14:00:00Z']);
    const capped = await eligibility(t, s, '2026-06-17T18:00:00Z');
    expect([codes(capped), capped.attemptsInPeriod, capped.nextAllowedAt]).toEqual([['FREQUENCY_CAP_REACHED'], 3, '2026-06-22T13:00:00.000Z']);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-17T14:30:00-04:00' }), ['FREQUENCY_CAP_REACHED']);

    // A GB debtor is held to the tenant's '*' row too; a row for 'US' alone would not touch it.
    const gb = await scene(t, LONDON);
    expect(await judged(t, gb, '2026-06-15T07:30:00Z')).toEqual([false, WINDOW, '2026-06-15', '08:30', '2026-06-15T08:00:00.000Z']);
  });

  it('a tenant row for one jurisdiction applies to its debtors only; the contactRules query lists presets and rows', async () => {
    const t = await h.tenant();
    const us = await scene(t, NY);
    const gb = await scene(t, LONDON);
    await setContactRules(t, 'US', { windowStart: '10:00' });
    expect(await judged(t, us, '2026-06-15T13:30:00Z')).toEqual([false, WINDOW, '2026-06-15', '09:30', '2026-06-15T14:00:00.000Z']);
    expect(await judged(t, gb, '2026-06-15T08:30:00Z')).toEqual([true, [], '2026-06-15', '09:30', null]);
    const overview = ok(await t.gql(Q.rules)).contactRules;
    expect(overview.presets.map((p: any) => p.code)).toEqual(['US', 'CN', 'GB', '*']);
    for (const p of overview.presets) expect(p.rules, p.code).toEqual({ windowStart: '08:00', windowEnd: '21:00', blockedWeekdays: [], caps: [{ channel: 'CALL', max: 7, days: 7 }], quietDaysAfterConversation: 7 });
    expect(overview.tenantRules.map((r: any) => [r.jurisdiction, r.version, r.rules.windowStart])).toEqual([['US', 1, '10:00']]);
    // A second write with the version read bumps it; a stale version is a CONFLICT.
    expect((await setContactRules(t, 'US', { windowStart: '09:30' }, 1)).version).toBe(2);
    expectError(await setContactRulesRaw(t, 'US', { windowStart: '09:00' }, 1), 'CONFLICT', 'input.expectedVersion');
    expect(await judged(t, us, '2026-06-15T13:30:00Z')).toEqual([true, [], '2026-06-15', '09:30', null]);
    expect((await auditEvents(t, 'contact_rules.set')).length).toBe(2);
  });

  it('every reason at once: each one is named, in the eligibility and in the refusal', async () => {
    // Everything is on record before the judged instant (06-15 02:00Z): opt-outs and disputes count from when
    // they are recorded.
    setNow('2026-06-15T01:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    // Seven calls Mon 06-08 … Sun 06-14, the last a conversation.
    await calls(t, s.accountId, ['2026-06-08T14:00:00Z', '2026-06-09T14:00:00Z', '2026-06-10T14:00:00Z', '2026-06-11T14:00:00Z', '2026-06-12T14:00:00Z', '2026-06-13T14:00:00Z']);
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-14T14:00:00Z', outcome: 'REFUSED' });
    await setContactRules(t, '*', { blockedWeekdays: [7] });
    await updateDebtor(t, s.debtorId, { deceased: true, bankrupt: true, ceaseCommunication: true });
    await setPreference(t, s.debtorId, 'CALL', 'OPTED_OUT');
    await openDispute(t, s.accountId, 'ALREADY_PAID');
    setNow('2026-06-15T03:00:00Z');
    // Sunday 06-14, 22:00 EDT.
    const at = '2026-06-14T22:00:00-04:00';
    const all = ['DEBTOR_DECEASED', 'DEBTOR_BANKRUPT', 'OPEN_DISPUTE', 'CEASE_COMMUNICATION', 'OPTED_OUT', 'OUTSIDE_CONTACT_WINDOW', 'BLOCKED_WEEKDAY', 'FREQUENCY_CAP_REACHED', 'RECENT_CONVERSATION'];
    const e = await eligibility(t, s, at);
    expect([e.allowed, codes(e), e.attemptsInPeriod, e.nextAllowedAt]).toEqual([false, all, 7, null]);
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at }), all);
    const sms = await eligibility(t, s, at, 'SMS');
    expect(codes(sms)).toEqual(['DEBTOR_DECEASED', 'DEBTOR_BANKRUPT', 'OPEN_DISPUTE', 'CEASE_COMMUNICATION', 'NO_CONSENT', 'OUTSIDE_CONTACT_WINDOW', 'BLOCKED_WEEKDAY']);
    // With an admin override only the non-overridable ones are left to refuse it.
    await expectBlocked(await logContactRaw(t, { accountId: s.accountId, occurredAt: at, overrideReason: 'test' }), ['DEBTOR_DECEASED', 'DEBTOR_BANKRUPT', 'OPEN_DISPUTE', 'CEASE_COMMUNICATION', 'OPTED_OUT']);
    const blocked = await auditEvents(t, 'contact.blocked', s.accountId);
    expect(blocked.map((b) => [b.after.reasons, b.after.overrideRequested])).toEqual([
      [all, true],
      [all, false],
    ]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('overrides', () => {
  it('an admin may log past overridable blocks with a reason; the contact carries the codes and the reason, and the audit says override', async () => {
    setNow('2026-06-16T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const at = '2026-06-15T22:15:00-04:00';
    const o = await logContact(t, { accountId: s.accountId, occurredAt: at, overrideReason: 'debtor asked for a call back at this hour', collector: 'Li Wei' });
    expect(o.contact).toMatchObject({ overriddenCodes: ['OUTSIDE_CONTACT_WINDOW'], overrideReason: 'debtor asked for a call back at this hour', debtorLocalTime: '22:15', collector: 'Li Wei' });
    const [ev] = await auditEvents(t, 'contact.log_override', o.contact.id);
    expect(ev).toMatchObject({ entityType: 'contact', actorKind: 'api_key' });
    expect(ev.after).toMatchObject({ overriddenCodes: ['OUTSIDE_CONTACT_WINDOW'], overrideReason: 'debtor asked for a call back at this hour', debtorLocalTime: '22:15' });
    expect(await auditEvents(t, 'contact.log', o.contact.id)).toEqual([]);
    // An overridden attempt still counts toward the cap: the next judgement sees it.
    expect((await eligibility(t, s, '2026-06-16T12:00:00Z')).attemptsInPeriod).toBe(1);
  });

  it('an override reason with nothing to override logs a plain contact (no codes, no reason)', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const o = await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z', overrideReason: 'just in case' });
    expect(o.contact).toMatchObject({ overriddenCodes: [], overrideReason: null });
    expect((await auditEvents(t, 'contact.log', o.contact.id)).length).toBe(1);
  });

  it('a write key that is not admin gets FORBIDDEN for an override, and nothing is written; without one it meets the guard', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const writer = withBearer(h, t, (await t.keyWith(['read', 'write'])).key);
    // 22:00 EDT on 06-14.
    const at = '2026-06-15T02:00:00Z';
    const before = await complianceCounts(h, t.id);
    expectError(await logContactRaw(writer, { accountId: s.accountId, occurredAt: at, overrideReason: 'manager said so' }), 'FORBIDDEN', 'input.overrideReason');
    expect(await complianceCounts(h, t.id)).toEqual(before);
    await expectBlocked(await logContactRaw(writer, { accountId: s.accountId, occurredAt: at }), WINDOW);
    // The same key may log what the guard allows.
    expect((await logContact(writer, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z' })).contact.actorKind).toBe('api_key');
  });

  it('an override on an inbound contact, or an empty reason, is BAD_USER_INPUT', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    expectError(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T14:00:00Z', direction: 'INBOUND', outcome: 'RIGHT_PARTY_CONTACT', overrideReason: 'x' }), 'BAD_USER_INPUT', 'input.overrideReason');
    expectError(await logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-06-15T02:00:00Z', overrideReason: '   ' }), 'BAD_USER_INPUT', 'input.overrideReason');
    expect((await complianceCounts(h, t.id)).contact_attempts).toBe(0);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('bad input', () => {
  /** Must be refused with BAD_USER_INPUT naming `field`, writing nothing. */
  async function refused(t: TestTenant, call: () => Promise<any>, field: string): Promise<{ message: string; ext: Record<string, any> }> {
    const before = await complianceCounts(h, t.id);
    const e = expectError(await call(), 'BAD_USER_INPUT', field);
    expect(await complianceCounts(h, t.id)).toEqual(before);
    return e;
  }

  it('occurredAt must carry an offset, be a real instant, not be in the future nor more than 30 days old', async () => {
    setNow('2026-03-10T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const log = (occurredAt: string) => () => logContactRaw(t, { accountId: s.accountId, occurredAt });
    const local = await refused(t, log('2026-03-08T08:30:00'), 'input.occurredAt');
    expect(local.message).toMatch(/offset/);
    await refused(t, log('2026-03-08 08:30'), 'input.occurredAt');
    await refused(t, log('yesterday'), 'input.occurredAt');
    await refused(t, log('2026-03-08'), 'input.occurredAt');
    await refused(t, log('2026-03-08T08:30:00+0500'), 'input.occurredAt');
    await refused(t, log('2026-13-01T10:00:00Z'), 'input.occurredAt');
    expect((await refused(t, log('2026-03-10T12:05:01Z'), 'input.occurredAt')).message).toMatch(/future/);
    expect((await refused(t, log('2026-02-08T11:59:00Z'), 'input.occurredAt')).message).toMatch(/30 days/);
    // Inside both limits: 4 minutes ahead (clock skew) and 29 days back.
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-03-10T12:04:00Z' });
    await logContact(t, { accountId: s.accountId, occurredAt: '2026-02-09T14:00:00Z' });
    // The eligibility query wants an offset too.
    expectError(await eligibilityRaw(t, s, '2026-03-08T08:30:00'), 'BAD_USER_INPUT', 'at');
  });

  it('an impossible calendar date is refused, not rolled over into the next month', async () => {
    setNow('2026-03-05T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    // 2026-02-30 does not exist; JavaScript's Date reads it as 2026-03-02 (recent, in the past, inside the window).
    const log = await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: '2026-02-30T10:00:00-05:00', channel: 'LETTER' }), 'input.occurredAt');
    expect(log.message).not.toMatch(/future|30 days/);
    const notice = await refused(t, () => recordNoticeRaw(t, s.accountId, '2026-02-31T10:00:00Z'), 'input.sentAt');
    expect(notice.message).not.toMatch(/future/);
    expectError(await eligibilityRaw(t, s, '2026-02-30T14:00:00Z'), 'BAD_USER_INPUT', 'at');
    expectError(await eligibilityRaw(t, s, '2026-04-31T14:00:00Z'), 'BAD_USER_INPUT', 'at');
  });

  it('unknown channels, directions and outcomes are refused naming the field', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const at = '2026-06-15T14:00:00Z';
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel: 'FAX' }), 'input.channel');
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, direction: 'SIDEWAYS' }), 'input.direction');
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, outcome: 'ANSWERED' }), 'input.outcome');
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, channel: 'call' }), 'input.channel');
    expectError(await eligibilityRaw(t, s, at, 'PIGEON'), 'BAD_USER_INPUT', 'channel');
    await refused(t, () => setPreferenceRawAny(t, s.debtorId, 'SMS', 'MAYBE'), 'input.state');
    await refused(t, () => openDisputeRaw(t, s.accountId, 'DONT_WANT_TO'), 'input.reason');
  });

  it('ids: malformed, unknown, or an account of another debtor; a linked promise or plan of another debtor', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await scene(t, NY, { portfolioId: s.portfolioId });
    const at = '2026-06-15T14:00:00Z';
    await refused(t, () => logContactRaw(t, { accountId: 'not-a-uuid', occurredAt: at }), 'input.accountId');
    expectError(await logContactRaw(t, { accountId: '00000000-0000-7000-8000-0000000000ff', occurredAt: at }), 'NOT_FOUND');
    expectError(await eligibilityRaw(t, { debtorId: other.debtorId, accountId: s.accountId }, at), 'BAD_USER_INPUT', 'accountId');
    const pr = ok(await createPromiseRaw(t, { accountId: other.accountId, amount: '1000', promisedOn: '2026-06-25' })).createPromise;
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, promiseId: pr.id }), 'input.promiseId');
    const plan = await propose(t, { accountIds: [other.accountId], startOn: '2026-06-15', installmentCount: 3, frequency: 'MONTHLY' });
    await refused(t, () => logContactRaw(t, { accountId: s.accountId, occurredAt: at, planId: plan.id }), 'input.planId');
    // Linked to the debtor's own promise and plan: recorded with the links.
    const own = ok(await createPromiseRaw(t, { accountId: s.accountId, amount: '1000', promisedOn: '2026-06-25' })).createPromise;
    const c = (await logContact(t, { accountId: other.accountId, occurredAt: at, outcome: 'PROMISE_MADE', promiseId: pr.id, planId: plan.id })).contact;
    expect([c.promiseId, c.planId]).toEqual([pr.id, plan.id]);
    const c2 = (await logContact(t, { accountId: s.accountId, occurredAt: at, outcome: 'PROMISE_MADE', promiseId: own.id })).contact;
    expect(c2.promiseId).toBe(own.id);
  });

  it('setContactRules refuses anything looser than the preset, naming each field; nothing is written', async () => {
    const t = await h.tenant();
    const cases: [string, RulesInput, string][] = [
      ['US', { windowStart: '07:59' }, 'input.rules.windowStart'],
      ['US', { windowEnd: '21:01' }, 'input.rules.windowEnd'],
      ['GB', { quietDaysAfterConversation: 6 }, 'input.rules.quietDaysAfterConversation'],
      ['CN', { caps: [{ channel: 'CALL', max: 8, days: 7 }] }, 'input.rules.caps'],
      ['CN', { caps: [{ channel: 'CALL', max: 7, days: 6 }] }, 'input.rules.caps'],
      ['*', { caps: [{ channel: 'SMS', max: 3, days: 7 }] }, 'input.rules.caps'],
      ['US', { windowStart: '20:00', windowEnd: '09:00' }, 'input.rules.windowEnd'],
      ['US', { windowStart: '8am' }, 'input.rules.windowStart'],
      ['US', { blockedWeekdays: [8] }, 'input.rules.blockedWeekdays.0'],
      ['US', { blockedWeekdays: [1, 2, 3, 4, 5, 6, 7] }, 'input.rules.blockedWeekdays'],
      ['US', { caps: [{ channel: 'CALL', max: 7, days: 0 }] }, 'input.rules.caps.0.days'],
      ['USA', {}, 'input.jurisdiction'],
    ];
    for (const [j, over, field] of cases) {
      const e = await refused(t, () => setContactRulesRaw(t, j, over), field);
      expect(e.message.length, `${j} ${JSON.stringify(over)}`).toBeGreaterThan(0);
    }
    // Several looser fields at once: each is named.
    const many = expectError(await setContactRulesRaw(t, 'US', { windowStart: '07:00', windowEnd: '22:00', quietDaysAfterConversation: 0, caps: [] }), 'BAD_USER_INPUT');
    expect(many.ext.problems.map((p: any) => p.field).sort()).toEqual(['input.rules.caps', 'input.rules.quietDaysAfterConversation', 'input.rules.windowEnd', 'input.rules.windowStart']);
    // The preset itself, and stricter values, are accepted.
    expect((await setContactRules(t, 'US', {})).version).toBe(1);
    expect((await setContactRules(t, 'GB', { windowStart: '09:00', caps: [{ channel: 'CALL', max: 3, days: 7 }, { channel: 'SMS', max: 2, days: 7 }] })).rules.caps).toHaveLength(2);
    // Admin only.
    const writer = withBearer(h, t, (await t.keyWith(['read', 'write'])).key);
    expectError(await setContactRulesRaw(writer, 'US', { windowStart: '09:00' }), 'FORBIDDEN');
  });
});

/** setContactPreference with an arbitrary state (the typed wrapper only takes known ones). */
function setPreferenceRawAny(t: TestTenant, debtorId: string, channel: string, state: string) {
  return t.gql(Q.preference, { i: { debtorId, channel, state, source: 'x' } });
}

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('the contact log', () => {
  it('records every field, reads back by id and in lists (newest first, filtered, paged), and audits without the notes’ text', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await scene(t, LONDON, { portfolioId: s.portfolioId });
    // Consent recorded before the email it covers (it counts from when it is recorded).
    setNow('2026-06-15T13:00:00Z');
    await setPreference(t, s.debtorId, 'EMAIL', 'GRANTED');
    setNow('2026-06-15T16:00:00Z');
    const a = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T09:05:00-04:00', collector: '  王芳 ', notes: 'asked for a\ncall back on Friday' })).contact;
    const b = (await logContact(t, { accountId: s.accountId, occurredAt: '2026-06-15T13:05:00Z', channel: 'EMAIL', outcome: 'SENT' })).contact;
    const c = (await logContact(t, { accountId: other.accountId, occurredAt: '2026-06-15T09:00:00Z', channel: 'VISIT', outcome: 'RIGHT_PARTY_CONTACT' })).contact;
    const viewer = ok(await t.gql(`{ viewer { actorId } }`)).viewer.actorId;
    expect(a).toMatchObject({
      debtorId: s.debtorId,
      accountId: s.accountId,
      channel: 'CALL',
      direction: 'OUTBOUND',
      outcome: 'NO_ANSWER',
      occurredAt: '2026-06-15T13:05:00.000Z',
      debtorLocalTime: '09:05',
      timeZone: 'America/New_York',
      collector: '王芳',
      agencyId: null,
      notes: 'asked for a\ncall back on Friday',
      promiseId: null,
      planId: null,
      overriddenCodes: [],
      overrideReason: null,
      actorKind: 'api_key',
    });
    expect(ok(await t.gql(Q.contact, { id: a.id })).contactAttempt).toEqual(a);
    expect((await contactsOf(t)).map((x) => x.id)).toEqual([c.id, b.id, a.id]);
    expect((await contactsOf(t, { accountId: s.accountId })).map((x) => x.id)).toEqual([b.id, a.id]);
    expect((await contactsOf(t, { debtorId: other.debtorId })).map((x) => x.id)).toEqual([c.id]);
    expect((await contactsOf(t, { channel: 'EMAIL' })).map((x) => x.id)).toEqual([b.id]);
    const page1 = ok(await t.gql(Q.contacts, { first: 2 })).contactAttempts;
    expect([page1.edges.map((e: any) => e.node.id), page1.pageInfo.hasNextPage]).toEqual([[c.id, b.id], true]);
    const page2 = ok(await t.gql(Q.contacts, { first: 2, after: page1.pageInfo.endCursor })).contactAttempts;
    expect([page2.edges.map((e: any) => e.node.id), page2.pageInfo.hasNextPage]).toEqual([[a.id], false]);
    expectError(await t.gql(Q.contact, { id: '00000000-0000-7000-8000-0000000000ff' }), 'NOT_FOUND');

    // The audit trail: one contact.log per contact, with the notes' presence but not their text.
    const [ev] = await auditEvents(t, 'contact.log', a.id);
    expect(ev).toMatchObject({ entityType: 'contact', actorKind: 'api_key', actorId: viewer });
    expect(ev.after).toMatchObject({ accountId: s.accountId, channel: 'call', direction: 'outbound', debtorLocalTime: '09:05', hasNotes: true });
    expect(JSON.stringify(ev.after)).not.toContain('Friday');
    expect(JSON.stringify(ev.after)).not.toContain('王芳');
    expect((await auditEvents(t, 'contact.log')).length).toBe(3);
  });

  it('there is no way to change or remove a contact through the API', async () => {
    const t = await h.tenant();
    const schema = ok(await t.gql(`{ __schema { mutationType { fields { name } } } }`)).__schema;
    const names: string[] = schema.mutationType.fields.map((f: any) => f.name);
    expect(names).toContain('logContact');
    expect(names.filter((n) => /contact(attempt)?s?$/i.test(n) && n !== 'logContact' && !/Preference|Rules/.test(n))).toEqual([]);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('disputes', () => {
  it('open → DISPUTED and collection paused; a second open is CONFLICT; the account cannot be moved out by hand; REJECTED returns the prior status', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    expect(ok(await changeAccountStatusRaw(t, s.accountId, 'DELINQUENT')).changeAccountStatus.status).toBe('DELINQUENT');
    // DISPUTED is not a status to set by hand (an account disputed with no dispute on record): openDispute it is.
    const byHandBefore = await complianceCounts(h, t.id);
    const byHand = expectError(await changeAccountStatusRaw(t, s.accountId, 'DISPUTED'), 'BAD_USER_INPUT', 'input.status');
    expect(byHand.message).toContain('open a dispute with openDispute');
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');
    expect(await complianceCounts(h, t.id)).toEqual(byHandBefore);
    const d = await openDispute(t, s.accountId, 'WRONG_AMOUNT', 'says the interest is wrong');
    expect(d).toMatchObject({
      version: 1,
      accountId: s.accountId,
      debtorId: s.debtorId,
      reason: 'WRONG_AMOUNT',
      details: 'says the interest is wrong',
      status: 'OPEN',
      outcome: null,
      resolutionNotes: null,
      priorAccountStatus: 'DELINQUENT',
      withinValidationPeriod: false,
      openedByKind: 'api_key',
      resolvedAt: null,
    });
    expect(d.openedAt).toBe(now.toISOString());
    expect(await accountStatus(t, s.accountId)).toBe('DISPUTED');

    const before = await complianceCounts(h, t.id);
    const again = expectError(await openDisputeRaw(t, s.accountId, 'OTHER'), 'CONFLICT', 'input.accountId');
    expect(again.ext.disputeId).toBe(d.id);
    const moved = expectError(await changeAccountStatusRaw(t, s.accountId, 'DELINQUENT'), 'CONFLICT', 'input.status');
    expect(moved.ext.disputeId).toBe(d.id);
    expect(await complianceCounts(h, t.id)).toEqual(before);

    const r = await resolveDispute(t, d.id, 'REJECTED', 'statements match the ledger');
    expect(r).toMatchObject({ id: d.id, version: 2, status: 'RESOLVED', outcome: 'REJECTED', resolutionNotes: 'statements match the ledger', resolvedAt: now.toISOString() });
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');
    const twice = expectError(await resolveDisputeRaw(t, d.id, 'UPHELD'), 'CONFLICT', 'input.id');
    expect(twice.message).toMatch(/already resolved/);
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');
    // A new dispute may be opened once the first is resolved; a stale version is CONFLICT.
    const d2 = await openDispute(t, s.accountId, 'ALREADY_PAID');
    expectError(await resolveDisputeRaw(t, d2.id, 'REJECTED', 'x', 7), 'CONFLICT', 'input.expectedVersion');
    expect((await resolveDisputeRaw(t, d2.id, 'CORRECTED', 'fixed the balance', 1)).errors).toBeUndefined();
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');

    // Audit: dispute.open and dispute.resolve for each.
    const open = await auditEvents(t, 'dispute.open', d.id);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ entityType: 'dispute', before: { accountStatus: 'delinquent' } });
    expect(open[0].after).toMatchObject({ accountId: s.accountId, reason: 'wrong_amount', status: 'open', hasDetails: true });
    const resolve = await auditEvents(t, 'dispute.resolve', d.id);
    expect(resolve).toHaveLength(1);
    expect(resolve[0].after).toMatchObject({ status: 'resolved', outcome: 'rejected', accountStatus: 'delinquent' });
    expect((await auditEvents(t, 'dispute.resolve')).length).toBe(2);
  });

  it('outcomes: UPHELD writes the account off; CORRECTED and REJECTED return it to its prior status (CURRENT, IN_PLAN, CHARGED_OFF)', async () => {
    setNow('2026-02-10T12:00:00Z');
    const t = await h.tenant();
    // Due 2026-03-01: not yet overdue, so CURRENT.
    const s = await scene(t, NY);
    const d1 = await openDispute(t, s.accountId);
    expect(d1.priorAccountStatus).toBe('CURRENT');
    await resolveDispute(t, d1.id, 'CORRECTED');
    expect(await accountStatus(t, s.accountId)).toBe('CURRENT');

    const inPlan = await addAccount(t, s);
    const plan = await propose(t, { accountIds: [inPlan], startOn: '2026-02-10', installmentCount: 3, frequency: 'MONTHLY' });
    expect(plan.status).toBe('ACTIVE');
    expect(await accountStatus(t, inPlan)).toBe('IN_PLAN');
    const d2 = await openDispute(t, inPlan);
    expect(d2.priorAccountStatus).toBe('IN_PLAN');
    await resolveDispute(t, d2.id, 'REJECTED');
    expect(await accountStatus(t, inPlan)).toBe('IN_PLAN');

    const charged = await addAccount(t, s);
    ok(await changeAccountStatusRaw(t, charged, 'DELINQUENT'));
    expect(ok(await changeAccountStatusRaw(t, charged, 'CHARGED_OFF')).changeAccountStatus.status).toBe('CHARGED_OFF');
    const d3 = await openDispute(t, charged);
    await resolveDispute(t, d3.id, 'REJECTED');
    expect(await accountStatus(t, charged)).toBe('CHARGED_OFF');

    const d4 = await openDispute(t, s.accountId, 'IDENTITY_THEFT');
    await resolveDispute(t, d4.id, 'UPHELD', 'police report on file');
    expect(await accountStatus(t, s.accountId)).toBe('WRITTEN_OFF');
    // There is nothing left to dispute on a written-off account.
    expectError(await openDisputeRaw(t, s.accountId), 'CONFLICT', 'input.accountId');
  });

  it('Account.disputes and Account.validationNotices, newest first; disputes(filter) by account, debtor and status; dispute(id)', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await scene(t, NY, { portfolioId: s.portfolioId });
    const n1 = await recordNotice(t, s.accountId, '2026-06-01T10:00:00Z', { reference: 'VN-1' });
    const n2 = await recordNotice(t, s.accountId, '2026-06-05T10:00:00-04:00', { method: 'email' });
    const d1 = await openDispute(t, s.accountId, 'WRONG_AMOUNT');
    await resolveDispute(t, d1.id, 'REJECTED');
    const d2 = await openDispute(t, s.accountId, 'ALREADY_PAID');
    const d3 = await openDispute(t, other.accountId, 'NOT_MY_DEBT');

    const acc = ok(await t.gql(Q.accountCompliance, { id: s.accountId })).account;
    expect(acc.status).toBe('DISPUTED');
    expect(acc.disputes.map((d: any) => [d.id, d.status])).toEqual([[d2.id, 'OPEN'], [d1.id, 'RESOLVED']]);
    expect(acc.validationNotices.map((n: any) => n.id)).toEqual([n2.id, n1.id]);
    expect(acc.validationNotices[1]).toMatchObject({ accountId: s.accountId, sentAt: '2026-06-01T10:00:00.000Z', disputeBy: '2026-07-08', method: 'mail', reference: 'VN-1' });

    const list = async (f: Record<string, unknown> | null) => ok(await t.gql(Q.disputes, { f })).disputes.edges.map((e: any) => e.node.id);
    expect(await list(null)).toEqual([d3.id, d2.id, d1.id]);
    expect(await list({ accountId: s.accountId })).toEqual([d2.id, d1.id]);
    expect(await list({ debtorId: other.debtorId })).toEqual([d3.id]);
    expect(await list({ status: 'OPEN' })).toEqual([d3.id, d2.id]);
    expect(await list({ status: 'RESOLVED' })).toEqual([d1.id]);
    expect(ok(await t.gql(Q.dispute, { id: d1.id })).dispute).toMatchObject({ id: d1.id, outcome: 'REJECTED' });
    expectError(await t.gql(Q.dispute, { id: '00000000-0000-7000-8000-0000000000ff' }), 'NOT_FOUND');
  });

  it('validation notices: disputeBy defaults to 5 business days after sending + 30 days; a later date is kept, an earlier one refused; withinValidationPeriod', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    // Monday 06-01: Tue, Wed, Thu, Fri, Mon 06-08 → + 30 = 07-08.
    expect((await recordNotice(t, s.accountId, '2026-06-01T10:00:00Z')).disputeBy).toBe('2026-07-08');
    // Friday 06-05: Mon … Fri 06-12 → 07-12. Saturday 06-06: the same five business days.
    expect((await recordNotice(t, s.accountId, '2026-06-05T10:00:00Z')).disputeBy).toBe('2026-07-12');
    expect((await recordNotice(t, s.accountId, '2026-06-06T10:00:00Z')).disputeBy).toBe('2026-07-12');
    const later = await recordNotice(t, s.accountId, '2026-06-10T10:00:00Z', { disputeBy: '2026-08-31' });
    expect(later.disputeBy).toBe('2026-08-31');
    // Wednesday 06-10 → 06-17 → 07-17 is the floor: a day earlier is refused.
    const before = await complianceCounts(h, t.id);
    const early = expectError(await recordNoticeRaw(t, s.accountId, '2026-06-10T10:00:00Z', { disputeBy: '2026-07-16' }), 'BAD_USER_INPUT', 'input.disputeBy');
    expect(early.message).toContain('2026-07-17');
    expect((await recordNoticeRaw(t, s.accountId, '2026-06-10T10:00:00Z', { disputeBy: '2026-07-17' })).errors).toBeUndefined();
    expectError(await recordNoticeRaw(t, s.accountId, '2026-06-15T16:06:00Z'), 'BAD_USER_INPUT', 'input.sentAt');
    expectError(await recordNoticeRaw(t, s.accountId, '2026-06-10T10:00:00'), 'BAD_USER_INPUT', 'input.sentAt');
    expect((await complianceCounts(h, t.id)).validation_notices).toBe(before.validation_notices + 1);
    expect((await auditEvents(t, 'validation_notice.record', s.accountId)).length).toBe(5);

    // withinValidationPeriod: the latest notice (sent 06-10, disputeBy 08-31 or 07-17) decides. The clock is in
    // a UTC tenant; today ≤ disputeBy → true.
    const d = await openDispute(t, s.accountId);
    expect(d.withinValidationPeriod).toBe(true);
  });

  it('withinValidationPeriod is true on the dispute-by date itself and false the day after', async () => {
    const t = await h.tenant();
    const onDay = await scene(t, NY);
    const afterDay = await scene(t, NY, { portfolioId: onDay.portfolioId });
    setNow('2026-06-01T12:00:00Z');
    await recordNotice(t, onDay.accountId, '2026-06-01T10:00:00Z');
    await recordNotice(t, afterDay.accountId, '2026-06-01T10:00:00Z');
    setNow('2026-07-08T23:59:00Z');
    expect((await openDispute(t, onDay.accountId)).withinValidationPeriod).toBe(true);
    setNow('2026-07-09T00:00:00Z');
    expect((await openDispute(t, afterDay.accountId)).withinValidationPeriod).toBe(false);
  });

  it('the sent date is read on the tenant’s calendar: 20:00Z on Thursday is Friday in Shanghai', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await tenantInZone(h, 'Asia/Shanghai');
    const s = await scene(t, SHANGHAI);
    // Friday 06-05 (Shanghai) → 07-12; a UTC tenant would read Thursday 06-04 → 07-11.
    expect((await recordNotice(t, s.accountId, '2026-06-04T20:00:00Z')).disputeBy).toBe('2026-07-12');
    const u = await h.tenant();
    const us = await scene(u, SHANGHAI);
    expect((await recordNotice(u, us.accountId, '2026-06-04T20:00:00Z')).disputeBy).toBe('2026-07-11');
  });

  it('late fees are frozen while the dispute is open and resume after REJECTED (the paused period is not charged after the fact)', async () => {
    setNow('2026-03-20T12:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const ref = await addAccount(t, s);
    const pol = await createPolicy(t, { flat: { amount: '5000' } });
    await attach(t, pol.policyId, { portfolioId: s.portfolioId });
    // Both accounts were due 03-01; the control account `ref` is never disputed.
    const d = await openDispute(t, s.accountId, 'WRONG_AMOUNT');
    expect(d.priorAccountStatus).toBe('CURRENT');
    setNow('2026-04-15T12:00:00Z');
    expect((await preview(t, s.accountId, '2026-04-15')).skipReason).toBe('DISPUTED');
    const run1 = await assess(t, '2026-04-15');
    expect(run1.skipped).toEqual([{ reason: 'DISPUTED', count: 1 }]);
    expect(await feeLines(t, s.accountId)).toEqual([]);
    const refFees = await feeLines(t, ref);
    expect(refFees.length).toBeGreaterThan(0);

    setNow('2026-04-20T12:00:00Z');
    await resolveDispute(t, d.id, 'REJECTED');
    // Prior status was CURRENT, but the account is past due: collection resumes as DELINQUENT.
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');
    setNow('2026-05-15T12:00:00Z');
    const run2 = await assess(t, '2026-05-15');
    expect(run2.skipped ?? []).not.toContainEqual(expect.objectContaining({ reason: 'DISPUTED' }));
    const fees = await feeLines(t, s.accountId);
    // Only periods that fell due after the dispute ended are charged; the control account has one more.
    expect(fees.length).toBeGreaterThan(0);
    expect(fees.every(([on]) => on > '2026-04-20')).toBe(true);
    expect((await feeLines(t, ref)).length).toBe(fees.length + refFees.length);
  });

  it('plans are paused: an installment past grace is not missed while the dispute is open; after resolution the grace counts from the resolution date; promises wait too', async () => {
    setNow('2026-07-30T12:00:00Z');
    const t = await h.tenant();
    ok(await setPlanRules(t, { graceDays: 2, missedToBreak: 1 }));
    const s = await scene(t, NY);
    const promised = await addAccount(t, s);
    const plan = await propose(t, { accountIds: [s.accountId], startOn: '2026-07-30', installmentCount: 3, frequency: 'MONTHLY' });
    expect(plan.status).toBe('ACTIVE');
    const pr = ok(await createPromiseRaw(t, { accountId: promised, amount: '5000', promisedOn: '2026-08-01' })).createPromise;
    setNow('2026-07-31T12:00:00Z');
    const d = await openDispute(t, s.accountId);
    const dp = await openDispute(t, promised);
    expect(d.priorAccountStatus).toBe('IN_PLAN');

    // Installment 1 due 07-30 + grace 2: it would be missed (and the plan broken) from 08-02.
    setNow('2026-08-10T12:00:00Z');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0, promisesBroken: 0 });
    expect((await getPlan(t, plan.id)).installments[0].status).toBe('OPEN');
    expect((await getPromise(t, pr.id)).status).toBe('PENDING');

    await resolveDispute(t, d.id, 'REJECTED');
    await resolveDispute(t, dp.id, 'REJECTED');
    expect(await accountStatus(t, s.accountId)).toBe('IN_PLAN');
    // The promise (due 08-01, 2 days' grace) gets its grace again from the resolution day too, like the
    // installment: greatest(08-01, 08-10) + 2 = 08-12, so pending through 08-12 and broken from 08-13.
    expect(pr.graceDays).toBe(2);
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ promisesBroken: 0 });
    expect((await getPromise(t, pr.id)).status).toBe('PENDING');
    // Grace from the resolution date 08-10: still open on 08-12, missed from 08-13.
    setNow('2026-08-12T12:00:00Z');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 0, plansBroken: 0, promisesBroken: 0 });
    expect((await getPromise(t, pr.id)).status).toBe('PENDING');
    setNow('2026-08-13T12:00:00Z');
    expect(ok(await evaluate(t)).evaluatePlans).toMatchObject({ installmentsMissed: 1, plansBroken: 1, promisesBroken: 1 });
    expect((await getPromise(t, pr.id)).status).toBe('BROKEN');
    expect((await getPlan(t, plan.id)).status).toBe('BROKEN');
    expect(await accountStatus(t, s.accountId)).toBe('DELINQUENT');
  });

  it('UPHELD on an account in an open plan or settlement is CONFLICT (input.outcome), nothing changed; once the plan is cancelled or the offer withdrawn it is upheld', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const plan = await propose(t, { accountIds: [s.accountId], startOn: '2026-06-15', installmentCount: 3, frequency: 'MONTHLY' });
    expect(plan.status).toBe('ACTIVE');
    const d = await openDispute(t, s.accountId, 'IDENTITY_THEFT');
    const before = await complianceCounts(h, t.id);
    const refused = expectError(await resolveDisputeRaw(t, d.id, 'UPHELD', 'police report on file'), 'CONFLICT', 'input.outcome');
    expect(refused.message).toMatch(/open plan or settlement/);
    expect(await complianceCounts(h, t.id)).toEqual(before);
    expect(ok(await t.gql(Q.dispute, { id: d.id })).dispute).toMatchObject({ status: 'OPEN', version: 1, outcome: null });
    expect(await accountStatus(t, s.accountId)).toBe('DISPUTED');
    expect((await getPlan(t, plan.id)).status).toBe('ACTIVE');
    expect(await auditEvents(t, 'dispute.resolve', d.id)).toEqual([]);
    ok(await t.gql(`mutation($id: ID!, $r: String!) { cancelPlan(id: $id, reason: $r) { id status } }`, { id: plan.id, r: 'identity theft' }));
    expect((await resolveDispute(t, d.id, 'UPHELD', 'police report on file')).outcome).toBe('UPHELD');
    expect(await accountStatus(t, s.accountId)).toBe('WRITTEN_OFF');

    // A settlement offer on the account: the same.
    const a2 = await addAccount(t, s);
    const offer = ok(await offerRaw(t, { accountIds: [a2], amount: '50000', expiresOn: '2026-07-15' })).createSettlementOffer;
    const d2 = await openDispute(t, a2, 'ALREADY_PAID');
    expectError(await resolveDisputeRaw(t, d2.id, 'UPHELD', 'receipt on file'), 'CONFLICT', 'input.outcome');
    expect(await accountStatus(t, a2)).toBe('DISPUTED');
    ok(await settlementEnd(t, 'withdrawSettlementOffer', offer.id));
    expect((await resolveDispute(t, d2.id, 'UPHELD', 'receipt on file')).status).toBe('RESOLVED');
    expect(await accountStatus(t, a2)).toBe('WRITTEN_OFF');
  });

  it('UPHELD cancels the pending promises on the account (audited), not those on the debtor’s other accounts; REJECTED keeps them', async () => {
    setNow('2026-06-15T16:00:00Z');
    const t = await h.tenant();
    const s = await scene(t, NY);
    const other = await addAccount(t, s);
    const kept = await addAccount(t, s);
    const pr = ok(await createPromiseRaw(t, { accountId: s.accountId, amount: '5000', promisedOn: '2026-06-25' })).createPromise;
    const pr2 = ok(await createPromiseRaw(t, { accountId: s.accountId, amount: '2000', promisedOn: '2026-07-05' })).createPromise;
    const prOther = ok(await createPromiseRaw(t, { accountId: other, amount: '5000', promisedOn: '2026-06-25' })).createPromise;
    const prKept = ok(await createPromiseRaw(t, { accountId: kept, amount: '5000', promisedOn: '2026-06-25' })).createPromise;
    const d = await openDispute(t, s.accountId, 'NOT_MY_DEBT');
    const dk = await openDispute(t, kept, 'WRONG_AMOUNT');
    setNow('2026-06-16T10:00:00Z');
    await resolveDispute(t, d.id, 'UPHELD', 'not the debtor');
    for (const id of [pr.id, pr2.id]) expect(await getPromise(t, id)).toMatchObject({ status: 'CANCELLED', resolvedAt: '2026-06-16T10:00:00.000Z' });
    expect((await getPromise(t, prOther.id)).status).toBe('PENDING');
    const [ev] = await auditEvents(t, 'dispute.resolve', d.id);
    expect(sorted(ev.after.cancelledPromises)).toEqual(sorted([pr.id, pr2.id]));
    // REJECTED: the debt stands, and so does the promise.
    await resolveDispute(t, dk.id, 'REJECTED');
    expect((await getPromise(t, prKept.id)).status).toBe('PENDING');
    const [evk] = await auditEvents(t, 'dispute.resolve', dk.id);
    expect(evk.after.cancelledPromises).toEqual([]);
  });

  it('bad input: unknown reason or outcome, empty notes, malformed or unknown ids; nothing written', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const before = await complianceCounts(h, t.id);
    expectError(await openDisputeRaw(t, s.accountId, 'BECAUSE'), 'BAD_USER_INPUT', 'input.reason');
    expectError(await openDisputeRaw(t, 'nope'), 'BAD_USER_INPUT', 'input.accountId');
    expectError(await openDisputeRaw(t, '00000000-0000-7000-8000-0000000000ff'), 'NOT_FOUND');
    expect(await complianceCounts(h, t.id)).toEqual(before);
    const d = await openDispute(t, s.accountId);
    const mid = await complianceCounts(h, t.id);
    expectError(await resolveDisputeRaw(t, d.id, 'MAYBE'), 'BAD_USER_INPUT', 'input.outcome');
    expectError(await resolveDisputeRaw(t, '00000000-0000-7000-8000-0000000000ff', 'REJECTED'), 'NOT_FOUND');
    expect(await complianceCounts(h, t.id)).toEqual(mid);
    expect(await accountStatus(t, s.accountId)).toBe('DISPUTED');
  });

  it('resolution notes are required: blank notes are refused and the dispute stays open', async () => {
    const t = await h.tenant();
    const s = await scene(t, NY);
    const d = await openDispute(t, s.accountId);
    for (const notes of ['', '   ']) {
      expectError(await resolveDisputeRaw(t, d.id, 'REJECTED', notes), 'BAD_USER_INPUT', 'input.notes');
      expect(ok(await t.gql(Q.dispute, { id: d.id })).dispute.status, JSON.stringify(notes)).toBe('OPEN');
    }
  });
});
