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
  openDisputeId: string | null;
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
  /** Outbound attempts on this channel in the cap's period (ending with `at`'s local day), or null when uncapped. */
  attemptsInPeriod: number | null;
  cap: FrequencyCap | null;
  /** When every time-based block has lifted (window, weekday, cap, quiet period), if only such blocks apply. */
  nextAllowedAt: Date | null;
}

/** Local days of history the guard needs for these rules. */
export function lookbackDays(rules: ContactRules): number {
  return Math.max(rules.quietDaysAfterConversation, ...Object.values(rules.caps).map((c) => c!.days)) + 1;
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
  if (f.openDisputeId) blocks.push({ code: 'OPEN_DISPUTE', message: `dispute ${f.openDisputeId} is open on the account: collection is paused until it is resolved`, overridable: false });
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

  if (now.minutes < rules.windowStart || now.minutes >= rules.windowEnd) {
    blocks.push({ code: 'OUTSIDE_CONTACT_WINDOW', message: `${localTime} in ${f.timeZone} is outside the contact window ${hhmm(rules.windowStart)}–${hhmm(rules.windowEnd)}`, overridable: true });
    later(now.minutes < rules.windowStart ? now.date : addDays(now.date, 1));
  }
  if (rules.blockedWeekdays.includes(now.weekday)) {
    blocks.push({ code: 'BLOCKED_WEEKDAY', message: `no contact on ${WEEKDAY_NAMES[now.weekday - 1]} under the tenant's rules`, overridable: true });
    later(addDays(now.date, 1));
  }

  const localOf = (c: PastContact) => zonedParts(c.occurredAt, f.timeZone).date;
  const cap = rules.caps[channel] ?? null;
  let attempts: number | null = null;
  if (cap) {
    const from = addDays(now.date, -(cap.days - 1));
    const dates = f.history
      .filter((c) => c.channel === channel && c.direction === 'outbound' && c.occurredAt <= f.at)
      .map(localOf)
      .filter((d) => d >= from && d <= now.date)
      .sort()
      .reverse();
    attempts = dates.length;
    if (attempts >= cap.max) {
      // Lifts on the day the cap-th most recent attempt leaves the period.
      const on = addDays(dates[cap.max - 1]!, cap.days);
      blocks.push({ code: 'FREQUENCY_CAP_REACHED', message: `${attempts} ${channel} attempts in the ${cap.days} days ${from}…${now.date} (at most ${cap.max}); next on ${on}`, overridable: true });
      later(on);
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
    cap,
    nextAllowedAt: blocks.length && timeBound && lifts.length ? firstWindowOpening(f.at, lifts.sort()[lifts.length - 1]!, rules, f.timeZone) : null,
  };
}

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** The first instant, not before `at`, on or after local date `from`, inside the window on an allowed weekday. */
function firstWindowOpening(at: Date, from: string, rules: ContactRules, timeZone: string): Date {
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
  const out: ContactRules = { windowStart: 0, windowEnd: 24 * 60, blockedWeekdays: [], caps: {}, quietDaysAfterConversation: 0 };
  for (const r of sets) {
    out.windowStart = Math.max(out.windowStart, r.windowStart);
    out.windowEnd = Math.min(out.windowEnd, r.windowEnd);
    out.blockedWeekdays = [...new Set([...out.blockedWeekdays, ...r.blockedWeekdays])].sort();
    out.quietDaysAfterConversation = Math.max(out.quietDaysAfterConversation, r.quietDaysAfterConversation);
    for (const [ch, c] of Object.entries(r.caps) as [ContactChannel, FrequencyCap][]) {
      const cur = out.caps[ch];
      out.caps[ch] = cur ? { max: Math.min(cur.max, c.max), days: Math.max(cur.days, c.days) } : { ...c };
    }
  }
  return out;
}

/** Where `rules` would be looser than `floor`, one problem per field (paths under `field`). */
export function looserThan(rules: ContactRules, floor: ContactRules, field: string): FieldProblem[] {
  const p: FieldProblem[] = [];
  if (rules.windowStart < floor.windowStart) p.push({ field: `${field}.windowStart`, message: `must not be earlier than the preset's ${hhmm(floor.windowStart)}` });
  if (rules.windowEnd > floor.windowEnd) p.push({ field: `${field}.windowEnd`, message: `must not be later than the preset's ${hhmm(floor.windowEnd)}` });
  for (const d of floor.blockedWeekdays) if (!rules.blockedWeekdays.includes(d)) p.push({ field: `${field}.blockedWeekdays`, message: `must keep ${WEEKDAY_NAMES[d - 1]}, which the preset blocks` });
  if (rules.quietDaysAfterConversation < floor.quietDaysAfterConversation)
    p.push({ field: `${field}.quietDaysAfterConversation`, message: `must be at least the preset's ${floor.quietDaysAfterConversation}` });
  for (const [ch, c] of Object.entries(floor.caps) as [ContactChannel, FrequencyCap][]) {
    const mine = rules.caps[ch];
    if (!mine) p.push({ field: `${field}.caps`, message: `must keep a ${ch} cap (the preset allows at most ${c.max} in ${c.days} days)` });
    else if (mine.max > c.max || mine.days < c.days) p.push({ field: `${field}.caps`, message: `${ch}: at most ${c.max} attempts in at least ${c.days} days (the preset's limit)` });
  }
  return p;
}
