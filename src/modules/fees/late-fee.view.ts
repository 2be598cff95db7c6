import { money } from '../accounts/money.view.js';
import type { Money } from '../accounts/account.type.js';
import type { EffectivePolicy, JurisdictionCapView, Preview } from './late-fee.service.js';
import { decodeExplanation, describeCap, describeStep, loadStep, type StoredExplanation, explanationNote, roundingText, type Assessment, type Explanation } from './late-fee.logic.js';
import type { AssessmentRow, PolicyVersionRow, RunRow, WaiverRow } from './late-fee.repository.js';
import { levelOf } from './late-fee.resolution.js';
import { reviveRules, type PolicyRules, type Rate } from './late-fee.rules.js';
import type {
  CapKindEnum,
  DayCountEnum,
  EffectiveLateFeePolicy,
  FeeWaiver,
  JurisdictionFeeCap,
  LateFeeAttachment,
  LateFeeAssessment,
  LateFeeExplanation,
  LateFeeFrequencyEnum,
  LateFeePolicyVersion,
  LateFeePreview,
  LateFeePreviewItem,
  LateFeeRules,
  LateFeeRun,
  LateFeeTier,
  PercentageBaseEnum,
  PolicyLevelEnum,
  SkipReasonEnum,
  StepKindEnum,
} from './late-fee.type.js';
import type { AttachmentRow } from './late-fee.repository.js';

/** Stored and computed shapes → the GraphQL types (Money objects, enums). */

function tiersView(rate: Rate, currency: string, asAmount: boolean): { single: bigint | null; tiers: LateFeeTier[] | null } {
  if (rate.kind === 'fixed') return { single: rate.value, tiers: null };
  return {
    single: null,
    tiers: rate.tiers.map((t) => ({
      fromDay: t.fromDay,
      toDay: t.toDay,
      rateBps: asAmount ? null : t.value.toString(),
      amount: asAmount ? money(t.value, currency) : null,
    })),
  };
}

export function rulesView(r: PolicyRules): LateFeeRules {
  const c = r.currency;
  const opt = (v: bigint | null) => (v === null ? null : money(v, c));
  const flat = r.flat ? tiersView(r.flat.amount, c, true) : null;
  const pct = r.percentage ? tiersView(r.percentage.rateBps, c, false) : null;
  const di = r.dailyInterest ? tiersView(r.dailyInterest.annualRateBps, c, false) : null;
  return {
    currency: c,
    graceDays: r.graceDays,
    frequency: r.frequency as LateFeeFrequencyEnum,
    minimumOverdue: money(r.minimumOverdue, c),
    flat: flat ? { amount: opt(flat.single), tiers: flat.tiers } : null,
    percentage: pct ? { base: r.percentage!.base as PercentageBaseEnum, rateBps: pct.single?.toString() ?? null, tiers: pct.tiers } : null,
    dailyInterest: di ? { annualRateBps: di.single?.toString() ?? null, tiers: di.tiers, dayCount: r.dailyInterest!.dayCount as DayCountEnum } : null,
    caps: {
      perAssessment: opt(r.caps.perAssessment),
      cumulativeAmount: opt(r.caps.cumulativeAmount),
      cumulativePercentOfPrincipalBps: r.caps.cumulativeBpsOfPrincipal?.toString() ?? null,
    },
    jurisdiction: r.jurisdiction,
    freezeWhileInPlan: r.freezeWhileInPlan,
    waiverApprovalThreshold: opt(r.waiverApprovalThreshold),
  };
}

export function versionView(v: PolicyVersionRow): LateFeePolicyVersion {
  return { id: v.id, policyId: v.policyId, version: v.version, rules: rulesView(reviveRules(v.rules)), actorId: v.actorId, createdAt: v.createdAt };
}

export function attachmentView(a: AttachmentRow): LateFeeAttachment {
  return {
    id: a.id,
    policyId: a.policyId,
    level: levelOf(a) as PolicyLevelEnum,
    accountId: a.accountId,
    portfolioId: a.portfolioId,
    productType: a.productType as LateFeeAttachment['productType'],
    chargeFrom: a.chargeFrom,
    createdAt: a.createdAt,
  };
}

export function explanationView(e: Explanation): LateFeeExplanation {
  const m = (v: string | null): Money | null => (v === null ? null : money(BigInt(v), e.currency));
  return {
    policyId: e.policy.policyId,
    policyVersionId: e.policy.versionId,
    policyVersion: e.policy.version,
    policyName: e.policy.name,
    level: e.policy.level as PolicyLevelEnum,
    periodKey: e.periodKey,
    periodStart: e.periodStart,
    periodEnd: e.periodEnd,
    assessedOn: e.assessedOn,
    overdueSince: e.overdueSince,
    daysPastDue: e.daysPastDue,
    steps: e.steps.map(loadStep).map((s) => ({
      kind: s.kind as StepKindEnum,
      description: describeStep(s, e.currency),
      base: m(s.base),
      rateBps: s.rateBps,
      days: s.days,
      tier: s.tier === 'none' || s.tier === 'below minimum' ? null : s.tier,
      exact: s.exact,
      amount: m(s.amount)!,
    })),
    uncapped: m(e.uncapped)!,
    caps: e.caps.map((c) => ({ cap: c.cap as CapKindEnum, limit: m(c.limit)!, binding: c.binding, description: describeCap(c, e.currency) })),
    charged: m(e.charged)!,
    note: explanationNote(e),
    rounding: roundingText(e.currency),
  };
}

export function assessmentView(a: AssessmentRow): LateFeeAssessment {
  return {
    id: a.id,
    accountId: a.accountId,
    periodKey: a.periodKey,
    assessedOn: a.assessedOn,
    amount: money(a.amount, a.currency),
    uncapped: money(a.uncapped, a.currency),
    cappedBy: a.cappedBy as CapKindEnum[],
    ledgerEntryId: a.ledgerEntryId,
    runId: a.runId,
    policyVersionId: a.policyVersionId,
    explanation: explanationView(decodeExplanation(a.explanation as StoredExplanation, a)),
  };
}

function previewItem(a: Assessment, currency: string): LateFeePreviewItem {
  return {
    periodKey: a.period.key,
    assessedOn: a.period.postOn,
    amount: money(a.amount, currency),
    uncapped: money(a.uncapped, currency),
    cappedBy: a.caps.filter((c) => c.binding).map((c) => c.cap as CapKindEnum),
    explanation: explanationView(a.explanation),
  };
}

export function effectiveView(e: EffectivePolicy): EffectiveLateFeePolicy {
  return {
    accountId: e.accountId,
    policy: e.policy,
    version: e.version ? versionView(e.version) : null,
    level: e.level as PolicyLevelEnum | null,
    chargeFrom: e.chargeFrom,
    reason: e.reason,
    candidates: e.candidates.map((c) => ({ ...c, level: c.level as PolicyLevelEnum })),
  };
}

export function previewView(p: Preview): LateFeePreview {
  return {
    accountId: p.accountId,
    asOf: p.asOf,
    effectivePolicy: effectiveView(p.effective),
    skipReason: p.skip as SkipReasonEnum | null,
    note: p.note,
    assessments: p.assessments.map((a) => previewItem(a, p.currency)),
    total: money(p.total, p.currency),
    nextAssessmentOn: p.nextAssessmentOn,
  };
}

export function runView(r: RunRow): LateFeeRun {
  const totals = r.totals as Record<string, string>;
  const skipped = r.skipped as Record<string, number>;
  return {
    id: r.id,
    asOf: r.asOf,
    trigger: r.trigger,
    status: r.status as LateFeeRun['status'],
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    examined: r.examined,
    assessed: r.assessed,
    feesPosted: r.feesPosted,
    totals: Object.entries(totals)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, v]) => money(BigInt(v), c)),
    skipped: Object.entries(skipped)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([reason, count]) => ({ reason: reason as SkipReasonEnum, count })),
    error: r.error,
  };
}

export function capView(c: JurisdictionCapView): JurisdictionFeeCap {
  return {
    code: c.code,
    name: c.name,
    annualRateBps: c.annualRateBps?.toString() ?? null,
    maxFirstAssessment: c.currency && c.maxFirstAssessment !== null ? money(c.maxFirstAssessment, c.currency) : null,
    maxLaterAssessment: c.currency && c.maxLaterAssessment !== null ? money(c.maxLaterAssessment, c.currency) : null,
    source: c.source,
    origin: c.origin,
  };
}

export function waiverView(w: WaiverRow): FeeWaiver {
  return {
    id: w.id,
    feeEntryId: w.feeEntryId,
    ledgerEntryId: w.ledgerEntryId,
    amount: money(w.amount, w.currency),
    reason: w.reason,
    actorId: w.actorId,
    approvedBy: w.approvedBy,
    createdAt: w.createdAt,
  };
}
