import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar, MinorUnitsScalar } from '../../graphql/scalars.js';

export enum AccountStatusEnum {
  CURRENT = 'current',
  DELINQUENT = 'delinquent',
  IN_PLAN = 'in_plan',
  DISPUTED = 'disputed',
  SETTLED = 'settled',
  PAID_OFF = 'paid_off',
  CHARGED_OFF = 'charged_off',
  WRITTEN_OFF = 'written_off',
  RECALLED = 'recalled',
  CLOSED = 'closed',
}
registerEnumType(AccountStatusEnum, { name: 'AccountStatus' });

export enum ProductTypeEnum {
  LOAN = 'loan',
  CREDIT_CARD = 'credit_card',
  INVOICE = 'invoice',
  UTILITY = 'utility',
  TELECOM = 'telecom',
  OTHER = 'other',
}
registerEnumType(ProductTypeEnum, { name: 'ProductType' });

export enum EntryKindEnum {
  PRINCIPAL = 'principal',
  INTEREST = 'interest',
  FEE = 'fee',
  PAYMENT = 'payment',
  WAIVER = 'waiver',
  ADJUSTMENT = 'adjustment',
  REVERSAL = 'reversal',
}
registerEnumType(EntryKindEnum, { name: 'LedgerEntryKind' });

export enum ComponentEnum {
  PRINCIPAL = 'principal',
  INTEREST = 'interest',
  FEE = 'fee',
}
registerEnumType(ComponentEnum, { name: 'BalanceComponent' });

export enum PortfolioStatusEnum {
  ACTIVE = 'active',
  CLOSED = 'closed',
}
registerEnumType(PortfolioStatusEnum, { name: 'PortfolioStatus' });

export enum AlertMetricEnum {
  DAYS_PAST_DUE = 'days_past_due',
  OUTSTANDING_BALANCE = 'outstanding_balance',
  OVERDUE_RATIO = 'overdue_ratio',
  BROKEN_PROMISES = 'broken_promises',
}
registerEnumType(AlertMetricEnum, {
  name: 'AlertMetric',
  description: 'days_past_due: days; outstanding_balance: minor units; overdue_ratio: basis points (5000 = 50%); broken_promises: promises to pay on the account (or its plan) broken in the last 180 days.',
});

@ObjectType({ description: 'An exact amount: integer minor units plus the currency; `decimal` is the same value for display.' })
export class Money {
  @Field(() => MinorUnitsScalar)
  minor!: bigint;

  @Field(() => String, { description: 'ISO 4217' })
  currency!: string;

  @Field(() => String, { description: 'e.g. "1234.56"; exact, derived from minor and the currency exponent.' })
  decimal!: string;
}

@ObjectType()
export class Portfolio {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String)
  currency!: string;

  @Field(() => PortfolioStatusEnum)
  status!: PortfolioStatusEnum;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: 'Balances by component; each is the sum of that component\'s ledger entries.' })
export class AccountBalance {
  @Field(() => Money)
  principal!: Money;

  @Field(() => Money)
  interest!: Money;

  @Field(() => Money)
  fees!: Money;

  @Field(() => Money)
  total!: Money;
}

@ObjectType({ description: 'A debt: one debtor owes it, one portfolio holds it.' })
export class Account {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String)
  externalRef!: string;

  @Field(() => ProductTypeEnum)
  productType!: ProductTypeEnum;

  @Field(() => String)
  currency!: string;

  @Field(() => LocalDateScalar)
  openedOn!: string;

  @Field(() => LocalDateScalar)
  dueOn!: string;

  @Field(() => LocalDateScalar, { nullable: true })
  chargedOffOn!: string | null;

  @Field(() => AccountStatusEnum)
  status!: AccountStatusEnum;

  @Field(() => GraphQLDateTime)
  statusChangedAt!: Date;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Due date of the oldest charge not yet paid (payments settle the oldest first).' })
  oldestUnpaidDueOn!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class LedgerEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => EntryKindEnum)
  kind!: EntryKindEnum;

  @Field(() => ComponentEnum)
  component!: ComponentEnum;

  @Field(() => Money, { description: 'Signed: charges positive, payments and waivers negative.' })
  amount!: Money;

  @Field(() => LocalDateScalar)
  effectiveOn!: string;

  @Field(() => GraphQLDateTime)
  postedAt!: Date;

  @Field(() => String)
  actorKind!: string;

  @Field(() => String)
  actorId!: string;

  @Field(() => String, { nullable: true })
  memo!: string | null;

  @Field(() => ID, { nullable: true })
  reversesEntryId!: string | null;

  @Field(() => ID, { description: 'Entries posted by the same operation share it.' })
  groupId!: string;
}

@ObjectType()
export class LedgerEntryEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => LedgerEntry)
  node!: LedgerEntry;
}

@ObjectType()
export class LedgerEntryConnection {
  @Field(() => [LedgerEntryEdge])
  edges!: LedgerEntryEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class AccountEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Account)
  node!: Account;
}

@ObjectType()
export class AccountConnection {
  @Field(() => [AccountEdge])
  edges!: AccountEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  count!: () => Promise<number>;

  @Field(() => Int, { description: 'Computed only when selected.' })
  totalCount(): Promise<number> {
    return this.count();
  }
}

@ObjectType()
export class PostedEntries {
  @Field(() => Account)
  account!: Account;

  @Field(() => [LedgerEntry])
  entries!: LedgerEntry[];

  @Field(() => Boolean, { description: 'true when this answers a retry of an earlier request with the same idempotency key.' })
  replayed!: boolean;
}

@ObjectType()
export class DelinquencyBucket {
  @Field(() => String)
  label!: string;

  @Field(() => Int)
  minDays!: number;

  @Field(() => Int, { nullable: true, description: 'null: open-ended.' })
  maxDays!: number | null;
}

@ObjectType()
export class DelinquencyBucketSet {
  @Field(() => Int, { description: '0: the built-in default, never changed.' })
  version!: number;

  @Field(() => [DelinquencyBucket])
  buckets!: DelinquencyBucket[];
}

@ObjectType()
export class BucketChange {
  @Field(() => String)
  bucket!: string;

  @Field(() => Int)
  daysPastDue!: number;

  @Field(() => LocalDateScalar)
  changedOn!: string;

  @Field(() => Int)
  bucketSetVersion!: number;
}

@ObjectType()
export class DelinquencyRefresh {
  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => Int, { description: 'Accounts whose bucket changed (and got a history row).' })
  changed!: number;
}

@ObjectType()
export class AgingBucket {
  @Field(() => String)
  label!: string;

  @Field(() => Int)
  minDays!: number;

  @Field(() => Int, { nullable: true })
  maxDays!: number | null;

  @Field(() => Int)
  accounts!: number;

  @Field(() => Money)
  outstanding!: Money;
}

@ObjectType({ description: 'Aging, placement and collection figures for one portfolio.' })
export class PortfolioAnalytics {
  @Field(() => Portfolio)
  portfolio!: Portfolio;

  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar)
  to!: string;

  @Field(() => Int)
  accounts!: number;

  @Field(() => Money, { description: 'Original principal of all accounts.' })
  placed!: Money;

  @Field(() => Money)
  outstanding!: Money;

  @Field(() => Money, { description: 'Payments (net of reversed payments) effective in [from, to].' })
  collectedInPeriod!: Money;

  @Field(() => Money)
  collectedToDate!: Money;

  @Field(() => Int, { nullable: true, description: 'Collected to date ÷ placed, in basis points (1234 = 12.34%); null when nothing was placed.' })
  recoveryRateBasisPoints!: number | null;

  @Field(() => [AgingBucket])
  buckets!: AgingBucket[];
}

@ObjectType()
export class AlertRule {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => AlertMetricEnum)
  metric!: AlertMetricEnum;

  @Field(() => MinorUnitsScalar, { description: 'In the metric\'s unit (days, minor units or basis points).' })
  threshold!: bigint;

  @Field(() => String, { nullable: true })
  currency!: string | null;

  @Field(() => Boolean)
  active!: boolean;
}

@ObjectType()
export class Alert {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  ruleId!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => MinorUnitsScalar, { description: 'The metric when raised, in the rule\'s unit.' })
  value!: bigint;

  @Field(() => GraphQLDateTime)
  raisedAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => String, { nullable: true })
  acknowledgedById!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the condition stopped holding.' })
  clearedAt!: Date | null;
}

@ObjectType()
export class AlertEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Alert)
  node!: Alert;
}

@ObjectType()
export class AlertConnection {
  @Field(() => [AlertEdge])
  edges!: AlertEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class AlertEvaluation {
  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => Int)
  raised!: number;

  @Field(() => Int)
  cleared!: number;

  @Field(() => Int, { description: 'Breaches that hold now (new or already open).' })
  holding!: number;
}
