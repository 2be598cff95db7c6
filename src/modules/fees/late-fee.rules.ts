import { isCurrency, parseMinorUnits } from '../../shared/money.js';
import { lineText, Problems } from '../../shared/validation.js';

export const FREQUENCIES = ['once_per_due_date', 'monthly', 'daily_accrual_posted_monthly'] as const;
export const PERCENT_BASES = ['overdue_principal', 'overdue_principal_and_interest', 'overdue_interest'] as const;
export const DAY_COUNTS = ['act_365', 'act_360', 'thirty_360'] as const;

export type Frequency = (typeof FREQUENCIES)[number];
export type PercentBase = (typeof PERCENT_BASES)[number];
export type DayCount = (typeof DAY_COUNTS)[number];

/** A band of days past due, inclusive; `toDay` null means "and beyond". `value` is bps or minor units. */
export interface Tier {
  fromDay: number;
  toDay: number | null;
  value: bigint;
}

/** A component's rate: one value for every day past due, or tiers by days past due. */
export type Rate = { kind: 'fixed'; value: bigint } | { kind: 'tiered'; tiers: Tier[] };

/**
 * A validated policy version. Rates are integers in basis points (1 bp = 0.01 %); amounts are integers in
 * the policy currency's minor unit. Nothing here is a float.
 */
export interface PolicyRules {
  currency: string;
  graceDays: number;
  frequency: Frequency;
  /** Overdue principal + interest below this is not charged at all. */
  minimumOverdue: bigint;
  flat: { amount: Rate } | null;
  percentage: { base: PercentBase; rateBps: Rate } | null;
  /** Simple penalty interest on overdue principal, never on fees. */
  dailyInterest: { annualRateBps: Rate; dayCount: DayCount } | null;
  caps: {
    perAssessment: bigint | null;
    cumulativeAmount: bigint | null;
    cumulativeBpsOfPrincipal: bigint | null;
  };
  /** Code of a jurisdiction cap (tenant override or shipped preset) the engine must never exceed. */
  jurisdiction: string | null;
  freezeWhileInPlan: boolean;
  /** Waivers above this amount need the admin scope; null: any writer may waive. */
  waiverApprovalThreshold: bigint | null;
}

export interface TierInput {
  fromDay: number;
  toDay?: number | null;
  rateBps?: string | null;
  amount?: string | null;
}

export interface PolicyRulesInput {
  currency: string;
  graceDays?: number | null;
  frequency: Frequency;
  minimumOverdue?: string | null;
  flat?: { amount?: string | null; tiers?: TierInput[] | null } | null;
  percentage?: { base: PercentBase; rateBps?: string | null; tiers?: TierInput[] | null } | null;
  dailyInterest?: { annualRateBps?: string | null; tiers?: TierInput[] | null; dayCount: DayCount } | null;
  caps?: { perAssessment?: string | null; cumulativeAmount?: string | null; cumulativePercentOfPrincipalBps?: string | null } | null;
  jurisdiction?: string | null;
  freezeWhileInPlan?: boolean | null;
  waiverApprovalThreshold?: string | null;
}

/** 100 % a day, as an annual rate: anything above is not a penalty rate but an error. */
export const MAX_ANNUAL_BPS = 3_650_000n;
const MAX_DAYS = 36_500;

/**
 * Basis points as a whole number. A fraction ("0.1") is the classic mix-up of a percentage or a ratio
 * with basis points, so the message says what was expected and what the number would mean.
 */
export function parseBps(p: Problems, field: string, raw: string, max: bigint, maxLabel: string): bigint | null {
  const t = raw.trim();
  if (/^[+-]?\d*\.\d+%?$|^\d+%$/.test(t)) {
    p.add(field, `expects whole basis points (1 bp = 0.01 %; 10 % = 1000), not "${t}"; a percentage or fraction is not accepted`);
    return null;
  }
  if (!/^-?\d+$/.test(t)) {
    p.add(field, 'must be a whole number of basis points');
    return null;
  }
  const v = BigInt(t);
  if (v < 0n) p.add(field, 'must not be negative');
  else if (v > max) p.add(field, `must be at most ${max} basis points (${maxLabel})`);
  else return v;
  return null;
}

function amount(p: Problems, field: string, raw: string | null | undefined, allowZero: boolean): bigint | null {
  if (raw == null) return null;
  const r = parseMinorUnits(raw, { allowZero });
  if (typeof r === 'string') {
    p.add(field, r);
    return null;
  }
  return r;
}

function days(p: Problems, field: string, v: number, min: number): boolean {
  if (!Number.isInteger(v) || v < min || v > MAX_DAYS) {
    p.add(field, `must be a whole number of days from ${min} to ${MAX_DAYS}`);
    return false;
  }
  return true;
}

/**
 * Tiers must be in order and neither overlap nor leave a gap: an account must never fall between two
 * bands and silently pay nothing (days before the first band are the place for that; so is grace).
 */
function tiers(p: Problems, field: string, list: TierInput[], valueOf: (t: TierInput, f: string) => bigint | null): Tier[] | null {
  if (!list.length) {
    p.add(field, 'must have at least one tier');
    return null;
  }
  if (list.length > 20) p.add(field, 'must have at most 20 tiers');
  const out: Tier[] = [];
  let ok = true;
  list.forEach((t, i) => {
    const f = `${field}.${i}`;
    const fromOk = days(p, `${f}.fromDay`, t.fromDay, 1);
    const toOk = t.toDay == null || days(p, `${f}.toDay`, t.toDay, 1);
    if (fromOk && toOk && t.toDay != null && t.toDay < t.fromDay) {
      p.add(`${f}.toDay`, `must not be before fromDay (${t.fromDay})`);
      ok = false;
    }
    const v = valueOf(t, f);
    if (!fromOk || !toOk || v === null) ok = false;
    else out.push({ fromDay: t.fromDay, toDay: t.toDay ?? null, value: v });
  });
  if (!ok) return null;
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    const cur = out[i]!;
    if (prev.toDay === null || cur.fromDay <= prev.toDay) {
      p.add(`${field}.${i}.fromDay`, `overlaps tier ${i - 1} (days ${prev.fromDay}–${prev.toDay ?? '∞'}); tiers must be in order without overlap`);
      return null;
    }
    if (cur.fromDay !== prev.toDay + 1) {
      p.add(`${field}.${i}.fromDay`, `leaves days ${prev.toDay + 1}–${cur.fromDay - 1} without a rate; start at ${prev.toDay + 1}`);
      return null;
    }
  }
  return out;
}

function rate(
  p: Problems,
  field: string,
  single: string | null | undefined,
  list: TierInput[] | null | undefined,
  singleName: string,
  valueOf: (raw: string | null | undefined, f: string) => bigint | null,
  tierKey: 'rateBps' | 'amount',
): Rate | null {
  if (single != null && list != null) {
    p.add(`${field}.tiers`, `give either ${singleName} or tiers, not both`);
    return null;
  }
  if (single == null && list == null) {
    p.add(`${field}.${singleName}`, `is required (or give tiers)`);
    return null;
  }
  if (single != null) {
    const v = valueOf(single, `${field}.${singleName}`);
    return v === null ? null : { kind: 'fixed', value: v };
  }
  const t = tiers(p, `${field}.tiers`, list!, (ti, f) => {
    const other = tierKey === 'rateBps' ? ti.amount : ti.rateBps;
    if (other != null) p.add(`${f}.${tierKey === 'rateBps' ? 'amount' : 'rateBps'}`, `this fee kind's tiers take ${tierKey}`);
    if (ti[tierKey] == null) {
      p.add(`${f}.${tierKey}`, 'is required');
      return null;
    }
    return valueOf(ti[tierKey], `${f}.${tierKey}`);
  });
  return t ? { kind: 'tiered', tiers: t } : null;
}

/** Validates a whole policy: every problem with its field path, or the rules. */
export function parsePolicyRules(p: Problems, prefix: string, input: PolicyRulesInput): PolicyRules | null {
  const currency = input.currency.trim().toUpperCase();
  if (!isCurrency(currency)) p.add(`${prefix}.currency`, 'must be an ISO 4217 currency code');
  const graceDays = input.graceDays ?? 0;
  if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > 3650) p.add(`${prefix}.graceDays`, 'must be a whole number of days from 0 to 3650');
  const minimumOverdue = amount(p, `${prefix}.minimumOverdue`, input.minimumOverdue, true) ?? 0n;

  if (!input.flat && !input.percentage && !input.dailyInterest) {
    p.add(prefix, 'must define at least one fee kind: flat, percentage or dailyInterest');
  }

  let flat: PolicyRules['flat'] = null;
  if (input.flat) {
    const f = `${prefix}.flat`;
    const r = rate(p, f, input.flat.amount, input.flat.tiers, 'amount', (raw, field) => amount(p, field, raw, false), 'amount');
    if (r) flat = { amount: r };
  }
  let percentage: PolicyRules['percentage'] = null;
  if (input.percentage) {
    const f = `${prefix}.percentage`;
    const r = rate(p, f, input.percentage.rateBps, input.percentage.tiers, 'rateBps', (raw, field) => parseBps(p, field, raw!, 10_000n, '100 % of the base per assessment'), 'rateBps');
    if (r) percentage = { base: input.percentage.base, rateBps: r };
  }
  let dailyInterest: PolicyRules['dailyInterest'] = null;
  if (input.dailyInterest) {
    const f = `${prefix}.dailyInterest`;
    const r = rate(p, f, input.dailyInterest.annualRateBps, input.dailyInterest.tiers, 'annualRateBps', (raw, field) => parseBps(p, field, raw!, MAX_ANNUAL_BPS, '100 % a day'), 'rateBps');
    if (r) dailyInterest = { annualRateBps: r, dayCount: input.dailyInterest.dayCount };
    if (input.frequency !== 'daily_accrual_posted_monthly') {
      p.add(`${prefix}.frequency`, 'daily penalty interest accrues day by day: use DAILY_ACCRUAL_POSTED_MONTHLY');
    }
  } else if (input.frequency === 'daily_accrual_posted_monthly') {
    p.add(`${prefix}.dailyInterest`, 'is required when frequency is DAILY_ACCRUAL_POSTED_MONTHLY');
  }

  const caps = {
    perAssessment: amount(p, `${prefix}.caps.perAssessment`, input.caps?.perAssessment, true),
    cumulativeAmount: amount(p, `${prefix}.caps.cumulativeAmount`, input.caps?.cumulativeAmount, true),
    cumulativeBpsOfPrincipal:
      input.caps?.cumulativePercentOfPrincipalBps != null
        ? parseBps(p, `${prefix}.caps.cumulativePercentOfPrincipalBps`, input.caps.cumulativePercentOfPrincipalBps, 1_000_000n, '100 times the principal')
        : null,
  };
  let jurisdiction: string | null = null;
  if (input.jurisdiction != null) {
    jurisdiction = input.jurisdiction.trim().toUpperCase();
    if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(jurisdiction)) p.add(`${prefix}.jurisdiction`, 'must be an ISO 3166 code such as CN, GB or US-NY');
  }
  const waiverApprovalThreshold = amount(p, `${prefix}.waiverApprovalThreshold`, input.waiverApprovalThreshold, true);
  if (!p.empty) return null;
  return {
    currency,
    graceDays,
    frequency: input.frequency,
    minimumOverdue,
    flat,
    percentage,
    dailyInterest,
    caps,
    jurisdiction,
    freezeWhileInPlan: input.freezeWhileInPlan ?? true,
    waiverApprovalThreshold,
  };
}

export function validatePolicyName(p: Problems, field: string, name: string): string {
  return lineText(p, field, name, 200);
}

// Stored as JSON: bigints travel as strings, and come back through reviveRules.
export function rulesToJson(r: PolicyRules): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

const BIG_KEYS = new Set(['value', 'minimumOverdue', 'perAssessment', 'cumulativeAmount', 'cumulativeBpsOfPrincipal', 'waiverApprovalThreshold']);

export function reviveRules(json: unknown): PolicyRules {
  return JSON.parse(JSON.stringify(json), (k, v) => (BIG_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v)) as PolicyRules;
}
