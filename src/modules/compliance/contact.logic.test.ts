import { describe, expect, it } from 'vitest';
import { zonedInstant, zonedParts } from '../../shared/dates.js';
import { capWithin, evaluateEligibility, looserThan, strictest, type EligibilityFacts, type PastContact } from './contact.logic.js';
import { presetFor, type ContactRules } from './contact-rules.presets.js';

const US = presetFor('US').rules;

function facts(at: string, over: Partial<EligibilityFacts> = {}): EligibilityFacts {
  return {
    at: new Date(at),
    channel: 'call',
    timeZone: 'America/New_York',
    rules: US,
    debtor: { deceased: false, bankrupt: false, ceaseCommunication: false },
    accountStatus: 'delinquent',
    openDisputeId: null,
    consent: null,
    history: [],
    ...over,
  };
}

const call = (iso: string, outcome = 'no_answer', direction: 'outbound' | 'inbound' = 'outbound'): PastContact => ({ occurredAt: new Date(iso), channel: 'call', direction, outcome });
const codes = (f: EligibilityFacts) => evaluateEligibility(f).blocks.map((b) => b.code);

describe('zoned time', () => {
  it('reads wall clocks on both sides of daylight-saving switches', () => {
    // New York springs forward on 2026-03-08 at 02:00 (EST −5 → EDT −4) and falls back on 2026-11-01.
    expect(zonedParts(new Date('2026-03-08T06:59:00Z'), 'America/New_York')).toMatchObject({ date: '2026-03-08', minutes: 1 * 60 + 59 });
    expect(zonedParts(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toMatchObject({ date: '2026-03-08', minutes: 3 * 60 });
    expect(zonedParts(new Date('2026-11-01T05:30:00Z'), 'America/New_York').minutes).toBe(60 + 30);
    expect(zonedParts(new Date('2026-11-01T06:30:00Z'), 'America/New_York').minutes).toBe(60 + 30);
    expect(zonedParts(new Date('2026-03-29T00:59:00Z'), 'Europe/London').minutes).toBe(59);
    expect(zonedParts(new Date('2026-03-29T01:00:00Z'), 'Europe/London').minutes).toBe(120);
    expect(zonedParts(new Date('2026-07-01T00:00:00Z'), 'Asia/Shanghai')).toMatchObject({ date: '2026-07-01', minutes: 8 * 60, weekday: 3 });
  });

  it('turns a local reading into an instant: first of a repeated hour, shifted past a skipped one', () => {
    expect(zonedInstant('2026-03-08', 8 * 60, 'America/New_York').toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(zonedInstant('2026-03-07', 8 * 60, 'America/New_York').toISOString()).toBe('2026-03-07T13:00:00.000Z');
    expect(zonedInstant('2026-11-01', 90, 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(zonedInstant('2026-03-08', 150, 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(zonedInstant('2026-10-25', 8 * 60, 'Europe/London').toISOString()).toBe('2026-10-25T08:00:00.000Z');
    expect(zonedInstant('2026-10-24', 8 * 60, 'Europe/London').toISOString()).toBe('2026-10-24T07:00:00.000Z');
    expect(zonedInstant('2026-01-15', 21 * 60, 'Asia/Shanghai').toISOString()).toBe('2026-01-15T13:00:00.000Z');
  });
});

describe('contact window', () => {
  it('judges 08:00–21:00 on the local clock the day New York springs forward and the day before', () => {
    expect(codes(facts('2026-03-08T12:30:00Z'))).toEqual([]); // 08:30 EDT
    expect(codes(facts('2026-03-07T12:30:00Z'))).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 07:30 EST
    const e = evaluateEligibility(facts('2026-03-07T12:30:00Z'));
    expect(e.localTime).toBe('07:30');
    expect(e.nextAllowedAt?.toISOString()).toBe('2026-03-07T13:00:00.000Z');
    // 20:59 EDT allowed, 21:00 EDT refused; the next opening is 08:00 the next day.
    expect(codes(facts('2026-03-09T00:59:00Z'))).toEqual([]);
    const late = evaluateEligibility(facts('2026-03-09T01:00:00Z'));
    expect(late.blocks.map((b) => b.code)).toEqual(['OUTSIDE_CONTACT_WINDOW']);
    expect(late.nextAllowedAt?.toISOString()).toBe('2026-03-09T12:00:00.000Z');
  });

  it('follows London across both switches, and Shanghai at a fixed +08:00', () => {
    const london = (at: string) => codes(facts(at, { timeZone: 'Europe/London' }));
    expect(london('2026-03-28T07:30:00Z')).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 07:30 GMT
    expect(london('2026-03-29T07:30:00Z')).toEqual([]); // 08:30 BST
    expect(london('2026-10-25T07:30:00Z')).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 07:30 GMT again
    expect(london('2026-10-24T19:59:00Z')).toEqual([]); // 20:59 BST
    expect(london('2026-10-24T20:00:00Z')).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 21:00 BST
    const shanghai = (at: string) => codes(facts(at, { timeZone: 'Asia/Shanghai' }));
    expect(shanghai('2026-03-08T00:00:00Z')).toEqual([]); // 08:00
    expect(shanghai('2026-03-07T23:59:00Z')).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 07:59
    expect(shanghai('2026-03-08T12:59:00Z')).toEqual([]); // 20:59
    expect(shanghai('2026-03-08T13:00:00Z')).toEqual(['OUTSIDE_CONTACT_WINDOW']); // 21:00
  });
});

describe('seven calls in seven days (Reg F 1006.14(b)(2)(i))', () => {
  // One unanswered call a day at 15:00 UTC (10:00/11:00 New York) from 2026-03-02 to 2026-03-08: the
  // period spans the spring-forward night, 167 hours, and is still 7 local dates.
  const week = Array.from({ length: 7 }, (_, i) => call(`2026-03-0${2 + i}T15:00:00Z`));

  it('refuses the eighth call in the period and lets it through the day the oldest leaves it', () => {
    expect(evaluateEligibility(facts('2026-03-08T14:00:00Z', { history: week.slice(0, 6) })).allowed).toBe(true);
    const full = evaluateEligibility(facts('2026-03-08T20:00:00Z', { history: week }));
    expect(full.blocks.map((b) => b.code)).toEqual(['FREQUENCY_CAP_REACHED']);
    expect(full.attemptsInPeriod).toBe(7);
    // 2026-03-09 looks at 03-03…03-09: six calls. It opens at 08:00 local (EDT), 12:00 UTC.
    expect(full.nextAllowedAt?.toISOString()).toBe('2026-03-09T12:00:00.000Z');
    expect(evaluateEligibility(facts('2026-03-09T12:00:00Z', { history: week })).allowed).toBe(true);
    expect(evaluateEligibility(facts('2026-03-09T03:59:00Z', { history: week })).blocks.map((b) => b.code)).toContain('OUTSIDE_CONTACT_WINDOW');
  });

  it('counts by the local date: a call at 23:30 New York time belongs to that day, not the UTC next day', () => {
    // 2026-03-02T04:30Z is 03-01 23:30 EST: outside 03-02…03-08 locally, inside it by UTC date.
    const history = [call('2026-03-02T04:30:00Z'), ...week.slice(0, 6)];
    const e = evaluateEligibility(facts('2026-03-08T15:00:00Z', { history }));
    expect(e.localDate).toBe('2026-03-08');
    expect(e.attemptsInPeriod).toBe(6);
    expect(e.allowed).toBe(true);
    // One more call on local 03-02 (late evening, UTC 03-03) does count.
    const e2 = evaluateEligibility(facts('2026-03-08T15:00:00Z', { history: [...history, call('2026-03-03T04:30:00Z')] }));
    expect(e2.attemptsInPeriod).toBe(7);
    expect(e2.blocks.map((b) => b.code)).toEqual(['FREQUENCY_CAP_REACHED']);
  });

  it('ignores inbound calls, other channels and other outcomes toward the count', () => {
    const mixed = [...week.slice(0, 6), call('2026-03-08T15:00:00Z', 'right_party_contact', 'inbound'), { ...call('2026-03-08T15:00:00Z'), channel: 'letter' as const }];
    const e = evaluateEligibility(facts('2026-03-15T15:00:00Z', { history: mixed }));
    expect(e.attemptsInPeriod).toBe(0);
  });
});

describe('quiet period after a conversation (Reg F 1006.14(b)(2)(ii))', () => {
  it("blocks calls on the conversation's day and the six after, whoever called", () => {
    const talk = [call('2026-10-28T14:00:00Z', 'right_party_contact', 'inbound')];
    const at = (iso: string) => evaluateEligibility(facts(iso, { history: talk }));
    expect(at('2026-10-28T18:00:00Z').blocks.map((b) => b.code)).toEqual(['RECENT_CONVERSATION']);
    // 2026-11-03 is the 7th day (New York fell back on 11-01): still blocked; 11-04 at 08:00 EST opens.
    const last = at('2026-11-03T20:00:00Z');
    expect(last.blocks.map((b) => b.code)).toEqual(['RECENT_CONVERSATION']);
    expect(last.nextAllowedAt?.toISOString()).toBe('2026-11-04T13:00:00.000Z');
    expect(at('2026-11-04T13:00:00Z').allowed).toBe(true);
    // Letters are not calls.
    expect(evaluateEligibility(facts('2026-10-29T15:00:00Z', { history: talk, channel: 'letter' })).allowed).toBe(true);
  });

  it('does not count a wrong number or an unanswered call as a conversation', () => {
    const history = [call('2026-10-28T14:00:00Z', 'wrong_number'), call('2026-10-28T15:00:00Z', 'left_message')];
    expect(evaluateEligibility(facts('2026-10-29T15:00:00Z', { history })).allowed).toBe(true);
  });
});

describe('debtor and account blocks', () => {
  it('names every reason at once, and gives no next time when a block does not lift by itself', () => {
    const e = evaluateEligibility(
      facts('2026-03-07T12:30:00Z', { channel: 'sms', debtor: { deceased: true, bankrupt: true, ceaseCommunication: true }, openDisputeId: 'd1', accountStatus: 'paid_off' }),
    );
    expect(e.blocks.map((b) => b.code).sort()).toEqual(['CEASE_COMMUNICATION', 'DEBTOR_BANKRUPT', 'DEBTOR_DECEASED', 'NOT_IN_COLLECTION', 'NO_CONSENT', 'OPEN_DISPUTE', 'OUTSIDE_CONTACT_WINDOW'].sort());
    expect(e.nextAllowedAt).toBeNull();
    expect(e.blocks.filter((b) => b.overridable).map((b) => b.code).sort()).toEqual(['NOT_IN_COLLECTION', 'OUTSIDE_CONTACT_WINDOW']);
  });

  it('lets a letter through a cease request only by override, and needs consent for SMS and email', () => {
    const cease = { deceased: false, bankrupt: false, ceaseCommunication: true };
    expect(evaluateEligibility(facts('2026-03-09T15:00:00Z', { channel: 'letter', debtor: cease })).blocks).toEqual([expect.objectContaining({ code: 'CEASE_COMMUNICATION', overridable: true })]);
    expect(evaluateEligibility(facts('2026-03-09T15:00:00Z', { channel: 'call', debtor: cease })).blocks).toEqual([expect.objectContaining({ code: 'CEASE_COMMUNICATION', overridable: false })]);
    expect(codes(facts('2026-03-09T15:00:00Z', { channel: 'email' }))).toEqual(['NO_CONSENT']);
    expect(codes(facts('2026-03-09T15:00:00Z', { channel: 'email', consent: 'granted' }))).toEqual([]);
    expect(codes(facts('2026-03-09T15:00:00Z', { channel: 'sms', consent: 'opted_out' }))).toEqual(['OPTED_OUT']);
    expect(codes(facts('2026-03-09T15:00:00Z', { channel: 'call', consent: 'opted_out' }))).toEqual(['OPTED_OUT']);
    expect(codes(facts('2026-03-09T15:00:00Z', { channel: 'visit' }))).toEqual([]);
  });
});

describe('tenant rules', () => {
  it('combine to the strictest of every set, and skip blocked weekdays when naming the next time', () => {
    const mine: ContactRules = { windowStart: 9 * 60, windowEnd: 20 * 60, blockedWeekdays: [7], caps: [{ channel: 'call', max: 3, days: 7 }, { channel: 'sms', max: 2, days: 1 }], quietDaysAfterConversation: 10 };
    const r = strictest([US, mine]);
    expect(r).toEqual({
      windowStart: 540,
      windowEnd: 1200,
      blockedWeekdays: [7],
      caps: [{ channel: 'call', max: 3, days: 7 }, { channel: 'sms', max: 2, days: 1 }],
      quietDaysAfterConversation: 10,
    });
    // Saturday 2026-03-07 20:30 EST: past the window; Sunday is blocked; Monday 09:00 EDT.
    const e = evaluateEligibility(facts('2026-03-08T01:30:00Z', { rules: r }));
    expect(e.blocks.map((b) => b.code)).toEqual(['OUTSIDE_CONTACT_WINDOW']);
    expect(e.nextAllowedAt?.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(codes(facts('2026-03-08T15:00:00Z', { rules: r }))).toEqual(['BLOCKED_WEEKDAY']);
  });

  it('reports every field in which a tenant set would be looser than the preset', () => {
    const loose: ContactRules = { windowStart: 7 * 60, windowEnd: 22 * 60, blockedWeekdays: [], caps: [{ channel: 'call', max: 10, days: 7 }], quietDaysAfterConversation: 3 };
    expect(looserThan(loose, US, 'input.rules').map((p) => p.field)).toEqual(['input.rules.windowStart', 'input.rules.windowEnd', 'input.rules.quietDaysAfterConversation', 'input.rules.caps']);
    expect(looserThan({ ...US, caps: [] }, US, 'r').map((p) => p.field)).toEqual(['r.caps']);
    expect(looserThan(US, US, 'r')).toEqual([]);
    // One call a day can never exceed seven in seven days; two a day can.
    expect(looserThan({ ...US, caps: [{ channel: 'call', max: 1, days: 1 }] }, US, 'r')).toEqual([]);
    expect(looserThan({ ...US, caps: [{ channel: 'call', max: 2, days: 1 }] }, US, 'r').map((p) => p.field)).toEqual(['r.caps']);
    expect(looserThan({ ...US, caps: [{ channel: 'call', max: 7, days: 30 }] }, US, 'r')).toEqual([]);
    expect(capWithin({ channel: 'sms', max: 1, days: 1 }, { channel: 'call', max: 7, days: 7 })).toBe(false);
  });
});

describe('contacts logged out of order', () => {
  it('refuses an earlier-timed call that would make an eighth in a period already holding seven', () => {
    // Seven calls 06-09…06-15 (New York), the last at 11:00 local on 06-15; then one at 10:00 the same day.
    const history = [...Array.from({ length: 6 }, (_, i) => call(`2026-06-${String(9 + i).padStart(2, '0')}T14:00:00Z`)), call('2026-06-15T15:00:00Z')];
    const e = evaluateEligibility(facts('2026-06-15T14:00:00Z', { history }));
    expect(e.blocks.map((b) => b.code)).toEqual(['FREQUENCY_CAP_REACHED']);
    expect(e.attemptsInPeriod).toBe(7);
    // Back-dated into the middle of the week: every period containing 06-12 already holds seven or reaches it.
    expect(codes(facts('2026-06-12T15:00:00Z', { history }))).toEqual(['FREQUENCY_CAP_REACHED']);
    // Far enough back that no period containing it reaches seven: allowed.
    expect(codes(facts('2026-06-02T15:00:00Z', { history }))).toEqual([]);
  });

  it('names the day a cap lifts even with calls logged ahead of the judged time', () => {
    const history = Array.from({ length: 7 }, (_, i) => call(`2026-06-${String(9 + i).padStart(2, '0')}T14:00:00Z`));
    const e = evaluateEligibility(facts('2026-06-10T15:00:00Z', { history }));
    // Any day from 06-09 to 06-15 sits in a period with all seven; 06-16's periods hold at most six.
    expect(e.nextAllowedAt?.toISOString()).toBe('2026-06-16T12:00:00.000Z');
  });

  it('lets letters go out at any hour (they arrive with the post), but still counts tenant caps on them', () => {
    expect(codes(facts('2026-03-07T03:00:00Z', { channel: 'letter' }))).toEqual([]);
    const rules: ContactRules = { ...US, blockedWeekdays: [7], caps: [...US.caps, { channel: 'letter', max: 1, days: 30 }] };
    expect(codes(facts('2026-03-08T15:00:00Z', { channel: 'letter', rules }))).toEqual([]); // a Sunday
    const sent = [{ ...call('2026-03-01T15:00:00Z', 'sent'), channel: 'letter' as const }];
    const e = evaluateEligibility(facts('2026-03-08T15:00:00Z', { channel: 'letter', rules, history: sent }));
    expect(e.blocks.map((b) => b.code)).toEqual(['FREQUENCY_CAP_REACHED']);
    expect(e.nextAllowedAt?.toISOString()).toBe('2026-03-31T04:00:00.000Z'); // 03-31 00:00 EDT
  });
});

describe('an account marked disputed without a dispute record', () => {
  it('is paused like one with a record', () => {
    expect(codes(facts('2026-03-09T15:00:00Z', { accountStatus: 'disputed', disputedWithoutRecord: true }))).toEqual(['OPEN_DISPUTE']);
    // With a record, the record decides: a contact before the dispute opened was lawful.
    expect(codes(facts('2026-03-09T15:00:00Z', { accountStatus: 'disputed', disputedWithoutRecord: false }))).toEqual([]);
  });
});
