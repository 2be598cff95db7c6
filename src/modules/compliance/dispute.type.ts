import { MaxLength } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { AccountStatusEnum } from '../accounts/account.type.js';

export enum DisputeReasonEnum {
  NOT_MY_DEBT = 'not_my_debt',
  WRONG_AMOUNT = 'wrong_amount',
  ALREADY_PAID = 'already_paid',
  IDENTITY_THEFT = 'identity_theft',
  STATUTE_BARRED = 'statute_barred',
  OTHER = 'other',
}
registerEnumType(DisputeReasonEnum, { name: 'DisputeReason' });

export enum DisputeOutcomeEnum {
  UPHELD = 'upheld',
  REJECTED = 'rejected',
  CORRECTED = 'corrected',
}
registerEnumType(DisputeOutcomeEnum, {
  name: 'DisputeOutcome',
  description: 'UPHELD: the debtor was right, nothing is collectible from them (the account is written off). CORRECTED: the creditor fixed the account (post adjustments first) and collection resumes. REJECTED: the debt stands and collection resumes.',
});

export enum DisputeStatusEnum {
  OPEN = 'open',
  RESOLVED = 'resolved',
}
registerEnumType(DisputeStatusEnum, { name: 'DisputeStatus' });

@ObjectType({ description: 'A dispute pauses collection on its account until resolved: no late fees, no outbound contact, plans and promises on hold.' })
export class Dispute {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  accountId!: string;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => DisputeReasonEnum)
  reason!: DisputeReasonEnum;

  @Field(() => String, { nullable: true })
  details!: string | null;

  @Field(() => DisputeStatusEnum)
  status!: DisputeStatusEnum;

  @Field(() => DisputeOutcomeEnum, { nullable: true })
  outcome!: DisputeOutcomeEnum | null;

  @Field(() => String, { nullable: true })
  resolutionNotes!: string | null;

  @Field(() => AccountStatusEnum, { description: 'What the account was when the dispute opened.' })
  priorAccountStatus!: AccountStatusEnum;

  @Field(() => Boolean, { description: "Opened by the latest validation notice's dispute-by date." })
  withinValidationPeriod!: boolean;

  @Field(() => GraphQLDateTime)
  openedAt!: Date;

  @Field(() => String)
  openedByKind!: string;

  @Field(() => GraphQLDateTime, { nullable: true })
  resolvedAt!: Date | null;
}

@ObjectType()
export class DisputeEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Dispute)
  node!: Dispute;
}

@ObjectType()
export class DisputeConnection {
  @Field(() => [DisputeEdge])
  edges!: DisputeEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A validation notice sent for an account (Reg F §1006.34).' })
export class ValidationNotice {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => GraphQLDateTime)
  sentAt!: Date;

  @Field(() => LocalDateScalar, { description: 'The last day to dispute.' })
  disputeBy!: string;

  @Field(() => String)
  method!: string;

  @Field(() => String, { nullable: true })
  reference!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@InputType()
export class OpenDisputeInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => DisputeReasonEnum)
  reason!: DisputeReasonEnum;

  @Field(() => String, { nullable: true })
  @MaxLength(20000)
  details?: string | null;
}

@InputType()
export class ResolveDisputeInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;

  @Field(() => DisputeOutcomeEnum)
  outcome!: DisputeOutcomeEnum;

  @Field(() => String)
  @MaxLength(20000)
  notes!: string;
}

@InputType()
export class DisputeFilterInput {
  @Field(() => ID, { nullable: true })
  accountId?: string | null;

  @Field(() => ID, { nullable: true })
  debtorId?: string | null;

  @Field(() => DisputeStatusEnum, { nullable: true })
  status?: DisputeStatusEnum | null;
}

@InputType()
export class RecordValidationNoticeInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => String, { description: 'RFC 3339 with an offset.' })
  @MaxLength(64)
  sentAt!: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Defaults to 30 days after assumed receipt (5 business days after sending); may be later, never earlier.' })
  disputeBy?: string | null;

  @Field(() => String, { description: 'mail, email, in person, …' })
  @MaxLength(1000)
  method!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(1000)
  reference?: string | null;
}
