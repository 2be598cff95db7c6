import { describe, expect, it } from 'vitest';
import { isMissed, promiseOutcome, type PromiseOutcome } from './promise.logic.js';

/*
 * Every expected outcome below is worked out by hand (the comment beside it). Amounts are minor units.
 * A promise is decided the day after promisedOn + grace; an installment is missed the day after dueOn + grace.
 */

describe('promiseOutcome', () => {
  // Promised 10000 on 2027-03-10 with 2 days' grace → undecided through 03-12, decided from 03-13.
  it.each([
    // kept as soon as payments reach the amount, even before the promised date
    { paid: 10_000n, grace: 2, today: '2027-03-01', want: 'kept' },
    { paid: 12_000n, grace: 2, today: '2027-03-01', want: 'kept' }, // more than promised
    { paid: 10_000n, grace: 2, today: '2027-04-01', want: 'kept' }, // long after: still kept
    // nothing paid: pending through 03-10 + 2 = 03-12 inclusive, broken on 03-13
    { paid: 0n, grace: 2, today: '2027-03-01', want: 'pending' },
    { paid: 0n, grace: 2, today: '2027-03-10', want: 'pending' },
    { paid: 0n, grace: 2, today: '2027-03-11', want: 'pending' },
    { paid: 0n, grace: 2, today: '2027-03-12', want: 'pending' },
    { paid: 0n, grace: 2, today: '2027-03-13', want: 'broken' },
    // something paid, short of the amount: pending, then partially kept
    { paid: 5_000n, grace: 2, today: '2027-03-12', want: 'pending' },
    { paid: 5_000n, grace: 2, today: '2027-03-13', want: 'partially_kept' },
    { paid: 9_999n, grace: 2, today: '2027-03-13', want: 'partially_kept' }, // 1 short
    { paid: 1n, grace: 2, today: '2027-03-13', want: 'partially_kept' },
    // grace 0: decided the day after the promised date
    { paid: 0n, grace: 0, today: '2027-03-10', want: 'pending' },
    { paid: 0n, grace: 0, today: '2027-03-11', want: 'broken' },
    { paid: 4_000n, grace: 0, today: '2027-03-10', want: 'pending' },
    { paid: 4_000n, grace: 0, today: '2027-03-11', want: 'partially_kept' },
  ] as { paid: bigint; grace: number; today: string; want: PromiseOutcome }[])('paid $paid, grace $grace, today $today → $want', ({ paid, grace, today, want }) => {
    expect(promiseOutcome(10_000n, paid, '2027-03-10', grace, today)).toBe(want);
  });

  it.each([
    // grace runs across a month end: 2027-02-27 + 2 = 03-01 (Feb has 28 days in 2027)
    { promisedOn: '2027-02-27', today: '2027-03-01', want: 'pending' },
    { promisedOn: '2027-02-27', today: '2027-03-02', want: 'broken' },
    // leap year: 2028-02-27 + 2 = 02-29
    { promisedOn: '2028-02-27', today: '2028-02-29', want: 'pending' },
    { promisedOn: '2028-02-27', today: '2028-03-01', want: 'broken' },
    // across a year end: 2027-12-30 + 2 = 2028-01-01
    { promisedOn: '2027-12-30', today: '2028-01-01', want: 'pending' },
    { promisedOn: '2027-12-30', today: '2028-01-02', want: 'broken' },
  ] as { promisedOn: string; today: string; want: PromiseOutcome }[])('grace across calendar boundaries: promised $promisedOn, today $today → $want', ({ promisedOn, today, want }) => {
    expect(promiseOutcome(500n, 0n, promisedOn, 2, today)).toBe(want);
  });
});

describe('isMissed', () => {
  // Due 2027-01-31, 1000, grace 5 → 01-31 + 5 = 02-05; missed from 02-06 while not fully paid.
  it.each([
    { paid: 0n, grace: 5, today: '2027-01-31', want: false }, // due date itself
    { paid: 0n, grace: 5, today: '2027-02-05', want: false }, // last day of grace
    { paid: 0n, grace: 5, today: '2027-02-06', want: true }, // the day after
    { paid: 999n, grace: 5, today: '2027-02-06', want: true }, // 1 short is still missed
    { paid: 1_000n, grace: 5, today: '2027-02-06', want: false }, // paid in full
    { paid: 1_500n, grace: 5, today: '2027-03-01', want: false }, // overpaid
    { paid: 0n, grace: 5, today: '2027-01-01', want: false }, // before due
    // grace 0: missed the day after the due date
    { paid: 0n, grace: 0, today: '2027-01-31', want: false },
    { paid: 0n, grace: 0, today: '2027-02-01', want: true },
    // grace 1 across the month end: 01-31 + 1 = 02-01
    { paid: 0n, grace: 1, today: '2027-02-01', want: false },
    { paid: 0n, grace: 1, today: '2027-02-02', want: true },
  ])('paid $paid, grace $grace, today $today → $want', ({ paid, grace, today, want }) => {
    expect(isMissed('2027-01-31', 1_000n, paid, grace, today)).toBe(want);
  });

  it.each([
    // leap year: 2028-02-28 + 1 = 02-29, missed from 03-01
    { dueOn: '2028-02-28', today: '2028-02-29', want: false },
    { dueOn: '2028-02-28', today: '2028-03-01', want: true },
    // non-leap: 2027-02-28 + 1 = 03-01, missed from 03-02
    { dueOn: '2027-02-28', today: '2027-03-01', want: false },
    { dueOn: '2027-02-28', today: '2027-03-02', want: true },
  ])('grace 1 around February: due $dueOn, today $today → $want', ({ dueOn, today, want }) => {
    expect(isMissed(dueOn, 100n, 0n, 1, today)).toBe(want);
  });
});
