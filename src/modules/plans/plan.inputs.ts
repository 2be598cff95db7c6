import { MaxLength } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { LocalDateScalar, MinorUnitsScalar } from '../../graphql/scalars.js';
import { ComponentEnum } from '../accounts/account.type.js';
import { PaymentMethodEnum, ReversalKindEnum } from './payment.type.js';
import { OverpaymentPolicyEnum, PlanFrequencyEnum, PlanStatusEnum } from './plan.type.js';
import { PromiseStatusEnum } from './promise.type.js';
import { SettlementStatusEnum } from './settlement.type.js';

@InputType()
export class CurrencyAmountInput {
  @Field(() => String)
  @MaxLength(3)
  currency!: string;

  @Field(() => MinorUnitsScalar)
  amount!: string;
}

@InputType({ description: 'Fields left out keep their current value (the defaults, or for a first portfolio set the tenant rules).' })
export class PlanRulesInput {
  @Field(() => Int, { nullable: true }) maxInstallments?: number | null;
  @Field(() => Int, { nullable: true }) maxLengthDays?: number | null;
  @Field(() => [CurrencyAmountInput], { nullable: true }) minInstallment?: CurrencyAmountInput[] | null;
  @Field(() => Int, { nullable: true }) minDownPaymentBps?: number | null;
  @Field(() => [CurrencyAmountInput], { nullable: true }) minDownPayment?: CurrencyAmountInput[] | null;
  @Field(() => Int, { nullable: true }) maxSettlementDiscountBps?: number | null;
  @Field(() => [PlanFrequencyEnum], { nullable: true }) allowedFrequencies?: PlanFrequencyEnum[] | null;
  @Field(() => Int, { nullable: true }) graceDays?: number | null;
  @Field(() => Int, { nullable: true }) missedToBreak?: number | null;
  @Field(() => Boolean, { nullable: true }) freezeFeesWhileActive?: boolean | null;
  @Field(() => Boolean, { nullable: true }) waiveFeesOnCompletion?: boolean | null;
  @Field(() => Int, { nullable: true }) maxStartDelayDays?: number | null;
  @Field(() => Int, { nullable: true }) startPastToleranceDays?: number | null;
  @Field(() => Int, { nullable: true }) promiseGraceDays?: number | null;
  @Field(() => OverpaymentPolicyEnum, { nullable: true }) overpayment?: OverpaymentPolicyEnum | null;
  @Field(() => [ComponentEnum], { nullable: true }) waterfall?: ComponentEnum[] | null;
}

@InputType()
export class SetPlanRulesInput {
  @Field(() => ID, { nullable: true, description: 'Omit for the tenant-wide rules.' })
  portfolioId?: string | null;

  @Field(() => Int, { nullable: true, description: 'The version you read; a different current version is CONFLICT.' })
  expectedVersion?: number | null;

  @Field(() => PlanRulesInput)
  rules!: PlanRulesInput;
}

@InputType()
export class CustomInstallmentInput {
  @Field(() => LocalDateScalar)
  dueOn!: string;

  @Field(() => MinorUnitsScalar)
  amount!: string;
}

@InputType({ description: 'Equal installments (installmentCount + frequency) or a custom schedule that adds up exactly.' })
export class ProposePlanInput {
  @Field(() => [ID], { description: 'Accounts of one debtor, in one currency.' })
  accountIds!: string[];

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'Due on startOn; the first installment then falls one period later.' })
  downPayment?: string | null;

  @Field(() => Int, { nullable: true })
  installmentCount?: number | null;

  @Field(() => PlanFrequencyEnum, { nullable: true })
  frequency?: PlanFrequencyEnum | null;

  @Field(() => LocalDateScalar)
  startOn!: string;

  @Field(() => [CustomInstallmentInput], { nullable: true })
  schedule?: CustomInstallmentInput[] | null;

  @Field(() => String, { nullable: true })
  @MaxLength(8000)
  note?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Activate at once when inside the rules (default true).' })
  activate?: boolean | null;
}

@InputType()
export class PlanFilterInput {
  @Field(() => ID, { nullable: true }) debtorId?: string | null;
  @Field(() => ID, { nullable: true }) accountId?: string | null;
  @Field(() => [PlanStatusEnum], { nullable: true }) statuses?: PlanStatusEnum[] | null;
}

@InputType()
export class RecordPaymentInput {
  @Field(() => String, { description: 'Required, 1–255 printable characters. The same key with the same body returns the first result; with a different body, CONFLICT.' })
  idempotencyKey!: string;

  @Field(() => ID, { nullable: true, description: 'Exactly one of accountId, planId, settlementId. An account held by an active plan pays the plan too.' })
  accountId?: string | null;

  @Field(() => ID, { nullable: true })
  planId?: string | null;

  @Field(() => ID, { nullable: true })
  settlementId?: string | null;

  @Field(() => MinorUnitsScalar)
  amount!: string;

  @Field(() => String)
  @MaxLength(3)
  currency!: string;

  @Field(() => PaymentMethodEnum)
  method!: PaymentMethodEnum;

  @Field(() => GraphQLDateTime)
  receivedAt!: Date;

  @Field(() => String, { nullable: true })
  @MaxLength(800)
  externalReference?: string | null;
}

@InputType()
export class ReversePaymentInput {
  @Field(() => ID)
  paymentId!: string;

  @Field(() => String)
  @MaxLength(2000)
  reason!: string;

  @Field(() => ReversalKindEnum, { nullable: true, description: 'Default RETURNED.' })
  kind?: ReversalKindEnum | null;
}

@InputType()
export class PaymentFilterInput {
  @Field(() => ID, { nullable: true }) debtorId?: string | null;
  @Field(() => ID, { nullable: true }) accountId?: string | null;
  @Field(() => ID, { nullable: true }) planId?: string | null;
  @Field(() => ID, { nullable: true }) settlementId?: string | null;
}

@InputType()
export class CreatePromiseInput {
  @Field(() => ID, { nullable: true, description: 'Exactly one of accountId or planId.' })
  accountId?: string | null;

  @Field(() => ID, { nullable: true })
  planId?: string | null;

  @Field(() => MinorUnitsScalar)
  amount!: string;

  @Field(() => String)
  @MaxLength(3)
  currency!: string;

  @Field(() => LocalDateScalar)
  promisedOn!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(8000)
  note?: string | null;
}

@InputType()
export class PromiseFilterInput {
  @Field(() => ID, { nullable: true }) debtorId?: string | null;
  @Field(() => ID, { nullable: true }) accountId?: string | null;
  @Field(() => ID, { nullable: true }) planId?: string | null;
  @Field(() => [PromiseStatusEnum], { nullable: true }) statuses?: PromiseStatusEnum[] | null;
}

@InputType()
export class CreateSettlementOfferInput {
  @Field(() => [ID])
  accountIds!: string[];

  @Field(() => MinorUnitsScalar, { description: 'The lump sum; a discount beyond the rules waits for an admin (PENDING_APPROVAL).' })
  amount!: string;

  @Field(() => LocalDateScalar, { description: 'Payments must reach the amount by this date.' })
  expiresOn!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(8000)
  note?: string | null;
}

@InputType()
export class SettlementFilterInput {
  @Field(() => ID, { nullable: true }) debtorId?: string | null;
  @Field(() => ID, { nullable: true }) accountId?: string | null;
  @Field(() => [SettlementStatusEnum], { nullable: true }) statuses?: SettlementStatusEnum[] | null;
}
