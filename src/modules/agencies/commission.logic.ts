import { divRoundHalfEven } from '../../shared/money.js';
import type { Problems } from '../../shared/validation.js';
import type { CommissionPlan } from './agency.table.js';

export const MAX_COMMISSION_BPS = 10_000;
const MAX_TIERS = 20;

export interface CommissionInput {
  rateBps: number;
  tierBasis?: 'AMOUNT_COLLECTED' | 'DAYS_PAST_DUE' | null;
  tiers?: { from: string; rateBps: number }[] | null;
}

function validRate(p: Problems, field: string, v: number): boolean {
  if (!Number.isInteger(v) || v < 0 || v > MAX_COMMISSION_BPS) {
    p.add(field, `must be a whole number of basis points from 0 to ${MAX_COMMISSION_BPS} (100%)`);
    return false;
  }
  return true;
}

/**
 * A flat rate, or tiers: by amount collected in the period (marginal brackets, like income tax: the rate of a
 * bracket applies to the part of the total that falls in it), or by the account's days past due when it was
 * placed (the whole collection on an account earns the rate of its age band: older debt is harder to collect).
 */
export function parseCommission(p: Problems, field: string, input: CommissionInput): CommissionPlan {
  validRate(p, `${field}.rateBps`, input.rateBps);
  const basis = input.tierBasis ?? null;
  const tiers = input.tiers ?? null;
  if (!basis) {
    if (tiers?.length) p.add(`${field}.tierBasis`, 'is required with tiers: AMOUNT_COLLECTED or DAYS_PAST_DUE');
    return { rateBps: input.rateBps };
  }
  if (!tiers?.length) {
    p.add(`${field}.tiers`, 'must list at least one tier when tierBasis is set');
    return { rateBps: input.rateBps };
  }
  if (tiers.length > MAX_TIERS) p.add(`${field}.tiers`, `at most ${MAX_TIERS} tiers`);
  let prev = -1n;
  tiers.forEach((t, i) => {
    const f = `${field}.tiers.${i}`;
    validRate(p, `${f}.rateBps`, t.rateBps);
    if (!/^(0|[1-9][0-9]{0,17})$/.test(t.from)) {
      p.add(`${f}.from`, basis === 'DAYS_PAST_DUE' ? 'must be a whole number of days' : 'must be a whole number of minor units');
      return;
    }
    const from = BigInt(t.from);
    if (i === 0 && from !== 0n) p.add(`${f}.from`, 'the first tier must start at 0');
    if (from <= prev) p.add(`${f}.from`, 'tiers must be in strictly ascending order of from');
    prev = from;
  });
  return { rateBps: input.rateBps, tierBasis: basis === 'AMOUNT_COLLECTED' ? 'amount_collected' : 'days_past_due', tiers };
}

export function rateFor(tiers: readonly { from: string; rateBps: number }[], x: bigint): number {
  let rate = tiers[0]!.rateBps;
  for (const t of tiers) if (BigInt(t.from) <= x) rate = t.rateBps;
  return rate;
}

/** What one portfolio (or any group) collected: per days-past-due-at-placement band when the plan needs it. */
export interface Collected {
  key: string;
  amount: bigint;
  daysPastDueAtPlacement: number;
}

export interface CommissionResult {
  /** The amount owed, rounded once (half-even). */
  total: bigint;
  /** The total shared out by key (largest remainder), so the parts add up to it exactly. */
  byKey: Map<string, bigint>;
  /** total / collected in basis points (floor), null when nothing was collected. */
  effectiveRateBps: number | null;
}

/**
 * Commission on one currency's collections. Exact products (amount × bps) are summed before the single
 * rounding, so splitting collections across portfolios or accounts never moves the total by a minor unit.
 */
export function commission(plan: CommissionPlan, items: readonly Collected[]): CommissionResult {
  const collected = items.reduce((s, i) => s + i.amount, 0n);
  const weights = new Map<string, bigint>();
  let numerator = 0n; // minor units × basis points
  if (plan.tierBasis === 'amount_collected' && plan.tiers?.length) {
    const tiers = plan.tiers;
    for (let i = 0; i < tiers.length; i++) {
      const lo = BigInt(tiers[i]!.from);
      const hi = i + 1 < tiers.length ? BigInt(tiers[i + 1]!.from) : null;
      if (collected <= lo) break;
      const part = (hi === null || collected < hi ? collected : hi) - lo;
      numerator += part * BigInt(tiers[i]!.rateBps);
    }
    for (const it of items) weights.set(it.key, (weights.get(it.key) ?? 0n) + it.amount);
  } else {
    for (const it of items) {
      const rate = plan.tierBasis === 'days_past_due' && plan.tiers?.length ? rateFor(plan.tiers, BigInt(Math.max(0, it.daysPastDueAtPlacement))) : plan.rateBps;
      const n = it.amount * BigInt(rate);
      numerator += n;
      weights.set(it.key, (weights.get(it.key) ?? 0n) + n);
    }
  }
  const total = divRoundHalfEven(numerator, 10_000n);
  return { total, byKey: apportion(total, weights), effectiveRateBps: collected > 0n ? Number((total * 10_000n) / collected) : null };
}

/** Shares `total` in proportion to the weights; parts are floors plus one unit to the largest remainders. */
export function apportion(total: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const sum = [...weights.values()].reduce((s, w) => s + (w > 0n ? w : 0n), 0n);
  if (sum === 0n) {
    for (const k of weights.keys()) out.set(k, 0n);
    return out;
  }
  const rema: { key: string; rem: bigint }[] = [];
  let given = 0n;
  for (const [k, w0] of weights) {
    const w = w0 > 0n ? w0 : 0n;
    const q = (total * w) / sum;
    out.set(k, q);
    given += q;
    rema.push({ key: k, rem: (total * w) % sum });
  }
  rema.sort((a, b) => (a.rem === b.rem ? (a.key < b.key ? -1 : 1) : a.rem > b.rem ? -1 : 1));
  for (let i = 0; given < total && i < rema.length; i++, given++) out.set(rema[i]!.key, out.get(rema[i]!.key)! + 1n);
  return out;
}
