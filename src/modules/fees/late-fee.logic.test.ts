import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween } from '../../shared/dates.js';
import {
  accrualDays,
  assessPeriod,
  balanceAt,
  dailyAccruals,
  describeCap,
  evaluateAccount,
  explanationNote,
  NEVER,
  periodsFor,
  roundingText,
  type AccountFacts,
  type Assessment,
  type DatedAmount,
  type JurisdictionCap,
  type Period,
  type PolicyRef,
} from './late-fee.logic.js';
import type { DayCount, PolicyRules, Rate, Tier } from './late-fee.rules.js';

/*
 * Every expected figure below is worked out by hand (the comment beside it) from the documented semantics,
 * never copied from the engine's output. Amounts are minor units; rates are basis points (1 bp = 0.01 %).
 * Rounding is half-even: x.5 goes to the even neighbour.
 */

const REF: PolicyRef = { policyId: 'pol-1', versionId: 'ver-1', version: 1, name: 'Test policy', level: 'tenant' };

function rules(over: Partial<PolicyRules> = {}): PolicyRules {
  return {
    currency: 'EUR',
    graceDays: 0,
    frequency: 'monthly',
    minimumOverdue: 0n,
    flat: null,
    percentage: null,
    dailyInterest: null,
    caps: { perAssessment: null, cumulativeAmount: null, cumulativeBpsOfPrincipal: null },
    jurisdiction: null,
    freezeWhileInPlan: true,
    waiverApprovalThreshold: null,
    ...over,
  };
}

function caps(over: Partial<PolicyRules['caps']>): PolicyRules['caps'] {
  return { perAssessment: null, cumulativeAmount: null, cumulativeBpsOfPrincipal: null, ...over };
}

function facts(over: Partial<AccountFacts> = {}): AccountFacts {
  return {
    accountId: 'acc-1',
    currency: 'EUR',
    status: 'delinquent',
    originalPrincipal: 1_000_000n,
    dueOn: '2026-01-10',
    anchor: '2026-01-10',
    balances: { principal: 1_000_000n, interest: 0n, fee: 0n },
    later: [],
    debtorBankrupt: false,
    debtorDeceased: false,
    assessedPeriods: new Set<string>(),
    assessedTotal: 0n,
    chargedCount: 0,
    ...over,
  };
}

function jurisdiction(over: Partial<JurisdictionCap> = {}): JurisdictionCap {
  return { code: 'XX', name: 'Testland', annualRateBps: null, currency: null, maxFirstAssessment: null, maxLaterAssessment: null, source: 'test', ...over };
}

const fixed = (value: bigint): Rate => ({ kind: 'fixed', value });
const tiered = (...t: [number, number | null, bigint][]): Rate => ({ kind: 'tiered', tiers: t.map(([fromDay, toDay, value]) => ({ fromDay, toDay, value })) });
/** A one-day period (flat / percentage fees are charged on a single day). */
const onDay = (d: string): Period => ({ key: `test/${d}`, start: d, end: d, postOn: d });
/** A daily-accrual window, posted on its last day. */
const span = (start: string, end: string): Period => ({ key: `test/${start}`, start, end, postOn: end });
const daily = (rate: Rate, dayCount: DayCount = 'act_365'): PolicyRules['dailyInterest'] => ({ annualRateBps: rate, dayCount });
const capRows = (a: Assessment) => a.caps.map((c) => [c.cap, c.limit, c.binding] as const);
const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);

describe('each fee kind alone', () => {
  it('flat: the fixed amount, whatever the balance', () => {
    const a = assessPeriod(rules({ flat: { amount: fixed(2500n) } }), REF, facts(), onDay('2026-01-11'), 0n, 0, null);
    // flat 2500 minor units = 25.00 EUR, 1 day past due (2026-01-10 → 2026-01-11)
    expect(a.daysPastDue).toBe(1);
    expect(a.steps).toHaveLength(1);
    expect(a.steps[0]).toMatchObject({ kind: 'flat', amount: 2500n, exact: '2500', base: null, rateBps: null, tier: null });
    expect(a.uncapped).toBe(2500n);
    expect(a.amount).toBe(2500n);
  });

  const balances = { principal: 123_456n, interest: 7_891n, fee: 999n };
  it.each([
    // 123456 × 1234 bps / 10000 = 15234.4704 → 15234
    { base: 'overdue_principal' as const, expectedBase: 123_456n, exact: '15234.4704', amount: 15_234n },
    // (123456 + 7891) = 131347 × 1234 / 10000 = 16208.2198 → 16208
    { base: 'overdue_principal_and_interest' as const, expectedBase: 131_347n, exact: '16208.2198', amount: 16_208n },
    // 7891 × 1234 / 10000 = 973.7494 → 974 (fees are never part of the base)
    { base: 'overdue_interest' as const, expectedBase: 7_891n, exact: '973.7494', amount: 974n },
  ])('percentage of $base', ({ base, expectedBase, exact, amount }) => {
    const a = assessPeriod(rules({ percentage: { base, rateBps: fixed(1234n) } }), REF, facts({ balances }), onDay('2026-01-11'), 0n, 0, null);
    expect(a.steps).toHaveLength(1);
    expect(a.steps[0]).toMatchObject({ kind: 'percentage', base: expectedBase, rateBps: 1234n, exact, amount });
    expect(a.amount).toBe(amount);
  });

  it('daily penalty interest, posted at each month end', () => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(1250n)) });
    const f = facts({ anchor: '2025-12-20', dueOn: '2025-12-20', balances: { principal: 100_000n, interest: 0n, fee: 0n } });
    const ev = evaluateAccount(r, REF, f, '2026-01-31', null);
    expect(ev.skip).toBeNull();
    expect(ev.assessments.map((a) => [a.period.key, a.period.start, a.period.end, a.period.postOn])).toEqual([
      ['2025-12-20/2025-12', '2025-12-21', '2025-12-31', '2025-12-31'],
      ['2025-12-20/2026-01', '2026-01-01', '2026-01-31', '2026-01-31'],
    ]);
    // December: 100000 × 1250 bps × 11 days / (10000 × 365) = 376.712… → 377
    // January:  100000 × 1250 bps × 31 days / (10000 × 365) = 1061.643… → 1062
    expect(ev.assessments.map((a) => a.amount)).toEqual([377n, 1062n]);
    const jan = ev.assessments[1]!;
    expect(jan.steps).toHaveLength(1);
    expect(jan.steps[0]).toMatchObject({ kind: 'daily_interest', base: 100_000n, rateBps: 1250n, days: 31, exact: '1061.643835…', amount: 1062n });
    expect(ev.nextOn).toBe('2026-02-28');
  });
});

describe('tiers by days past due', () => {
  const flatTiers = rules({ flat: { amount: tiered([1, 30, 1000n], [31, 60, 2500n], [61, null, 5000n]) } });

  it('flat tiers over a monthly schedule', () => {
    const ev = evaluateAccount(flatTiers, REF, facts(), '2026-04-11', null);
    // anchor 2026-01-10, grace 0 → 01-11 (1 dpd), 02-11 (21+11 = 32), 03-11 (32+28 = 60), 04-11 (60+31 = 91)
    expect(ev.assessments.map((a) => a.daysPastDue)).toEqual([1, 32, 60, 91]);
    // 1 → tier 1–30: 1000; 32 and 60 → tier 31–60: 2500; 91 → tier 61–∞: 5000
    expect(ev.assessments.map((a) => a.amount)).toEqual([1000n, 2500n, 2500n, 5000n]);
    expect(ev.assessments.map((a) => a.steps[0]!.tier)).toEqual(['days 1–30', 'days 31–60', 'days 31–60', 'days 61–∞']);
    expect(ev.nextOn).toBe('2026-05-11');
  });

  it.each([
    { postOn: '2026-02-09', dpd: 30, amount: 1000n }, // 2026-01-10 → 02-09 = 21 + 9 = 30 days: last day of tier 1–30
    { postOn: '2026-02-10', dpd: 31, amount: 2500n }, // 31 days: first day of tier 31–60
    { postOn: '2026-03-11', dpd: 60, amount: 2500n },
    { postOn: '2026-03-12', dpd: 61, amount: 5000n },
  ])('flat tier boundary at $dpd days', ({ postOn, dpd, amount }) => {
    const a = assessPeriod(flatTiers, REF, facts(), onDay(postOn), 0n, 0, null);
    expect(a.daysPastDue).toBe(dpd);
    expect(a.amount).toBe(amount);
  });

  it.each([
    // 123456 × 500 bps / 10000 = 6172.8 → 6173
    { postOn: '2026-02-09', dpd: 30, amount: 6173n, tier: 'days 1–30' },
    // 123456 × 1000 bps / 10000 = 12345.6 → 12346
    { postOn: '2026-02-10', dpd: 31, amount: 12_346n, tier: 'days 31–∞' },
  ])('percentage tiers at $dpd days', ({ postOn, dpd, amount, tier }) => {
    const r = rules({ percentage: { base: 'overdue_principal', rateBps: tiered([1, 30, 500n], [31, null, 1000n]) } });
    const a = assessPeriod(r, REF, facts({ balances: { principal: 123_456n, interest: 0n, fee: 0n } }), onDay(postOn), 0n, 0, null);
    expect(a.daysPastDue).toBe(dpd);
    expect(a.steps[0]).toMatchObject({ tier, amount });
  });

  it('daily-interest tiers: a month straddling a tier boundary has two segments', () => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(tiered([1, 30, 1000n], [31, null, 2000n])) });
    const f = facts({ anchor: '2026-01-20', dueOn: '2026-01-20' });
    const ev = evaluateAccount(r, REF, f, '2026-02-28', null);
    expect(ev.assessments.map((a) => a.period.key)).toEqual(['2026-01-20/2026-01', '2026-01-20/2026-02']);
    // January 21–31: 11 days all in tier 1–30: 1000000 × 1000 × 11 / 3650000 = 3013.698… → 3014
    const jan = ev.assessments[0]!;
    expect(jan.steps).toHaveLength(1);
    expect(jan.amount).toBe(3014n);
    // February: day 31 past due is 2026-01-20 + 31 = 2026-02-20.
    //   02-01…02-19 (dpd 12–30): 1000000 × 1000 × 19 / 3650000 = 5205.479… → 5205
    //   02-20…02-28 (dpd 31–39): 1000000 × 2000 × 9 / 3650000 = 4931.506…; together 37000000000 / 3650000 = 10136.986… → 10137
    //   second segment's amount = 10137 − 5205 = 4932
    const feb = ev.assessments[1]!;
    expect(feb.steps.map((s) => [s.tier, s.rateBps, s.days, s.exact, s.amount])).toEqual([
      ['days 1–30', 1000n, 19, '5205.479452…', 5205n],
      ['days 31–∞', 2000n, 9, '4931.506849…', 4932n],
    ]);
    expect(feb.amount).toBe(10_137n);
  });
});

describe('grace', () => {
  // anchor A = 2026-03-10, grace g = 10: first chargeable day A + g + 1 = 2026-03-21
  const r = rules({ graceDays: 10, frequency: 'once_per_due_date', flat: { amount: fixed(1500n) } });
  const f = facts({ anchor: '2026-03-10', dueOn: '2026-03-10' });

  it('nothing is due on A + g', () => {
    expect(periodsFor(r, '2026-03-10', '2026-03-20')).toEqual({ due: [], nextOn: '2026-03-21' });
    expect(evaluateAccount(r, REF, f, '2026-03-20', null)).toEqual({ skip: null, assessments: [], nextOn: '2026-03-21' });
  });

  it('the fee is due on A + g + 1', () => {
    const p = periodsFor(r, '2026-03-10', '2026-03-21');
    expect(p).toEqual({ due: [{ key: '2026-03-10/due', start: '2026-03-21', end: '2026-03-21', postOn: '2026-03-21' }], nextOn: NEVER });
    const ev = evaluateAccount(r, REF, f, '2026-03-21', null);
    expect(ev.assessments).toHaveLength(1);
    expect(ev.assessments[0]!.daysPastDue).toBe(11);
    expect(ev.assessments[0]!.amount).toBe(1500n);
  });

  it('grace 0: the day after the anchor is chargeable', () => {
    expect(periodsFor(rules({ frequency: 'once_per_due_date' }), '2026-03-10', '2026-03-10').due).toEqual([]);
    expect(periodsFor(rules({ frequency: 'once_per_due_date' }), '2026-03-10', '2026-03-11').due.map((p) => p.start)).toEqual(['2026-03-11']);
  });

  it('daily accrual: the first period starts on A + g + 1', () => {
    const d = rules({ graceDays: 10, frequency: 'daily_accrual_posted_monthly' });
    expect(periodsFor(d, '2026-03-10', '2026-03-31').due).toEqual([{ key: '2026-03-10/2026-03', start: '2026-03-21', end: '2026-03-31', postOn: '2026-03-31' }]);
  });
});

describe('schedules', () => {
  it('once per due date: one period keyed <anchor>/due, never again after', () => {
    const r = rules({ frequency: 'once_per_due_date', graceDays: 5, flat: { amount: fixed(1000n) } });
    // 2026-01-10 + 5 + 1 = 2026-01-16
    expect(periodsFor(r, '2026-01-10', '2027-06-30')).toEqual({
      due: [{ key: '2026-01-10/due', start: '2026-01-16', end: '2026-01-16', postOn: '2026-01-16' }],
      nextOn: '9999-12-31',
    });
    const ev = evaluateAccount(r, REF, facts({ assessedPeriods: new Set(['2026-01-10/due']) }), '2026-05-01', null);
    expect(ev).toEqual({ skip: null, assessments: [], nextOn: NEVER });
  });

  it('monthly: m0, m1, … from the first chargeable day', () => {
    const r = rules({ graceDays: 5, flat: { amount: fixed(1000n) } });
    const p = periodsFor(r, '2026-01-10', '2026-03-15');
    // first 2026-01-16, then +1 month 02-16, +2 months 03-16 (> 03-15: not yet due)
    expect(p.due.map((x) => [x.key, x.start, x.end, x.postOn])).toEqual([
      ['2026-01-10/m0', '2026-01-16', '2026-01-16', '2026-01-16'],
      ['2026-01-10/m1', '2026-02-16', '2026-02-16', '2026-02-16'],
    ]);
    expect(p.nextOn).toBe('2026-03-16');
  });

  it.each([
    // first day Jan 31 → Feb 28 (2026 is common) → Mar 31 → Apr 30 → May 31: always counted from Jan 31
    { anchor: '2026-01-30', asOf: '2026-05-31', dates: ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31'], next: '2026-06-30' },
    // 2028 is a leap year: Jan 31 → Feb 29 → Mar 31
    { anchor: '2028-01-30', asOf: '2028-03-31', dates: ['2028-01-31', '2028-02-29', '2028-03-31'], next: '2028-04-30' },
  ])('monthly from the 31st clamps to month ends ($anchor)', ({ anchor, asOf, dates, next }) => {
    const p = periodsFor(rules(), anchor, asOf);
    expect(p.due.map((x) => x.postOn)).toEqual(dates);
    expect(p.due.map((x) => x.key)).toEqual(dates.map((_, i) => `${anchor}/m${i}`));
    expect(p.nextOn).toBe(next);
  });

  it('daily accrual: one period per calendar month, posted at its month end; a month not yet ended is not due', () => {
    const r = rules({ graceDays: 3, frequency: 'daily_accrual_posted_monthly' });
    // anchor 2026-01-20 + 3 + 1 = first chargeable 2026-01-24
    expect(periodsFor(r, '2026-01-20', '2026-01-30')).toEqual({ due: [], nextOn: '2026-01-31' });
    expect(periodsFor(r, '2026-01-20', '2026-01-31')).toEqual({
      due: [{ key: '2026-01-20/2026-01', start: '2026-01-24', end: '2026-01-31', postOn: '2026-01-31' }],
      nextOn: '2026-02-28',
    });
    expect(periodsFor(r, '2026-01-20', '2026-03-15')).toEqual({
      due: [
        { key: '2026-01-20/2026-01', start: '2026-01-24', end: '2026-01-31', postOn: '2026-01-31' },
        { key: '2026-01-20/2026-02', start: '2026-02-01', end: '2026-02-28', postOn: '2026-02-28' },
      ],
      nextOn: '2026-03-31',
    });
  });
});

describe('day counts and leap years', () => {
  const f = facts({ anchor: '2025-12-20', dueOn: '2025-12-20', balances: { principal: 100_000n, interest: 0n, fee: 0n } });
  const jan = span('2026-01-01', '2026-01-31');

  it.each([
    // 100000 × 1250 bps × 31 days / (10000 × 365) = 1061.643… → 1062
    { dc: 'act_365' as const, days: 31, exact: '1061.643835…', amount: 1062n },
    // 100000 × 1250 bps × 31 days / (10000 × 360) = 1076.388… → 1076
    { dc: 'act_360' as const, days: 31, exact: '1076.388888…', amount: 1076n },
    // 30/360: January counts 30 days (the 31st weighs 0): 100000 × 1250 × 30 / (10000 × 360) = 1041.666… → 1042
    { dc: 'thirty_360' as const, days: 30, exact: '1041.666666…', amount: 1042n },
  ])('$dc over January 2026', ({ dc, days, exact, amount }) => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(1250n), dc) });
    const a = assessPeriod(r, REF, f, jan, 0n, 0, null);
    expect(a.steps).toHaveLength(1);
    expect(a.steps[0]).toMatchObject({ days, exact, amount });
    expect(dailyAccruals(r, f, jan).total).toBe(amount);
  });

  it.each([
    // 1000000 × 1000 bps × 29 days / 3650000 = 7945.205… → 7945
    { start: '2028-02-01', end: '2028-02-29', days: 29, amount: 7945n },
    // 1000000 × 1000 bps × 28 days / 3650000 = 7671.232… → 7671
    { start: '2027-02-01', end: '2027-02-28', days: 28, amount: 7671n },
  ])('ACT/365 over February $start: $days days accrue', ({ start, end, days, amount }) => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(1000n)) });
    const g = facts({ anchor: '2027-01-15', dueOn: '2027-01-15' });
    const a = assessPeriod(r, REF, g, span(start, end), 0n, 0, null);
    expect(a.steps[0]!.days).toBe(days);
    expect(a.amount).toBe(amount);
    expect(dailyAccruals(r, g, span(start, end)).days).toHaveLength(days);
  });

  it('30/360: the 31st weighs 0; the last day of February weighs 3 (common year) or 2 (leap year)', () => {
    expect(accrualDays('2026-01-31', '2026-01-31', 'thirty_360')).toBe(0);
    expect(accrualDays('2026-01-30', '2026-01-30', 'thirty_360')).toBe(1);
    expect(accrualDays('2026-02-28', '2026-02-28', 'thirty_360')).toBe(3); // 30 − 27
    expect(accrualDays('2028-02-28', '2028-02-28', 'thirty_360')).toBe(1); // 28 − 27
    expect(accrualDays('2028-02-29', '2028-02-29', 'thirty_360')).toBe(2); // 30 − 28
    expect(accrualDays('2026-03-01', '2026-03-01', 'thirty_360')).toBe(1);
    // whole months are 30 days each, whatever their length
    expect(accrualDays('2026-01-01', '2026-01-31', 'thirty_360')).toBe(30);
    expect(accrualDays('2026-02-01', '2026-02-28', 'thirty_360')).toBe(30);
    expect(accrualDays('2028-02-01', '2028-02-29', 'thirty_360')).toBe(30);
    expect(accrualDays('2026-01-01', '2026-12-31', 'thirty_360')).toBe(360);
    // ACT: calendar days, inclusive
    expect(accrualDays('2028-02-01', '2028-02-29', 'act_365')).toBe(29);
    expect(accrualDays('2028-02-01', '2028-02-29', 'act_360')).toBe(29);
    expect(accrualDays('2026-01-02', '2026-01-01', 'act_365')).toBe(0);

    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(1250n), 'thirty_360') });
    const g = facts({ anchor: '2025-12-20', dueOn: '2025-12-20', balances: { principal: 100_000n, interest: 0n, fee: 0n } });
    const weights = (start: string, end: string) => Object.fromEntries(dailyAccruals(r, g, span(start, end)).days.map((d) => [d.date, d.weight]));
    expect(weights('2026-01-30', '2026-02-01')).toEqual({ '2026-01-30': 1, '2026-01-31': 0, '2026-02-01': 1 });
    expect(weights('2026-02-27', '2026-03-01')).toEqual({ '2026-02-27': 1, '2026-02-28': 3, '2026-03-01': 1 });
    expect(weights('2028-02-27', '2028-03-01')).toEqual({ '2028-02-27': 1, '2028-02-28': 1, '2028-02-29': 2, '2028-03-01': 1 });
    // February is 30 days in 30/360 in both years: 100000 × 1250 × 30 / 3600000 = 1041.666… → 1042
    expect(assessPeriod(r, REF, g, span('2026-02-01', '2026-02-28'), 0n, 0, null).amount).toBe(1042n);
    expect(assessPeriod(r, REF, g, span('2028-02-01', '2028-02-29'), 0n, 0, null).amount).toBe(1042n);
  });
});

describe('balances that change mid-period', () => {
  // Today's principal is 600000 after a payment of 400000 effective 2026-01-16.
  const payment: DatedAmount = { component: 'principal', amount: -400_000n, effectiveOn: '2026-01-16' };
  const f = facts({ anchor: '2025-12-20', dueOn: '2025-12-20', balances: { principal: 600_000n, interest: 5_000n, fee: 0n }, later: [payment] });

  it('balanceAt: today less the entries effective after the day', () => {
    expect(balanceAt(f, 'principal', '2026-01-15')).toBe(1_000_000n); // 600000 − (−400000)
    expect(balanceAt(f, 'principal', '2026-01-16')).toBe(600_000n); // effective that day: included
    expect(balanceAt(f, 'principal', '2026-02-01')).toBe(600_000n);
    expect(balanceAt(f, 'interest', '2026-01-15')).toBe(5_000n); // other components untouched
    const g = { balances: { principal: 100n, interest: 0n, fee: 0n }, later: [{ component: 'principal' as const, amount: 500n, effectiveOn: '2026-01-10' }] };
    expect(balanceAt(g, 'principal', '2026-01-09')).toBe(0n); // 100 − 500 < 0: clamped at 0
  });

  it('a principal payment splits the daily interest into two segments', () => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(1000n)) });
    const [, jan] = periodsFor(r, '2025-12-20', '2026-01-31').due;
    expect(jan).toEqual({ key: '2025-12-20/2026-01', start: '2026-01-01', end: '2026-01-31', postOn: '2026-01-31' });
    const a = assessPeriod(r, REF, f, jan!, 0n, 0, null);
    // 01-01…01-15: 1000000 × 1000 × 15 / 3650000 = 4109.589… → 4110
    // 01-16…01-31: 600000 × 1000 × 16 / 3650000 = 2630.136…; cumulative 24600000000 / 3650000 = 6739.726… → 6740; 6740 − 4110 = 2630
    expect(a.steps.map((s) => [s.base, s.days, s.exact, s.amount])).toEqual([
      [1_000_000n, 15, '4109.589041…', 4110n],
      [600_000n, 16, '2630.136986…', 2630n],
    ]);
    expect(a.amount).toBe(6740n);
    const d = dailyAccruals(r, f, jan!);
    expect(d.days.find((x) => x.date === '2026-01-15')!.principal).toBe(1_000_000n);
    expect(d.days.find((x) => x.date === '2026-01-16')!.principal).toBe(600_000n);
    expect(d.total).toBe(6740n);
    expect(sum(d.days.map((x) => x.amount))).toBe(6740n);
  });

  it('a percentage fee uses the balance on the day it is posted', () => {
    const r = rules({ percentage: { base: 'overdue_principal', rateBps: fixed(1000n) } });
    // 2026-01-15: 1000000 × 1000 / 10000 = 100000; 2026-01-16: 600000 × 1000 / 10000 = 60000
    expect(assessPeriod(r, REF, f, onDay('2026-01-15'), 0n, 0, null).amount).toBe(100_000n);
    expect(assessPeriod(r, REF, f, onDay('2026-01-16'), 0n, 0, null).amount).toBe(60_000n);
  });
});

describe('caps, each alone', () => {
  // Uncapped in every case: 5 % of 1000000 principal = 1000000 × 500 / 10000 = 50000
  const pct5 = { percentage: { base: 'overdue_principal' as const, rateBps: fixed(500n) } };
  const day = onDay('2026-02-10'); // 31 days after the anchor 2026-01-10

  it('per_assessment', () => {
    const a = assessPeriod(rules({ ...pct5, caps: caps({ perAssessment: 20_000n }) }), REF, facts(), day, 0n, 0, null);
    expect(a.uncapped).toBe(50_000n);
    expect(a.amount).toBe(20_000n);
    expect(capRows(a)).toEqual([['per_assessment', 20_000n, true]]);
  });

  it('per_assessment above the fee does not bind', () => {
    const a = assessPeriod(rules({ ...pct5, caps: caps({ perAssessment: 60_000n }) }), REF, facts(), day, 0n, 0, null);
    expect(a.amount).toBe(50_000n);
    expect(capRows(a)).toEqual([['per_assessment', 60_000n, false]]);
  });

  it.each([
    // first late fee (chargedCount 0): maxFirstAssessment 30000 < 50000
    { chargedCount: 0, limit: 30_000n, label: 'first' },
    // a later one: maxLaterAssessment 15000
    { chargedCount: 2, limit: 15_000n, label: 'later' },
  ])('jurisdiction_per_assessment, $label fee', ({ chargedCount, limit, label }) => {
    const j = jurisdiction({ currency: 'EUR', maxFirstAssessment: 30_000n, maxLaterAssessment: 15_000n });
    const a = assessPeriod(rules(pct5), REF, facts(), day, 0n, chargedCount, j);
    expect(a.amount).toBe(limit);
    expect(capRows(a)).toEqual([['jurisdiction_per_assessment', limit, true]]);
    expect(a.caps[0]!.description).toContain(label);
  });

  it('jurisdiction_per_assessment applies only in the cap currency', () => {
    for (const currency of ['USD', null]) {
      const j = jurisdiction({ currency, maxFirstAssessment: 30_000n, maxLaterAssessment: 15_000n });
      const a = assessPeriod(rules(pct5), REF, facts(), day, 0n, 0, j);
      expect(a.caps).toEqual([]);
      expect(a.amount).toBe(50_000n);
    }
  });

  it('cumulative_amount: net of what was already charged', () => {
    // 100000 cap − 70000 already charged = 30000
    const a = assessPeriod(rules({ ...pct5, caps: caps({ cumulativeAmount: 100_000n }) }), REF, facts({ assessedTotal: 70_000n }), day, 70_000n, 1, null);
    expect(a.amount).toBe(30_000n);
    expect(capRows(a)).toEqual([['cumulative_amount', 30_000n, true]]);
  });

  it('cumulative_percent_of_principal: floor(original × bps / 10000) less charged', () => {
    // floor(123457 × 1000 / 10000) = floor(12345.7) = 12345; 12345 − 10000 = 2345
    const r = rules({ flat: { amount: fixed(5000n) }, caps: caps({ cumulativeBpsOfPrincipal: 1000n }) });
    const a = assessPeriod(r, REF, facts({ originalPrincipal: 123_457n, assessedTotal: 10_000n }), day, 10_000n, 1, null);
    expect(a.uncapped).toBe(5000n);
    expect(a.amount).toBe(2345n);
    expect(capRows(a)).toEqual([['cumulative_percent_of_principal', 2345n, true]]);
  });

  it('legal_annual_rate: floor(principal × rate × days since due / 3650000) less charged', () => {
    // since min(dueOn, anchor) = 2026-01-10, postOn 2026-02-10: 31 days
    // floor(1000000 × 1000 × 31 / 3650000) = floor(8493.150…) = 8493; 8493 − 3000 = 5493
    const j = jurisdiction({ annualRateBps: 1000n });
    const a = assessPeriod(rules(pct5), REF, facts({ assessedTotal: 3000n }), day, 3000n, 1, j);
    expect(a.amount).toBe(5493n);
    expect(capRows(a)).toEqual([['legal_annual_rate', 5493n, true]]);
  });

  it('legal_annual_rate counts from the due date when it is before the anchor', () => {
    // since min(2026-01-01, 2026-01-10) = 2026-01-01 → 2026-02-10: 40 days
    // floor(1000000 × 1000 × 40 / 3650000) = floor(10958.904…) = 10958
    const j = jurisdiction({ annualRateBps: 1000n });
    const a = assessPeriod(rules(pct5), REF, facts({ dueOn: '2026-01-01' }), day, 0n, 0, j);
    expect(a.amount).toBe(10_958n);
    expect(capRows(a)).toEqual([['legal_annual_rate', 10_958n, true]]);
  });

  it('only the binding caps say so', () => {
    // per-assessment 20000, cumulative 100000 − 0 = 100000, cumulative % floor(1000000 × 500 / 10000) = 50000: only 20000 binds
    const r = rules({ ...pct5, caps: caps({ perAssessment: 20_000n, cumulativeAmount: 100_000n, cumulativeBpsOfPrincipal: 500n }) });
    const a = assessPeriod(r, REF, facts(), day, 0n, 0, null);
    expect(a.amount).toBe(20_000n);
    expect(capRows(a)).toEqual([
      ['per_assessment', 20_000n, true],
      ['cumulative_amount', 100_000n, false],
      ['cumulative_percent_of_principal', 50_000n, false],
    ]);
  });

  it('an exhausted cap charges 0 and the evaluation says capped_to_zero', () => {
    const r = rules({ ...pct5, caps: caps({ cumulativeAmount: 100_000n }) });
    // 100000 − 100000 = 0; and with 120000 already charged the limit is clamped at 0, never negative
    for (const charged of [100_000n, 120_000n]) {
      const f = facts({ assessedTotal: charged, chargedCount: 3 });
      const a = assessPeriod(r, REF, f, day, charged, 3, null);
      expect(a.amount).toBe(0n);
      expect(a.uncapped).toBe(50_000n);
      expect(capRows(a)).toEqual([['cumulative_amount', 0n, true]]);
      const ev = evaluateAccount(r, REF, f, '2026-01-11', null);
      expect(ev.skip).toBe('capped_to_zero');
      expect(ev.assessments.map((x) => x.amount)).toEqual([0n]);
    }
  });
});

describe('rounding half-even, per currency minor unit', () => {
  // 10 % (1000 bps) of a small principal; amounts are minor units (JPY: yen, EUR: cents, KWD: fils)
  it.each([
    { currency: 'JPY', principal: 25n, amount: 2n, exact: '2.5' }, // 25 × 1000 / 10000 = 2.5 → 2 (even)
    { currency: 'JPY', principal: 35n, amount: 4n, exact: '3.5' }, // 3.5 → 4 (even)
    { currency: 'JPY', principal: 27n, amount: 3n, exact: '2.7' }, // 2.7 → 3
    { currency: 'JPY', principal: 24n, amount: 2n, exact: '2.4' }, // 2.4 → 2
    { currency: 'EUR', principal: 45n, amount: 4n, exact: '4.5' }, // 0.45 EUR × 10 % = 4.5 cents → 4
    { currency: 'EUR', principal: 55n, amount: 6n, exact: '5.5' }, // 5.5 cents → 6
    { currency: 'EUR', principal: 1234n, amount: 123n, exact: '123.4' }, // 123.4 → 123
    { currency: 'KWD', principal: 65n, amount: 6n, exact: '6.5' }, // 6.5 fils → 6
    { currency: 'KWD', principal: 75n, amount: 8n, exact: '7.5' }, // 7.5 fils → 8
    { currency: 'KWD', principal: 12_345_679n, amount: 1_234_568n, exact: '1234567.9' }, // 1234567.9 → 1234568
  ])('$currency: 10 % of $principal = $exact → $amount', ({ currency, principal, amount, exact }) => {
    const r = rules({ currency, percentage: { base: 'overdue_principal', rateBps: fixed(1000n) } });
    const f = facts({ currency, balances: { principal, interest: 0n, fee: 0n } });
    const a = assessPeriod(r, REF, f, onDay('2026-01-11'), 0n, 0, null);
    expect(a.steps[0]!.exact).toBe(exact);
    expect(a.amount).toBe(amount);
  });

  it.each([
    { currency: 'JPY', rounding: 'each component rounded half-even to 1/1 JPY' },
    { currency: 'EUR', rounding: 'each component rounded half-even to 1/100 EUR' },
    { currency: 'KWD', rounding: 'each component rounded half-even to 1/1000 KWD' },
  ])('the rounding rule for $currency names its minor unit', ({ currency, rounding }) => {
    const r = rules({ currency, flat: { amount: fixed(1n) } });
    const e = assessPeriod(r, REF, facts({ currency }), onDay('2026-01-11'), 0n, 0, null).explanation;
    expect(e.currency).toBe(currency);
    expect(roundingText(e.currency)).toBe(rounding);
  });

  it.each([
    // 365 yen × 5000 bps / (10000 × 365) = 0.5 yen a day
    { end: '2026-02-05', days: 5, amount: 2n }, // 5 × 0.5 = 2.5 → 2
    { end: '2026-02-07', days: 7, amount: 4n }, // 7 × 0.5 = 3.5 → 4
    { end: '2026-02-01', days: 1, amount: 0n }, // 0.5 → 0
    { end: '2026-02-03', days: 3, amount: 2n }, // 1.5 → 2
  ])('JPY daily interest over $days days ties to even', ({ end, days, amount }) => {
    const r = rules({ currency: 'JPY', frequency: 'daily_accrual_posted_monthly', dailyInterest: daily(fixed(5000n)) });
    const f = facts({ currency: 'JPY', balances: { principal: 365n, interest: 0n, fee: 0n } });
    const a = assessPeriod(r, REF, f, span('2026-02-01', end), 0n, 0, null);
    expect(a.steps[0]!.days).toBe(days);
    expect(a.amount).toBe(amount);
    const d = dailyAccruals(r, f, span('2026-02-01', end));
    expect(d.total).toBe(amount);
    // day by day: round(0.5) = 0, round(1.0) − 0 = 1, round(1.5) − 1 = 1, round(2.0) − 2 = 0, round(2.5) − 2 = 0, …
    expect(d.days.slice(0, 5).map((x) => x.amount)).toEqual([0n, 1n, 1n, 0n, 0n].slice(0, days));
  });
});

describe('minimum overdue', () => {
  const r = rules({ flat: { amount: fixed(2500n) }, minimumOverdue: 50_000n });

  it('below the minimum: nothing charged, belowMinimum, skip below_minimum', () => {
    // 40000 + 9999 = 49999 < 50000 (fees do not count towards it)
    const f = facts({ balances: { principal: 40_000n, interest: 9_999n, fee: 100_000n } });
    const a = assessPeriod(r, REF, f, onDay('2026-01-11'), 0n, 0, null);
    expect(a).toMatchObject({ amount: 0n, uncapped: 0n, belowMinimum: true, steps: [] });
    expect(a.explanation.belowMinimum).toEqual({ overdue: '49999', minimum: '50000' });
    expect(explanationNote(a.explanation)).toBe('overdue principal + interest 499.99 EUR is below the policy minimum 500.00 EUR');
    const ev = evaluateAccount(r, REF, f, '2026-01-11', null);
    expect(ev.skip).toBe('below_minimum');
    expect(ev.assessments).toHaveLength(1);
  });

  it('at the minimum: charged', () => {
    // 40000 + 10000 = 50000, not below 50000
    const f = facts({ balances: { principal: 40_000n, interest: 10_000n, fee: 0n } });
    const a = assessPeriod(r, REF, f, onDay('2026-01-11'), 0n, 0, null);
    expect(a).toMatchObject({ amount: 2500n, belowMinimum: false });
    expect(a.explanation.belowMinimum).toBeNull();
    expect(explanationNote(a.explanation)).toBeNull();
  });

  it('nothing overdue at all counts as below the minimum even when the minimum is 0', () => {
    const a = assessPeriod(rules({ flat: { amount: fixed(2500n) } }), REF, facts({ balances: { principal: 0n, interest: 0n, fee: 500n } }), onDay('2026-01-11'), 0n, 0, null);
    expect(a).toMatchObject({ amount: 0n, belowMinimum: true });
  });
});

describe('skips', () => {
  const r = rules({ flat: { amount: fixed(2500n) } });
  const asOf = '2026-03-15';

  it('currency mismatch: never, unless something changes', () => {
    expect(evaluateAccount(r, REF, facts({ currency: 'USD' }), asOf, null)).toEqual({ skip: 'currency_mismatch', assessments: [], nextOn: NEVER });
  });

  it.each([
    { name: 'deceased debtor', f: { debtorDeceased: true }, skip: 'debtor_deceased' },
    { name: 'bankrupt debtor', f: { debtorBankrupt: true }, skip: 'debtor_bankrupt' },
    { name: 'disputed', f: { status: 'disputed' as const }, skip: 'disputed' },
    { name: 'in a plan, frozen', f: { status: 'in_plan' as const }, skip: 'frozen_in_plan' },
  ])('$name: the periods that fall due are recorded as not charged, with the reason (used up, not postponed)', ({ f, skip }) => {
    const ev = evaluateAccount(r, REF, facts(f), asOf, null);
    // Anchor 2026-01-10, grace 0: monthly periods on 01-11, 02-11 and 03-11 are due by 03-15; the next is 04-11.
    expect(ev.skip).toBe(skip);
    expect(ev.nextOn).toBe('2026-04-11');
    expect(ev.assessments.map((a) => [a.period.key, a.amount, a.uncapped])).toEqual([
      ['2026-01-10/m0', 0n, 0n],
      ['2026-01-10/m1', 0n, 0n],
      ['2026-01-10/m2', 0n, 0n],
    ]);
    expect(ev.assessments[0]!.explanation.held).toBe(skip);
    expect(explanationNote(ev.assessments[0]!.explanation)).toMatch(/^not charged: /);
    // Once the state ends, those periods are not charged after the fact.
    const later = evaluateAccount(r, REF, facts({ assessedPeriods: new Set(ev.assessments.map((a) => a.period.key)), chargedThrough: '2026-03-11' }), '2026-04-20', null);
    expect(later.assessments.map((a) => [a.period.key, a.amount])).toEqual([['2026-01-10/m3', 2500n]]);
  });

  it('a moved anchor does not charge the same month twice; penalty interest resumes the day after the last period', () => {
    // Fees charged through 2026-03-11 under anchor 01-10; a payment moves the anchor to 02-10. The new
    // schedule (02-11, 03-11, 04-11…) resumes a full month after 03-11: 04-11 is the first new fee.
    const moved = evaluateAccount(r, REF, facts({ anchor: '2026-02-10', chargedThrough: '2026-03-11' }), '2026-04-20', null);
    expect(moved.assessments.map((a) => [a.period.key, a.period.postOn])).toEqual([['2026-02-10/m2', '2026-04-11']]);
    const daily = rules({ frequency: 'daily_accrual_posted_monthly', flat: null, dailyInterest: { annualRateBps: fixed(1000n), dayCount: 'act_365' } });
    const d = evaluateAccount(daily, REF, facts({ anchor: '2026-02-10', chargedThrough: '2026-02-28' }), '2026-03-31', null);
    expect(d.assessments.map((a) => [a.period.start, a.period.end])).toEqual([['2026-03-01', '2026-03-31']]);
  });

  it('in a plan, not frozen: assessed', () => {
    const ev = evaluateAccount(rules({ ...r, freezeWhileInPlan: false }), REF, facts({ status: 'in_plan' }), asOf, null);
    expect(ev.skip).toBeNull();
    // 2026-01-11 (m0), 2026-02-11 (m1); 03-11 (m2) ≤ 03-15 too
    expect(ev.assessments.map((a) => [a.period.key, a.amount])).toEqual([
      ['2026-01-10/m0', 2500n],
      ['2026-01-10/m1', 2500n],
      ['2026-01-10/m2', 2500n],
    ]);
    expect(ev.nextOn).toBe('2026-04-11');
  });
});

describe('already assessed, and catching up', () => {
  it('assessed periods are not assessed again', () => {
    const r = rules({ flat: { amount: fixed(2500n) } });
    const ev = evaluateAccount(r, REF, facts({ assessedPeriods: new Set(['2026-01-10/m0', '2026-01-10/m2']), assessedTotal: 5000n, chargedCount: 2 }), '2026-03-11', null);
    expect(ev.assessments.map((a) => a.period.key)).toEqual(['2026-01-10/m1']);
  });

  it('a monthly policy first evaluated three months late: three assessments, each capped against the earlier ones', () => {
    const r = rules({ graceDays: 5, flat: { amount: fixed(2500n) }, caps: caps({ cumulativeAmount: 6000n }) });
    const j = jurisdiction({ currency: 'EUR', maxFirstAssessment: 3000n, maxLaterAssessment: 2000n });
    // anchor 2026-01-10 + 5 + 1 = 01-16; then 02-16 and 03-16, all ≤ 03-20
    const ev = evaluateAccount(r, REF, facts(), '2026-03-20', j);
    expect(ev.assessments.map((a) => a.period.postOn)).toEqual(['2026-01-16', '2026-02-16', '2026-03-16']);
    // m0: first fee, limits 3000 (jurisdiction first) and 6000 − 0: 2500 uncapped, nothing binds
    // m1: a later fee, limits 2000 (jurisdiction later) and 6000 − 2500 = 3500: 2000, jurisdiction binds
    // m2: limits 2000 and 6000 − 4500 = 1500: 1500, cumulative binds
    expect(ev.assessments.map((a) => a.amount)).toEqual([2500n, 2000n, 1500n]);
    expect(ev.assessments.map(capRows)).toEqual([
      [
        ['jurisdiction_per_assessment', 3000n, false],
        ['cumulative_amount', 6000n, false],
      ],
      [
        ['jurisdiction_per_assessment', 2000n, true],
        ['cumulative_amount', 3500n, false],
      ],
      [
        ['jurisdiction_per_assessment', 2000n, false],
        ['cumulative_amount', 1500n, true],
      ],
    ]);
    expect(ev.nextOn).toBe('2026-04-16');
  });
});

describe('the explanation', () => {
  it('lists the steps summing to uncapped, the caps, and what was charged', () => {
    const r = rules({
      frequency: 'daily_accrual_posted_monthly',
      flat: { amount: fixed(1000n) },
      percentage: { base: 'overdue_principal_and_interest', rateBps: fixed(100n) },
      dailyInterest: daily(fixed(1250n)),
      caps: caps({ perAssessment: 5000n }),
    });
    const f = facts({ anchor: '2025-12-20', dueOn: '2025-12-20', balances: { principal: 100_000n, interest: 20_000n, fee: 0n } });
    const a = assessPeriod(r, REF, f, span('2026-01-01', '2026-01-31'), 0n, 0, null);
    // flat 1000; 1 % of (100000 + 20000) = 1200; January interest 100000 × 1250 × 31 / 3650000 = 1061.643… → 1062
    // uncapped 1000 + 1200 + 1062 = 3262 < 5000: charged 3262
    const e = a.explanation;
    expect(e.steps.map((s) => [s.kind, s.amount])).toEqual([
      ['flat', '1000'],
      ['percentage', '1200'],
      ['daily_interest', '1062'],
    ]);
    expect(e.uncapped).toBe('3262');
    expect(sum(e.steps.map((s) => BigInt(s.amount)))).toBe(BigInt(e.uncapped));
    expect(e.charged).toBe('3262');
    expect(e.charged).toBe(a.amount.toString());
    expect(e.caps).toEqual([{ cap: 'per_assessment', limit: '5000', binding: false, params: {} }]);
    expect(describeCap(e.caps[0]!, e.currency)).toBe('policy cap per assessment: at most 50.00 EUR now');
    expect(e).toMatchObject({
      policy: REF,
      periodKey: 'test/2026-01-01',
      periodStart: '2026-01-01',
      periodEnd: '2026-01-31',
      assessedOn: '2026-01-31',
      overdueSince: '2025-12-20',
      daysPastDue: 42, // 2025-12-20 → 2026-01-31: 11 + 31
      currency: 'EUR',
      belowMinimum: null,
    });
    expect(e.steps[2]).toMatchObject({ base: '100000', rateBps: '1250', days: 31, exact: '1061.643835…' });
    // the explanation survives JSON (it is stored)
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  it('a capped fee: charged is the capped amount, binding cap marked', () => {
    const r = rules({ flat: { amount: fixed(9000n) }, caps: caps({ perAssessment: 5000n }) });
    const a = assessPeriod(r, REF, facts(), onDay('2026-01-11'), 0n, 0, null);
    expect(a.explanation).toMatchObject({ uncapped: '9000', charged: '5000', caps: [{ cap: 'per_assessment', limit: '5000', binding: true }] });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const BASE = '2024-01-01';
const dateArb = (min: number, max: number) => fc.integer({ min, max }).map((d) => addDays(BASE, d));

/** Contiguous tiers starting on day `first`, the last open-ended (or closed, leaving later days unrated). */
const tiersArb = fc
  .record({
    first: fc.integer({ min: 1, max: 40 }),
    widths: fc.array(fc.integer({ min: 1, max: 45 }), { minLength: 0, maxLength: 4 }),
    values: fc.array(fc.bigInt({ min: 0n, max: 3_650_000n }), { minLength: 5, maxLength: 5 }),
    openEnded: fc.boolean(),
  })
  .map(({ first, widths, values, openEnded }): Rate => {
    const tiers: Tier[] = [];
    let from = first;
    widths.forEach((w, i) => {
      tiers.push({ fromDay: from, toDay: from + w - 1, value: values[i]! });
      from += w;
    });
    tiers.push({ fromDay: from, toDay: openEnded ? null : from + 30, value: values[widths.length]! });
    return { kind: 'tiered', tiers };
  });

const rateArb: fc.Arbitrary<Rate> = fc.oneof(fc.bigInt({ min: 0n, max: 3_650_000n }).map(fixed), tiersArb);
const dayCountArb = fc.constantFrom<DayCount>('act_365', 'act_360', 'thirty_360');

describe('properties', () => {
  it('property: daily accruals sum to their total, which equals the engine’s segment figure', () => {
    fc.assert(
      fc.property(
        fc.record({
          anchorDay: fc.integer({ min: 0, max: 1200 }),
          startOffset: fc.integer({ min: 1, max: 120 }),
          length: fc.integer({ min: 0, max: 70 }),
          principal: fc.bigInt({ min: 0n, max: 10n ** 12n }),
          rate: rateArb,
          dayCount: dayCountArb,
          moves: fc.array(
            fc.record({
              component: fc.constantFrom<'principal' | 'interest'>('principal', 'principal', 'interest'),
              amount: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 11n }),
              offset: fc.integer({ min: -5, max: 80 }),
            }),
            { maxLength: 6 },
          ),
        }),
        ({ anchorDay, startOffset, length, principal, rate, dayCount, moves }) => {
          const anchor = addDays(BASE, anchorDay);
          const start = addDays(anchor, startOffset);
          const period: Period = { key: `${anchor}/p`, start, end: addDays(start, length), postOn: addDays(start, length) };
          const later: DatedAmount[] = moves.map((m) => ({ component: m.component, amount: m.amount, effectiveOn: addDays(start, m.offset) }));
          const r = rules({ frequency: 'daily_accrual_posted_monthly', dailyInterest: { annualRateBps: rate, dayCount } });
          // a large interest balance keeps the account above the minimum even when the principal has been paid off
          const f = facts({ anchor, dueOn: anchor, balances: { principal, interest: 10n ** 13n, fee: 0n }, later });
          const d = dailyAccruals(r, f, period);
          expect(d.days).toHaveLength(length + 1);
          expect(sum(d.days.map((x) => x.amount))).toBe(d.total);
          const a = assessPeriod(r, REF, f, period, 0n, 0, null);
          const interestSteps = a.steps.filter((s) => s.kind === 'daily_interest');
          expect(sum(interestSteps.map((s) => s.amount))).toBe(d.total);
          // and both equal the one rounding of the exact day-by-day sum, redone here independently
          let num = 0n;
          for (let day = start; day <= period.end; day = addDays(day, 1)) {
            const dpd = daysBetween(anchor, day);
            const t = rate.kind === 'fixed' ? rate.value : (rate.tiers.find((x) => dpd >= x.fromDay && (x.toDay === null || dpd <= x.toDay))?.value ?? 0n);
            num += balanceAt(f, 'principal', day) * t * BigInt(accrualDays(day, day, dayCount));
          }
          const den = 10_000n * (dayCount === 'act_365' ? 365n : 360n);
          expect(d.numerator).toBe(num);
          const q = num / den;
          const rem2 = (num % den) * 2n;
          expect(d.total).toBe(rem2 > den || (rem2 === den && q % 2n === 1n) ? q + 1n : q);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: the charged amount is never negative and never above any cap', () => {
    const capArb = fc.option(fc.bigInt({ min: 0n, max: 200_000n }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          principal: fc.bigInt({ min: 0n, max: 5_000_000n }),
          interest: fc.bigInt({ min: 0n, max: 500_000n }),
          original: fc.bigInt({ min: 0n, max: 5_000_000n }),
          flat: fc.option(fc.bigInt({ min: 1n, max: 50_000n }), { nil: null }),
          pctBps: fc.option(fc.bigInt({ min: 0n, max: 10_000n }), { nil: null }),
          dailyBps: fc.option(fc.bigInt({ min: 0n, max: 3_650_000n }), { nil: null }),
          perAssessment: capArb,
          cumulativeAmount: capArb,
          cumulativeBps: fc.option(fc.bigInt({ min: 0n, max: 20_000n }), { nil: null }),
          jurisdiction: fc.option(
            fc.record({ annualRateBps: fc.option(fc.bigInt({ min: 0n, max: 10_000n }), { nil: null }), first: capArb, later: capArb, currency: fc.constantFrom<string | null>('EUR', 'USD', null) }),
            { nil: null },
          ),
          assessedTotal: fc.bigInt({ min: 0n, max: 300_000n }),
          chargedCount: fc.integer({ min: 0, max: 5 }),
          minimumOverdue: fc.bigInt({ min: 0n, max: 100_000n }),
          anchorDay: fc.integer({ min: 0, max: 800 }),
          asOfOffset: fc.integer({ min: 0, max: 200 }),
          graceDays: fc.integer({ min: 0, max: 20 }),
        }),
        (x) => {
          const anchor = addDays(BASE, x.anchorDay);
          const r = rules({
            graceDays: x.graceDays,
            frequency: x.dailyBps !== null ? 'daily_accrual_posted_monthly' : 'monthly',
            minimumOverdue: x.minimumOverdue,
            flat: x.flat !== null ? { amount: fixed(x.flat) } : null,
            percentage: x.pctBps !== null ? { base: 'overdue_principal_and_interest', rateBps: fixed(x.pctBps) } : null,
            dailyInterest: x.dailyBps !== null ? daily(fixed(x.dailyBps)) : null,
            caps: caps({ perAssessment: x.perAssessment, cumulativeAmount: x.cumulativeAmount, cumulativeBpsOfPrincipal: x.cumulativeBps }),
          });
          const j = x.jurisdiction ? jurisdiction({ annualRateBps: x.jurisdiction.annualRateBps, currency: x.jurisdiction.currency, maxFirstAssessment: x.jurisdiction.first, maxLaterAssessment: x.jurisdiction.later }) : null;
          const f = facts({
            anchor,
            dueOn: anchor,
            originalPrincipal: x.original,
            balances: { principal: x.principal, interest: x.interest, fee: 0n },
            assessedTotal: x.assessedTotal,
            chargedCount: x.chargedCount,
          });
          const ev = evaluateAccount(r, REF, f, addDays(anchor, x.asOfOffset), j);
          let chargedSoFar = x.assessedTotal;
          let count = x.chargedCount;
          for (const a of ev.assessments) {
            expect(a.amount).toBeGreaterThanOrEqual(0n);
            expect(a.amount).toBeLessThanOrEqual(a.uncapped < 0n ? 0n : a.uncapped);
            for (const c of a.caps) {
              expect(c.limit).toBeGreaterThanOrEqual(0n);
              expect(a.amount).toBeLessThanOrEqual(c.limit);
              expect(c.binding).toBe(c.limit < a.uncapped && c.limit === a.amount);
            }
            // the ceilings themselves, recomputed independently
            if (x.perAssessment !== null) expect(a.amount).toBeLessThanOrEqual(x.perAssessment);
            if (x.cumulativeAmount !== null && a.amount > 0n) expect(chargedSoFar + a.amount).toBeLessThanOrEqual(x.cumulativeAmount);
            if (x.cumulativeBps !== null && a.amount > 0n) expect((chargedSoFar + a.amount) * 10_000n).toBeLessThanOrEqual(x.original * x.cumulativeBps);
            if (j && j.currency === 'EUR') {
              const max = count === 0 ? j.maxFirstAssessment : j.maxLaterAssessment;
              if (max !== null) expect(a.amount).toBeLessThanOrEqual(max);
            }
            if (j?.annualRateBps != null && a.amount > 0n) {
              const days = BigInt(daysBetween(anchor, a.period.postOn));
              expect((chargedSoFar + a.amount) * 3_650_000n).toBeLessThanOrEqual(balanceAt(f, 'principal', a.period.postOn) * j.annualRateBps * days);
            }
            chargedSoFar += a.amount;
            if (a.amount > 0n) count++;
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('chargeFrom: no back-fees before an attachment starts', () => {
  // Anchor 2026-01-10, grace 0: first chargeable day 2026-01-11.
  it('monthly: periods due before chargeFrom are not charged; the schedule keeps its days', () => {
    const r = rules({ flat: { amount: fixed(2500n) } });
    // Schedule 01-11, 02-11, 03-11, 04-11; from 03-01 only 03-11 and 04-11 are charged.
    expect(periodsFor(r, '2026-01-10', '2026-04-20', null, '2026-03-01').due.map((p) => p.postOn)).toEqual(['2026-03-11', '2026-04-11']);
  });

  it('daily accrual: days before chargeFrom accrue nothing', () => {
    const r = rules({ frequency: 'daily_accrual_posted_monthly', flat: null, dailyInterest: { annualRateBps: fixed(1000n), dayCount: 'act_365' } });
    expect(periodsFor(r, '2026-01-10', '2026-03-31', null, '2026-02-15').due.map((p) => [p.start, p.end])).toEqual([
      ['2026-02-15', '2026-02-28'],
      ['2026-03-01', '2026-03-31'],
    ]);
  });

  it('once per due date: a due date missed before chargeFrom gets no fee, ever', () => {
    const r = rules({ frequency: 'once_per_due_date', flat: { amount: fixed(2500n) } });
    expect(periodsFor(r, '2026-01-10', '2026-04-20', null, '2026-02-01')).toEqual({ due: [], nextOn: NEVER });
    expect(periodsFor(r, '2026-02-10', '2026-04-20', null, '2026-02-01').due.map((p) => p.postOn)).toEqual(['2026-02-11']);
  });

  it('evaluateAccount honours the facts’ chargeFrom', () => {
    const r = rules({ flat: { amount: fixed(2500n) } });
    const ev = evaluateAccount(r, REF, facts({ chargeFrom: '2026-03-01' }), '2026-03-15', null);
    expect(ev.assessments.map((a) => [a.period.postOn, a.amount])).toEqual([['2026-03-11', 2500n]]);
  });
});
