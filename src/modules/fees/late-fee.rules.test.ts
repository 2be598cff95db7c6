import { describe, expect, it } from 'vitest';
import { Problems } from '../../shared/validation.js';
import { MAX_ANNUAL_BPS, parsePolicyRules, reviveRules, rulesToJson, type PolicyRules, type PolicyRulesInput } from './late-fee.rules.js';

const P = 'rules';

function parse(input: PolicyRulesInput): { rules: PolicyRules | null; problems: Problems } {
  const problems = new Problems();
  return { rules: parsePolicyRules(problems, P, input), problems };
}

const fields = (p: Problems) => p.list.map((x) => x.field);

const monthlyFlat: PolicyRulesInput = { currency: 'EUR', frequency: 'monthly', flat: { amount: '2500' } };
const dailyInput = (annualRateBps: string): PolicyRulesInput => ({ currency: 'EUR', frequency: 'daily_accrual_posted_monthly', dailyInterest: { annualRateBps, dayCount: 'act_365' } });
const percentInput = (rateBps: string): PolicyRulesInput => ({ currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', rateBps } });

describe('parsePolicyRules: bad input, with exact field paths', () => {
  it.each<{ name: string; input: PolicyRulesInput; fields: string[]; message?: RegExp }>([
    // negative rates and amounts
    { name: 'negative percentage rate', input: percentInput('-5'), fields: [`${P}.percentage.rateBps`], message: /must not be negative/ },
    { name: 'negative daily interest rate', input: dailyInput('-1'), fields: [`${P}.dailyInterest.annualRateBps`], message: /must not be negative/ },
    { name: 'negative flat amount', input: { ...monthlyFlat, flat: { amount: '-100' } }, fields: [`${P}.flat.amount`], message: /must not be negative/ },
    {
      name: 'negative tier rate',
      input: { currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', tiers: [{ fromDay: 1, toDay: 30, rateBps: '100' }, { fromDay: 31, rateBps: '-1' }] } },
      fields: [`${P}.percentage.tiers.1.rateBps`],
      message: /must not be negative/,
    },
    // ceilings
    { name: 'daily interest above 3650000 bps (100 % a day)', input: dailyInput('3650001'), fields: [`${P}.dailyInterest.annualRateBps`], message: /at most 3650000 basis points \(100 % a day\)/ },
    {
      name: 'daily interest tier above 3650000 bps',
      input: { currency: 'EUR', frequency: 'daily_accrual_posted_monthly', dailyInterest: { dayCount: 'act_360', tiers: [{ fromDay: 1, toDay: 10, rateBps: '1000' }, { fromDay: 11, rateBps: '3650001' }] } },
      fields: [`${P}.dailyInterest.tiers.1.rateBps`],
      message: /at most 3650000/,
    },
    { name: 'percentage above 10000 bps', input: percentInput('10001'), fields: [`${P}.percentage.rateBps`], message: /at most 10000 basis points/ },
    // tiers
    {
      name: 'overlapping tiers',
      input: { currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', tiers: [{ fromDay: 1, toDay: 30, rateBps: '100' }, { fromDay: 30, toDay: null, rateBps: '200' }] } },
      fields: [`${P}.percentage.tiers.1.fromDay`],
      message: /overlaps tier 0/,
    },
    {
      name: 'a tier after an open-ended one',
      input: { ...monthlyFlat, flat: { tiers: [{ fromDay: 1, toDay: null, amount: '100' }, { fromDay: 31, toDay: 60, amount: '200' }] } },
      fields: [`${P}.flat.tiers.1.fromDay`],
      message: /overlaps tier 0/,
    },
    {
      name: 'a gap between tiers',
      input: { currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', tiers: [{ fromDay: 1, toDay: 30, rateBps: '100' }, { fromDay: 32, rateBps: '200' }] } },
      fields: [`${P}.percentage.tiers.1.fromDay`],
      message: /leaves days 31–31 without a rate; start at 31/,
    },
    { name: 'toDay before fromDay', input: { ...monthlyFlat, flat: { tiers: [{ fromDay: 10, toDay: 5, amount: '100' }] } }, fields: [`${P}.flat.tiers.0.toDay`], message: /must not be before fromDay \(10\)/ },
    // grace
    { name: 'negative grace', input: { ...monthlyFlat, graceDays: -1 }, fields: [`${P}.graceDays`] },
    { name: 'fractional grace', input: { ...monthlyFlat, graceDays: 1.5 }, fields: [`${P}.graceDays`] },
    // caps
    { name: 'negative per-assessment cap', input: { ...monthlyFlat, caps: { perAssessment: '-1' } }, fields: [`${P}.caps.perAssessment`], message: /must not be negative/ },
    { name: 'negative cumulative cap', input: { ...monthlyFlat, caps: { cumulativeAmount: '-1' } }, fields: [`${P}.caps.cumulativeAmount`], message: /must not be negative/ },
    { name: 'negative cumulative % cap', input: { ...monthlyFlat, caps: { cumulativePercentOfPrincipalBps: '-1' } }, fields: [`${P}.caps.cumulativePercentOfPrincipalBps`], message: /must not be negative/ },
    {
      name: 'all three caps negative',
      input: { ...monthlyFlat, caps: { perAssessment: '-1', cumulativeAmount: '-2', cumulativePercentOfPrincipalBps: '-3' } },
      fields: [`${P}.caps.perAssessment`, `${P}.caps.cumulativeAmount`, `${P}.caps.cumulativePercentOfPrincipalBps`],
    },
    // shape of the policy
    { name: 'no fee kind', input: { currency: 'EUR', frequency: 'monthly' }, fields: [P], message: /at least one fee kind/ },
    {
      name: 'daily interest with a monthly frequency',
      input: { currency: 'EUR', frequency: 'monthly', dailyInterest: { annualRateBps: '1000', dayCount: 'act_365' } },
      fields: [`${P}.frequency`],
      message: /DAILY_ACCRUAL_POSTED_MONTHLY/,
    },
    {
      name: 'daily interest once per due date',
      input: { currency: 'EUR', frequency: 'once_per_due_date', dailyInterest: { annualRateBps: '1000', dayCount: 'act_365' } },
      fields: [`${P}.frequency`],
    },
    { name: 'daily accrual without daily interest', input: { ...monthlyFlat, frequency: 'daily_accrual_posted_monthly' }, fields: [`${P}.dailyInterest`], message: /is required/ },
    {
      name: 'both a single rate and tiers',
      input: { currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', rateBps: '100', tiers: [{ fromDay: 1, rateBps: '100' }] } },
      fields: [`${P}.percentage.tiers`],
      message: /either rateBps or tiers, not both/,
    },
    {
      name: 'neither a single amount nor tiers',
      input: { ...monthlyFlat, flat: {} },
      fields: [`${P}.flat.amount`],
      message: /is required/,
    },
  ])('$name', ({ input, fields: expected, message }) => {
    const { rules, problems } = parse(input);
    expect(rules).toBeNull();
    expect(fields(problems)).toEqual(expected);
    if (message) expect(problems.list[0]!.message).toMatch(message);
  });

  it.each([
    { where: 'percentage rate', input: percentInput('0.1'), field: `${P}.percentage.rateBps`, raw: '0.1' },
    { where: 'percentage rate', input: percentInput('12.5%'), field: `${P}.percentage.rateBps`, raw: '12.5%' },
    { where: 'percentage rate', input: percentInput('12%'), field: `${P}.percentage.rateBps`, raw: '12%' },
    { where: 'percentage rate', input: percentInput('.5'), field: `${P}.percentage.rateBps`, raw: '.5' },
    { where: 'daily interest rate', input: dailyInput('0.1'), field: `${P}.dailyInterest.annualRateBps`, raw: '0.1' },
    { where: 'daily interest rate', input: dailyInput('12.5%'), field: `${P}.dailyInterest.annualRateBps`, raw: '12.5%' },
    {
      where: 'a tier rate',
      input: { currency: 'EUR', frequency: 'monthly', percentage: { base: 'overdue_principal', tiers: [{ fromDay: 1, rateBps: '0.1' }] } } satisfies PolicyRulesInput,
      field: `${P}.percentage.tiers.0.rateBps`,
      raw: '0.1',
    },
    { where: 'cumulative % cap', input: { ...monthlyFlat, caps: { cumulativePercentOfPrincipalBps: '12.5%' } }, field: `${P}.caps.cumulativePercentOfPrincipalBps`, raw: '12.5%' },
  ])('$where given as "$raw": the message says basis points are expected', ({ input, field, raw }) => {
    const { rules, problems } = parse(input);
    expect(rules).toBeNull();
    expect(fields(problems)).toEqual([field]);
    expect(problems.list[0]!.message).toMatch(/basis points/);
    expect(problems.list[0]!.message).toContain(`"${raw}"`);
  });

  it('collects every problem of a form at once', () => {
    const { problems } = parse({
      currency: 'EUR',
      graceDays: -3,
      frequency: 'monthly',
      percentage: { base: 'overdue_principal', rateBps: '12.5%' },
      dailyInterest: { annualRateBps: '-1', dayCount: 'act_365' },
      caps: { perAssessment: '-1' },
    });
    expect(fields(problems)).toEqual([`${P}.graceDays`, `${P}.percentage.rateBps`, `${P}.dailyInterest.annualRateBps`, `${P}.frequency`, `${P}.caps.perAssessment`]);
  });
});

describe('parsePolicyRules: the limits themselves are accepted', () => {
  it.each([
    { name: 'daily interest at exactly 3650000 bps', input: dailyInput(MAX_ANNUAL_BPS.toString()) },
    { name: 'percentage at exactly 10000 bps', input: percentInput('10000') },
    { name: 'percentage of 0 bps', input: percentInput('0') },
    { name: 'grace 0', input: { ...monthlyFlat, graceDays: 0 } },
    { name: 'caps of 0', input: { ...monthlyFlat, caps: { perAssessment: '0', cumulativeAmount: '0', cumulativePercentOfPrincipalBps: '0' } } },
  ])('$name', ({ input }) => {
    const { rules, problems } = parse(input);
    expect(problems.list).toEqual([]);
    expect(rules).not.toBeNull();
  });

  it('defaults: grace 0, minimum 0, frozen while in a plan, no caps', () => {
    const { rules } = parse(monthlyFlat);
    expect(rules).toEqual({
      currency: 'EUR',
      graceDays: 0,
      frequency: 'monthly',
      minimumOverdue: 0n,
      flat: { amount: { kind: 'fixed', value: 2500n } },
      percentage: null,
      dailyInterest: null,
      caps: { perAssessment: null, cumulativeAmount: null, cumulativeBpsOfPrincipal: null },
      jurisdiction: null,
      freezeWhileInPlan: true,
      waiverApprovalThreshold: null,
    });
  });
});

describe('rulesToJson / reviveRules', () => {
  it('a valid policy round-trips unchanged', () => {
    const { rules, problems } = parse({
      currency: 'kwd',
      graceDays: 15,
      frequency: 'daily_accrual_posted_monthly',
      minimumOverdue: '5000',
      flat: { tiers: [{ fromDay: 1, toDay: 30, amount: '1000' }, { fromDay: 31, toDay: null, amount: '2500' }] },
      percentage: { base: 'overdue_principal_and_interest', rateBps: '150' },
      dailyInterest: { dayCount: 'thirty_360', tiers: [{ fromDay: 1, toDay: 90, rateBps: '1200' }, { fromDay: 91, rateBps: '2400' }] },
      caps: { perAssessment: '50000', cumulativeAmount: '9007199254740993', cumulativePercentOfPrincipalBps: '2500' },
      jurisdiction: 'us-ny',
      freezeWhileInPlan: false,
      waiverApprovalThreshold: '100000',
    });
    expect(problems.list).toEqual([]);
    expect(rules).toMatchObject({ currency: 'KWD', jurisdiction: 'US-NY' });
    const json = rulesToJson(rules!);
    // plain JSON: storable as jsonb, no bigint left
    const text = JSON.stringify(json);
    expect(JSON.parse(text)).toEqual(json);
    const back = reviveRules(JSON.parse(text));
    expect(back).toEqual(rules);
    // beyond 2^53 survives exactly, as a bigint
    expect(back.caps.cumulativeAmount).toBe(9_007_199_254_740_993n);
    expect(typeof back.dailyInterest!.annualRateBps).toBe('object');
    expect(back.flat!.amount).toEqual({ kind: 'tiered', tiers: [{ fromDay: 1, toDay: 30, value: 1000n }, { fromDay: 31, toDay: null, value: 2500n }] });
  });

  it('nulls round-trip as nulls', () => {
    const { rules } = parse(monthlyFlat);
    expect(reviveRules(rulesToJson(rules!))).toEqual(rules);
  });
});
