import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { ComponentEnum, LedgerEntry, Money } from '../accounts/account.type.js';

export enum PaymentMethodEnum {
  BANK_TRANSFER = 'bank_transfer',
  CARD = 'card',
  DIRECT_DEBIT = 'direct_debit',
  CASH = 'cash',
  CHECK = 'check',
  MOBILE_WALLET = 'mobile_wallet',
  OTHER = 'other',
}
registerEnumType(PaymentMethodEnum, { name: 'PaymentMethod' });

export enum PaymentStatusEnum {
  POSTED = 'posted',
  REVERSED = 'reversed',
}
registerEnumType(PaymentStatusEnum, { name: 'PaymentStatus' });

export enum ReversalKindEnum {
  RETURNED = 'returned',
  CHARGEBACK = 'chargeback',
  ERROR = 'error',
}
registerEnumType(ReversalKindEnum, { name: 'PaymentReversalKind', description: 'RETURNED: a returned item (bounced transfer or debit); CHARGEBACK: disputed by the payer; ERROR: recorded by mistake.' });

export enum ExplanationKindEnum {
  COMPONENT = 'component',
  INSTALLMENT = 'installment',
  CREDIT = 'credit',
  PLAN_COMPLETED = 'plan_completed',
  SETTLEMENT = 'settlement',
  PROMISE = 'promise',
}
registerEnumType(ExplanationKindEnum, { name: 'PaymentExplanationKind' });

@ObjectType({ description: 'Where part of a payment went, and why, in the order it was applied.' })
export class PaymentExplanationLine {
  @Field(() => ExplanationKindEnum)
  kind!: ExplanationKindEnum;

  @Field(() => String)
  text!: string;

  @Field(() => ID, { nullable: true })
  accountId!: string | null;

  @Field(() => ComponentEnum, { nullable: true })
  component!: ComponentEnum | null;

  @Field(() => Int, { nullable: true })
  installmentSeq!: number | null;

  @Field(() => Money, { nullable: true })
  amount!: Money | null;
}

@ObjectType()
export class InstallmentShare {
  @Field(() => ID)
  installmentId!: string;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType()
export class Payment {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  idempotencyKey!: string;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => ID, { nullable: true })
  accountId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The plan it counted toward (also when paid on one of its accounts).' })
  planId!: string | null;

  @Field(() => ID, { nullable: true })
  settlementId!: string | null;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money, { description: 'What reached the ledger.' })
  applied!: Money;

  @Field(() => Money, { description: 'More than was owed, held as credit.' })
  unapplied!: Money;

  @Field(() => PaymentMethodEnum)
  method!: PaymentMethodEnum;

  @Field(() => GraphQLDateTime)
  receivedAt!: Date;

  @Field(() => LocalDateScalar, { description: "receivedAt as a date in the tenant's time zone: the ledger entries' effective date." })
  effectiveOn!: string;

  @Field(() => String, { nullable: true })
  externalReference!: string | null;

  @Field(() => PaymentStatusEnum)
  status!: PaymentStatusEnum;

  @Field(() => [PaymentExplanationLine])
  explanation!: PaymentExplanationLine[];

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  reversedAt!: Date | null;

  @Field(() => ReversalKindEnum, { nullable: true })
  reversalKind!: ReversalKindEnum | null;

  @Field(() => String, { nullable: true })
  reversalReason!: string | null;
}

@ObjectType()
export class PaymentResult {
  @Field(() => Payment)
  payment!: Payment;

  @Field(() => [LedgerEntry], { description: 'Entries this call posted (for a retry: those of the first call).' })
  entries!: LedgerEntry[];

  @Field(() => Boolean, { description: 'true when this answers a retry of an earlier request with the same idempotency key.' })
  replayed!: boolean;
}

@ObjectType()
export class PaymentEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Payment)
  node!: Payment;
}

@ObjectType()
export class PaymentConnection {
  @Field(() => [PaymentEdge])
  edges!: PaymentEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
