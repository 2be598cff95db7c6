import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Component } from '../accounts/account.logic.js';
import { allocateAcross, applyToInstallments, type AllocTarget, type InstallmentState } from './payment.allocation.js';

/*
 * Every expected figure below is worked out by hand (the comment beside it). Amounts are minor units.
 */

const DEFAULT: Component[] = ['fee', 'interest', 'principal'];

describe('allocateAcross', () => {
  // Oldest account first, as given. Total owed: A 100 + 200 + 1000 = 1300, B 50 + 0 + 500 = 550 → 1850.
  const A: AllocTarget = { accountId: 'A', balances: { fee: 100n, interest: 200n, principal: 1_000n } };
  const B: AllocTarget = { accountId: 'B', balances: { fee: 50n, interest: 0n, principal: 500n } };

  it.each([
    {
      name: 'component-major: fees of both accounts, then interest, then principal',
      amount: 400n,
      // fee A 100 (300 left), fee B 50 (250), interest A 200 (50), interest B owes 0 (skipped), principal A 50 (0)
      lines: [
        ['A', 'fee', 100n],
        ['B', 'fee', 50n],
        ['A', 'interest', 200n],
        ['A', 'principal', 50n],
      ],
      left: 0n,
    },
    {
      name: 'partial payment inside the first component',
      amount: 120n,
      // fee A 100 (20 left), fee B 20 of 50 (0)
      lines: [
        ['A', 'fee', 100n],
        ['B', 'fee', 20n],
      ],
      left: 0n,
    },
    {
      name: 'partial payment smaller than the first balance',
      amount: 30n,
      lines: [['A', 'fee', 30n]],
      left: 0n,
    },
    {
      name: 'exact payment pays everything',
      amount: 1_850n,
      // 100 + 50 + 200 + 1000 + 500 = 1850
      lines: [
        ['A', 'fee', 100n],
        ['B', 'fee', 50n],
        ['A', 'interest', 200n],
        ['A', 'principal', 1_000n],
        ['B', 'principal', 500n],
      ],
      left: 0n,
    },
    {
      name: 'overpayment leaves the excess',
      amount: 2_000n,
      // 2000 − 1850 = 150 left
      lines: [
        ['A', 'fee', 100n],
        ['B', 'fee', 50n],
        ['A', 'interest', 200n],
        ['A', 'principal', 1_000n],
        ['B', 'principal', 500n],
      ],
      left: 150n,
    },
    { name: 'zero payment', amount: 0n, lines: [], left: 0n },
  ] as { name: string; amount: bigint; lines: [string, Component, bigint][]; left: bigint }[])('default waterfall: $name', ({ amount, lines, left }) => {
    const r = allocateAcross(amount, [A, B], DEFAULT);
    expect(r.lines).toEqual(lines.map(([accountId, component, amount]) => ({ accountId, component, amount })));
    expect(r.left).toBe(left);
  });

  it('the order of targets is the order accounts are paid in', () => {
    // B first: fee B 50 (70 left), fee A 70 of 100 (0)
    expect(allocateAcross(120n, [B, A], DEFAULT).lines).toEqual([
      { accountId: 'B', component: 'fee', amount: 50n },
      { accountId: 'A', component: 'fee', amount: 70n },
    ]);
  });

  it('a custom waterfall: principal, then interest, then fee', () => {
    // principal A 1000 (1300 − 1000 = 300 left), principal B 300 of 500 (0)
    expect(allocateAcross(1_300n, [A, B], ['principal', 'interest', 'fee'])).toEqual({
      lines: [
        { accountId: 'A', component: 'principal', amount: 1_000n },
        { accountId: 'B', component: 'principal', amount: 300n },
      ],
      left: 0n,
    });
    // 1500 + interest A 200 (1800 − 1700 = 100 left) + fee A 100 (0)
    expect(allocateAcross(1_800n, [A, B], ['principal', 'interest', 'fee'])).toEqual({
      lines: [
        { accountId: 'A', component: 'principal', amount: 1_000n },
        { accountId: 'B', component: 'principal', amount: 500n },
        { accountId: 'A', component: 'interest', amount: 200n },
        { accountId: 'A', component: 'fee', amount: 100n },
      ],
      left: 0n,
    });
  });

  it('`components` excluding fee: fees are never paid', () => {
    // interest A 200 (400 − 200 = 200 left), principal A 200 of 1000 (0)
    expect(allocateAcross(400n, [A, B], DEFAULT, ['interest', 'principal'])).toEqual({
      lines: [
        { accountId: 'A', component: 'interest', amount: 200n },
        { accountId: 'A', component: 'principal', amount: 200n },
      ],
      left: 0n,
    });
    // payable: 200 + 1000 + 500 = 1700 → 5000 − 1700 = 3300 left, no fee lines though 150 of fees are owed
    expect(allocateAcross(5_000n, [A, B], DEFAULT, ['principal', 'interest'])).toEqual({
      lines: [
        { accountId: 'A', component: 'interest', amount: 200n },
        { accountId: 'A', component: 'principal', amount: 1_000n },
        { accountId: 'B', component: 'principal', amount: 500n },
      ],
      left: 3_300n,
    });
  });

  it('`components` does not change the order: the waterfall does', () => {
    // components listed principal-first, but the waterfall says interest before principal
    expect(allocateAcross(250n, [A], DEFAULT, ['principal', 'interest']).lines.map((l) => l.component)).toEqual(['interest', 'principal']);
  });

  it('no targets: everything is left', () => {
    expect(allocateAcross(500n, [], DEFAULT)).toEqual({ lines: [], left: 500n });
  });

  it('property: lines + left = amount, never more than a component owes, no zero lines', () => {
    const target = fc.record({
      fee: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      interest: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      principal: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    });
    const waterfall = fc.shuffledSubarray<Component>(['fee', 'interest', 'principal'], { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(target, { maxLength: 5 }), fc.bigInt({ min: 0n, max: 10n ** 10n }), waterfall, (bals, amount, wf) => {
        const targets = bals.map((balances, i) => ({ accountId: `acc${i}`, balances }));
        const { lines, left } = allocateAcross(amount, targets, wf);
        const owed = bals.reduce((a, b) => a + b.fee + b.interest + b.principal, 0n);
        expect(lines.reduce((a, l) => a + l.amount, 0n) + left).toBe(amount);
        expect(left).toBe(amount > owed ? amount - owed : 0n);
        for (const l of lines) {
          expect(l.amount > 0n).toBe(true);
          expect(l.amount <= bals[Number(l.accountId.slice(3))]![l.component]).toBe(true);
        }
      }),
    );
  });
});

describe('applyToInstallments', () => {
  // today 2027-02-20: seq 1 paid, seq 2 (due 02-15) 400 of 1000 paid, seq 3 and 4 not yet due.
  const TODAY = '2027-02-20';
  const i1: InstallmentState = { id: 'i1', seq: 1, dueOn: '2027-01-15', amount: 1_000n, paid: 1_000n };
  const i2: InstallmentState = { id: 'i2', seq: 2, dueOn: '2027-02-15', amount: 1_000n, paid: 400n };
  const i3: InstallmentState = { id: 'i3', seq: 3, dueOn: '2027-03-15', amount: 1_000n, paid: 0n };
  const i4: InstallmentState = { id: 'i4', seq: 4, dueOn: '2027-04-15', amount: 1_000n, paid: 0n };
  const ALL = [i1, i2, i3, i4];

  it.each([
    {
      name: 'partial: part of the oldest open installment',
      amount: 300n,
      // i2 open 1000 − 400 = 600; 300 < 600 → not closed
      apps: [['i2', 300n, false, false]],
      left: 0n,
    },
    {
      name: 'exactly what the oldest open installment still owes closes it',
      amount: 600n,
      apps: [['i2', 600n, true, false]],
      left: 0n,
    },
    {
      name: 'more than is due prepays the next one (early)',
      amount: 1_600n,
      // i2 600 (1000 left), i3 1000 closes; due 03-15 > 02-20 → early
      apps: [
        ['i2', 600n, true, false],
        ['i3', 1_000n, true, true],
      ],
      left: 0n,
    },
    {
      name: 'prepayment partly into a later installment',
      amount: 2_000n,
      // i2 600 (1400), i3 1000 (400), i4 400 of 1000: not closed, early
      apps: [
        ['i2', 600n, true, false],
        ['i3', 1_000n, true, true],
        ['i4', 400n, false, true],
      ],
      left: 0n,
    },
    {
      name: 'more than the whole schedule leaves the rest',
      amount: 5_000n,
      // open: 600 + 1000 + 1000 = 2600 → 5000 − 2600 = 2400 left
      apps: [
        ['i2', 600n, true, false],
        ['i3', 1_000n, true, true],
        ['i4', 1_000n, true, true],
      ],
      left: 2_400n,
    },
    { name: 'zero payment', amount: 0n, apps: [], left: 0n },
  ] as { name: string; amount: bigint; apps: [string, bigint, boolean, boolean][]; left: bigint }[])('$name', ({ amount, apps, left }) => {
    const r = applyToInstallments(amount, ALL, TODAY);
    const byId = Object.fromEntries(ALL.map((i) => [i.id, i]));
    expect(r.applications).toEqual(
      apps.map(([id, amount, closes, early]) => ({ installmentId: id, seq: byId[id]!.seq, dueOn: byId[id]!.dueOn, amount, closes, early })),
    );
    expect(r.left).toBe(left);
  });

  it('skips fully paid (and overpaid) installments', () => {
    const over: InstallmentState = { id: 'o', seq: 1, dueOn: '2027-01-15', amount: 1_000n, paid: 1_200n };
    const r = applyToInstallments(100n, [over, i2], TODAY);
    expect(r.applications.map((a) => a.installmentId)).toEqual(['i2']);
    expect(r.applications[0]!.amount).toBe(100n);
  });

  it('all paid: nothing applied, all left', () => {
    expect(applyToInstallments(700n, [i1], TODAY)).toEqual({ applications: [], left: 700n });
  });

  it('due today is not early; due tomorrow is', () => {
    const dueToday: InstallmentState = { id: 't', seq: 1, dueOn: TODAY, amount: 100n, paid: 0n };
    const dueTomorrow: InstallmentState = { id: 'u', seq: 2, dueOn: '2027-02-21', amount: 100n, paid: 0n };
    const r = applyToInstallments(200n, [dueToday, dueTomorrow], TODAY);
    expect(r.applications.map((a) => [a.installmentId, a.early])).toEqual([
      ['t', false],
      ['u', true],
    ]);
  });

  it('unsorted input is taken in seq order (and the input is not reordered)', () => {
    const input = [i4, i2, i1, i3];
    const r = applyToInstallments(2_000n, input, TODAY);
    // same as sorted: i2 600, i3 1000, i4 400
    expect(r.applications.map((a) => [a.seq, a.amount])).toEqual([
      [2, 600n],
      [3, 1_000n],
      [4, 400n],
    ]);
    expect(input.map((i) => i.id)).toEqual(['i4', 'i2', 'i1', 'i3']);
  });

  it('the down payment (seq 0) comes first', () => {
    const down: InstallmentState = { id: 'd', seq: 0, dueOn: '2027-01-01', amount: 500n, paid: 0n };
    // d 500 (700 − 500 = 200 left), then i2 200 of 600
    const r = applyToInstallments(700n, [i2, down], TODAY);
    expect(r.applications).toEqual([
      { installmentId: 'd', seq: 0, dueOn: '2027-01-01', amount: 500n, closes: true, early: false },
      { installmentId: 'i2', seq: 2, dueOn: '2027-02-15', amount: 200n, closes: false, early: false },
    ]);
  });
});
