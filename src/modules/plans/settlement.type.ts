import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { Money } from '../accounts/account.type.js';
import { RuleViolation } from './plan.type.js';

export enum SettlementStatusEnum {
  PENDING_APPROVAL = 'pending_approval',
  OFFERED = 'offered',
  ACCEPTED = 'accepted',
  SETTLED = 'settled',
  EXPIRED = 'expired',
  REJECTED = 'rejected',
  WITHDRAWN = 'withdrawn',
}
registerEnumType(SettlementStatusEnum, { name: 'SettlementStatus' });

@ObjectType()
export class SettlementAccount {
  @Field(() => ID)
  accountId!: string;

  @Field(() => Money, { description: 'Its balance when offered.' })
  balance!: Money;
}

@ObjectType({ description: 'A discounted lump sum by a date. Nothing changes on the ledger until it is paid in time.' })
export class SettlementOffer {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money, { description: "The accounts' total balance when offered." })
  balance!: Money;

  @Field(() => Int, { description: 'Basis points of the balance, rounded up.' })
  discountBps!: number;

  @Field(() => LocalDateScalar)
  expiresOn!: string;

  @Field(() => SettlementStatusEnum)
  status!: SettlementStatusEnum;

  @Field(() => [RuleViolation])
  violations!: RuleViolation[];

  @Field(() => Money, { description: 'Paid toward it since acceptance.' })
  paid!: Money;

  @Field(() => [SettlementAccount])
  accounts!: SettlementAccount[];

  @Field(() => String, { nullable: true })
  approvedById!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  acceptedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  settledAt!: Date | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String, { nullable: true })
  endReason!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class SettlementOfferEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SettlementOffer)
  node!: SettlementOffer;
}

@ObjectType()
export class SettlementOfferConnection {
  @Field(() => [SettlementOfferEdge])
  edges!: SettlementOfferEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
