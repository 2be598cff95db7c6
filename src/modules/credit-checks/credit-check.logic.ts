import type { NormalizedReport } from './providers/provider.js';
import type { ScoreBand, StrategyRule } from './credit-check.table.js';

export type RiskRating = 'low' | 'medium' | 'high' | 'critical';
const RATINGS: RiskRating[] = ['low', 'medium', 'high', 'critical'];

/** Bands on the common 300–850 scale. */
export function scoreBand(score: number | null): ScoreBand {
  if (score === null) return 'unscored';
  if (score >= 750) return 'excellent';
  if (score >= 700) return 'good';
  if (score >= 650) return 'fair';
  if (score >= 550) return 'poor';
  return 'very_poor';
}

/**
 * The band sets a base rating (excellent/good low, fair medium, poor high, very poor critical; no score:
 * medium, as there is nothing to go on); three or more delinquencies or a public record (judgment,
 * bankruptcy) raise it one step.
 */
export function riskRating(r: Pick<NormalizedReport, 'score' | 'delinquencies' | 'publicRecords'>): RiskRating {
  const band = scoreBand(r.score);
  const base: Record<ScoreBand, number> = { excellent: 0, good: 0, fair: 1, poor: 2, very_poor: 3, unscored: 1 };
  let i = base[band];
  if (r.delinquencies >= 3 || r.publicRecords > 0) i = Math.min(3, i + 1);
  return RATINGS[i]!;
}

export const STRATEGIES = ['self_service', 'standard', 'early_escalation', 'legal_review', 'verify_identity', 'manual_review'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What a tenant gets until it sets its own: first match wins. */
export const DEFAULT_STRATEGY_RULES: StrategyRule[] = [
  { fraudAlert: true, strategy: 'verify_identity', note: 'Fraud alert on file: confirm identity before any contact about the debt.' },
  { riskRatings: ['low'], strategy: 'self_service', note: 'Reminders and a self-service plan.' },
  { riskRatings: ['medium'], strategy: 'standard', note: 'Standard sequence: reminders, calls, offer of a plan.' },
  { riskRatings: ['high', 'critical'], minPublicRecords: 1, strategy: 'legal_review', note: 'Public records: review for legal action early.' },
  { riskRatings: ['high', 'critical'], strategy: 'early_escalation', note: 'Escalate early: calls, letters, placement.' },
  { strategy: 'manual_review', note: 'No rule matched.' },
];

export interface Segment {
  riskRating: RiskRating;
  scoreBand: ScoreBand;
  fraudAlert: boolean;
  publicRecords: number;
}

export function suggestStrategy(rules: readonly StrategyRule[], s: Segment): { strategy: string; note: string | null; rule: number } | null {
  for (const [i, r] of rules.entries()) {
    if (r.riskRatings?.length && !r.riskRatings.includes(s.riskRating)) continue;
    if (r.scoreBands?.length && !r.scoreBands.includes(s.scoreBand)) continue;
    if (r.fraudAlert != null && r.fraudAlert !== s.fraudAlert) continue;
    if (r.minPublicRecords != null && s.publicRecords < r.minPublicRecords) continue;
    return { strategy: r.strategy, note: r.note ?? null, rule: i };
  }
  return null;
}
