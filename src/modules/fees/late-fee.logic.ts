import { addDays, addMonths, daysBetween, endOfMonth, daysInMonth } from '../../shared/dates.js';
import { currencyExponent, divRoundHalfEven, formatDecimal, fractionText } from '../../shared/money.js';
import type { AccountStatus, Component } from '../accounts/account.logic.js';
import type { DayCount, PercentBase, PolicyRules, Rate } from './late-fee.rules.js';

/**
 * The late-fee engine, pure: the same code previews, assesses and explains. Every figure is an exact
 * fraction of minor units until the one rounding step per component (half-even), so anyone can redo a
 * fee with a calculator from the explanation it stores.
 */

export interface JurisdictionCap {
  code: string;
  name: string;
  /** Annualised ceiling on the late charges the engine adds, in bps of overdue principal per year. */
  annualRateBps: bigint | null;
  /** Per-assessment ceilings, in `currency`'s minor unit; apply only to policies in that currency. */
  currency: string | null;
  maxFirstAssessment: bigint | null;
  maxLaterAssessment: bigint | null;
  source: string;
}

export interface PolicyRef {
  policyId: string;
  versionId: string;
  version: number;
  name: string;
  /** Where it was attached: account, portfolio_product, portfolio, product_type, tenant. */
  level: string;
}

export interface DatedAmount {
  component: Component;
  amount: bigint;
  effectiveOn: string;
}

export interface AccountFacts {
  accountId: string;
  currency: string;
  status: AccountStatus;
  originalPrincipal: bigint;
  dueOn: string;
  /** The oldest unpaid due date: days past due count from it, and the schedule is anchored on it. */
  anchor: string;
  /** Balances now, by component (materialised from the ledger). */
  balances: Record<Component, bigint>;
  /** Ledger entries effective after `anchor`: they turn today's balances into any earlier day's. */
  later: readonly DatedAmount[];
  debtorBankrupt: boolean;
  /**
   * While an installment plan holds the account, its agreed terms decide whether fees freeze; null (an account
   * put in_plan by hand) leaves it to the policy's freezeWhileInPlan.
   */
  planFreezesFees?: boolean | null;
  debtorDeceased: boolean;
  /** Period keys already assessed on this account. */
  assessedPeriods: ReadonlySet<string>;
  /** Late fees the engine has charged this account so far (reversed ones included: caps stay conservative). */
  assessedTotal: bigint;
  /** How many non-zero late fees it has charged: the first may have a different legal ceiling. */
  chargedCount: number;
  /** The last day any earlier assessment of this account covered (see periodsFor); null when none. */
  chargedThrough?: string | null;
  /** The policy's attachment charges only periods due from this date (no back-fees); null: since the anchor. */
  chargeFrom?: string | null;
}

export interface Period {
  key: string;
  start: string;
  end: string;
  /** The day the fee is charged (its ledger effective date). */
  postOn: string;
}

export interface Step {
  kind: 'flat' | 'percentage' | 'daily_interest';
  base: bigint | null;
  rateBps: bigint | null;
  days: number | null;
  tier: string | null;
  /** The exact, unrounded figure, in minor units. */
  exact: string;
  amount: bigint;
  /** Flat and percentage: days past due on the assessment day. */
  dpd: number | null;
  /** Percentage: what the base is. */
  baseKind: PercentBase | null;
  /** Daily interest: the segment (constant principal and rate) and the day count. */
  from: string | null;
  to: string | null;
  dayCount: DayCount | null;
  /** Rendered from the fields above (describeStep): stored explanations leave it out. */
  description: string;
}

export type CapKind = 'per_assessment' | 'jurisdiction_per_assessment' | 'cumulative_amount' | 'cumulative_percent_of_principal' | 'legal_annual_rate';

export interface CapCheck {
  cap: CapKind;
  /** What may still be charged under this cap at this assessment. */
  limit: bigint;
  binding: boolean;
  /** The figures behind the limit (ceiling, already charged, rate, days…), as strings. */
  params: Record<string, string>;
  /** Rendered from the fields above (describeCap): stored explanations leave it out. */
  description: string;
}

/** One period's fee: the figures, and its explanation built only when someone reads it. */
export class Assessment {
  constructor(
    readonly period: Period,
    readonly daysPastDue: number,
    readonly steps: Step[],
    readonly uncapped: bigint,
    readonly caps: CapCheck[],
    readonly amount: bigint,
    readonly belowMinimum: boolean,
    private readonly ctx: { ref: PolicyRef; anchor: string; currency: string; overdue: bigint; minimum: bigint; held?: SkipReason },
  ) {}

  get explanation(): Explanation {
    return {
      policy: this.ctx.ref,
      periodKey: this.period.key,
      periodStart: this.period.start,
      periodEnd: this.period.end,
      assessedOn: this.period.postOn,
      overdueSince: this.ctx.anchor,
      daysPastDue: this.daysPastDue,
      currency: this.ctx.currency,
      steps: this.steps.map(storedStep),
      uncapped: this.uncapped.toString(),
      caps: this.caps.map((c) => ({ cap: c.cap, limit: c.limit.toString(), binding: c.binding, params: c.params })),
      charged: this.amount.toString(),
      belowMinimum: this.belowMinimum ? { overdue: this.ctx.overdue.toString(), minimum: this.ctx.minimum.toString() } : null,
      held: this.ctx.held ?? null,
    };
  }

  /**
   * The stored form as JSON text, written straight from the figures: an accrual run writes a million of
   * these, and building objects only to serialise them was most of its CPU time and garbage.
   */
  encodeJson(): string {
    const o: string[] = [];
    this.encodeInto(o);
    return o.join('');
  }

  /**
   * Appends the JSON text's pieces to `o`, for the caller to join once per batch: a string grown with += is
   * a rope of ~40 nodes per fee, and thousands of those held until the batch is written were most of an
   * accrual run's garbage-collection time.
   */
  encodeInto(o: string[]): void {
    const r = this.ctx.ref;
    o.push('{"p":', q(r.policyId), ',"n":', String(r.version), ',"l":', q(r.level), ',"s":', q(this.period.start), ',"e":', q(this.period.end), ',"d":', String(this.daysPastDue), ',"st":[');
    for (let i = 0; i < this.steps.length; i++) {
      const x = this.steps[i]!;
      o.push(i ? ',{"k":' : '{"k":', q(x.kind), ',"a":"', x.amount.toString(), '","x":', q(x.exact));
      if (x.base !== null) o.push(',"b":"', x.base.toString(), '"');
      if (x.rateBps !== null) o.push(',"r":"', x.rateBps.toString(), '"');
      if (x.tier !== null) o.push(',"t":', q(x.tier));
      if (x.dpd !== null) o.push(',"d":', String(x.dpd));
      if (x.baseKind !== null) o.push(',"bk":', q(x.baseKind));
      if (x.from !== null) o.push(',"f":', q(x.from));
      if (x.to !== null) o.push(',"to":', q(x.to));
      if (x.days !== null) o.push(',"n":', String(x.days));
      if (x.dayCount !== null) o.push(',"dc":', q(x.dayCount));
      o.push('}');
    }
    o.push('],"c":[');
    for (let i = 0; i < this.caps.length; i++) {
      const x = this.caps[i]!;
      o.push(i ? ',{"c":' : '{"c":', q(x.cap), ',"l":"', x.limit.toString(), '"');
      if (x.binding) o.push(',"b":true');
      let first = true;
      for (const k in x.params) {
        o.push(first ? ',"q":{' : ',', q(k), ':', q(x.params[k]!));
        first = false;
      }
      if (!first) o.push('}');
      o.push('}');
    }
    o.push(']');
    if (this.belowMinimum) o.push(',"m":{"o":"', this.ctx.overdue.toString(), '","m":"', this.ctx.minimum.toString(), '"}');
    if (this.ctx.held) o.push(',"h":', q(this.ctx.held));
    o.push('}');
  }
}

const UNSAFE = /["\\\u0000-\u001f\u007f-\uffff]/;

/** A JSON string literal; ASCII stays as is (fast path), anything else is \u-escaped so the text stays one-byte. */
export function q(s: string): string {
  if (!UNSAFE.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c > 0x7e) {
      for (const unit of c > 0xffff ? [0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff)] : [c]) out += '\\u' + unit.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/**
 * What an assessment stores (JSON, one per fee): the figures only. Descriptions, the note and the rounding
 * rule are rendered from them when read (describeStep, describeCap, explanationNote), which keeps a million
 * assessments' explanations to a few hundred bytes each.
 */
export interface Explanation {
  policy: PolicyRef;
  periodKey: string;
  periodStart: string;
  periodEnd: string;
  assessedOn: string;
  overdueSince: string;
  daysPastDue: number;
  currency: string;
  steps: StoredStep[];
  uncapped: string;
  caps: StoredCap[];
  charged: string;
  /** Overdue principal + interest on the assessment day, and the policy minimum, when below it. */
  belowMinimum: { overdue: string; minimum: string } | null;
  /** Why nothing was charged for this period although it fell due (a dispute, a plan freeze, a debtor flag). */
  held: SkipReason | null;
}

/**
 * The stored form, one per assessment and so written a million times a run: short keys, nulls left out,
 * and nothing the assessment's own columns already hold (period key, dates, currency, amounts, policy
 * version). `decodeExplanation` puts it all back.
 *   p policy id · n policy version · l level · s/e period start/end · d days past due · m below minimum {o, m}
 *   st steps: k kind · a amount · x exact · b base · r bps · t tier · d dpd · bk base kind · f/to segment · n days · dc day count
 *   c caps: c cap · l limit · b binding (when true) · q params
 */
export interface StoredExplanation {
  p: string;
  n: number;
  l: string;
  s: string;
  e: string;
  d: number;
  st: Record<string, string | number>[];
  c: { c: CapKind; l: string; b?: true; q?: Record<string, string> }[];
  m?: { o: string; m: string };
  h?: SkipReason;
}

export function decodeExplanation(
  s: StoredExplanation,
  row: { policyVersionId: string; periodKey: string; assessedOn: string; anchorOn: string; currency: string; uncapped: bigint; amount: bigint },
): Explanation {
  const str = (v: string | number | undefined) => (v === undefined ? null : String(v));
  const num = (v: string | number | undefined) => (v === undefined ? null : Number(v));
  return {
    policy: { policyId: s.p, versionId: row.policyVersionId, version: s.n, name: '', level: s.l },
    periodKey: row.periodKey,
    periodStart: s.s,
    periodEnd: s.e,
    assessedOn: row.assessedOn,
    overdueSince: row.anchorOn,
    daysPastDue: s.d,
    currency: row.currency,
    steps: s.st.map((x) => ({
      kind: x.k as Step['kind'],
      amount: String(x.a),
      exact: String(x.x),
      base: str(x.b),
      rateBps: str(x.r),
      tier: str(x.t),
      dpd: num(x.d),
      baseKind: (str(x.bk) as PercentBase | null),
      from: str(x.f),
      to: str(x.to),
      days: num(x.n),
      dayCount: (str(x.dc) as DayCount | null),
    })),
    uncapped: row.uncapped.toString(),
    caps: s.c.map((x) => ({ cap: x.c, limit: x.l, binding: x.b === true, params: x.q ?? {} })),
    charged: row.amount.toString(),
    belowMinimum: s.m ? { overdue: s.m.o, minimum: s.m.m } : null,
    held: s.h ?? null,
  };
}

export interface StoredStep {
  kind: Step['kind'];
  base: string | null;
  rateBps: string | null;
  days: number | null;
  tier: string | null;
  exact: string;
  amount: string;
  dpd: number | null;
  baseKind: PercentBase | null;
  from: string | null;
  to: string | null;
  dayCount: DayCount | null;
}

export interface StoredCap {
  cap: CapKind;
  limit: string;
  binding: boolean;
  params: Record<string, string>;
}

export const SKIP_REASONS = ['disputed', 'frozen_in_plan', 'debtor_bankrupt', 'debtor_deceased', 'no_policy', 'currency_mismatch', 'below_minimum', 'capped_to_zero'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface Evaluation {
  skip: SkipReason | null;
  assessments: Assessment[];
  /** The next date on which this account could owe a new assessment under the same anchor and policy. */
  nextOn: string;
}

/** Far enough to mean "never, unless something changes" and still a valid date. */
export const NEVER = '9999-12-31';
/** A runaway schedule (an anchor decades back) is cut here; the rest is caught up by later runs. */
const MAX_PERIODS_PER_RUN = 600;

/** The day count fraction's denominator. */
export function yearBasis(dc: DayCount): bigint {
  return dc === 'act_365' ? 365n : 360n;
}

/**
 * Cumulative 30/360 day number: every month counts 30 days, so the 31st accrues nothing and the last day of
 * February accrues the missing days (3 in a common year, 2 in a leap year). Differences are additive,
 * which is what lets daily accruals sum exactly to a period's figure.
 */
function day30(d: string): number {
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7));
  const day = Number(d.slice(8, 10));
  const lastOfFeb = m === 2 && day === daysInMonth(y, 2);
  return y * 360 + (m - 1) * 30 + (lastOfFeb ? 30 : Math.min(day, 30));
}

/** Accrual days in [from, to] (inclusive) under the convention. */
export function accrualDays(from: string, to: string, dc: DayCount): number {
  if (to < from) return 0;
  if (dc === 'thirty_360') return day30(to) - day30(addDays(from, -1));
  return daysBetween(from, to) + 1;
}

export function rateAt(rate: Rate, dpd: number): { value: bigint; tier: string | null } | null {
  if (rate.kind === 'fixed') return { value: rate.value, tier: null };
  const t = rate.tiers.find((x) => dpd >= x.fromDay && (x.toDay === null || dpd <= x.toDay));
  return t ? { value: t.value, tier: `days ${t.fromDay}–${t.toDay ?? '∞'}` } : null;
}

/** Due periods up to `asOf`, and the date the next one falls due. */
/**
 * Due periods up to `asOf`, and the date the next one falls due. `chargedThrough` is the last day an earlier
 * assessment of this account covered, under any anchor or policy: monthly fees resume a full month after it
 * and penalty interest the day after, so a payment (or a reversal) that moves the anchor, or a change of
 * policy, never charges the same days or month twice. A fee per missed due date is keyed on that due date.
 * `chargeFrom` (an attachment's start): nothing that fell due before it is charged.
 */
export function periodsFor(rules: PolicyRules, anchor: string, asOf: string, chargedThrough: string | null = null, chargeFrom: string | null = null): { due: Period[]; nextOn: string } {
  const first = addDays(anchor, rules.graceDays + 1);
  const due: Period[] = [];
  if (rules.frequency === 'once_per_due_date') {
    if (chargeFrom !== null && first < chargeFrom) return { due, nextOn: NEVER };
    if (first > asOf) return { due, nextOn: first };
    return { due: [{ key: `${anchor}/due`, start: first, end: first, postOn: first }], nextOn: NEVER };
  }
  if (rules.frequency === 'monthly') {
    let resume = chargedThrough === null ? first : addMonths(chargedThrough, 1);
    if (chargeFrom !== null && chargeFrom > resume) resume = chargeFrom;
    let k = 0;
    let d = first;
    while (d < resume) d = addMonths(first, ++k);
    while (d <= asOf && due.length < MAX_PERIODS_PER_RUN) {
      due.push({ key: `${anchor}/m${k}`, start: d, end: d, postOn: d });
      d = addMonths(first, ++k);
    }
    return { due, nextOn: d };
  }
  // Daily accrual, posted at each calendar month end for the days of that month.
  let start = chargedThrough !== null && chargedThrough >= first ? addDays(chargedThrough, 1) : first;
  if (chargeFrom !== null && chargeFrom > start) start = chargeFrom;
  let end = endOfMonth(start);
  while (end <= asOf && due.length < MAX_PERIODS_PER_RUN) {
    due.push({ key: `${anchor}/${end.slice(0, 7)}`, start, end, postOn: end });
    start = addDays(end, 1);
    end = endOfMonth(start);
  }
  return { due, nextOn: end };
}

/** A component's balance at the end of day `d`: today's, less everything effective after `d`. */
export function balanceAt(facts: Pick<AccountFacts, 'balances' | 'later'>, c: Component, d: string): bigint {
  let v = facts.balances[c];
  for (const e of facts.later) if (e.component === c && e.effectiveOn > d) v -= e.amount;
  return v > 0n ? v : 0n;
}

function money(v: bigint, currency: string): string {
  return `${formatDecimal(v, currency)} ${currency}`;
}

function pct(bps: bigint): string {
  return `${formatDecimal(bps, 'EUR')} %`; // bps/100 with two places: 1250 bps → "12.50 %"
}

export interface DailyAccrual {
  date: string;
  principal: bigint;
  annualRateBps: bigint;
  /** This day's weight under the day count (ACT: 1; 30/360: 0 to 3). */
  weight: number;
  /** This day's share, rounded so the days of a period add up exactly to the period's figure. */
  amount: bigint;
}

/**
 * Day by day: each day's amount is round(cumulative to that day) − round(cumulative to the day before),
 * so the daily figures always sum to the one rounding of the period total — no cent appears or vanishes.
 */
export function dailyAccruals(rules: PolicyRules, facts: Pick<AccountFacts, 'balances' | 'later' | 'anchor'>, period: Period): { days: DailyAccrual[]; total: bigint; numerator: bigint; denominator: bigint } {
  const di = rules.dailyInterest!;
  const den = 10_000n * yearBasis(di.dayCount);
  let cum = 0n;
  let roundedBefore = 0n;
  const days: DailyAccrual[] = [];
  for (let d = period.start; d <= period.end; d = addDays(d, 1)) {
    const principal = balanceAt(facts, 'principal', d);
    const below = principal === 0n || principal + balanceAt(facts, 'interest', d) < rules.minimumOverdue;
    const r = below ? null : rateAt(di.annualRateBps, daysBetween(facts.anchor, d));
    const bps = r?.value ?? 0n;
    const weight = accrualDays(d, d, di.dayCount);
    cum += principal * bps * BigInt(weight);
    const rounded = divRoundHalfEven(cum, den);
    days.push({ date: d, principal, annualRateBps: bps, weight, amount: rounded - roundedBefore });
    roundedBefore = rounded;
  }
  return { days, total: roundedBefore, numerator: cum, denominator: den };
}

/**
 * The same figure as dailyAccruals, by segments of constant principal and rate (a month is one or a few
 * segments rather than 31 days): what the engine runs and what an explanation shows.
 */
function dailyInterestSteps(rules: PolicyRules, facts: AccountFacts, period: Period, describe: boolean): Step[] {
  const di = rules.dailyInterest!;
  const basis = yearBasis(di.dayCount);
  const den = 10_000n * basis;
  // Breakpoints: days on which the principal or the tier can change.
  const cuts = new Set<string>();
  const minimum = rules.minimumOverdue;
  for (const e of facts.later) {
    // Interest moves the overdue amount the minimum is judged on, so its changes cut segments too.
    if ((e.component === 'principal' || (minimum > 0n && e.component === 'interest')) && e.effectiveOn > period.start && e.effectiveOn <= period.end) cuts.add(e.effectiveOn);
  }
  if (di.annualRateBps.kind === 'tiered') {
    for (const t of di.annualRateBps.tiers) {
      for (const dpd of [t.fromDay, t.toDay === null ? null : t.toDay + 1]) {
        if (dpd === null) continue;
        const d = addDays(facts.anchor, dpd);
        if (d > period.start && d <= period.end) cuts.add(d);
      }
    }
  }
  const starts = [period.start, ...[...cuts].sort()];
  const steps: Step[] = [];
  let cum = 0n;
  let roundedBefore = 0n;
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i]!;
    const to = i + 1 < starts.length ? addDays(starts[i + 1]!, -1) : period.end;
    const principal = balanceAt(facts, 'principal', from);
    const below = principal === 0n || principal + balanceAt(facts, 'interest', from) < minimum;
    const r = below ? null : rateAt(di.annualRateBps, daysBetween(facts.anchor, from));
    const bps = r?.value ?? 0n;
    const days = accrualDays(from, to, di.dayCount);
    const num = principal * bps * BigInt(days);
    cum += num;
    const rounded = divRoundHalfEven(cum, den);
    steps.push(withDescription({
      kind: 'daily_interest',
      base: principal,
      rateBps: bps,
      days,
      tier: below ? BELOW_MINIMUM : (r?.tier ?? (r ? null : NO_TIER)),
      exact: fractionText(num, den),
      amount: rounded - roundedBefore,
      dpd: null,
      baseKind: null,
      from,
      to,
      dayCount: di.dayCount,
    }, facts.currency, describe));
    roundedBefore = rounded;
  }
  return steps;
}

const NO_TIER = 'none';
/** A daily-interest segment whose overdue amount was below the policy minimum (or had no principal). */
const BELOW_MINIMUM = 'below minimum';
const DC_NAMES: Record<DayCount, string> = { act_365: 'ACT/365', act_360: 'ACT/360', thirty_360: '30/360' };
const BASE_NAMES: Record<PercentBase, string> = { overdue_principal: 'overdue principal', overdue_interest: 'overdue interest', overdue_principal_and_interest: 'overdue principal + interest' };

/** A step in words, from its figures: the same text for a preview and for a fee stored years ago. */
export function describeStep(s: Omit<Step, 'description'> | StoredStep, currency: string): string {
  const amount = (v: bigint | string | null) => money(BigInt(v ?? 0), currency);
  const tier = s.tier && s.tier !== NO_TIER && s.tier !== BELOW_MINIMUM ? ` (${s.tier})` : '';
  if (s.kind === 'flat') return s.tier === NO_TIER ? `flat fee: no tier covers day ${s.dpd}` : `flat fee at ${s.dpd} days past due${tier}: ${amount(s.amount)}`;
  if (s.kind === 'percentage') {
    return s.tier === NO_TIER
      ? `percentage: no tier covers day ${s.dpd}`
      : `${pct(BigInt(s.rateBps ?? 0))} of ${BASE_NAMES[s.baseKind!]} ${amount(s.base)} at ${s.dpd} days past due${tier}`;
  }
  const basis = yearBasis(s.dayCount!);
  return `${s.from}…${s.to}: ${amount(s.base)} overdue principal × ${pct(BigInt(s.rateBps ?? 0))} a year × ${s.days}/${basis} (${DC_NAMES[s.dayCount!]})${tier}${s.tier === NO_TIER ? ' — no tier covers these days' : s.tier === BELOW_MINIMUM ? ' — nothing accrues: below the minimum overdue amount' : ''}`;
}

/** A cap in words, from its figures. */
export function describeCap(c: Pick<CapCheck, 'cap' | 'params'> & { limit: bigint | string }, currency: string): string {
  const m = (k: string) => money(BigInt(c.params[k] ?? '0'), currency);
  const p = c.params;
  const detail =
    c.cap === 'per_assessment'
      ? 'policy cap per assessment'
      : c.cap === 'jurisdiction_per_assessment'
        ? `${p.code ? `legal cap ${p.code}` : p.name}, ${p.which} late fee`
        : c.cap === 'cumulative_amount'
          ? `policy cumulative cap ${m('ceiling')} less ${m('charged')} already charged`
          : c.cap === 'cumulative_percent_of_principal'
            ? `${pct(BigInt(p.bps ?? '0'))} of original principal ${m('principal')} = ${m('ceiling')}, less ${m('charged')} already charged`
            : `${p.code ? `legal cap ${p.code}` : p.name}: ${pct(BigInt(p.bps ?? '0'))} a year on ${m('principal')} overdue principal for ${p.days} days since ${p.since} = ${m('ceiling')}, less ${m('charged')} already charged`;
  return `${detail}: at most ${money(BigInt(c.limit), currency)} now`;
}

/** Nulls are left out of what is stored: a million explanations, each a few hundred bytes shorter. */
function storedStep(s: Step): StoredStep {
  const out: Record<string, unknown> = { kind: s.kind, exact: s.exact, amount: s.amount.toString() };
  if (s.base !== null) out.base = s.base.toString();
  if (s.rateBps !== null) out.rateBps = s.rateBps.toString();
  if (s.days !== null) out.days = s.days;
  if (s.tier !== null) out.tier = s.tier;
  if (s.dpd !== null) out.dpd = s.dpd;
  if (s.baseKind !== null) out.baseKind = s.baseKind;
  if (s.from !== null) out.from = s.from;
  if (s.to !== null) out.to = s.to;
  if (s.dayCount !== null) out.dayCount = s.dayCount;
  return out as unknown as StoredStep;
}

/** A stored step with its absent fields back as nulls. */
export function loadStep(s: Partial<StoredStep> & Pick<StoredStep, 'kind' | 'exact' | 'amount'>): StoredStep {
  return { base: null, rateBps: null, days: null, tier: null, dpd: null, baseKind: null, from: null, to: null, dayCount: null, ...s };
}

// An accrual run over a million accounts has no use for the words (stored explanations are rendered when
// read), so they are written only when asked for: previews and tests.
function withDescription(s: Omit<Step, 'description'>, currency: string, describe: boolean): Step {
  const step = s as Step;
  step.description = describe ? describeStep(s, currency) : '';
  return step;
}

function capCheck(kind: CapKind, limit: bigint, currency: string, params: Record<string, string>, describe: boolean): CapCheck {
  const c: CapCheck = { cap: kind, limit: limit < 0n ? 0n : limit, binding: false, params, description: '' };
  if (describe) c.description = describeCap(c, currency);
  return c;
}

export function roundingText(currency: string): string {
  const exp = currencyExponent(currency) ?? 0;
  return `each component rounded half-even to 1/${10 ** exp} ${currency}`;
}

const HELD: Partial<Record<SkipReason, string>> = {
  disputed: 'the account was disputed',
  frozen_in_plan: 'the account was in a repayment plan whose terms (or, without a plan record, the policy) freeze fees meanwhile',
  debtor_bankrupt: 'the debtor was flagged bankrupt',
  debtor_deceased: 'the debtor was flagged deceased',
};

export function explanationNote(e: Pick<Explanation, 'belowMinimum' | 'currency'> & { held?: SkipReason | null }): string | null {
  if (e.held) return `not charged: ${HELD[e.held] ?? e.held} when this period fell due`;
  return e.belowMinimum
    ? `overdue principal + interest ${money(BigInt(e.belowMinimum.overdue), e.currency)} is below the policy minimum ${money(BigInt(e.belowMinimum.minimum), e.currency)}`
    : null;
}

/**
 * Assesses one account: skips first (with the reason a run counts), then every due period not yet
 * assessed, oldest first, each capped against what the earlier ones already charged.
 */
export function evaluateAccount(rules: PolicyRules, ref: PolicyRef, facts: AccountFacts, asOf: string, jurisdiction: JurisdictionCap | null, describe = true): Evaluation {
  if (facts.currency !== rules.currency) return { skip: 'currency_mismatch', assessments: [], nextOn: NEVER };
  const { due, nextOn } = periodsFor(rules, facts.anchor, asOf, facts.chargedThrough ?? null, facts.chargeFrom ?? null);
  const fresh = due.filter((p) => !facts.assessedPeriods.has(p.key));
  // While a dispute is open, a plan freezes fees, or the debtor is flagged bankrupt or deceased, periods that
  // fall due are recorded as not charged, with the reason: they are used up, not postponed until it ends.
  const held: SkipReason | null = facts.debtorDeceased
    ? 'debtor_deceased'
    : facts.debtorBankrupt
      ? 'debtor_bankrupt'
      : facts.status === 'disputed'
        ? 'disputed'
        : facts.status === 'in_plan' && (facts.planFreezesFees ?? rules.freezeWhileInPlan)
          ? 'frozen_in_plan'
          : null;
  if (held) {
    const ctx = { ref, anchor: facts.anchor, currency: facts.currency, overdue: 0n, minimum: rules.minimumOverdue, held };
    return { skip: held, assessments: fresh.map((p) => new Assessment(p, daysBetween(facts.anchor, p.postOn), [], 0n, [], 0n, false, ctx)), nextOn };
  }
  const out: Assessment[] = [];
  let total = facts.assessedTotal;
  let charged = facts.chargedCount;
  for (const period of fresh) {
    const a = assessPeriod(rules, ref, facts, period, total, charged, jurisdiction, describe);
    total += a.amount;
    if (a.amount > 0n) charged++;
    out.push(a);
  }
  let skip: SkipReason | null = null;
  if (out.length && out.every((a) => a.amount === 0n)) skip = out.every((a) => a.belowMinimum) ? 'below_minimum' : 'capped_to_zero';
  return { skip, assessments: out, nextOn };
}

export function assessPeriod(
  rules: PolicyRules,
  ref: PolicyRef,
  facts: AccountFacts,
  period: Period,
  chargedSoFar: bigint,
  chargedCount: number,
  jurisdiction: JurisdictionCap | null,
  describe = true,
): Assessment {
  const cur = facts.currency;
  const dpd = daysBetween(facts.anchor, period.postOn);
  const principal = balanceAt(facts, 'principal', period.postOn);
  const interest = balanceAt(facts, 'interest', period.postOn);
  const steps: Step[] = [];
  const overdue = principal + interest;
  const belowMinimum = overdue < rules.minimumOverdue || overdue === 0n;

  if (!belowMinimum) {
    if (rules.flat) {
      const r = rateAt(rules.flat.amount, dpd);
      steps.push(withDescription({
        kind: 'flat',
        base: null,
        rateBps: null,
        days: null,
        tier: r ? r.tier : NO_TIER,
        exact: (r?.value ?? 0n).toString(),
        amount: r?.value ?? 0n,
        dpd,
        baseKind: null,
        from: null,
        to: null,
        dayCount: null,
      }, cur, describe));
    }
    if (rules.percentage) {
      const pc = rules.percentage;
      const base = pc.base === 'overdue_principal' ? principal : pc.base === 'overdue_interest' ? interest : principal + interest;
      const r = rateAt(pc.rateBps, dpd);
      const bps = r?.value ?? 0n;
      steps.push(withDescription({
        kind: 'percentage',
        base,
        rateBps: bps,
        days: null,
        tier: r ? r.tier : NO_TIER,
        exact: fractionText(base * bps, 10_000n),
        amount: divRoundHalfEven(base * bps, 10_000n),
        dpd,
        baseKind: pc.base,
        from: null,
        to: null,
        dayCount: null,
      }, cur, describe));
    }
  }
  // Penalty interest is judged day by day (days below the minimum accrue nothing), not on the posting day
  // alone: paying most of the debt down late in the month does not cancel what the earlier days accrued.
  if (rules.dailyInterest) steps.push(...dailyInterestSteps(rules, facts, period, describe));
  const uncapped = steps.reduce((s, x) => s + x.amount, 0n);

  const caps: CapCheck[] = [];
  const charged = chargedSoFar.toString();
  if (rules.caps.perAssessment !== null) caps.push(capCheck('per_assessment', rules.caps.perAssessment, cur, {}, describe));
  if (jurisdiction && jurisdiction.currency === cur) {
    const max = chargedCount === 0 ? jurisdiction.maxFirstAssessment : jurisdiction.maxLaterAssessment;
    if (max !== null) caps.push(capCheck('jurisdiction_per_assessment', max, cur, { code: jurisdiction.code, which: chargedCount === 0 ? 'first' : 'later' }, describe));
  }
  if (rules.caps.cumulativeAmount !== null) {
    caps.push(capCheck('cumulative_amount', rules.caps.cumulativeAmount - chargedSoFar, cur, { ceiling: rules.caps.cumulativeAmount.toString(), charged }, describe));
  }
  if (rules.caps.cumulativeBpsOfPrincipal !== null) {
    const ceiling = (facts.originalPrincipal * rules.caps.cumulativeBpsOfPrincipal) / 10_000n; // floor: never above the cap
    caps.push(
      capCheck('cumulative_percent_of_principal', ceiling - chargedSoFar, cur, {
        bps: rules.caps.cumulativeBpsOfPrincipal.toString(),
        principal: facts.originalPrincipal.toString(),
        ceiling: ceiling.toString(),
        charged,
      }, describe),
    );
  }
  if (jurisdiction?.annualRateBps != null) {
    const since = facts.dueOn < facts.anchor ? facts.dueOn : facts.anchor;
    const days = BigInt(Math.max(0, daysBetween(since, period.postOn)));
    const allowance = (principal * jurisdiction.annualRateBps * days) / (10_000n * 365n); // floor
    caps.push(
      capCheck('legal_annual_rate', allowance - chargedSoFar, cur, {
        code: jurisdiction.code,
        bps: jurisdiction.annualRateBps.toString(),
        principal: principal.toString(),
        days: days.toString(),
        since,
        ceiling: allowance.toString(),
        charged,
      }, describe),
    );
  }
  let amount = uncapped;
  for (const c of caps) if (c.limit < amount) amount = c.limit;
  if (amount < 0n) amount = 0n;
  for (const c of caps) c.binding = c.limit < uncapped && c.limit === amount;

  return new Assessment(period, dpd, steps, uncapped, caps, amount, belowMinimum, { ref, anchor: facts.anchor, currency: cur, overdue, minimum: rules.minimumOverdue });
}
