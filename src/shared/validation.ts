import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { FieldProblem } from './errors.js';
import { isUuid } from './ids.js';

/**
 * Collects every problem in an input before anything is written, each with the field's path,
 * so a client can fix a whole form in one round.
 */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

// C0/C1 controls, DEL, and bidi overrides (used to disguise text). Tab/newline are allowed only in free text.
const CONTROL_LINE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const CONTROL_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A single-line human string: trimmed, NFC, non-empty, within `max` characters, no control characters. */
export function lineText(p: Problems, field: string, value: string, max: number): string {
  const v = value.normalize('NFC').trim();
  if (v.length === 0) p.add(field, 'must not be empty');
  else if (codePointLength(v) > max) p.add(field, `must be at most ${max} characters`);
  else if (CONTROL_LINE.test(v)) p.add(field, 'must not contain control characters');
  return v;
}

/** Free text (notes): newlines and tabs allowed. */
export function freeText(p: Problems, field: string, value: string, max: number): string {
  const v = value.normalize('NFC');
  if (codePointLength(v) > max) p.add(field, `must be at most ${max} characters`);
  else if (CONTROL_TEXT.test(v)) p.add(field, 'must not contain control characters');
  return v;
}

const zoneCache = new Map<string, string | null>();
/** An IANA zone name, returned in canonical form ("asia/shanghai" → "Asia/Shanghai"). */
export function timeZone(p: Problems, field: string, value: string): string {
  let canonical = zoneCache.get(value);
  if (canonical === undefined) {
    try {
      // Offsets such as "+08:00" are accepted by Intl but are not zones: they ignore daylight saving.
      canonical = /^[A-Za-z]/.test(value) ? new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone : null;
    } catch {
      canonical = null;
    }
    zoneCache.set(value, canonical);
  }
  if (!canonical) {
    p.add(field, 'must be an IANA time zone such as Asia/Shanghai or America/Los_Angeles');
    return value;
  }
  return canonical;
}

export function languageTag(p: Problems, field: string, value: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    if (canonical && value.length <= 35) return canonical;
  } catch {
    /* reported below */
  }
  p.add(field, 'must be a BCP 47 language tag such as zh-CN or en-US');
  return value;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A calendar date YYYY-MM-DD that exists (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

export function dateOfBirth(p: Problems, field: string, value: string, today: Date): string {
  if (!isCalendarDate(value)) p.add(field, 'must be a real date in YYYY-MM-DD form');
  else if (value < '1900-01-01') p.add(field, 'must not be before 1900-01-01');
  else if (value > today.toISOString().slice(0, 10)) p.add(field, 'must not be in the future');
  return value;
}

// Pragmatic RFC 5321 shape: a local part, an @, a dotted domain with a letter TLD. No quoted local parts.
const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
export function email(p: Problems, field: string, value: string): string {
  const v = value.trim();
  if (!EMAIL_RE.test(v) || v.includes('..') || v.startsWith('.') || v.split('@')[0]!.endsWith('.')) {
    p.add(field, 'must be an email address such as name@example.com');
  }
  return v;
}

/** E.164 (+ country code and number), checked against the numbering plan of that country. */
export function phoneE164(p: Problems, field: string, value: string): string {
  const v = value.trim();
  if (!/^\+[1-9]\d{6,14}$/.test(v) || !isValidPhoneNumber(v)) {
    p.add(field, 'must be a valid phone number in E.164 form such as +8613800138000');
    return v;
  }
  return parsePhoneNumberFromString(v)!.number;
}

/**
 * The 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo: user-assigned, but used by the EU
 * and banks). Intl.DisplayNames is not a test of this: it also names ZZ, EU, UN, UK, XA and withdrawn codes.
 */
const ISO_COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT ' +
    'BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ' +
    'ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT ' +
    'HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS ' +
    'LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI ' +
    'NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG ' +
    'SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK'
  ).split(' '),
);

export function countryCode(p: Problems, field: string, value: string): string {
  const v = value.trim().toUpperCase();
  if (!ISO_COUNTRIES.has(v)) p.add(field, 'must be an ISO 3166-1 alpha-2 country code such as CN or US');
  return v;
}

/** An id argument inside a larger input: a UUID (lower-cased), or a problem naming the field. */
export function uuidField(p: Problems, field: string, value: string): string {
  if (isUuid(value)) return value.toLowerCase();
  p.add(field, 'must be an id (UUID)');
  return value;
}
