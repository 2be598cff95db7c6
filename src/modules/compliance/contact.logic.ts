import { addDays, daysBetween, zonedInstant, zonedParts } from '../../shared/dates.js';
import type { FieldProblem } from '../../shared/errors.js';
import type { AccountStatus } from '../accounts/account.logic.js';
import type { ContactChannel, ContactRules, FrequencyCap } from './contact-rules.presets.js';

export const BLOCK_CODES = [
  'OUTSIDE_CONTACT_WINDOW',
  'BLOCKED_WEEKDAY',
  'FREQUENCY_CAP_REACHED',
  'RECENT_CONVERSATION',
  'CEASE_COMMUNICATION',
  'DEBTOR_DECEASED',
  'DEBTOR_BANKRUPT',
  'OPEN_DISPUTE',
  'NO_CONSENT',
  'OPTED_OUT',
  'NOT_IN_COLLECTION',
] as const;
export type BlockCode = (typeof BLOCK_CODES)[number];

export const WARNING_CODES = ['TIME_ZONE_FALLBACK', 'JURISDICTION_DEFAULT', 'DEBTOR_VULNERABLE'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Block {
  code: BlockCode;
  message: string;
  /** Whether an admin may log the contact anyway, with a reason (audited). */
  overridable: boolean;
}

/** Outcomes that mean someone spoke with the debtor: a telephone conversation in Regulation F's sense. */
export const CONVERSATION_OUTCOMES = new Set(['right_party_contact', 'promise_made', 'refused', 'dispute_raised']);

/** Channels that need the debtor's consent on record before use. */
export const CONSENT_CHANNELS: ReadonlySet<ContactChannel> = new Set(['sms', 'email']);

/** Channels a creditor may still use after a cease-communication request (FDCPA §1692c(c): to say collection has stopped, or to notify of a specific remedy). */
const CEASE_EXCEPTIONS: ReadonlySet<ContactChannel> = new Set(['letter', 'legal_notice']);

const DELIVERED_LATER: ReadonlySet<ContactChannel> = new Set(['letter', 'legal_notice']);

const OUT_OF_COLLECTION: readonly AccountStatus[] = ['paid_off', 'settled', 'written_off', 'closed', 'recalled'];

export interface PastContact {
  occurredAt: Date;
  channel: ContactChannel;
  direction: 'outbound' | 'inbound';
  outcome: string;
}

export interface EligibilityFacts {
  at: Date;
  channel: ContactChannel;
  timeZone: string;
  rules: ContactRules;
  debtor: { deceased: boolean; bankrupt: boolean; ceaseCommunication: boolean };
  accountStatus: AccountStatus;
  /** The dispute open on the account at `at`, if any. */
  openDisputeId: string | null;
  /** The account's status says disputed but no dispute is on record. */
  disputedWithoutRecord?: boolean;
  /** The latest consent state recorded for the channel, if any. */
  consent: 'granted' | 'opted_out' | null;
  /** The account's contacts from at least lookbackDays(rules) local days before `at` up to `at`. */
  history: readonly PastContact[];
}

export interface Eligibility {
  allowed: boolean;
  blocks: Block[];
  localDate: string;
  /** The debtor's wall-clock time at `at`, HH:MM. */
  localTime: string;
  /** Outbound attempts on this channel in the busiest cap period containing `at`'s local day, or null when uncapped. */
  attemptsInPeriod: number | null;
  cap: FrequencyCap | null;
  /** When every time-based block has lifted (window, weekday, cap, quiet period), if only such blocks apply. */
  nextAllowedAt: Date | null;
}

/** Local days of history the guard needs for these rules. */
export function lookbackDays(rules: ContactRules): number {
  return Math.max(rules.quietDaysAfterConversation, ...rules.caps.map((c) => c.days)) + 1;
}

export const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/**
 * Whether an outbound contact on `channel` at `at` is lawful under `rules`, with every reason it is not.
 * Windows and periods are judged on the debtor's local wall clock and calendar, so they hold across daylight-
 * saving changes (a 7-day period is 7 local dates, whether it lasts 167, 168 or 169 hours).
 */
export function evaluateEligibility(f: EligibilityFacts): Eligibility {
  const blocks: Block[] = [];
  const { rules, channel } = f;
  const now = zonedParts(f.at, f.timeZone);
  const localTime = hhmm(now.minutes);
  // Local dates from which each time-based block has lifted; the latest of them is when all have.
  const lifts: string[] = [];
  let timeBound = true;
  const later = (d: string) => lifts.push(d);

  if (f.debtor.deceased) blocks.push({ code: 'DEBTOR_DECEASED', message: 'the debtor is recorded as deceased: contact the estate through the creditor, not the debtor', overridable: false });
  if (f.debtor.bankrupt) blocks.push({ code: 'DEBTOR_BANKRUPT', message: 'the debtor is in bankruptcy: collection contact is stayed', overridable: false });
  // Accounts marked disputed before disputes were records (the status alone) are paused all the same. The
  // verification a dispute calls for (FDCPA §1692g(b)) goes out by letter: that, an admin may log.
  if (f.openDisputeId || f.disputedWithoutRecord) {
    const exception = CEASE_EXCEPTIONS.has(channel);
    blocks.push({
      code: 'OPEN_DISPUTE',
      message: `${f.openDisputeId ? `dispute ${f.openDisputeId} is open on the account` : 'the account is disputed'}: collection is paused until it is resolved${exception ? ' (a verification letter may go out by admin override)' : ''}`,
      overridable: exception,
    });
  }
  if (f.debtor.ceaseCommunication) {
    const exception = CEASE_EXCEPTIONS.has(channel);
    blocks.push({
      code: 'CEASE_COMMUNICATION',
      message: exception
        ? 'the debtor asked to cease communication: only a notice that collection has stopped or of a specific remedy may be sent (admin override with a reason)'
        : 'the debtor asked to cease communication',
      overridable: exception,
    });
  }
  if (OUT_OF_COLLECTION.includes(f.accountStatus)) blocks.push({ code: 'NOT_IN_COLLECTION', message: `the account is ${f.accountStatus.replace('_', ' ')}: it is not in collection`, overridable: true });
  if (f.consent === 'opted_out') blocks.push({ code: 'OPTED_OUT', message: `the debtor opted out of ${channel.replace('_', ' ')}`, overridable: false });
  else if (CONSENT_CHANNELS.has(channel) && f.consent !== 'granted') blocks.push({ code: 'NO_CONSENT', message: `no consent to ${channel} is on record for the debtor`, overridable: false });
  if (blocks.length) timeBound = false;

  // A letter or legal notice reaches the debtor whenever the post delivers it: the hour it is sent is not a
  // contact at an inconvenient time. Calls, visits, SMS and email arrive at once.
  const timed = !DELIVERED_LATER.has(channel);
  if (timed && (now.minutes < rules.windowStart || now.minutes >= rules.windowEnd)) {
    blocks.push({ code: 'OUTSIDE_CONTACT_WINDOW', message: `${localTime} in ${f.timeZone} is outside the contact window ${hhmm(rules.windowStart)}–${hhmm(rules.windowEnd)}`, overridable: true });
    later(now.minutes < rules.windowStart ? now.date : addDays(now.date, 1));
  }
  if (timed && rules.blockedWeekdays.includes(now.weekday)) {
    blocks.push({ code: 'BLOCKED_WEEKDAY', message: `no contact on ${WEEKDAY_NAMES[now.weekday - 1]} under the tenant's rules`, overridable: true });
    later(addDays(now.date, 1));
  }

  const localOf = (c: PastContact) => zonedParts(c.occurredAt, f.timeZone).date;
  // Every period of `days` local dates that contains this contact's date must stay within the cap, counting
  // contacts logged with later times too: a back-dated or out-of-order entry cannot slip an eighth call into
  // a week that already has seven.
  const dates = f.history.filter((c) => c.channel === channel && c.direction === 'outbound').map(localOf);
  let binding: FrequencyCap | null = null;
  let attempts: number | null = null;
  for (const cap of rules.caps.filter((c) => c.channel === channel)) {
    const worst = busiestPeriod(dates, now.date, cap.days);
    if (binding === null || worst.count >= cap.max) {
      binding = cap;
      attempts = worst.count;
    }
    if (worst.count >= cap.max) {
      const on = firstDayUnder(dates, now.date, cap);
      blocks.push({
        code: 'FREQUENCY_CAP_REACHED',
        message: `${worst.count} ${channel} attempts in the ${cap.days} days ${worst.from}…${addDays(worst.from, cap.days - 1)} (at most ${cap.max})${on ? `; next on ${on}` : ''}`,
        overridable: true,
      });
      if (on) later(on);
      else timeBound = false;
    }
  }
  if (channel === 'call' && rules.quietDaysAfterConversation > 0) {
    const talks = f.history.filter((c) => c.channel === 'call' && CONVERSATION_OUTCOMES.has(c.outcome) && c.occurredAt <= f.at).map(localOf).sort();
    const last = talks[talks.length - 1];
    if (last && daysBetween(last, now.date) < rules.quietDaysAfterConversation) {
      const on = addDays(last, rules.quietDaysAfterConversation);
      blocks.push({ code: 'RECENT_CONVERSATION', message: `a telephone conversation on ${last}: no calls for ${rules.quietDaysAfterConversation} days (next on ${on})`, overridable: true });
      later(on);
    }
  }

  return {
    allowed: blocks.length === 0,
    blocks,
    localDate: now.date,
    localTime,
    attemptsInPeriod: attempts,
    cap: binding,
    nextAllowedAt: blocks.length && timeBound && lifts.length ? nextOpening(f.at, lifts.sort()[lifts.length - 1]!, rules, f.timeZone, timed) : null,
  };
}

/** The period of `days` local dates containing `day` with the most of `dates` in it. */
function busiestPeriod(dates: readonly string[], day: string, days: number): { from: string; count: number } {
  let best = { from: addDays(day, -(days - 1)), count: -1 };
  for (let i = days - 1; i >= 0; i--) {
    const from = addDays(day, -i);
    const to = addDays(from, days - 1);
    const count = dates.filter((d) => d >= from && d <= to).length;
    if (count > best.count) best = { from, count };
  }
  return best;
}

/** The first local date from `day` on whose every period holds fewer than `cap.max` attempts, within a year. */
function firstDayUnder(dates: readonly string[], day: string, cap: FrequencyCap): string | null {
  for (let i = 1; i <= 366; i++) {
    const d = addDays(day, i);
    if (busiestPeriod(dates, d, cap.days).count < cap.max) return d;
  }
  return null;
}

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/**
 * The first instant, not before `at`, on or after local date `from`, inside the window on an allowed weekday
 * (for a letter, the start of that date).
 */
function nextOpening(at: Date, from: string, rules: ContactRules, timeZone: string, timed: boolean): Date {
  if (!timed) {
    const midnight = zonedInstant(from, 0, timeZone);
    return midnight > at ? midnight : at;
  }
  for (let d = from, i = 0; i < 14; d = addDays(d, 1), i++) {
    const weekday = zonedParts(zonedInstant(d, 12 * 60, timeZone), timeZone).weekday;
    if (rules.blockedWeekdays.includes(weekday)) continue;
    const open = zonedInstant(d, rules.windowStart, timeZone);
    if (open >= at) return open;
    // Already inside this day's window (a cap lifting today): now is the first moment.
    if (at < zonedInstant(d, rules.windowEnd, timeZone)) return at;
  }
  return zonedInstant(addDays(from, 14), rules.windowStart, timeZone);
}

/** The strictest combination of several rule sets: the narrowest window, every blocked day, the tightest caps, the longest quiet period. */
export function strictest(sets: readonly ContactRules[]): ContactRules {
  const out: ContactRules = { windowStart: 0, windowEnd: 24 * 60, blockedWeekdays: [], caps: [], quietDaysAfterConversation: 0 };
  for (const r of sets) {
    out.windowStart = Math.max(out.windowStart, r.windowStart);
    out.windowEnd = Math.min(out.windowEnd, r.windowEnd);
    out.blockedWeekdays = [...new Set([...out.blockedWeekdays, ...r.blockedWeekdays])].sort();
    out.quietDaysAfterConversation = Math.max(out.quietDaysAfterConversation, r.quietDaysAfterConversation);
    // Caps of different periods cannot be merged into one: all of them apply.
    for (const c of r.caps) if (!out.caps.some((x) => x.channel === c.channel && x.max === c.max && x.days === c.days)) out.caps.push({ ...c });
  }
  // A cap another one already enforces says nothing more (3 in 7 days makes 7 in 7 days redundant).
  out.caps = out.caps.filter((b, j) => !out.caps.some((a, i) => i !== j && capWithin(a, b) && (!capWithin(b, a) || i < j)));
  return out;
}

/**
 * Whether `cap` alone keeps every `floor.days`-day period within `floor.max`: a period of D days overlaps at
 * most ceil(D / d) of the cap's d-day periods. (1 call a day is as strict as 7 in 7 days.)
 */
export function capWithin(cap: FrequencyCap, floor: FrequencyCap): boolean {
  return cap.channel === floor.channel && cap.max * Math.ceil(floor.days / cap.days) <= floor.max;
}

/** Where `rules` would be looser than `floor`, one problem per field (paths under `field`). */
export function looserThan(rules: ContactRules, floor: ContactRules, field: string): FieldProblem[] {
  const p: FieldProblem[] = [];
  if (rules.windowStart < floor.windowStart) p.push({ field: `${field}.windowStart`, message: `must not be earlier than the preset's ${hhmm(floor.windowStart)}` });
  if (rules.windowEnd > floor.windowEnd) p.push({ field: `${field}.windowEnd`, message: `must not be later than the preset's ${hhmm(floor.windowEnd)}` });
  for (const d of floor.blockedWeekdays) if (!rules.blockedWeekdays.includes(d)) p.push({ field: `${field}.blockedWeekdays`, message: `must keep ${WEEKDAY_NAMES[d - 1]}, which the preset blocks` });
  if (rules.quietDaysAfterConversation < floor.quietDaysAfterConversation)
    p.push({ field: `${field}.quietDaysAfterConversation`, message: `must be at least the preset's ${floor.quietDaysAfterConversation}` });
  for (const c of floor.caps) {
    if (!rules.caps.some((mine) => capWithin(mine, c))) p.push({ field: `${field}.caps`, message: `must keep ${c.channel} attempts to at most ${c.max} in any ${c.days} days (the preset's limit)` });
  }
  return p;
}
