import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessPeriod, decodeExplanation, loadStep, q, type AccountFacts, type PolicyRef, type StoredExplanation } from './late-fee.logic.js';
import type { PolicyRules } from './late-fee.rules.js';

/** The stored explanation is JSON text written by hand (encodeJson): it must parse, and decode to the explanation. */

const REF: PolicyRef = { policyId: 'p-1', versionId: 'v-1', version: 3, name: 'Cards', level: 'portfolio' };

const rules: PolicyRules = {
  currency: 'CNY',
  graceDays: 0,
  frequency: 'daily_accrual_posted_monthly',
  minimumOverdue: 0n,
  flat: { amount: { kind: 'tiered', tiers: [{ fromDay: 1, toDay: 30, value: 2000n }, { fromDay: 31, toDay: null, value: 5000n }] } },
  percentage: { base: 'overdue_principal_and_interest', rateBps: { kind: 'fixed', value: 125n } },
  dailyInterest: { annualRateBps: { kind: 'tiered', tiers: [{ fromDay: 1, toDay: 10, value: 1000n }, { fromDay: 11, toDay: null, value: 1800n }] }, dayCount: 'thirty_360' },
  caps: { perAssessment: 20_000n, cumulativeAmount: 50_000n, cumulativeBpsOfPrincipal: 1000n },
  jurisdiction: 'CN',
  freezeWhileInPlan: true,
  waiverApprovalThreshold: null,
};

const facts: AccountFacts = {
  accountId: 'a-1',
  currency: 'CNY',
  status: 'delinquent',
  originalPrincipal: 1_000_000n,
  dueOn: '2026-01-01',
  anchor: '2026-01-01',
  balances: { principal: 900_000n, interest: 3_333n, fee: 0n },
  later: [{ component: 'principal', amount: -100_000n, effectiveOn: '2026-01-20' }],
  debtorBankrupt: false,
  debtorDeceased: false,
  assessedPeriods: new Set(),
  assessedTotal: 1_000n,
  chargedCount: 1,
};

describe('stored explanation', () => {
  it('encodeJson parses and decodes back to the explanation, figure for figure', () => {
    const jurisdiction = { code: 'CN', name: 'China', annualRateBps: 1200n, currency: null, maxFirstAssessment: null, maxLaterAssessment: null, source: '' };
    const a = assessPeriod(rules, REF, facts, { key: '2026-01-01/2026-01', start: '2026-01-02', end: '2026-01-31', postOn: '2026-01-31' }, 1_000n, 1, jurisdiction);
    const stored = JSON.parse(a.encodeJson()) as StoredExplanation;
    const row = { policyVersionId: 'v-1', periodKey: '2026-01-01/2026-01', assessedOn: '2026-01-31', anchorOn: '2026-01-01', currency: 'CNY', uncapped: a.uncapped, amount: a.amount };
    const e = a.explanation;
    expect(decodeExplanation(stored, row)).toEqual({ ...e, policy: { ...e.policy, name: '' }, steps: e.steps.map(loadStep) });
    // Tier labels carry non-ASCII characters (– and ∞): escaped, they come back as they were.
    expect(e.steps.some((s) => s.tier?.includes('–'))).toBe(true);
  });

  it('q writes a JSON string literal for any text', () => {
    for (const s of ['plain', 'days 61–∞', 'quote " and \\ backslash', 'control \u0001 char', '😀 astral', '中文']) expect(JSON.parse(q(s))).toBe(s);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => JSON.parse(q(s)) === s));
    expect(q('days 61–∞')).toMatch(/^[\x20-\x7e]*$/);
  });
});
