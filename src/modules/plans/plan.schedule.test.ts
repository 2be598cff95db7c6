import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../shared/dates.js';
import type { Frequency } from './plan-rules.logic.js';
import { customSchedule, equalSchedule, nthDate, type ScheduledInstallment } from './plan.schedule.js';

/*
 * Every expected figure below is worked out by hand (the comment beside it). Amounts are minor units.
 * Calendar facts used: 2027 is not a leap year (Feb 28), 2028 is (Feb 29), 2100 is not (century), 2000 is.
 */

describe('nthDate', () => {
  it.each([
    // weekly: anchor + 7k days
    { anchor: '2027-01-01', f: 'weekly', k: 0, want: '2027-01-01' },
    { anchor: '2027-01-01', f: 'weekly', k: 1, want: '2027-01-08' },
    { anchor: '2027-01-01', f: 'weekly', k: 4, want: '2027-01-29' }, // 1 + 28
    { anchor: '2027-01-01', f: 'weekly', k: 5, want: '2027-02-05' }, // 1 + 35 = 36 → 36 − 31 = Feb 5
    { anchor: '2027-12-29', f: 'weekly', k: 1, want: '2028-01-05' }, // 29 + 7 = 36 → 36 − 31 = Jan 5 next year
    // biweekly: anchor + 14k days
    { anchor: '2027-01-01', f: 'biweekly', k: 1, want: '2027-01-15' },
    { anchor: '2027-01-01', f: 'biweekly', k: 2, want: '2027-01-29' },
    { anchor: '2027-01-01', f: 'biweekly', k: 3, want: '2027-02-12' }, // 1 + 42 = 43 → 43 − 31 = Feb 12
    { anchor: '2027-02-20', f: 'biweekly', k: 1, want: '2027-03-06' }, // 20 + 14 = 34 → 34 − 28 = Mar 6
    { anchor: '2028-02-20', f: 'biweekly', k: 1, want: '2028-03-05' }, // 20 + 14 = 34 → 34 − 29 = Mar 5 (leap)
    // monthly: same day of month, k months on
    { anchor: '2027-01-15', f: 'monthly', k: 0, want: '2027-01-15' },
    { anchor: '2027-01-15', f: 'monthly', k: 1, want: '2027-02-15' },
    { anchor: '2027-01-15', f: 'monthly', k: 12, want: '2028-01-15' },
    { anchor: '2027-01-15', f: 'monthly', k: 13, want: '2028-02-15' },
    { anchor: '2027-11-30', f: 'monthly', k: 3, want: '2028-02-29' }, // Nov + 3 = Feb 2028, 30 clamped to 29
  ] as { anchor: string; f: Frequency; k: number; want: string }[])('$f from $anchor, k=$k → $want', ({ anchor, f, k, want }) => {
    expect(nthDate(anchor, f, k)).toBe(want);
  });

  it.each([
    // Jan 31 monthly: clamp to the month's end, and come back to the 31st where the month has one.
    { anchor: '2027-01-31', want: ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31'] },
    // Leap year: February has 29 days.
    { anchor: '2028-01-31', want: ['2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30'] },
    // Century rule: 2100 is not a leap year (divisible by 100, not by 400); 2000 is.
    { anchor: '2100-01-31', want: ['2100-01-31', '2100-02-28', '2100-03-31'] },
    { anchor: '2000-01-31', want: ['2000-01-31', '2000-02-29', '2000-03-31'] },
    // Aug 31 through February 2028 and back to the 31st: never drifts to the 28th/29th/30th.
    {
      anchor: '2027-08-31',
      want: ['2027-08-31', '2027-09-30', '2027-10-31', '2027-11-30', '2027-12-31', '2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30'],
    },
    // The 30th and the 29th: only February clamps.
    { anchor: '2027-01-30', want: ['2027-01-30', '2027-02-28', '2027-03-30', '2027-04-30'] },
    { anchor: '2027-01-29', want: ['2027-01-29', '2027-02-28', '2027-03-29'] },
  ])('month-end safety from $anchor', ({ anchor, want }) => {
    expect(want.map((_, k) => nthDate(anchor, 'monthly', k))).toEqual(want);
  });
});

const dates = (s: ScheduledInstallment[] | string) => (typeof s === 'string' ? s : s.map((x) => x.dueOn));
const amounts = (s: ScheduledInstallment[] | string) => (typeof s === 'string' ? s : s.map((x) => x.amount));
const seqs = (s: ScheduledInstallment[] | string) => (typeof s === 'string' ? s : s.map((x) => x.seq));

describe('equalSchedule', () => {
  it.each([
    {
      name: '10000 over 3 monthly: the remainder on the last',
      total: 10_000n,
      down: 0n,
      count: 3,
      f: 'monthly',
      start: '2027-01-15',
      // 10000 / 3 = 3333 r 1 → 3333, 3333, 10000 − 2×3333 = 3334
      amounts: [3333n, 3333n, 3334n],
      dates: ['2027-01-15', '2027-02-15', '2027-03-15'],
    },
    {
      name: 'JPY-like whole units, 100000 over 7 weekly',
      total: 100_000n,
      down: 0n,
      count: 7,
      f: 'weekly',
      start: '2027-03-01',
      // 100000 / 7 = 14285 r 5 → six of 14285, last 100000 − 6×14285 = 100000 − 85710 = 14290
      amounts: [14_285n, 14_285n, 14_285n, 14_285n, 14_285n, 14_285n, 14_290n],
      // Mar 1 + 7k; Mar 29 + 7 = 36 → 36 − 31 = Apr 5
      dates: ['2027-03-01', '2027-03-08', '2027-03-15', '2027-03-22', '2027-03-29', '2027-04-05', '2027-04-12'],
    },
    {
      name: 'biweekly, exact division',
      total: 900n,
      down: 0n,
      count: 3,
      f: 'biweekly',
      start: '2027-01-01',
      // 900 / 3 = 300 r 0
      amounts: [300n, 300n, 300n],
      dates: ['2027-01-01', '2027-01-15', '2027-01-29'],
    },
    {
      name: 'small remainder spread: 11 over 3',
      total: 11n,
      down: 0n,
      count: 3,
      f: 'weekly',
      start: '2027-01-01',
      // 11 / 3 = 3 r 2 → 3, 3, 11 − 6 = 5
      amounts: [3n, 3n, 5n],
      dates: ['2027-01-01', '2027-01-08', '2027-01-15'],
    },
    {
      name: 'one installment is the whole amount',
      total: 5_000n,
      down: 0n,
      count: 1,
      f: 'monthly',
      start: '2027-06-30',
      amounts: [5_000n],
      dates: ['2027-06-30'],
    },
    {
      name: 'smallest possible: 3 over 3',
      total: 3n,
      down: 0n,
      count: 3,
      f: 'monthly',
      start: '2027-01-31',
      // 3 / 3 = 1 r 0; month-end clamp in February
      amounts: [1n, 1n, 1n],
      dates: ['2027-01-31', '2027-02-28', '2027-03-31'],
    },
  ] as { name: string; total: bigint; down: bigint; count: number; f: Frequency; start: string; amounts: bigint[]; dates: string[] }[])(
    '$name',
    ({ total, down, count, f, start, amounts: wantAmounts, dates: wantDates }) => {
      const s = equalSchedule(total, down, count, f, start);
      expect(typeof s).not.toBe('string');
      expect(amounts(s)).toEqual(wantAmounts);
      expect(dates(s)).toEqual(wantDates);
      expect(seqs(s)).toEqual(wantAmounts.map((_, i) => i + 1));
    },
  );

  it('no down payment: the first installment is due on the start date, no seq 0', () => {
    const s = equalSchedule(6_000n, 0n, 2, 'monthly', '2027-05-10');
    // 6000 / 2 = 3000 each
    expect(s).toEqual([
      { seq: 1, dueOn: '2027-05-10', amount: 3_000n },
      { seq: 2, dueOn: '2027-06-10', amount: 3_000n },
    ]);
  });

  it('down payment: seq 0 on the start date, the first installment one period later (monthly, month end)', () => {
    const s = equalSchedule(12_000n, 2_000n, 4, 'monthly', '2027-01-31');
    // rest = 12000 − 2000 = 10000; 10000 / 4 = 2500 r 0. Installments at start + 1…4 months, clamped.
    expect(s).toEqual([
      { seq: 0, dueOn: '2027-01-31', amount: 2_000n },
      { seq: 1, dueOn: '2027-02-28', amount: 2_500n },
      { seq: 2, dueOn: '2027-03-31', amount: 2_500n },
      { seq: 3, dueOn: '2027-04-30', amount: 2_500n },
      { seq: 4, dueOn: '2027-05-31', amount: 2_500n },
    ]);
  });

  it('down payment with biweekly and weekly periods', () => {
    // rest = 1000 − 1 = 999; 999 / 3 = 333 r 0. Installments at start + 14, 28, 42 days.
    expect(equalSchedule(1_000n, 1n, 3, 'biweekly', '2027-01-01')).toEqual([
      { seq: 0, dueOn: '2027-01-01', amount: 1n },
      { seq: 1, dueOn: '2027-01-15', amount: 333n },
      { seq: 2, dueOn: '2027-01-29', amount: 333n },
      { seq: 3, dueOn: '2027-02-12', amount: 333n },
    ]);
    // rest = 1000 − 300 = 700; 700 / 3 = 233 r 1 → 233, 233, 700 − 466 = 234. Dates start + 7, 14, 21 days.
    expect(equalSchedule(1_000n, 300n, 3, 'weekly', '2027-12-20')).toEqual([
      { seq: 0, dueOn: '2027-12-20', amount: 300n },
      { seq: 1, dueOn: '2027-12-27', amount: 233n },
      { seq: 2, dueOn: '2028-01-03', amount: 233n }, // 27 + 7 = 34 → 34 − 31 = Jan 3
      { seq: 3, dueOn: '2028-01-10', amount: 234n },
    ]);
  });

  it('leap-year start with a down payment: 2028-01-31 → 2028-02-29', () => {
    // rest = 3001 − 1000 = 2001; 2001 / 2 = 1000 r 1 → 1000, 1001
    expect(equalSchedule(3_001n, 1_000n, 2, 'monthly', '2028-01-31')).toEqual([
      { seq: 0, dueOn: '2028-01-31', amount: 1_000n },
      { seq: 1, dueOn: '2028-02-29', amount: 1_000n },
      { seq: 2, dueOn: '2028-03-31', amount: 1_001n },
    ]);
  });

  it.each([
    { name: 'down payment equals the total (rest 0)', total: 1_000n, down: 1_000n, count: 3, match: /leaves nothing/ },
    { name: 'down payment above the total (rest < 0)', total: 1_000n, down: 1_500n, count: 3, match: /leaves nothing/ },
    { name: 'total 0', total: 0n, down: 0n, count: 1, match: /leaves nothing/ },
    // 2 / 3 = 0 r 2 → installments of 0
    { name: 'base 0: 2 over 3', total: 2n, down: 0n, count: 3, match: /^3 installments of 2 minor units would include installments of 0$/ },
    // rest = 10 − 8 = 2; 2 / 5 = 0
    { name: 'base 0 after a down payment: 2 left over 5', total: 10n, down: 8n, count: 5, match: /^5 installments of 2 minor units/ },
  ])('$name → a reason, not a schedule', ({ total, down, count, match }) => {
    const s = equalSchedule(total, down, count, 'monthly', '2027-01-01');
    expect(typeof s).toBe('string');
    expect(s).toMatch(match);
  });

  describe('property', () => {
    const frequency = fc.constantFrom<Frequency>('weekly', 'biweekly', 'monthly');
    const start = fc.integer({ min: 0, max: 365 * 30 }).map((d) => addDays('2020-01-01', d));
    // Build inputs that always leave at least 1 minor unit per installment: rest ≥ count.
    const input = fc
      .record({
        count: fc.integer({ min: 1, max: 120 }),
        extra: fc.bigInt({ min: 0n, max: 10n ** 14n }),
        down: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 12n })),
        frequency,
        start,
      })
      .map(({ count, extra, down, frequency, start }) => ({ count, total: down + BigInt(count) + extra, down, frequency, start }));

    it('sums exactly to the total, every amount > 0, dates strictly increase, seqs consecutive', () => {
      fc.assert(
        fc.property(input, ({ count, total, down, frequency, start }) => {
          const s = equalSchedule(total, down, count, frequency, start);
          if (typeof s === 'string') throw new Error(`unexpected refusal: ${s}`);
          expect(s.reduce((a, x) => a + x.amount, 0n)).toBe(total);
          expect(s.length).toBe(count + (down > 0n ? 1 : 0));
          expect(s[0]!.dueOn).toBe(start);
          for (const [i, x] of s.entries()) {
            expect(x.amount > 0n).toBe(true);
            expect(x.seq).toBe(down > 0n ? i : i + 1);
            if (i > 0) expect(x.dueOn > s[i - 1]!.dueOn).toBe(true);
          }
          // All installments but the last are equal, and the last carries less than `count` extra units.
          const inst = s.filter((x) => x.seq > 0);
          const base = inst[0]!.amount;
          expect(inst.slice(0, -1).every((x) => x.amount === base)).toBe(true);
          const lastExtra = inst[inst.length - 1]!.amount - base;
          expect(lastExtra >= 0n && lastExtra < BigInt(count)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('customSchedule', () => {
  it('with a down payment: seq 0 on the start date, then the lines numbered 1…n as given', () => {
    expect(
      customSchedule(500n, '2027-01-01', [
        { dueOn: '2027-02-01', amount: 1_000n },
        { dueOn: '2027-03-15', amount: 700n },
      ]),
    ).toEqual([
      { seq: 0, dueOn: '2027-01-01', amount: 500n },
      { seq: 1, dueOn: '2027-02-01', amount: 1_000n },
      { seq: 2, dueOn: '2027-03-15', amount: 700n },
    ]);
  });

  it('without a down payment: no seq 0, numbering starts at 1', () => {
    expect(
      customSchedule(0n, '2027-01-01', [
        { dueOn: '2027-01-01', amount: 250n },
        { dueOn: '2027-01-20', amount: 250n },
        { dueOn: '2027-02-03', amount: 500n },
      ]),
    ).toEqual([
      { seq: 1, dueOn: '2027-01-01', amount: 250n },
      { seq: 2, dueOn: '2027-01-20', amount: 250n },
      { seq: 3, dueOn: '2027-02-03', amount: 500n },
    ]);
  });

  it('no lines: only the down payment (or nothing)', () => {
    expect(customSchedule(800n, '2027-01-01', [])).toEqual([{ seq: 0, dueOn: '2027-01-01', amount: 800n }]);
    expect(customSchedule(0n, '2027-01-01', [])).toEqual([]);
  });
});
