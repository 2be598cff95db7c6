import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessPeriod, dailyAccruals, decodeExplanation, loadStep, q, type AccountFacts, type PolicyRef, type StoredExplanation } from './late-fee.logic.js';
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

describe('daily interest and the minimum overdue amount', () => {
  it('days below the minimum accrue nothing; earlier days keep what they accrued', () => {
    const daily: PolicyRules = { ...rules, frequency: 'daily_accrual_posted_monthly', flat: null, percentage: null, minimumOverdue: 50_000n, caps: { perAssessment: null, cumulativeAmount: null, cumulativeBpsOfPrincipal: null }, jurisdiction: null, dailyInterest: { annualRateBps: { kind: 'fixed', value: 1000n }, dayCount: 'act_365' } };
    // 1,000,000 owed from 2025-12-31; 999,000 paid on 2026-01-16, leaving 1,000 (< the 50,000 minimum).
    const f: AccountFacts = { ...facts, anchor: '2025-12-31', dueOn: '2025-12-31', balances: { principal: 1_000n, interest: 0n, fee: 0n }, later: [{ component: 'principal', amount: -999_000n, effectiveOn: '2026-01-16' }], assessedTotal: 0n, chargedCount: 0 };
    const period = { key: 'k', start: '2026-01-01', end: '2026-01-31', postOn: '2026-01-31' };
    const a = assessPeriod(daily, REF, f, period, 0n, 0, null);
    // Jan 1–15: 1,000,000 × 1000 bps × 15 / (10000 × 365) = 4109.589… → 4110; Jan 16–31: below the minimum, 0.
    expect(a.amount).toBe(4110n);
    expect(a.steps.map((s) => [s.from, s.to, s.amount])).toEqual([['2026-01-01', '2026-01-15', 4110n], ['2026-01-16', '2026-01-31', 0n]]);
    expect(a.steps[1]!.description).toContain('below the minimum');
    // The day-by-day reference agrees.
    expect(dailyAccruals(daily, f, period).total).toBe(4110n);
  });
});
