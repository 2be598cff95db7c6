import type { Component } from '../accounts/account.logic.js';
import { daysBetween } from '../../shared/dates.js';
import { formatDecimal, isCurrency, parseMinorUnits } from '../../shared/money.js';
import type { Problems } from '../../shared/validation.js';
import { PLAN_FREQUENCIES } from './plan.table.js';

export type Frequency = (typeof PLAN_FREQUENCIES)[number];
export const OVERPAYMENT_POLICIES = ['hold_as_credit', 'refuse'] as const;
export type OverpaymentPolicy = (typeof OVERPAYMENT_POLICIES)[number];

/**
 * A creditor's negotiation rules. Amount limits are per currency (a minimum in EUR says nothing about JPY);
 * a currency without an entry has no such limit. Days are calendar days.
 */
export interface PlanRules {
  maxInstallments: number;
  /** From the start date to the last installment's due date. */
  maxLengthDays: number;
  minInstallment: Record<string, bigint>;
  /** Of the plan's total, basis points (rounded up to the minor unit). */
  minDownPaymentBps: number;
  minDownPayment: Record<string, bigint>;
  maxSettlementDiscountBps: number;
  allowedFrequencies: Frequency[];
  /** After an installment's due date before it counts as missed. */
  graceDays: number;
  /** Missed installments (not yet made good) that break a plan. */
  missedToBreak: number;
  freezeFeesWhileActive: boolean;
  /** The plan covers principal and interest; fees left at completion are waived. */
  waiveFeesOnCompletion: boolean;
  /** How far ahead a plan may start without approval. */
  maxStartDelayDays: number;
  /** How far in the past a start date is still accepted (a plan agreed on the phone yesterday). */
  startPastToleranceDays: number;
  promiseGraceDays: number;
  overpayment: OverpaymentPolicy;
  /** Order in which a payment pays an account's components. */
  waterfall: Component[];
}

export const DEFAULT_PLAN_RULES: PlanRules = {
  maxInstallments: 24,
  maxLengthDays: 731,
  minInstallment: {},
  minDownPaymentBps: 0,
  minDownPayment: {},
  maxSettlementDiscountBps: 3000,
  allowedFrequencies: ['weekly', 'biweekly', 'monthly'],
  graceDays: 5,
  missedToBreak: 2,
  freezeFeesWhileActive: true,
  waiveFeesOnCompletion: false,
  maxStartDelayDays: 30,
  startPastToleranceDays: 3,
  promiseGraceDays: 2,
  overpayment: 'hold_as_credit',
  waterfall: ['fee', 'interest', 'principal'],
};

/** As stored (jsonb): amounts as strings. */
export type StoredPlanRules = Omit<PlanRules, 'minInstallment' | 'minDownPayment'> & { minInstallment: Record<string, string>; minDownPayment: Record<string, string> };

const toStrings = (m: Record<string, bigint>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toString()]));
const toBigints = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, BigInt(v)]));

export function storeRules(r: PlanRules): StoredPlanRules {
  return { ...r, minInstallment: toStrings(r.minInstallment), minDownPayment: toStrings(r.minDownPayment) };
}

export function reviveRules(raw: unknown): PlanRules {
  const r = raw as StoredPlanRules;
  // Fields added later read as their defaults.
  return { ...DEFAULT_PLAN_RULES, ...r, minInstallment: toBigints(r.minInstallment ?? {}), minDownPayment: toBigints(r.minDownPayment ?? {}) };
}

export interface PlanRulesInput {
  maxInstallments?: number | null;
  maxLengthDays?: number | null;
  minInstallment?: { currency: string; amount: string }[] | null;
  minDownPaymentBps?: number | null;
  minDownPayment?: { currency: string; amount: string }[] | null;
  maxSettlementDiscountBps?: number | null;
  allowedFrequencies?: string[] | null;
  graceDays?: number | null;
  missedToBreak?: number | null;
  freezeFeesWhileActive?: boolean | null;
  waiveFeesOnCompletion?: boolean | null;
  maxStartDelayDays?: number | null;
  startPastToleranceDays?: number | null;
  promiseGraceDays?: number | null;
  overpayment?: string | null;
  waterfall?: string[] | null;
}

function int(p: Problems, field: string, v: number | null | undefined, min: number, max: number, fallback: number): number {
  if (v == null) return fallback;
  if (!Number.isInteger(v) || v < min || v > max) p.add(field, `must be a whole number from ${min} to ${max}`);
  return v;
}

function amounts(p: Problems, field: string, list: { currency: string; amount: string }[] | null | undefined, fallback: Record<string, bigint>): Record<string, bigint> {
  if (list == null) return fallback;
  const out: Record<string, bigint> = {};
  list.forEach((x, i) => {
    const c = x.currency.trim().toUpperCase();
    if (!isCurrency(c)) p.add(`${field}.${i}.currency`, 'must be an ISO 4217 currency code');
    else if (c in out) p.add(`${field}.${i}.currency`, `${c} is listed twice`);
    const a = parseMinorUnits(x.amount, { allowZero: true });
    if (typeof a === 'string') p.add(`${field}.${i}.amount`, a);
    else if (isCurrency(c)) out[c] = a;
  });
  return out;
}

/** Validates a whole rule set; fields left out keep `base`'s values (the rules being replaced, or the defaults). */
export function parseRules(p: Problems, input: PlanRulesInput, base: PlanRules = DEFAULT_PLAN_RULES, prefix = 'input.rules'): PlanRules {
  const f = (n: string) => `${prefix}.${n}`;
  const allowed = input.allowedFrequencies ?? base.allowedFrequencies;
  const freqs: Frequency[] = [];
  for (const [i, x] of allowed.entries()) {
    const v = x.toLowerCase();
    if (!(PLAN_FREQUENCIES as readonly string[]).includes(v)) p.add(f(`allowedFrequencies.${i}`), `must be one of ${PLAN_FREQUENCIES.join(', ')}`);
    else if (!freqs.includes(v as Frequency)) freqs.push(v as Frequency);
  }
  if (!allowed.length) p.add(f('allowedFrequencies'), 'must allow at least one frequency');
  const overpayment = (input.overpayment ?? base.overpayment).toLowerCase();
  if (!(OVERPAYMENT_POLICIES as readonly string[]).includes(overpayment)) p.add(f('overpayment'), `must be one of ${OVERPAYMENT_POLICIES.join(', ')}`);
  const waterfall = (input.waterfall ?? base.waterfall).map((x) => x.toLowerCase());
  const comps = ['fee', 'interest', 'principal'];
  if (waterfall.length !== 3 || comps.some((c) => !waterfall.includes(c))) p.add(f('waterfall'), 'must name fee, interest and principal, each once, in the order payments pay them');
  return {
    maxInstallments: int(p, f('maxInstallments'), input.maxInstallments, 1, 600, base.maxInstallments),
    maxLengthDays: int(p, f('maxLengthDays'), input.maxLengthDays, 1, 36600, base.maxLengthDays),
    minInstallment: amounts(p, f('minInstallment'), input.minInstallment, base.minInstallment),
    minDownPaymentBps: int(p, f('minDownPaymentBps'), input.minDownPaymentBps, 0, 10000, base.minDownPaymentBps),
    minDownPayment: amounts(p, f('minDownPayment'), input.minDownPayment, base.minDownPayment),
    maxSettlementDiscountBps: int(p, f('maxSettlementDiscountBps'), input.maxSettlementDiscountBps, 0, 10000, base.maxSettlementDiscountBps),
    allowedFrequencies: freqs,
    graceDays: int(p, f('graceDays'), input.graceDays, 0, 365, base.graceDays),
    missedToBreak: int(p, f('missedToBreak'), input.missedToBreak, 1, 600, base.missedToBreak),
    freezeFeesWhileActive: input.freezeFeesWhileActive ?? base.freezeFeesWhileActive,
    waiveFeesOnCompletion: input.waiveFeesOnCompletion ?? base.waiveFeesOnCompletion,
    maxStartDelayDays: int(p, f('maxStartDelayDays'), input.maxStartDelayDays, 0, 3660, base.maxStartDelayDays),
    startPastToleranceDays: int(p, f('startPastToleranceDays'), input.startPastToleranceDays, 0, 366, base.startPastToleranceDays),
    promiseGraceDays: int(p, f('promiseGraceDays'), input.promiseGraceDays, 0, 365, base.promiseGraceDays),
    overpayment: overpayment as OverpaymentPolicy,
    waterfall: waterfall as Component[],
  };
}

/** A limit the proposal goes beyond: it can still be agreed, but only with an admin's approval. */
export interface Violation {
  rule: string;
  limit: string;
  actual: string;
  message: string;
}

export interface ScheduleFacts {
  currency: string;
  total: bigint;
  downPayment: bigint;
  frequency: Frequency | null;
  startOn: string;
  /** Installments only (the down payment excluded), in order. */
  installments: readonly { dueOn: string; amount: bigint }[];
  today: string;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** "1234.56 CNY": amounts in messages. */
export function money(v: bigint, currency: string): string {
  return `${formatDecimal(v, currency)} ${currency}`;
}

/** Every rule the schedule exceeds (empty: inside the rules, it may be activated at once). */
export function planViolations(rules: PlanRules, s: ScheduleFacts): Violation[] {
  const out: Violation[] = [];
  const n = s.installments.length;
  if (n > rules.maxInstallments) out.push({ rule: 'maxInstallments', limit: String(rules.maxInstallments), actual: String(n), message: `${n} installments; the rules allow at most ${rules.maxInstallments}` });
  const last = s.installments[n - 1]?.dueOn ?? s.startOn;
  const length = daysBetween(s.startOn, last);
  if (length > rules.maxLengthDays) out.push({ rule: 'maxLengthDays', limit: String(rules.maxLengthDays), actual: String(length), message: `the last installment falls ${length} days after the start; the rules allow at most ${rules.maxLengthDays}` });
  const minInst = rules.minInstallment[s.currency];
  if (minInst !== undefined) {
    const smallest = s.installments.reduce((m, x) => (x.amount < m ? x.amount : m), s.installments[0]?.amount ?? 0n);
    if (smallest < minInst) out.push({ rule: 'minInstallment', limit: minInst.toString(), actual: smallest.toString(), message: `the smallest installment is ${money(smallest, s.currency)}; the rules ask for at least ${money(minInst, s.currency)}` });
  }
  const byBps = ceilDiv(s.total * BigInt(rules.minDownPaymentBps), 10000n);
  const byAmount = rules.minDownPayment[s.currency] ?? 0n;
  // Never more than the whole plan: a minimum of 100 EUR on an 80 EUR plan means paying it all up front.
  const wanted = byBps > byAmount ? byBps : byAmount;
  const minDown = wanted > s.total ? s.total : wanted;
  if (s.downPayment < minDown) out.push({ rule: 'minDownPayment', limit: minDown.toString(), actual: s.downPayment.toString(), message: `a down payment of ${money(s.downPayment, s.currency)}; the rules ask for at least ${money(minDown, s.currency)}` });
  if (s.frequency && !rules.allowedFrequencies.includes(s.frequency)) out.push({ rule: 'allowedFrequencies', limit: rules.allowedFrequencies.join(','), actual: s.frequency, message: `${s.frequency} installments; the rules allow ${rules.allowedFrequencies.join(', ')}` });
  if (!s.frequency && s.installments.length > 0) {
    // A custom schedule: its widest gap (from the start date on) must not be longer than the longest allowed frequency.
    const dates = [s.startOn, ...s.installments.map((x) => x.dueOn)];
    const widest = dates.slice(1).reduce((m, d, i) => Math.max(m, daysBetween(dates[i]!, d)), 0);
    const allowed = Math.max(...rules.allowedFrequencies.map((f) => (f === 'weekly' ? 7 : f === 'biweekly' ? 14 : 31)));
    if (widest > allowed) out.push({ rule: 'allowedFrequencies', limit: `${allowed} days`, actual: `${widest} days`, message: `installments up to ${widest} days apart; the allowed frequencies mean at most ${allowed}` });
  }
  const delay = daysBetween(s.today, s.startOn);
  if (delay > rules.maxStartDelayDays) out.push({ rule: 'maxStartDelayDays', limit: String(rules.maxStartDelayDays), actual: String(delay), message: `starts ${delay} days from today; the rules allow at most ${rules.maxStartDelayDays}` });
  return out;
}

/** Discount of a settlement, in basis points of the balance, rounded up (so a cap cannot be crept past). */
export function discountBps(balance: bigint, amount: bigint): number {
  if (balance <= 0n) return 0;
  return Number(ceilDiv((balance - amount) * 10000n, balance));
}
