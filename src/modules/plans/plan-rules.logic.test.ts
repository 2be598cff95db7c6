import { describe, expect, it } from 'vitest';
import { Problems } from '../../shared/validation.js';
import {
  DEFAULT_PLAN_RULES,
  discountBps,
  money,
  parseRules,
  planViolations,
  reviveRules,
  storeRules,
  type PlanRules,
  type PlanRulesInput,
  type ScheduleFacts,
} from './plan-rules.logic.js';

/*
 * Every expected figure below is worked out by hand (the comment beside it). Amounts are minor units
 * (EUR: cents, JPY: whole yen); basis points: 10000 bps = 100 %. Day counts: Jan 31, Feb 28 (2027), Mar 31.
 */

describe('parseRules', () => {
  it('happy path: every field given, normalised', () => {
    const p = new Problems();
    const input: PlanRulesInput = {
      maxInstallments: 12,
      maxLengthDays: 365,
      minInstallment: [
        { currency: ' eur ', amount: '2500' },
        { currency: 'JPY', amount: ' 3000 ' },
      ],
      minDownPaymentBps: 1000,
      minDownPayment: [{ currency: 'USD', amount: '0' }],
      maxSettlementDiscountBps: 2000,
      allowedFrequencies: ['Monthly', 'weekly', 'MONTHLY'],
      graceDays: 0,
      missedToBreak: 1,
      freezeFeesWhileActive: false,
      waiveFeesOnCompletion: true,
      maxStartDelayDays: 0,
      startPastToleranceDays: 0,
      promiseGraceDays: 0,
      overpayment: 'REFUSE',
      waterfall: ['Principal', 'interest', 'FEE'],
    };
    const r = parseRules(p, input);
    expect(p.list).toEqual([]);
    expect(p.empty).toBe(true);
    expect(r).toEqual<PlanRules>({
      maxInstallments: 12,
      maxLengthDays: 365,
      minInstallment: { EUR: 2500n, JPY: 3000n },
      minDownPaymentBps: 1000,
      minDownPayment: { USD: 0n },
      maxSettlementDiscountBps: 2000,
      // lower-cased and de-duplicated, first occurrence order kept
      allowedFrequencies: ['monthly', 'weekly'],
      graceDays: 0,
      missedToBreak: 1,
      freezeFeesWhileActive: false,
      waiveFeesOnCompletion: true,
      maxStartDelayDays: 0,
      startPastToleranceDays: 0,
      promiseGraceDays: 0,
      overpayment: 'refuse',
      waterfall: ['principal', 'interest', 'fee'],
    });
  });

  it('an empty input gives the defaults', () => {
    const p = new Problems();
    expect(parseRules(p, {})).toEqual(DEFAULT_PLAN_RULES);
    expect(p.empty).toBe(true);
  });

  it('null fields also keep the defaults', () => {
    const p = new Problems();
    const allNull: PlanRulesInput = {
      maxInstallments: null,
      maxLengthDays: null,
      minInstallment: null,
      minDownPaymentBps: null,
      minDownPayment: null,
      maxSettlementDiscountBps: null,
      allowedFrequencies: null,
      graceDays: null,
      missedToBreak: null,
      freezeFeesWhileActive: null,
      waiveFeesOnCompletion: null,
      maxStartDelayDays: null,
      startPastToleranceDays: null,
      promiseGraceDays: null,
      overpayment: null,
      waterfall: null,
    };
    expect(parseRules(p, allNull)).toEqual(DEFAULT_PLAN_RULES);
    expect(p.empty).toBe(true);
  });

  it('fields left out keep the base rules (the rules being replaced), not the defaults', () => {
    const base: PlanRules = {
      ...DEFAULT_PLAN_RULES,
      maxInstallments: 6,
      minInstallment: { EUR: 1000n },
      allowedFrequencies: ['monthly'],
      overpayment: 'refuse',
      waterfall: ['principal', 'fee', 'interest'],
    };
    const p = new Problems();
    const r = parseRules(p, { graceDays: 9 }, base);
    expect(p.empty).toBe(true);
    expect(r).toEqual({ ...base, graceDays: 9 });
  });

  it('an empty amount list clears the base limits', () => {
    const p = new Problems();
    const r = parseRules(p, { minInstallment: [] }, { ...DEFAULT_PLAN_RULES, minInstallment: { EUR: 1000n } });
    expect(p.empty).toBe(true);
    expect(r.minInstallment).toEqual({});
  });

  it.each([
    // Whole-number ranges: [min, max] inclusive.
    { input: { maxInstallments: 0 }, field: 'input.rules.maxInstallments', message: 'must be a whole number from 1 to 600' },
    { input: { maxInstallments: 601 }, field: 'input.rules.maxInstallments', message: 'must be a whole number from 1 to 600' },
    { input: { maxInstallments: 1.5 }, field: 'input.rules.maxInstallments', message: 'must be a whole number from 1 to 600' },
    { input: { maxLengthDays: 0 }, field: 'input.rules.maxLengthDays', message: 'must be a whole number from 1 to 36600' },
    { input: { maxLengthDays: 36_601 }, field: 'input.rules.maxLengthDays', message: 'must be a whole number from 1 to 36600' },
    { input: { minDownPaymentBps: -1 }, field: 'input.rules.minDownPaymentBps', message: 'must be a whole number from 0 to 10000' },
    { input: { minDownPaymentBps: 10_001 }, field: 'input.rules.minDownPaymentBps', message: 'must be a whole number from 0 to 10000' },
    { input: { maxSettlementDiscountBps: 10_001 }, field: 'input.rules.maxSettlementDiscountBps', message: 'must be a whole number from 0 to 10000' },
    { input: { maxSettlementDiscountBps: -1 }, field: 'input.rules.maxSettlementDiscountBps', message: 'must be a whole number from 0 to 10000' },
    { input: { graceDays: -1 }, field: 'input.rules.graceDays', message: 'must be a whole number from 0 to 365' },
    { input: { graceDays: 366 }, field: 'input.rules.graceDays', message: 'must be a whole number from 0 to 365' },
    { input: { missedToBreak: 0 }, field: 'input.rules.missedToBreak', message: 'must be a whole number from 1 to 600' },
    { input: { missedToBreak: 601 }, field: 'input.rules.missedToBreak', message: 'must be a whole number from 1 to 600' },
    { input: { maxStartDelayDays: 3661 }, field: 'input.rules.maxStartDelayDays', message: 'must be a whole number from 0 to 3660' },
    { input: { maxStartDelayDays: -1 }, field: 'input.rules.maxStartDelayDays', message: 'must be a whole number from 0 to 3660' },
    { input: { startPastToleranceDays: 367 }, field: 'input.rules.startPastToleranceDays', message: 'must be a whole number from 0 to 366' },
    { input: { promiseGraceDays: 366 }, field: 'input.rules.promiseGraceDays', message: 'must be a whole number from 0 to 365' },
    { input: { promiseGraceDays: Number.NaN }, field: 'input.rules.promiseGraceDays', message: 'must be a whole number from 0 to 365' },
    // Enumerations.
    { input: { overpayment: 'refund' }, field: 'input.rules.overpayment', message: 'must be one of hold_as_credit, refuse' },
    { input: { allowedFrequencies: ['daily'] }, field: 'input.rules.allowedFrequencies.0', message: 'must be one of weekly, biweekly, monthly' },
    { input: { allowedFrequencies: ['monthly', 'fortnightly'] }, field: 'input.rules.allowedFrequencies.1', message: 'must be one of weekly, biweekly, monthly' },
    { input: { allowedFrequencies: [] }, field: 'input.rules.allowedFrequencies', message: 'must allow at least one frequency' },
    // Waterfall: fee, interest and principal, each exactly once.
    { input: { waterfall: ['fee', 'interest'] }, field: 'input.rules.waterfall', message: expect.stringMatching(/^must name fee, interest and principal, each once/) },
    { input: { waterfall: ['fee', 'fee', 'principal'] }, field: 'input.rules.waterfall', message: expect.stringMatching(/^must name fee, interest and principal/) },
    { input: { waterfall: ['fee', 'interest', 'principal', 'fee'] }, field: 'input.rules.waterfall', message: expect.stringMatching(/^must name fee/) },
    { input: { waterfall: ['fee', 'interest', 'penalty'] }, field: 'input.rules.waterfall', message: expect.stringMatching(/^must name fee/) },
    { input: { waterfall: [] }, field: 'input.rules.waterfall', message: expect.stringMatching(/^must name fee/) },
    // Per-currency amounts.
    { input: { minInstallment: [{ currency: 'XYZ', amount: '100' }] }, field: 'input.rules.minInstallment.0.currency', message: 'must be an ISO 4217 currency code' },
    { input: { minInstallment: [{ currency: 'EUR', amount: '-5' }] }, field: 'input.rules.minInstallment.0.amount', message: 'must not be negative' },
    { input: { minInstallment: [{ currency: 'EUR', amount: 'abc' }] }, field: 'input.rules.minInstallment.0.amount', message: 'must be an integer number of minor units' },
    // Decimals are refused: amounts are integer minor units.
    {
      input: { minInstallment: [{ currency: 'EUR', amount: '25.00' }] },
      field: 'input.rules.minInstallment.0.amount',
      message: 'must be an integer number of minor units (e.g. cents), not a decimal',
    },
    {
      input: { minDownPayment: [{ currency: 'JPY', amount: '100' }, { currency: 'EUR', amount: '12.5' }] },
      field: 'input.rules.minDownPayment.1.amount',
      message: 'must be an integer number of minor units (e.g. cents), not a decimal',
    },
    // Duplicate currency (after trimming / upper-casing).
    {
      input: { minInstallment: [{ currency: 'EUR', amount: '100' }, { currency: 'eur', amount: '200' }] },
      field: 'input.rules.minInstallment.1.currency',
      message: 'EUR is listed twice',
    },
    {
      input: { minDownPayment: [{ currency: 'USD', amount: '1' }, { currency: 'JPY', amount: '2' }, { currency: ' usd', amount: '3' }] },
      field: 'input.rules.minDownPayment.2.currency',
      message: 'USD is listed twice',
    },
  ] as { input: PlanRulesInput; field: string; message: unknown }[])('$field refused for $input', ({ input, field, message }) => {
    const p = new Problems();
    parseRules(p, input);
    expect(p.list).toEqual([{ field, message }]);
  });

  it.each([
    { maxInstallments: 1 },
    { maxInstallments: 600 },
    { maxLengthDays: 1 },
    { maxLengthDays: 36_600 },
    { minDownPaymentBps: 0 },
    { minDownPaymentBps: 10_000 },
    { maxSettlementDiscountBps: 0 },
    { maxSettlementDiscountBps: 10_000 },
    { graceDays: 0 },
    { graceDays: 365 },
    { missedToBreak: 1 },
    { missedToBreak: 600 },
    { maxStartDelayDays: 0 },
    { maxStartDelayDays: 3660 },
    { startPastToleranceDays: 0 },
    { startPastToleranceDays: 366 },
    { promiseGraceDays: 0 },
    { promiseGraceDays: 365 },
  ] as PlanRulesInput[])('range boundaries are accepted: %o', (input) => {
    const p = new Problems();
    const r = parseRules(p, input);
    expect(p.list).toEqual([]);
    const [key, value] = Object.entries(input)[0]!;
    expect(r[key as keyof PlanRules]).toBe(value);
  });

  it('collects every problem at once', () => {
    const p = new Problems();
    parseRules(p, { maxInstallments: 0, graceDays: -1, overpayment: 'x', waterfall: ['fee'], minInstallment: [{ currency: 'ZZZ', amount: '1.5' }] });
    expect(p.list.map((x) => x.field).sort()).toEqual(
      [
        'input.rules.graceDays',
        'input.rules.maxInstallments',
        'input.rules.minInstallment.0.amount',
        'input.rules.minInstallment.0.currency',
        'input.rules.overpayment',
        'input.rules.waterfall',
      ].sort(),
    );
  });

  it('uses the given prefix in paths', () => {
    const p = new Problems();
    parseRules(p, { graceDays: -1, minDownPayment: [{ currency: 'EUR', amount: '0.5' }] }, DEFAULT_PLAN_RULES, 'input.portfolioRules');
    expect(p.list.map((x) => x.field).sort()).toEqual(['input.portfolioRules.graceDays', 'input.portfolioRules.minDownPayment.0.amount']);
  });

  it('values taken from the base are validated like input (a bad stored overpayment policy is reported)', () => {
    const p = new Problems();
    parseRules(p, {}, { ...DEFAULT_PLAN_RULES, overpayment: 'bogus' as never });
    expect(p.list).toEqual([{ field: 'input.rules.overpayment', message: 'must be one of hold_as_credit, refuse' }]);
  });
});

describe('storeRules / reviveRules', () => {
  const rules: PlanRules = {
    ...DEFAULT_PLAN_RULES,
    maxInstallments: 10,
    minInstallment: { EUR: 2_500n, JPY: 3_000n },
    minDownPayment: { EUR: 10_000n },
    minDownPaymentBps: 1500,
    allowedFrequencies: ['weekly', 'monthly'],
    overpayment: 'refuse',
    waterfall: ['interest', 'principal', 'fee'],
  };

  it('stores amounts as strings (jsonb-safe)', () => {
    const s = storeRules(rules);
    expect(s.minInstallment).toEqual({ EUR: '2500', JPY: '3000' });
    expect(s.minDownPayment).toEqual({ EUR: '10000' });
    expect(() => JSON.stringify(s)).not.toThrow();
  });

  it('round trip through JSON gives the same rules', () => {
    const back = reviveRules(JSON.parse(JSON.stringify(storeRules(rules))));
    expect(back).toEqual(rules);
  });

  it('round trip of the defaults', () => {
    expect(reviveRules(JSON.parse(JSON.stringify(storeRules(DEFAULT_PLAN_RULES))))).toEqual(DEFAULT_PLAN_RULES);
  });

  it('fields missing from an older stored row read as their defaults', () => {
    const old = { maxInstallments: 12, minInstallment: { EUR: '500' } };
    expect(reviveRules(old)).toEqual({ ...DEFAULT_PLAN_RULES, maxInstallments: 12, minInstallment: { EUR: 500n }, minDownPayment: {} });
  });
});

describe('money', () => {
  it.each([
    { v: 2_499n, c: 'EUR', want: '24.99 EUR' },
    { v: 5n, c: 'EUR', want: '0.05 EUR' }, // padded to 3 digits: "005" → 0.05
    { v: 0n, c: 'EUR', want: '0.00 EUR' },
    { v: -150n, c: 'EUR', want: '-1.50 EUR' },
    { v: 500n, c: 'JPY', want: '500 JPY' },
    { v: 1_234n, c: 'KWD', want: '1.234 KWD' }, // 3 decimals
  ])('$v $c → $want', ({ v, c, want }) => {
    expect(money(v, c)).toBe(want);
  });
});

describe('planViolations', () => {
  const R = (over: Partial<PlanRules> = {}): PlanRules => ({ ...DEFAULT_PLAN_RULES, ...over });
  const inst = (...xs: [string, bigint][]) => xs.map(([dueOn, amount]) => ({ dueOn, amount }));
  // Four monthly installments of 2500 from 2027-01-01: a 10000 plan starting today.
  const F = (over: Partial<ScheduleFacts> = {}): ScheduleFacts => ({
    currency: 'EUR',
    total: 10_000n,
    downPayment: 0n,
    frequency: 'monthly',
    startOn: '2027-01-01',
    installments: inst(['2027-01-01', 2_500n], ['2027-02-01', 2_500n], ['2027-03-01', 2_500n], ['2027-04-01', 2_500n]),
    today: '2027-01-01',
    ...over,
  });
  const rulesOf = (v: { rule: string }[]) => v.map((x) => x.rule);

  it('the baseline plan is inside the default rules', () => {
    expect(planViolations(R(), F())).toEqual([]);
  });

  describe('maxInstallments', () => {
    it('exactly at the limit is inside', () => {
      expect(planViolations(R({ maxInstallments: 4 }), F())).toEqual([]);
    });
    it('one more is a violation', () => {
      const v = planViolations(R({ maxInstallments: 3 }), F());
      expect(v).toEqual([{ rule: 'maxInstallments', limit: '3', actual: '4', message: '4 installments; the rules allow at most 3' }]);
    });
  });

  describe('maxLengthDays', () => {
    // 2027-01-01 → 2027-04-01: 31 (Jan) + 28 (Feb) + 31 (Mar) = 90 days
    it('exactly at the limit is inside', () => {
      expect(planViolations(R({ maxLengthDays: 90 }), F())).toEqual([]);
    });
    it('one day over is a violation', () => {
      const v = planViolations(R({ maxLengthDays: 89 }), F());
      expect(v).toEqual([{ rule: 'maxLengthDays', limit: '89', actual: '90', message: 'the last installment falls 90 days after the start; the rules allow at most 89' }]);
    });
    it('measured from the start date, not from today', () => {
      // start 2027-01-10, last 2027-02-10: 31 days; today (2027-01-01) would give 40
      const f = F({ startOn: '2027-01-10', installments: inst(['2027-01-10', 5_000n], ['2027-02-10', 5_000n]) });
      expect(planViolations(R({ maxLengthDays: 31 }), f)).toEqual([]);
      expect(rulesOf(planViolations(R({ maxLengthDays: 30 }), f))).toEqual(['maxLengthDays']);
    });
  });

  describe('minInstallment', () => {
    it('exactly at the limit is inside (smallest 2500, limit 2500)', () => {
      expect(planViolations(R({ minInstallment: { EUR: 2_500n } }), F())).toEqual([]);
    });
    it('the smallest installment below the limit is a violation, with amounts in major units', () => {
      const f = F({ installments: inst(['2027-01-01', 2_600n], ['2027-02-01', 2_499n], ['2027-03-01', 2_500n], ['2027-04-01', 2_401n]) });
      // smallest = min(2600, 2499, 2500, 2401) = 2401
      const v = planViolations(R({ minInstallment: { EUR: 2_500n } }), f);
      expect(v).toEqual([
        { rule: 'minInstallment', limit: '2500', actual: '2401', message: 'the smallest installment is 24.01 EUR; the rules ask for at least 25.00 EUR' },
      ]);
    });
    it('a limit in another currency does not apply', () => {
      expect(planViolations(R({ minInstallment: { JPY: 1_000_000n } }), F())).toEqual([]);
    });
    it('JPY has no decimals in the message', () => {
      const f = F({ currency: 'JPY', total: 900n, installments: inst(['2027-01-01', 300n], ['2027-02-01', 300n], ['2027-03-01', 300n]) });
      const v = planViolations(R({ minInstallment: { JPY: 500n } }), f);
      expect(v[0]).toMatchObject({ rule: 'minInstallment', message: 'the smallest installment is 300 JPY; the rules ask for at least 500 JPY' });
    });
  });

  describe('minDownPayment', () => {
    it.each([
      // 10001 × 1000 bps / 10000 = 1000.1 → rounded up to 1001
      { total: 10_001n, bps: 1000, amounts: {}, down: 1_001n, limit: null },
      { total: 10_001n, bps: 1000, amounts: {}, down: 1_000n, limit: '1001' },
      // 10000 × 1000 / 10000 = 1000 exactly
      { total: 10_000n, bps: 1000, amounts: {}, down: 1_000n, limit: null },
      { total: 10_000n, bps: 1000, amounts: {}, down: 999n, limit: '1000' },
      // 3 × 1 bps / 10000 = 0.0003 → rounded up to 1
      { total: 3n, bps: 1, amounts: {}, down: 0n, limit: '1' },
      // by amount: at least 5000
      { total: 12_000n, bps: 0, amounts: { EUR: 5_000n }, down: 5_000n, limit: null },
      { total: 12_000n, bps: 0, amounts: { EUR: 5_000n }, down: 4_999n, limit: '5000' },
      // the larger of the two: 12000 × 5000 / 10000 = 6000 > 5000
      { total: 12_000n, bps: 5000, amounts: { EUR: 5_000n }, down: 5_999n, limit: '6000' },
      // the larger of the two: 12000 × 1000 / 10000 = 1200 < 5000
      { total: 12_000n, bps: 1000, amounts: { EUR: 5_000n }, down: 4_999n, limit: '5000' },
      // capped at the total: 100 EUR minimum on an 80 EUR plan means paying 80 up front
      { total: 8_000n, bps: 0, amounts: { EUR: 10_000n }, down: 8_000n, limit: null },
      { total: 8_000n, bps: 0, amounts: { EUR: 10_000n }, down: 7_999n, limit: '8000' },
      // 10000 bps = the whole total
      { total: 8_000n, bps: 10_000, amounts: {}, down: 7_999n, limit: '8000' },
      // a minimum in another currency does not apply
      { total: 8_000n, bps: 0, amounts: { USD: 10_000n }, down: 0n, limit: null },
    ] as { total: bigint; bps: number; amounts: Record<string, bigint>; down: bigint; limit: string | null }[])(
      'total $total, $bps bps, $amounts, down $down → limit $limit',
      ({ total, bps, amounts, down, limit }) => {
        const v = planViolations(R({ minDownPaymentBps: bps, minDownPayment: amounts }), F({ total, downPayment: down }));
        if (limit === null) expect(v).toEqual([]);
        else expect(v).toEqual([expect.objectContaining({ rule: 'minDownPayment', limit, actual: down.toString() })]);
      },
    );

    it('message in major units', () => {
      // 10001 × 1000 / 10000 → 1001 = 10.01 EUR; down 1000 = 10.00 EUR
      const [v] = planViolations(R({ minDownPaymentBps: 1000 }), F({ total: 10_001n, downPayment: 1_000n }));
      expect(v!.message).toBe('a down payment of 10.00 EUR; the rules ask for at least 10.01 EUR');
    });
  });

  describe('allowedFrequencies', () => {
    it('an allowed frequency is inside', () => {
      expect(planViolations(R({ allowedFrequencies: ['monthly'] }), F())).toEqual([]);
    });
    it('a frequency not allowed is a violation', () => {
      const v = planViolations(R({ allowedFrequencies: ['monthly', 'biweekly'] }), F({ frequency: 'weekly' }));
      expect(v).toEqual([{ rule: 'allowedFrequencies', limit: 'monthly,biweekly', actual: 'weekly', message: 'weekly installments; the rules allow monthly, biweekly' }]);
    });
  });

  describe('custom schedule (frequency null): widest gap', () => {
    const custom = (...d: string[]) => F({ frequency: null, installments: d.map((dueOn) => ({ dueOn, amount: 1_000n })) });

    it('gaps up to the longest allowed frequency are inside (biweekly → 14 days)', () => {
      // 01-01 → 01-15 → 01-29: 14, 14
      expect(planViolations(R({ allowedFrequencies: ['weekly', 'biweekly'] }), custom('2027-01-01', '2027-01-15', '2027-01-29'))).toEqual([]);
    });
    it('the widest gap, wherever it is, is reported', () => {
      // gaps: 01-01 → 01-03 = 2, 01-03 → 01-18 = 15, 01-18 → 02-01 = 14 (13 + 1) → widest 15
      const v = planViolations(R({ allowedFrequencies: ['weekly', 'biweekly'] }), custom('2027-01-01', '2027-01-03', '2027-01-18', '2027-02-01'));
      expect(v).toEqual([
        { rule: 'allowedFrequencies', limit: '14 days', actual: '15 days', message: 'installments up to 15 days apart; the allowed frequencies mean at most 14' },
      ]);
    });
    it('weekly only → 7 days', () => {
      // 01-01 → 01-08 = 7 inside; 01-08 → 01-16 = 8 outside
      expect(planViolations(R({ allowedFrequencies: ['weekly'] }), custom('2027-01-01', '2027-01-08'))).toEqual([]);
      expect(planViolations(R({ allowedFrequencies: ['weekly'] }), custom('2027-01-01', '2027-01-08', '2027-01-16'))).toEqual([
        expect.objectContaining({ rule: 'allowedFrequencies', limit: '7 days', actual: '8 days' }),
      ]);
    });
    it('monthly allowed → 31 days', () => {
      // 01-01 → 02-01 = 31 inside; 01-01 → 02-02 = 32 outside
      expect(planViolations(R(), custom('2027-01-01', '2027-02-01'))).toEqual([]);
      expect(planViolations(R(), custom('2027-01-01', '2027-02-02'))).toEqual([expect.objectContaining({ rule: 'allowedFrequencies', limit: '31 days', actual: '32 days' })]);
    });
    it('a single installment has no gap', () => {
      expect(planViolations(R({ allowedFrequencies: ['weekly'] }), F({ frequency: null, installments: inst(['2027-01-01', 10_000n]) }))).toEqual([]);
    });
  });

  describe('maxStartDelayDays', () => {
    // today 2027-01-01; 2027-01-31 is 30 days on, 2027-02-01 is 31
    const starting = (startOn: string) => F({ startOn, installments: inst([startOn, 10_000n]) });
    it('exactly at the limit is inside', () => {
      expect(planViolations(R({ maxStartDelayDays: 30 }), starting('2027-01-31'))).toEqual([]);
    });
    it('one day more is a violation', () => {
      expect(planViolations(R({ maxStartDelayDays: 30 }), starting('2027-02-01'))).toEqual([
        { rule: 'maxStartDelayDays', limit: '30', actual: '31', message: 'starts 31 days from today; the rules allow at most 30' },
      ]);
    });
    it('a start in the past is no delay', () => {
      expect(planViolations(R({ maxStartDelayDays: 0 }), F({ today: '2027-01-03' }))).toEqual([]);
    });
    it('limit 0: starting today is inside, tomorrow is not', () => {
      expect(planViolations(R({ maxStartDelayDays: 0 }), starting('2027-01-01'))).toEqual([]);
      expect(rulesOf(planViolations(R({ maxStartDelayDays: 0 }), starting('2027-01-02')))).toEqual(['maxStartDelayDays']);
    });
  });

  it('every rule exceeded at once: all reported, in rule order', () => {
    const rules = R({ maxInstallments: 1, maxLengthDays: 10, minInstallment: { EUR: 5_000n }, minDownPaymentBps: 1000, allowedFrequencies: ['monthly'], maxStartDelayDays: 0 });
    const f = F({ frequency: 'weekly', startOn: '2027-01-05', installments: inst(['2027-01-05', 4_000n], ['2027-01-12', 3_000n], ['2027-01-19', 3_000n]) });
    // 3 > 1; 01-05 → 01-19 = 14 > 10; 3000 < 5000; down 0 < 1000; weekly not allowed; 4 days ahead > 0
    expect(rulesOf(planViolations(rules, f))).toEqual(['maxInstallments', 'maxLengthDays', 'minInstallment', 'minDownPayment', 'allowedFrequencies', 'maxStartDelayDays']);
  });
});

describe('discountBps', () => {
  it.each([
    // (3 − 2) × 10000 / 3 = 3333.33… → rounded up to 3334
    { balance: 3n, amount: 2n, want: 3334 },
    // (10000 − 7000) × 10000 / 10000 = 3000 exactly
    { balance: 10_000n, amount: 7_000n, want: 3000 },
    // (7 − 6) × 10000 / 7 = 1428.57… → 1429
    { balance: 7n, amount: 6n, want: 1429 },
    // (30001 − 21001) × 10000 / 30001 = 90000000 / 30001 = 2999.90… → 3000 (30001 × 2999 = 89972999)
    { balance: 30_001n, amount: 21_001n, want: 3000 },
    // (30001 − 21000) × 10000 / 30001 = 90010000 / 30001 = 3000.23… → 3001 (30001 × 3000 = 90003000): just over a 30 % cap
    { balance: 30_001n, amount: 21_000n, want: 3001 },
    // full amount: no discount; nothing paid: 100 %
    { balance: 10_000n, amount: 10_000n, want: 0 },
    { balance: 10_000n, amount: 0n, want: 10_000 },
    // no balance: 0
    { balance: 0n, amount: 0n, want: 0 },
    { balance: -5n, amount: 1n, want: 0 },
  ])('balance $balance, settle for $amount → $want bps', ({ balance, amount, want }) => {
    expect(discountBps(balance, amount)).toBe(want);
  });
});
