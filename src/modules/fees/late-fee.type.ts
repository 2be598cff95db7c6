import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { Account, LedgerEntry, Money, ProductTypeEnum } from '../accounts/account.type.js';

export enum LateFeeFrequencyEnum {
  ONCE_PER_DUE_DATE = 'once_per_due_date',
  MONTHLY = 'monthly',
  DAILY_ACCRUAL_POSTED_MONTHLY = 'daily_accrual_posted_monthly',
}
registerEnumType(LateFeeFrequencyEnum, {
  name: 'LateFeeFrequency',
  description:
    'ONCE_PER_DUE_DATE: one assessment when a due date has been missed for graceDays + 1 days. MONTHLY: that first assessment, then one on the same day of each following month while still overdue. DAILY_ACCRUAL_POSTED_MONTHLY: penalty interest accrues daily from the first day after grace and is posted at each calendar month end.',
});

export enum PercentageBaseEnum {
  OVERDUE_PRINCIPAL = 'overdue_principal',
  OVERDUE_PRINCIPAL_AND_INTEREST = 'overdue_principal_and_interest',
  OVERDUE_INTEREST = 'overdue_interest',
}
registerEnumType(PercentageBaseEnum, { name: 'PercentageBase', description: 'What a percentage fee is a percentage of. Fees are never a base: no fee on fees.' });

export enum DayCountEnum {
  ACT_365 = 'act_365',
  ACT_360 = 'act_360',
  THIRTY_360 = 'thirty_360',
}
registerEnumType(DayCountEnum, {
  name: 'DayCountConvention',
  description:
    'ACT_365: actual days / 365 (a leap day accrues like any other). ACT_360: actual days / 360. THIRTY_360: every month counts 30 days / 360 — the 31st accrues nothing, the last day of February accrues the missing days.',
});

export enum PolicyLevelEnum {
  ACCOUNT = 'account',
  PORTFOLIO_PRODUCT = 'portfolio_product',
  PORTFOLIO = 'portfolio',
  PRODUCT_TYPE = 'product_type',
  TENANT = 'tenant',
}
registerEnumType(PolicyLevelEnum, { name: 'LateFeePolicyLevel', description: 'Most specific first: ACCOUNT > PORTFOLIO_PRODUCT > PORTFOLIO > PRODUCT_TYPE > TENANT.' });

export enum SkipReasonEnum {
  DISPUTED = 'disputed',
  FROZEN_IN_PLAN = 'frozen_in_plan',
  DEBTOR_BANKRUPT = 'debtor_bankrupt',
  DEBTOR_DECEASED = 'debtor_deceased',
  NO_POLICY = 'no_policy',
  CURRENCY_MISMATCH = 'currency_mismatch',
  BELOW_MINIMUM = 'below_minimum',
  CAPPED_TO_ZERO = 'capped_to_zero',
}
registerEnumType(SkipReasonEnum, { name: 'LateFeeSkipReason' });

export enum CapKindEnum {
  PER_ASSESSMENT = 'per_assessment',
  JURISDICTION_PER_ASSESSMENT = 'jurisdiction_per_assessment',
  CUMULATIVE_AMOUNT = 'cumulative_amount',
  CUMULATIVE_PERCENT_OF_PRINCIPAL = 'cumulative_percent_of_principal',
  LEGAL_ANNUAL_RATE = 'legal_annual_rate',
}
registerEnumType(CapKindEnum, { name: 'LateFeeCapKind' });

export enum StepKindEnum {
  FLAT = 'flat',
  PERCENTAGE = 'percentage',
  DAILY_INTEREST = 'daily_interest',
}
registerEnumType(StepKindEnum, { name: 'LateFeeStepKind' });

export enum RunStatusEnum {
  RUNNING = 'running',
  COMPLETED = 'completed',
  FAILED = 'failed',
}
registerEnumType(RunStatusEnum, { name: 'LateFeeRunStatus' });

@ObjectType({ description: 'A band of days past due, inclusive.' })
export class LateFeeTier {
  @Field(() => Int)
  fromDay!: number;

  @Field(() => Int, { nullable: true, description: 'null: and beyond.' })
  toDay!: number | null;

  @Field(() => String, { nullable: true, description: 'Basis points (percentage and daily interest tiers).' })
  rateBps!: string | null;

  @Field(() => Money, { nullable: true, description: 'Flat fee tiers.' })
  amount!: Money | null;
}

@ObjectType()
export class FlatFee {
  @Field(() => Money, { nullable: true, description: 'null when tiered.' })
  amount!: Money | null;

  @Field(() => [LateFeeTier], { nullable: true })
  tiers!: LateFeeTier[] | null;
}

@ObjectType()
export class PercentageFee {
  @Field(() => PercentageBaseEnum)
  base!: PercentageBaseEnum;

  @Field(() => String, { nullable: true, description: 'Basis points of the base per assessment; null when tiered.' })
  rateBps!: string | null;

  @Field(() => [LateFeeTier], { nullable: true })
  tiers!: LateFeeTier[] | null;
}

@ObjectType()
export class DailyPenaltyInterest {
  @Field(() => String, { nullable: true, description: 'Annual rate in basis points on overdue principal; null when tiered.' })
  annualRateBps!: string | null;

  @Field(() => [LateFeeTier], { nullable: true })
  tiers!: LateFeeTier[] | null;

  @Field(() => DayCountEnum)
  dayCount!: DayCountEnum;
}

@ObjectType()
export class LateFeeCaps {
  @Field(() => Money, { nullable: true })
  perAssessment!: Money | null;

  @Field(() => Money, { nullable: true, description: 'All late fees the engine ever charges one account.' })
  cumulativeAmount!: Money | null;

  @Field(() => String, { nullable: true, description: 'The same, as basis points of the original principal.' })
  cumulativePercentOfPrincipalBps!: string | null;
}

@ObjectType()
export class LateFeeRules {
  @Field(() => String)
  currency!: string;

  @Field(() => Int)
  graceDays!: number;

  @Field(() => LateFeeFrequencyEnum)
  frequency!: LateFeeFrequencyEnum;

  @Field(() => Money)
  minimumOverdue!: Money;

  @Field(() => FlatFee, { nullable: true })
  flat!: FlatFee | null;

  @Field(() => PercentageFee, { nullable: true })
  percentage!: PercentageFee | null;

  @Field(() => DailyPenaltyInterest, { nullable: true })
  dailyInterest!: DailyPenaltyInterest | null;

  @Field(() => LateFeeCaps)
  caps!: LateFeeCaps;

  @Field(() => String, { nullable: true })
  jurisdiction!: string | null;

  @Field(() => Boolean)
  freezeWhileInPlan!: boolean;

  @Field(() => Money, { nullable: true })
  waiverApprovalThreshold!: Money | null;
}

@ObjectType()
export class LateFeePolicyVersion {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  policyId!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => LateFeeRules)
  rules!: LateFeeRules;

  @Field(() => String)
  actorId!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class LateFeeAttachment {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  policyId!: string;

  @Field(() => PolicyLevelEnum)
  level!: PolicyLevelEnum;

  @Field(() => ID, { nullable: true })
  accountId!: string | null;

  @Field(() => ID, { nullable: true })
  portfolioId!: string | null;

  @Field(() => ProductTypeEnum, { nullable: true })
  productType!: ProductTypeEnum | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Periods that fell due before this date are not charged under this attachment (no back-fees).' })
  chargeFrom!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class LateFeePolicy {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: 'The version new assessments use.' })
  currentVersion!: number;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType()
export class LateFeePolicyEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => LateFeePolicy)
  node!: LateFeePolicy;
}

@ObjectType()
export class LateFeePolicyConnection {
  @Field(() => [LateFeePolicyEdge])
  edges!: LateFeePolicyEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class PolicyCandidate {
  @Field(() => PolicyLevelEnum)
  level!: PolicyLevelEnum;

  @Field(() => ID, { nullable: true, description: 'null: nothing attached at this level.' })
  policyId!: string | null;

  @Field(() => String)
  target!: string;

  @Field(() => LocalDateScalar, { nullable: true })
  chargeFrom!: string | null;
}

@ObjectType()
export class EffectiveLateFeePolicy {
  @Field(() => ID)
  accountId!: string;

  @Field(() => LateFeePolicy, { nullable: true })
  policy!: LateFeePolicy | null;

  @Field(() => LateFeePolicyVersion, { nullable: true })
  version!: LateFeePolicyVersion | null;

  @Field(() => PolicyLevelEnum, { nullable: true })
  level!: PolicyLevelEnum | null;

  @Field(() => LocalDateScalar, { nullable: true, description: "The winning attachment's charge-from date: nothing due before it is charged." })
  chargeFrom!: string | null;

  @Field(() => String, { description: 'Why this policy (or none) applies.' })
  reason!: string;

  @Field(() => [PolicyCandidate], { description: 'Every level, most specific first.' })
  candidates!: PolicyCandidate[];
}

@ObjectType()
export class LateFeeStep {
  @Field(() => StepKindEnum)
  kind!: StepKindEnum;

  @Field(() => String)
  description!: string;

  @Field(() => Money, { nullable: true })
  base!: Money | null;

  @Field(() => String, { nullable: true, description: 'Basis points applied (annual for daily interest).' })
  rateBps!: string | null;

  @Field(() => Int, { nullable: true, description: 'Accrual days under the day count (daily interest).' })
  days!: number | null;

  @Field(() => String, { nullable: true })
  tier!: string | null;

  @Field(() => String, { description: 'The exact figure in minor units before rounding ("…" marks a truncated expansion).' })
  exact!: string;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType()
export class LateFeeCapCheck {
  @Field(() => CapKindEnum)
  cap!: CapKindEnum;

  @Field(() => Money, { description: 'What this cap still allowed at the assessment.' })
  limit!: Money;

  @Field(() => Boolean, { description: 'true when this cap reduced the fee.' })
  binding!: boolean;

  @Field(() => String)
  description!: string;
}

@ObjectType()
export class LateFeeExplanation {
  @Field(() => ID)
  policyId!: string;

  @Field(() => ID)
  policyVersionId!: string;

  @Field(() => Int)
  policyVersion!: number;

  @Field(() => String)
  policyName!: string;

  @Field(() => PolicyLevelEnum)
  level!: PolicyLevelEnum;

  @Field(() => String)
  periodKey!: string;

  @Field(() => LocalDateScalar)
  periodStart!: string;

  @Field(() => LocalDateScalar)
  periodEnd!: string;

  @Field(() => LocalDateScalar)
  assessedOn!: string;

  @Field(() => LocalDateScalar)
  overdueSince!: string;

  @Field(() => Int)
  daysPastDue!: number;

  @Field(() => [LateFeeStep])
  steps!: LateFeeStep[];

  @Field(() => Money)
  uncapped!: Money;

  @Field(() => [LateFeeCapCheck])
  caps!: LateFeeCapCheck[];

  @Field(() => Money)
  charged!: Money;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String)
  rounding!: string;
}

@ObjectType({ description: 'A fee assessment the engine recorded: charged (with its ledger entry) or zero (capped, below the minimum).' })
export class LateFeeAssessment {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => String)
  periodKey!: string;

  @Field(() => LocalDateScalar)
  assessedOn!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money, { description: 'Before caps; equal to amount when no cap bit.' })
  uncapped!: Money;

  @Field(() => [CapKindEnum])
  cappedBy!: CapKindEnum[];

  @Field(() => ID, { nullable: true })
  ledgerEntryId!: string | null;

  @Field(() => ID, { nullable: true })
  runId!: string | null;

  @Field(() => ID)
  policyVersionId!: string;

  @Field(() => LateFeeExplanation)
  explanation!: LateFeeExplanation;
}

@ObjectType()
export class LateFeePreviewItem {
  @Field(() => String)
  periodKey!: string;

  @Field(() => LocalDateScalar)
  assessedOn!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money)
  uncapped!: Money;

  @Field(() => [CapKindEnum])
  cappedBy!: CapKindEnum[];

  @Field(() => LateFeeExplanation)
  explanation!: LateFeeExplanation;
}

@ObjectType()
export class LateFeePreview {
  @Field(() => ID)
  accountId!: string;

  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => EffectiveLateFeePolicy)
  effectivePolicy!: EffectiveLateFeePolicy;

  @Field(() => SkipReasonEnum, { nullable: true })
  skipReason!: SkipReasonEnum | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => [LateFeePreviewItem], { description: 'Periods due by asOf and not yet assessed, oldest first.' })
  assessments!: LateFeePreviewItem[];

  @Field(() => Money)
  total!: Money;

  @Field(() => LocalDateScalar, { nullable: true, description: 'When the next period after asOf falls due; null when none will.' })
  nextAssessmentOn!: string | null;
}

@ObjectType()
export class SkipCount {
  @Field(() => SkipReasonEnum)
  reason!: SkipReasonEnum;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class LateFeeRun {
  @Field(() => ID)
  id!: string;

  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => String, { description: 'api, schedule or cli.' })
  trigger!: string;

  @Field(() => RunStatusEnum)
  status!: RunStatusEnum;

  @Field(() => GraphQLDateTime)
  startedAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int, { description: 'Accounts looked at (those with something possibly due).' })
  examined!: number;

  @Field(() => Int, { description: 'Periods assessed, including zero-amount ones.' })
  assessed!: number;

  @Field(() => Int, { description: 'Fee ledger entries posted.' })
  feesPosted!: number;

  @Field(() => [Money], { description: 'Total charged, per currency.' })
  totals!: Money[];

  @Field(() => [SkipCount])
  skipped!: SkipCount[];

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType()
export class LateFeeRunEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => LateFeeRun)
  node!: LateFeeRun;
}

@ObjectType()
export class LateFeeRunConnection {
  @Field(() => [LateFeeRunEdge])
  edges!: LateFeeRunEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class JurisdictionFeeCap {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Annualised ceiling, basis points of overdue principal a year.' })
  annualRateBps!: string | null;

  @Field(() => Money, { nullable: true })
  maxFirstAssessment!: Money | null;

  @Field(() => Money, { nullable: true })
  maxLaterAssessment!: Money | null;

  @Field(() => String)
  source!: string;

  @Field(() => String, { description: 'preset (shipped) or tenant (this tenant\'s own, replacing the preset of the same code).' })
  origin!: string;
}

@ObjectType()
export class FeeWaiver {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  feeEntryId!: string;

  @Field(() => ID)
  ledgerEntryId!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => String)
  reason!: string;

  @Field(() => String)
  actorId!: string;

  @Field(() => String, { nullable: true, description: 'The admin who approved a waiver above the policy threshold.' })
  approvedBy!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class FeeWaiverResult {
  @Field(() => Account)
  account!: Account;

  @Field(() => FeeWaiver)
  waiver!: FeeWaiver;

  @Field(() => [LedgerEntry])
  entries!: LedgerEntry[];

  @Field(() => Boolean)
  replayed!: boolean;
}
