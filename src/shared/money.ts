/**
 * Money is an integer count of a currency's minor unit (bigint), never a float. The exponent comes from
 * ISO 4217: JPY 0, EUR 2, KWD 3.
 */
const EXPONENTS: Record<string, number> = {
  // ISO 4217 active codes with their minor-unit exponent (ISO 4217 amendment 176+). Funds/metal codes omitted.
  AED: 2, AFN: 2, ALL: 2, AMD: 2, ANG: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2, BAM: 2, BBD: 2, BDT: 2, BGN: 2,
  BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BRL: 2, BSD: 2, BTN: 2, BWP: 2, BYN: 2, BZD: 2, CAD: 2, CDF: 2, CHF: 2,
  CLP: 0, CNY: 2, COP: 2, CRC: 2, CUP: 2, CVE: 2, CZK: 2, DJF: 0, DKK: 2, DOP: 2, DZD: 2, EGP: 2, ERN: 2, ETB: 2,
  EUR: 2, FJD: 2, FKP: 2, GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2, HKD: 2, HNL: 2, HTG: 2,
  HUF: 2, IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0, JMD: 2, JOD: 3, JPY: 0, KES: 2, KGS: 2, KHR: 2, KMF: 0,
  KPW: 2, KRW: 0, KWD: 3, KYD: 2, KZT: 2, LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3, MAD: 2, MDL: 2, MGA: 2,
  MKD: 2, MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2, MWK: 2, MXN: 2, MYR: 2, MZN: 2, NAD: 2, NGN: 2, NIO: 2,
  NOK: 2, NPR: 2, NZD: 2, OMR: 3, PAB: 2, PEN: 2, PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0, QAR: 2, RON: 2, RSD: 2,
  RUB: 2, RWF: 0, SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SOS: 2, SRD: 2, SSP: 2, STN: 2,
  SYP: 2, SZL: 2, THB: 2, TJS: 2, TMT: 2, TND: 3, TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2, UAH: 2, UGX: 0, USD: 2,
  UYU: 2, UZS: 2, VES: 2, VND: 0, VUV: 0, WST: 2, XAF: 0, XCD: 2, XOF: 0, XPF: 0, YER: 2, ZAR: 2, ZMW: 2, ZWG: 2,
};

/** PostgreSQL bigint range: the ledger column's limits. */
export const BIGINT_MAX = 9223372036854775807n;
export const BIGINT_MIN = -9223372036854775808n;

export function currencyExponent(code: string): number | null {
  return Object.prototype.hasOwnProperty.call(EXPONENTS, code) ? EXPONENTS[code]! : null;
}

export function isCurrency(code: string): boolean {
  return currencyExponent(code) !== null;
}

export type AmountProblem = string;

/**
 * Parses an integer count of minor units ("123456" = 1,234.56 EUR). Refuses signs where not allowed,
 * decimals, exponents, and anything outside bigint.
 */
export function parseMinorUnits(s: string, opts: { allowNegative?: boolean; allowZero?: boolean } = {}): bigint | AmountProblem {
  const t = s.trim();
  if (!/^-?\d+$/.test(t)) return /^-?\d*\.\d+$/.test(t) ? 'must be an integer number of minor units (e.g. cents), not a decimal' : 'must be an integer number of minor units';
  const v = BigInt(t);
  if (v > BIGINT_MAX || v < BIGINT_MIN) return 'is outside the supported range';
  if (v < 0n && !opts.allowNegative) return 'must not be negative';
  if (v === 0n && !opts.allowZero) return 'must not be zero';
  return v;
}

/**
 * Parses a decimal amount in major units for `currency` ("1234.56" EUR → 123456n). More decimals than the
 * currency has is an error, not a rounding: "1.234" EUR, or "100.5" JPY, is refused with the reason.
 */
export function parseDecimalAmount(s: string, currency: string, opts: { allowNegative?: boolean; allowZero?: boolean } = {}): bigint | AmountProblem {
  const exp = currencyExponent(currency);
  if (exp === null) return `has unknown currency ${currency}`;
  const t = s.trim().replace(/^\+/, '');
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) return `must be a decimal number such as ${exp === 0 ? '1234' : '1234.' + '5'.repeat(exp)}`;
  const frac = m[3] ?? '';
  if (frac.length > exp) return exp === 0 ? `${currency} has no minor unit: no decimals allowed` : `${currency} has ${exp} decimal places; got ${frac.length}`;
  const v = BigInt(m[2]! + frac.padEnd(exp, '0')) * (m[1] === '-' ? -1n : 1n);
  if (v > BIGINT_MAX || v < BIGINT_MIN) return 'is outside the supported range';
  if (v < 0n && !opts.allowNegative) return 'must not be negative';
  if (v === 0n && !opts.allowZero) return 'must not be zero';
  return v;
}

/** 123456n EUR → "1234.56"; exact, any size. */
export function formatDecimal(minor: bigint, currency: string): string {
  const exp = currencyExponent(currency) ?? 0;
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp);
  const frac = exp ? '.' + digits.slice(digits.length - exp) : '';
  return (neg ? '-' : '') + whole + frac;
}

/**
 * `num / den` rounded to an integer, half to even (banker's rounding): ties go to the even neighbour, so
 * rounding errors do not drift one way over many assessments. `den` must be positive.
 */
export function divRoundHalfEven(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new Error('divRoundHalfEven: denominator must be positive');
  const neg = num < 0n;
  const n = neg ? -num : num;
  let q = n / den;
  const twice = (n % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** An exact fraction of minor units as a decimal string with `places` digits, truncated: for explanations. */
export function fractionText(num: bigint, den: bigint, places = 6): string {
  const neg = num < 0n;
  const n = neg ? -num : num;
  const scale = 10n ** BigInt(places);
  const scaled = (n * scale) / den;
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(places, '0').replace(/0+$/, '');
  const exact = (n * scale) % den === 0n;
  return `${neg ? '-' : ''}${whole}${frac ? '.' + frac : ''}${exact ? '' : '…'}`;
}
