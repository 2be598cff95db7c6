import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { PageInfo } from '../../graphql/pagination.js';

export enum DebtorKindEnum {
  PERSON = 'person',
  BUSINESS = 'business',
}
registerEnumType(DebtorKindEnum, { name: 'DebtorKind' });

export enum RiskRatingEnum {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  CRITICAL = 'critical',
}
registerEnumType(RiskRatingEnum, { name: 'RiskRating' });

export enum DebtorFlagEnum {
  DECEASED = 'deceased',
  BANKRUPT = 'bankrupt',
  CEASE_COMMUNICATION = 'ceaseCommunication',
  VULNERABLE = 'vulnerable',
}
registerEnumType(DebtorFlagEnum, { name: 'DebtorFlag' });

export enum DebtorOrderEnum {
  CREATED_DESC = 'created_desc',
  CREATED_ASC = 'created_asc',
  NAME_ASC = 'name_asc',
  NAME_DESC = 'name_desc',
}
registerEnumType(DebtorOrderEnum, {
  name: 'DebtorOrder',
  description: 'Name order is by code point (binary), the same in every locale.',
});

@ObjectType()
export class DebtorEmail {
  @Field(() => String)
  address!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;
}

@ObjectType()
export class DebtorPhone {
  @Field(() => String, { description: 'E.164, e.g. +8613800138000' })
  number!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;
}

@ObjectType()
export class PostalAddress {
  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2!: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => String, { nullable: true })
  postalCode!: string | null;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2' })
  country!: string;
}

@ObjectType({ description: 'Conditions that change how (or whether) a debtor may be contacted.' })
export class DebtorFlags {
  @Field(() => Boolean)
  deceased!: boolean;

  @Field(() => Boolean)
  bankrupt!: boolean;

  @Field(() => Boolean)
  ceaseCommunication!: boolean;

  @Field(() => Boolean)
  vulnerable!: boolean;
}

@ObjectType({ description: 'A person or business that owes a creditor.' })
export class Debtor {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'Pass back to updateDebtor; a stale version is CONFLICT.' })
  version!: number;

  @Field(() => DebtorKindEnum)
  kind!: DebtorKindEnum;

  @Field(() => String)
  legalName!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String, { nullable: true, description: "The creditor's own reference, unique within the tenant." })
  externalRef!: string | null;

  @Field(() => [PostalAddress])
  addresses!: PostalAddress[];

  @Field(() => String, { nullable: true, description: 'BCP 47 tag' })
  preferredLanguage!: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone' })
  timeZone!: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  dateOfBirth!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => RiskRatingEnum, { nullable: true })
  riskRating!: RiskRatingEnum | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  archivedAt!: Date | null;

  @Field(() => String, { nullable: true })
  archivedReason!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType()
export class DebtorEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Debtor)
  node!: Debtor;
}

@ObjectType()
export class DebtorConnection {
  @Field(() => [DebtorEdge])
  edges!: DebtorEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counted only when asked for: a count over a large tenant is the expensive part of a page. */
  count!: () => Promise<number>;

  @Field(() => Int, { description: 'Matching debtors across all pages (computed only when selected).' })
  totalCount(): Promise<number> {
    return this.count();
  }
}

@ObjectType()
export class RevealedNationalId {
  @Field(() => ID)
  debtorId!: string;

  @Field(() => String, { nullable: true, description: 'null when none is on file.' })
  nationalId!: string | null;
}
