import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MinorUnitsScalar } from '../../graphql/scalars.js';
import { ProductTypeEnum } from '../accounts/account.type.js';
import { DayCountEnum, LateFeeFrequencyEnum, PercentageBaseEnum } from './late-fee.type.js';

const BPS = 'Whole basis points as a string: 1 bp = 0.01 %, so 10 % is "1000".';

@InputType()
export class LateFeeTierInput {
  @Field(() => Int, { description: 'First day past due of the band (1 = the day after the due date).' })
  fromDay!: number;

  @Field(() => Int, { nullable: true, description: 'Last day of the band, inclusive; omit for "and beyond".' })
  toDay?: number | null;

  @Field(() => String, { nullable: true, description: `Percentage and daily-interest tiers. ${BPS}` })
  @MaxLength(20)
  rateBps?: string | null;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Flat-fee tiers: minor units.' })
  amount?: string | null;
}

@InputType()
export class FlatFeeInput {
  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Minor units per assessment; or give tiers.' })
  amount?: string | null;

  @Field(() => [LateFeeTierInput], { nullable: true })
  @ArrayMaxSize(20)
  tiers?: LateFeeTierInput[] | null;
}

@InputType()
export class PercentageFeeInput {
  @Field(() => PercentageBaseEnum)
  base!: PercentageBaseEnum;

  @Field(() => String, { nullable: true, description: `Of the base, per assessment. ${BPS}` })
  @MaxLength(20)
  rateBps?: string | null;

  @Field(() => [LateFeeTierInput], { nullable: true })
  @ArrayMaxSize(20)
  tiers?: LateFeeTierInput[] | null;
}

@InputType()
export class DailyPenaltyInterestInput {
  @Field(() => String, { nullable: true, description: `Annual rate on overdue principal. ${BPS} At most 3650000 (100 % a day).` })
  @MaxLength(20)
  annualRateBps?: string | null;

  @Field(() => [LateFeeTierInput], { nullable: true })
  @ArrayMaxSize(20)
  tiers?: LateFeeTierInput[] | null;

  @Field(() => DayCountEnum)
  dayCount!: DayCountEnum;
}

@InputType()
export class LateFeeCapsInput {
  @Field(() => MinorUnitsScalar, { nullable: true })
  perAssessment?: string | null;

  @Field(() => MinorUnitsScalar, { nullable: true })
  cumulativeAmount?: string | null;

  @Field(() => String, { nullable: true, description: `Cumulative cap as a share of original principal. ${BPS}` })
  @MaxLength(20)
  cumulativePercentOfPrincipalBps?: string | null;
}

@InputType()
export class LateFeePolicyInput {
  @Field(() => String)
  @MaxLength(400)
  name!: string;

  @Field(() => String, { description: 'ISO 4217: amounts are in its minor unit, and the policy charges only accounts in it.' })
  @MaxLength(3)
  currency!: string;

  @Field(() => Int, { nullable: true, description: 'Days past due before the first assessment. Default 0.' })
  graceDays?: number | null;

  @Field(() => LateFeeFrequencyEnum)
  frequency!: LateFeeFrequencyEnum;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Nothing is charged while overdue principal + interest is below this.' })
  minimumOverdue?: string | null;

  @Field(() => FlatFeeInput, { nullable: true })
  flat?: FlatFeeInput | null;

  @Field(() => PercentageFeeInput, { nullable: true })
  percentage?: PercentageFeeInput | null;

  @Field(() => DailyPenaltyInterestInput, { nullable: true })
  dailyInterest?: DailyPenaltyInterestInput | null;

  @Field(() => LateFeeCapsInput, { nullable: true })
  caps?: LateFeeCapsInput | null;

  @Field(() => String, { nullable: true, description: 'Code of a legal cap (jurisdictionFeeCaps) the engine must never exceed, e.g. CN.' })
  @MaxLength(10)
  jurisdiction?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'No fees while the account is IN_PLAN. Default true.' })
  freezeWhileInPlan?: boolean | null;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Waivers above this need the admin scope.' })
  waiverApprovalThreshold?: string | null;
}

@InputType({ description: 'Where a policy applies. None set: the tenant default. accountId alone; or portfolioId and/or productType.' })
export class LateFeeTargetInput {
  @Field(() => ID, { nullable: true })
  accountId?: string | null;

  @Field(() => ID, { nullable: true })
  portfolioId?: string | null;

  @Field(() => ProductTypeEnum, { nullable: true })
  productType?: ProductTypeEnum | null;
}

@InputType()
export class WaiveFeeInput {
  @Field(() => ID, { description: 'The fee ledger entry to waive.' })
  feeEntryId!: string;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Omit to waive everything of the fee not yet waived.' })
  amount?: string | null;

  @Field(() => String)
  @MaxLength(2000)
  reason!: string;

  @Field(() => String)
  @MaxLength(200)
  idempotencyKey!: string;
}

@InputType()
export class JurisdictionFeeCapInput {
  @Field(() => String, { description: 'ISO 3166 code: CN, GB, US, US-NY…' })
  @MaxLength(10)
  code!: string;

  @Field(() => String)
  @MaxLength(400)
  name!: string;

  @Field(() => String, { nullable: true, description: `Annualised ceiling on late charges. ${BPS}` })
  @MaxLength(20)
  annualRateBps?: string | null;

  @Field(() => String, { nullable: true, description: 'Currency of the per-assessment maxima.' })
  @MaxLength(3)
  currency?: string | null;

  @Field(() => MinorUnitsScalar, { nullable: true })
  maxFirstAssessment?: string | null;

  @Field(() => MinorUnitsScalar, { nullable: true })
  maxLaterAssessment?: string | null;

  @Field(() => String, { description: 'The law or regulation, with its date.' })
  @MaxLength(1000)
  source!: string;
}
