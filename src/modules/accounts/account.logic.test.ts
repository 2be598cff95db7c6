import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../shared/dates.js';
import { allocate, canTransition, summarize, TRANSITIONS, type Component, type EntryLike } from './account.logic.js';
import { bucketFor, DEFAULT_BUCKETS, daysPastDue, validateBuckets } from './delinquency.logic.js';

let n = 0;
const entry = (e: Partial<EntryLike> & Pick<EntryLike, 'kind' | 'component' | 'amount' | 'effectiveOn'>): EntryLike => ({ id: `e${n++}`, reversesEntryId: null, ...e });

describe('ledger summary', () => {
  it('pays charges oldest first and reports the oldest unpaid date', () => {
    const s = summarize([
      entry({ kind: 'principal', component: 'principal', amount: 10000n, effectiveOn: '2026-01-31' }),
      entry({ kind: 'fee', component: 'fee', amount: 500n, effectiveOn: '2026-03-05' }),
      entry({ kind: 'payment', component: 'principal', amount: -10000n, effectiveOn: '2026-03-10' }),
    ]);
    expect(s).toMatchObject({ principal: 0n, fee: 500n, total: 500n, oldestUnpaidDueOn: '2026-03-05' });
  });

  it('a reversed payment restores the original due date', () => {
    const pay = entry({ kind: 'payment', component: 'principal', amount: -10000n, effectiveOn: '2026-02-10' });
    const s = summarize([
      entry({ kind: 'principal', component: 'principal', amount: 10000n, effectiveOn: '2026-01-31' }),
      pay,
      entry({ kind: 'reversal', component: 'principal', amount: 10000n, effectiveOn: '2026-02-12', reversesEntryId: pay.id }),
    ]);
    expect(s).toMatchObject({ total: 10000n, oldestUnpaidDueOn: '2026-01-31' });
  });

  const component = fc.constantFrom<Component>('principal', 'interest', 'fee');
  const day = fc.integer({ min: 0, max: 400 }).map((d) => addDays('2025-01-01', d));
  const rawEntry = fc.record({
    sign: fc.constantFrom(1n, -1n),
    amount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
    component,
    effectiveOn: day,
    reverse: fc.boolean(),
  });

  it('property: balances are the ledger sums, and reversals restore them exactly', () => {
    fc.assert(
      fc.property(fc.array(rawEntry, { maxLength: 60 }), (raws) => {
        const entries: EntryLike[] = [];
        for (const r of raws) {
          const e = entry({ kind: r.sign > 0n ? r.component : 'adjustment', component: r.component, amount: r.sign * r.amount, effectiveOn: r.effectiveOn });
          entries.push(e);
        }
        const before = summarize(entries);
        const sum = (c: Component) => entries.filter((e) => e.component === c).reduce((a, e) => a + e.amount, 0n);
        expect(before.principal).toBe(sum('principal'));
        expect(before.interest).toBe(sum('interest'));
        expect(before.fee).toBe(sum('fee'));
        expect(before.total).toBe(sum('principal') + sum('interest') + sum('fee'));
        // Reverse a chosen subset; then reverse everything: the balance returns to zero exactly.
        const reversals = entries.filter((_, i) => raws[i]!.reverse).map((e) => entry({ kind: 'reversal', component: e.component, amount: -e.amount, effectiveOn: e.effectiveOn, reversesEntryId: e.id }));
        const partly = summarize([...entries, ...reversals]);
        const kept = entries.filter((_, i) => !raws[i]!.reverse);
        expect(partly.total).toBe(summarize(kept).total);
        expect(partly.oldestUnpaidDueOn).toBe(summarize(kept).oldestUnpaidDueOn);
        const all = entries.map((e) => entry({ kind: 'reversal', component: e.component, amount: -e.amount, effectiveOn: e.effectiveOn, reversesEntryId: e.id }));
        const zero = summarize([...entries, ...all]);
        expect([zero.principal, zero.interest, zero.fee, zero.total]).toEqual([0n, 0n, 0n, 0n]);
      }),
      { numRuns: 300 },
    );
  });

  it('property: allocation never overpays a component and sums to the amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 4n * 10n ** 12n }), (p, i, f, amt) => {
        const parts = allocate(amt, { principal: p, interest: i, fee: f });
        if (amt > p + i + f) expect(parts).toBeNull();
        else {
          expect(parts!.reduce((a, x) => a + x.amount, 0n)).toBe(amt);
          for (const x of parts!) expect(x.amount).toBeLessThanOrEqual({ principal: p, interest: i, fee: f }[x.component]);
        }
      }),
    );
  });
});

describe('delinquency', () => {
  it('counts days from the day after the due date', () => {
    expect(daysPastDue('2026-03-01', '2026-03-01')).toBe(0);
    expect(daysPastDue('2026-03-01', '2026-03-02')).toBe(1);
    expect(daysPastDue('2026-02-28', '2026-03-01')).toBe(1);
    expect(daysPastDue('2024-02-28', '2024-03-01')).toBe(2); // leap year
    expect(daysPastDue(null, '2026-03-01')).toBe(0);
    expect(daysPastDue('2026-03-10', '2026-03-01')).toBe(0);
  });

  it('places boundaries in the default buckets', () => {
    const label = (d: number) => bucketFor(DEFAULT_BUCKETS, d).label;
    expect([label(0), label(1), label(30), label(31), label(60), label(61), label(180), label(181), label(10_000)]).toEqual([
      'Current', '1-30', '1-30', '31-60', '31-60', '61-90', '121-180', '181+', '181+',
    ]);
  });

  it('refuses overlaps, gaps, a closed end and a late start', () => {
    expect(validateBuckets(DEFAULT_BUCKETS)).toEqual([]);
    const msgs = (b: Parameters<typeof validateBuckets>[0]) => validateBuckets(b).map((p) => `${p.field}: ${p.message}`).join(' | ');
    expect(msgs([{ label: 'a', minDays: 0, maxDays: 30 }, { label: 'b', minDays: 30, maxDays: null }])).toMatch(/buckets.1.minDays: overlaps/);
    expect(msgs([{ label: 'a', minDays: 0, maxDays: 30 }, { label: 'b', minDays: 35, maxDays: null }])).toMatch(/gap after "a": days 31–34/);
    expect(msgs([{ label: 'a', minDays: 0, maxDays: 30 }])).toMatch(/open-ended/);
    expect(msgs([{ label: 'a', minDays: 1, maxDays: null }])).toMatch(/start at 0/);
  });
});

describe('status transitions', () => {
  it('allows only listed transitions; closed is final', () => {
    expect(canTransition('current', 'delinquent')).toBe(true);
    expect(canTransition('paid_off', 'current')).toBe(false);
    expect(TRANSITIONS.closed).toEqual([]);
    expect(canTransition('delinquent', 'charged_off')).toBe(true);
    expect(canTransition('current', 'charged_off')).toBe(false);
  });
});
