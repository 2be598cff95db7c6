import type { CONTACT_CHANNELS } from './contact.table.js';

export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

/** A limit of `max` outbound attempts on one channel within any `days` consecutive local calendar days. */
export interface FrequencyCap {
  channel: ContactChannel;
  max: number;
  days: number;
}

/** When and how often a debtor may be contacted about one account. */
export interface ContactRules {
  /** The contact window in the debtor's local time: minutes after midnight, start inclusive, end exclusive. */
  windowStart: number;
  windowEnd: number;
  /** ISO weekdays (1 = Monday … 7 = Sunday) with no outbound contact at all. */
  blockedWeekdays: number[];
  /** Every cap holds at once (a channel may have several: 2 a day and 7 a week). */
  caps: FrequencyCap[];
  /** After a telephone conversation with the debtor about the account: no calls for this many days (the conversation's day is the first). */
  quietDaysAfterConversation: number;
}

export interface ContactRulesPreset {
  /** ISO 3166-1 alpha-2, or '*' for debtors whose jurisdiction has no preset of its own. */
  code: string;
  name: string;
  rules: ContactRules;
  source: string;
}

const h = (hh: number, mm = 0) => hh * 60 + mm;

/**
 * Legal floors shipped as data. A tenant may make them stricter (per jurisdiction, or for all its debtors
 * with '*'), never looser: setContactRules refuses a looser value, and the effective rules are the strictest
 * combination of the preset and the tenant's rows. Where a law says "not at unreasonable hours" or "not
 * excessively often" without a number, the platform applies the numeric Regulation F limits as its own
 * floor and says so here.
 */
export const CONTACT_PRESETS: readonly ContactRulesPreset[] = [
  {
    // 12 CFR 1006.6(b)(1)(i): a time before 8:00 a.m. or after 9:00 p.m. local time at the consumer's location
    // is presumed inconvenient. 12 CFR 1006.14(b)(2): a collector is presumed to harass when it places
    // telephone calls more than seven times within seven consecutive days, or within seven consecutive days
    // after a telephone conversation, about a particular debt (the conversation's date is the first day).
    code: 'US',
    name: 'United States: Regulation F (FDCPA)',
    rules: { windowStart: h(8), windowEnd: h(21), blockedWeekdays: [], caps: [{ channel: 'call', max: 7, days: 7 }], quietDaysAfterConversation: 7 },
    source: '12 CFR 1006.6(b)(1)(i); 12 CFR 1006.14(b)(2)(i)-(ii)',
  },
  {
    // NIFA, 互联网金融逾期债务催收自律公约（试行）(2018): collection contact only between 08:00 and 21:00, no
    // harassing frequency (no number given: the platform applies Regulation F's 7 calls in 7 days). Collection
    // records must be kept (at least two years in the regulators' guidance): the contact log is append-only
    // and nothing in Arrears deletes it.
    code: 'CN',
    name: 'China: NIFA overdue-debt collection convention',
    rules: { windowStart: h(8), windowEnd: h(21), blockedWeekdays: [], caps: [{ channel: 'call', max: 7, days: 7 }], quietDaysAfterConversation: 7 },
    source: '中国互联网金融协会《互联网金融逾期债务催收自律公约（试行）》(2018); platform floor: 12 CFR 1006.14(b)(2)',
  },
  {
    // FCA CONC 7.9.4R: no contact at unreasonable hours or with unreasonable frequency (no numbers given);
    // 08:00–21:00 is the window the industry codes read it as. Frequency: the platform's Regulation F floor.
    code: 'GB',
    name: 'United Kingdom: FCA CONC 7.9',
    rules: { windowStart: h(8), windowEnd: h(21), blockedWeekdays: [], caps: [{ channel: 'call', max: 7, days: 7 }], quietDaysAfterConversation: 7 },
    source: 'FCA Handbook CONC 7.9.4R; platform floor: 12 CFR 1006.14(b)(2)',
  },
  {
    // Debtors with no address, or in a country without a preset: the same floor.
    code: '*',
    name: 'Platform default',
    rules: { windowStart: h(8), windowEnd: h(21), blockedWeekdays: [], caps: [{ channel: 'call', max: 7, days: 7 }], quietDaysAfterConversation: 7 },
    source: 'platform floor modelled on 12 CFR 1006.6(b)(1)(i) and 1006.14(b)(2)',
  },
];

export function presetFor(code: string): ContactRulesPreset {
  return CONTACT_PRESETS.find((p) => p.code === code) ?? CONTACT_PRESETS.find((p) => p.code === '*')!;
}
