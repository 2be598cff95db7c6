import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { ComponentEnum, Money } from '../accounts/account.type.js';

export enum PlanStatusEnum {
  PROPOSED = 'proposed',
  ACTIVE = 'active',
  COMPLETED = 'completed',
  BROKEN = 'broken',
  CANCELLED = 'cancelled',
  REJECTED = 'rejected',
}
registerEnumType(PlanStatusEnum, { name: 'PlanStatus' });

export enum PlanFrequencyEnum {
  WEEKLY = 'weekly',
  BIWEEKLY = 'biweekly',
  MONTHLY = 'monthly',
}
registerEnumType(PlanFrequencyEnum, { name: 'PlanFrequency', description: 'Monthly dates are counted from the start and clamp to shorter months (31 Jan → 28/29 Feb → 31 Mar).' });

export enum InstallmentStatusEnum {
  OPEN = 'open',
  PAID = 'paid',
  MISSED = 'missed',
}
registerEnumType(InstallmentStatusEnum, { name: 'InstallmentStatus', description: 'MISSED: past due + grace and not fully paid; it becomes PAID when made good (missedAt stays).' });

export enum OverpaymentPolicyEnum {
  HOLD_AS_CREDIT = 'hold_as_credit',
  REFUSE = 'refuse',
}
registerEnumType(OverpaymentPolicyEnum, { name: 'OverpaymentPolicy' });

export enum RulesSourceEnum {
  PORTFOLIO = 'portfolio',
  TENANT = 'tenant',
  DEFAULT = 'default',
}
registerEnumType(RulesSourceEnum, { name: 'PlanRulesSource' });

@ObjectType({ description: 'A minimum amount in one currency.' })
export class CurrencyAmount {
  @Field(() => String)
  currency!: string;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType({ description: "The creditor's negotiation rules: a plan or settlement beyond them needs an admin's approval." })
export class PlanRules {
  @Field(() => ID, { nullable: true, description: 'null while the defaults apply.' })
  id!: string | null;

  @Field(() => ID, { nullable: true, description: 'null: the tenant-wide rules.' })
  portfolioId!: string | null;

  @Field(() => Int, { description: '0 while the defaults apply.' })
  version!: number;

  @Field(() => Int)
  maxInstallments!: number;

  @Field(() => Int, { description: 'From the start date to the last installment.' })
  maxLengthDays!: number;

  @Field(() => [CurrencyAmount], { description: 'Per currency; a currency not listed has no minimum.' })
  minInstallment!: CurrencyAmount[];

  @Field(() => Int, { description: 'Basis points of the plan total, rounded up.' })
  minDownPaymentBps!: number;

  @Field(() => [CurrencyAmount])
  minDownPayment!: CurrencyAmount[];

  @Field(() => Int)
  maxSettlementDiscountBps!: number;

  @Field(() => [PlanFrequencyEnum])
  allowedFrequencies!: PlanFrequencyEnum[];

  @Field(() => Int, { description: 'Days after an installment is due before it counts as missed.' })
  graceDays!: number;

  @Field(() => Int, { description: 'Missed installments (not yet made good) that break a plan.' })
  missedToBreak!: number;

  @Field(() => Boolean)
  freezeFeesWhileActive!: boolean;

  @Field(() => Boolean, { description: 'Plans then cover principal and interest; fees left at completion are waived.' })
  waiveFeesOnCompletion!: boolean;

  @Field(() => Int)
  maxStartDelayDays!: number;

  @Field(() => Int)
  startPastToleranceDays!: number;

  @Field(() => Int)
  promiseGraceDays!: number;

  @Field(() => OverpaymentPolicyEnum)
  overpayment!: OverpaymentPolicyEnum;

  @Field(() => [ComponentEnum], { description: 'The order in which payments pay an account.' })
  waterfall!: ComponentEnum[];
}

@ObjectType()
export class PlanRulesSet {
  @Field(() => PlanRules, { description: 'Tenant-wide (the defaults until set).' })
  tenant!: PlanRules;

  @Field(() => [PlanRules], { description: 'Portfolios with their own rules (they replace the tenant rules as a whole).' })
  portfolios!: PlanRules[];
}

@ObjectType({ description: 'A limit a proposal exceeds.' })
export class RuleViolation {
  @Field(() => String)
  rule!: string;

  @Field(() => String)
  limit!: string;

  @Field(() => String)
  actual!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType()
export class Installment {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: '0 is the down payment.' })
  seq!: number;

  @Field(() => LocalDateScalar)
  dueOn!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money)
  paid!: Money;

  @Field(() => InstallmentStatusEnum)
  status!: InstallmentStatusEnum;

  @Field(() => GraphQLDateTime, { nullable: true })
  missedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  paidAt!: Date | null;
}

@ObjectType()
export class ScheduledInstallment {
  @Field(() => Int, { description: '0 is the down payment.' })
  seq!: number;

  @Field(() => LocalDateScalar)
  dueOn!: string;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType()
export class PlanAccount {
  @Field(() => ID)
  accountId!: string;

  @Field(() => Money, { description: 'The part of its balance the plan covers (when proposed).' })
  covered!: Money;
}

@ObjectType()
export class Plan {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => PlanStatusEnum)
  status!: PlanStatusEnum;

  @Field(() => PlanFrequencyEnum, { nullable: true, description: 'null for a custom schedule.' })
  frequency!: PlanFrequencyEnum | null;

  @Field(() => LocalDateScalar)
  startOn!: string;

  @Field(() => Int)
  installmentCount!: number;

  @Field(() => Money)
  downPayment!: Money;

  @Field(() => Money)
  total!: Money;

  @Field(() => Money)
  paid!: Money;

  @Field(() => Boolean, { description: 'false when the terms waive fees on completion: the plan then covers principal and interest only.' })
  coversFees!: boolean;

  @Field(() => Int)
  missedCount!: number;

  @Field(() => [RuleViolation], { description: 'Empty: inside the rules. Otherwise it needed (or needs) an admin to approve it.' })
  violations!: RuleViolation[];

  @Field(() => Boolean)
  needsApproval!: boolean;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was rejected, cancelled or broken.' })
  endReason!: string | null;

  @Field(() => GraphQLDateTime)
  proposedAt!: Date;

  @Field(() => String)
  proposedById!: string;

  @Field(() => String, { nullable: true })
  approvedById!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  activatedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  completedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  brokenAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  cancelledAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  rejectedAt!: Date | null;

  @Field(() => Int, { description: 'Agreed terms kept from the rules: grace days before an installment is missed.' })
  graceDays!: number;

  @Field(() => Int)
  missedToBreak!: number;

  @Field(() => Boolean)
  freezeFeesWhileActive!: boolean;
}

@ObjectType()
export class PlanPreview {
  @Field(() => ID)
  debtorId!: string;

  @Field(() => Money)
  total!: Money;

  @Field(() => Money)
  downPayment!: Money;

  @Field(() => Boolean)
  coversFees!: boolean;

  @Field(() => [ScheduledInstallment])
  schedule!: ScheduledInstallment[];

  @Field(() => [PlanAccount])
  accounts!: PlanAccount[];

  @Field(() => [RuleViolation])
  violations!: RuleViolation[];

  @Field(() => Boolean, { description: 'true: proposePlan would activate it at once.' })
  withinRules!: boolean;

  @Field(() => RulesSourceEnum)
  rulesSource!: RulesSourceEnum;
}

@ObjectType()
export class PlanEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Plan)
  node!: Plan;
}

@ObjectType()
export class PlanConnection {
  @Field(() => [PlanEdge])
  edges!: PlanEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class PlanEvaluation {
  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => Int)
  installmentsMissed!: number;

  @Field(() => Int)
  plansBroken!: number;

  @Field(() => Int)
  promisesKept!: number;

  @Field(() => Int)
  promisesPartiallyKept!: number;

  @Field(() => Int)
  promisesBroken!: number;

  @Field(() => Int)
  settlementsExpired!: number;
}
