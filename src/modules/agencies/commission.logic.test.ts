import { describe, expect, it } from 'vitest';
import { Problems } from '../../shared/validation.js';
import { apportion, commission, parseCommission, rateFor } from './commission.logic.js';

/* Every expected figure is worked out by hand in the comment beside it. Amounts are minor units. */

describe('commission', () => {
  it('flat rate: one rounding over the total, shares add up to it', () => {
    // 15% of 333 + 333 + 334 = 1000 → 150 exactly. Per portfolio 49.95 / 49.95 / 50.1 → shares 50, 50, 50
    // (floors 49, 49, 50 = 148; the two .95 remainders get a unit each).
    const r = commission({ rateBps: 1500 }, [
      { key: 'a', amount: 333n, daysPastDueAtPlacement: 0 },
      { key: 'b', amount: 333n, daysPastDueAtPlacement: 0 },
      { key: 'c', amount: 334n, daysPastDueAtPlacement: 0 },
    ]);
    expect(r.total).toBe(150n);
    expect([...r.byKey.entries()]).toEqual([['a', 50n], ['b', 50n], ['c', 50n]]);
    expect(r.effectiveRateBps).toBe(1500);
  });

  it('rounds half to even once', () => {
    // 12.5% of 100 = 12.5 → 12 (even); of 300 = 37.5 → 38 (even).
    expect(commission({ rateBps: 1250 }, [{ key: 'a', amount: 100n, daysPastDueAtPlacement: 0 }]).total).toBe(12n);
    expect(commission({ rateBps: 1250 }, [{ key: 'a', amount: 300n, daysPastDueAtPlacement: 0 }]).total).toBe(38n);
  });

  it('marginal brackets on the amount collected', () => {
    // Tiers: 0–100000 at 10%, 100000–500000 at 15%, above at 20%. Collected 600000:
    // 100000 × 10% = 10000; 400000 × 15% = 60000; 100000 × 20% = 20000 → 90000.
    const plan = { rateBps: 1000, tierBasis: 'amount_collected' as const, tiers: [{ from: '0', rateBps: 1000 }, { from: '100000', rateBps: 1500 }, { from: '500000', rateBps: 2000 }] };
    const r = commission(plan, [
      { key: 'p1', amount: 450000n, daysPastDueAtPlacement: 10 },
      { key: 'p2', amount: 150000n, daysPastDueAtPlacement: 400 },
    ]);
    expect(r.total).toBe(90000n);
    // Shared by collected: 90000 × 450000/600000 = 67500; × 150000/600000 = 22500.
    expect(r.byKey.get('p1')).toBe(67500n);
    expect(r.byKey.get('p2')).toBe(22500n);
    expect(r.effectiveRateBps).toBe(1500);
    // Exactly at a bracket boundary: 100000 → 10000, nothing at 15%.
    expect(commission(plan, [{ key: 'p', amount: 100000n, daysPastDueAtPlacement: 0 }]).total).toBe(10000n);
  });

  it('rate by days past due at placement', () => {
    // 0–89 days 10%, 90–179 20%, 180+ 30%. 1000 at 30 days → 100; 1000 at 90 → 200; 1000 at 365 → 300.
    const plan = { rateBps: 1000, tierBasis: 'days_past_due' as const, tiers: [{ from: '0', rateBps: 1000 }, { from: '90', rateBps: 2000 }, { from: '180', rateBps: 3000 }] };
    const r = commission(plan, [
      { key: 'x', amount: 1000n, daysPastDueAtPlacement: 30 },
      { key: 'y', amount: 1000n, daysPastDueAtPlacement: 90 },
      { key: 'y', amount: 1000n, daysPastDueAtPlacement: 365 },
    ]);
    expect(r.total).toBe(600n);
    expect(r.byKey.get('x')).toBe(100n);
    expect(r.byKey.get('y')).toBe(500n);
    expect(rateFor(plan.tiers, 89n)).toBe(1000);
    expect(rateFor(plan.tiers, 179n)).toBe(2000);
  });

  it('nothing collected owes nothing', () => {
    const r = commission({ rateBps: 2000 }, []);
    expect(r.total).toBe(0n);
    expect(r.effectiveRateBps).toBeNull();
  });

  it('apportion never loses or invents a unit', () => {
    const shares = apportion(10n, new Map([['a', 1n], ['b', 1n], ['c', 1n]]));
    expect([...shares.values()].reduce((s, v) => s + v, 0n)).toBe(10n);
    expect(shares.get('a')).toBe(4n); // 3.33 each: floors 3, 3, 3; one unit to the first by key order
  });
});

describe('parseCommission', () => {
  it('names each bad field', () => {
    const p = new Problems();
    parseCommission(p, 'input.commission', { rateBps: 10_001, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '5', rateBps: 100 }, { from: '5', rateBps: -1 }, { from: 'x', rateBps: 1 }] });
    const fields = p.list.map((x) => x.field);
    expect(fields).toEqual(
      expect.arrayContaining(['input.commission.rateBps', 'input.commission.tiers.0.from', 'input.commission.tiers.1.from', 'input.commission.tiers.1.rateBps', 'input.commission.tiers.2.from']),
    );
  });

  it('needs a basis with tiers and tiers with a basis', () => {
    const p = new Problems();
    parseCommission(p, 'c', { rateBps: 100, tiers: [{ from: '0', rateBps: 1 }] });
    parseCommission(p, 'd', { rateBps: 100, tierBasis: 'AMOUNT_COLLECTED', tiers: [] });
    expect(p.list.map((x) => x.field)).toEqual(['c.tierBasis', 'd.tiers']);
  });

  it('accepts a flat and a tiered plan', () => {
    const p = new Problems();
    expect(parseCommission(p, 'c', { rateBps: 1500 })).toEqual({ rateBps: 1500 });
    expect(parseCommission(p, 'c', { rateBps: 0, tierBasis: 'AMOUNT_COLLECTED', tiers: [{ from: '0', rateBps: 1000 }, { from: '100000', rateBps: 1500 }] })).toEqual({
      rateBps: 0,
      tierBasis: 'amount_collected',
      tiers: [{ from: '0', rateBps: 1000 }, { from: '100000', rateBps: 1500 }],
    });
    expect(p.empty).toBe(true);
  });
});
