import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { Money } from '../accounts/account.type.js';

export enum PromiseStatusEnum {
  PENDING = 'pending',
  KEPT = 'kept',
  PARTIALLY_KEPT = 'partially_kept',
  BROKEN = 'broken',
  CANCELLED = 'cancelled',
}
registerEnumType(PromiseStatusEnum, { name: 'PromiseStatus', description: 'Decided from payments: KEPT when they reach the amount; after the date + grace, PARTIALLY_KEPT or BROKEN.' });

@ObjectType({ description: 'A promise to pay (承诺还款) on an account or a plan.' })
export class PaymentPromise {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => ID, { nullable: true })
  accountId!: string | null;

  @Field(() => ID, { nullable: true })
  planId!: string | null;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money, { description: 'Paid toward it from madeOn through promisedOn + grace.' })
  paid!: Money;

  @Field(() => LocalDateScalar)
  madeOn!: string;

  @Field(() => LocalDateScalar)
  promisedOn!: string;

  @Field(() => Int)
  graceDays!: number;

  @Field(() => PromiseStatusEnum)
  status!: PromiseStatusEnum;

  @Field(() => GraphQLDateTime, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class PaymentPromiseEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => PaymentPromise)
  node!: PaymentPromise;
}

@ObjectType()
export class PaymentPromiseConnection {
  @Field(() => [PaymentPromiseEdge])
  edges!: PaymentPromiseEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
