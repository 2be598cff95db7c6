const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date at `instant` in an IANA zone, as YYYY-MM-DD. */
export function localDate(instant: Date, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f.format(instant);
}

/** Days since 1970-01-01 of a YYYY-MM-DD date (Hinnant's days_from_civil: no Date object, so cheap in loops). */
function dayNumber(d: string): number {
  let y = (d.charCodeAt(0) - 48) * 1000 + (d.charCodeAt(1) - 48) * 100 + (d.charCodeAt(2) - 48) * 10 + (d.charCodeAt(3) - 48);
  const m = (d.charCodeAt(5) - 48) * 10 + (d.charCodeAt(6) - 48);
  const day = (d.charCodeAt(8) - 48) * 10 + (d.charCodeAt(9) - 48);
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** The YYYY-MM-DD date `n` days after 1970-01-01 (civil_from_days). */
function fromDayNumber(n: number): string {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(day)}`;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

export function addDays(d: string, n: number): string {
  return fromDayNumber(dayNumber(d) + n);
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** The last day of `d`'s month. */
export function endOfMonth(d: string): string {
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7));
  return `${d.slice(0, 8)}${String(daysInMonth(y, m)).padStart(2, '0')}`;
}

/**
 * `n` calendar months after `d`, clamped to the target month's end (Jan 31 + 1 month = Feb 28 or 29).
 * Always counted from the same start, so a schedule anchored on the 31st returns to the 31st.
 */
export function addMonths(d: string, n: number): string {
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7)) - 1 + n;
  const ty = y + Math.floor(m / 12);
  const tm = (((m % 12) + 12) % 12) + 1;
  const day = Math.min(Number(d.slice(8, 10)), daysInMonth(ty, tm));
  return `${String(ty).padStart(4, '0')}-${String(tm).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    partFormatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export interface ZonedParts {
  /** YYYY-MM-DD on the local calendar. */
  date: string;
  /** Minutes since local midnight (0–1439). */
  minutes: number;
  seconds: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

/** The wall-clock reading of `instant` in an IANA zone: whatever offset (standard or daylight) applies then. */
export function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const p: Record<string, string> = {};
  for (const x of partsFormatter(timeZone).formatToParts(instant)) p[x.type] = x.value;
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    minutes: Number(p.hour) * 60 + Number(p.minute),
    seconds: Number(p.second),
    weekday: WEEKDAYS[p.weekday!]!,
  };
}

/** Offset of the zone from UTC at `instant`, in milliseconds (New York in winter: −5 h). */
function offsetMs(instant: number, timeZone: string): number {
  const z = zonedParts(new Date(instant), timeZone);
  const wall = Date.UTC(Number(z.date.slice(0, 4)), Number(z.date.slice(5, 7)) - 1, Number(z.date.slice(8, 10)), 0, z.minutes, z.seconds);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` reads `date` + `minutes`. A reading that happens twice (the
 * hour repeated when clocks go back) gives the first; one that never happens (skipped when clocks go forward)
 * gives the first instant after the gap.
 */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const asUtc = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)), 0, minutes, 0);
  const before = offsetMs(asUtc - 86_400_000, timeZone);
  const after = offsetMs(asUtc + 86_400_000, timeZone);
  // Try the offset in force before the day and after it: one of them reads back as the wanted time.
  const candidates = [asUtc - before, asUtc - after].sort((a, b) => a - b);
  for (const c of candidates) {
    const z = zonedParts(new Date(c), timeZone);
    if (z.date === date && z.minutes === minutes) return new Date(c);
  }
  return new Date(candidates[1]!);
}
