import { ArrayMaxSize, IsInt, MaxLength, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { LIMITS } from './debtor.model.js';
import { DebtorFlagEnum, DebtorKindEnum, RiskRatingEnum } from './debtor.type.js';

// Lengths here are a first, cheap line (and show up in the schema's validation errors); the service
// re-validates everything, counting characters as code points so CJK names get the full 200.

@InputType()
export class EmailInput {
  @Field(() => String)
  @MaxLength(254)
  address!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.label)
  label?: string | null;
}

@InputType()
export class PhoneInput {
  @Field(() => String, { description: 'E.164, e.g. +8613800138000' })
  @MaxLength(20)
  number!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.label)
  label?: string | null;
}

@InputType()
export class PostalAddressInput {
  @Field(() => String, { nullable: true })
  label?: string | null;

  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2?: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => String, { nullable: true })
  postalCode?: string | null;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2' })
  country!: string;
}

@InputType()
export class CreateDebtorInput {
  @Field(() => DebtorKindEnum)
  kind!: DebtorKindEnum;

  @Field(() => String)
  @MaxLength(LIMITS.name * 2)
  legalName!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to the legal name.' })
  @MaxLength(LIMITS.name * 2)
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  externalRef?: string | null;

  @Field(() => [EmailInput], { nullable: true })
  @ArrayMaxSize(LIMITS.contacts)
  emails?: EmailInput[] | null;

  @Field(() => [PhoneInput], { nullable: true })
  @ArrayMaxSize(LIMITS.contacts)
  phones?: PhoneInput[] | null;

  @Field(() => [PostalAddressInput], { nullable: true })
  @ArrayMaxSize(LIMITS.addresses)
  addresses?: PostalAddressInput[] | null;

  @Field(() => String, { nullable: true, description: 'BCP 47, e.g. zh-CN' })
  preferredLanguage?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA, e.g. Asia/Shanghai' })
  timeZone?: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  dateOfBirth?: string | null;

  @Field(() => String, { nullable: true, description: 'Encrypted at rest; only ever returned masked, or through revealDebtorNationalId.' })
  nationalId?: string | null;

  @Field(() => Boolean, { nullable: true })
  deceased?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  bankrupt?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  ceaseCommunication?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  vulnerable?: boolean | null;

  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(LIMITS.tags)
  tags?: string[] | null;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.notes * 2)
  notes?: string | null;

  @Field(() => RiskRatingEnum, { nullable: true })
  riskRating?: RiskRatingEnum | null;
}

@InputType({ description: 'Omitted fields stay as they are; null clears an optional field. Lists replace the whole list.' })
export class UpdateDebtorInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'The version you read.' })
  @IsInt()
  @Min(1)
  version!: number;

  @Field(() => DebtorKindEnum, { nullable: true })
  kind?: DebtorKindEnum | null;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.name * 2)
  legalName?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.name * 2)
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  externalRef?: string | null;

  @Field(() => [EmailInput], { nullable: true })
  @ArrayMaxSize(LIMITS.contacts)
  emails?: EmailInput[] | null;

  @Field(() => [PhoneInput], { nullable: true })
  @ArrayMaxSize(LIMITS.contacts)
  phones?: PhoneInput[] | null;

  @Field(() => [PostalAddressInput], { nullable: true })
  @ArrayMaxSize(LIMITS.addresses)
  addresses?: PostalAddressInput[] | null;

  @Field(() => String, { nullable: true })
  preferredLanguage?: string | null;

  @Field(() => String, { nullable: true })
  timeZone?: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  dateOfBirth?: string | null;

  @Field(() => String, { nullable: true })
  nationalId?: string | null;

  @Field(() => Boolean, { nullable: true })
  deceased?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  bankrupt?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  ceaseCommunication?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  vulnerable?: boolean | null;

  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(LIMITS.tags)
  tags?: string[] | null;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.notes * 2)
  notes?: string | null;

  @Field(() => RiskRatingEnum, { nullable: true })
  riskRating?: RiskRatingEnum | null;
}

@InputType()
export class DebtorFilter {
  @Field(() => String, { nullable: true, description: 'Name (case-, accent- and width-insensitive; CJK substrings), email, phone or external reference.' })
  @MaxLength(200)
  search?: string | null;

  @Field(() => [String], { nullable: true, description: 'Debtors carrying all of these tags.' })
  @ArrayMaxSize(LIMITS.tags)
  tags?: string[] | null;

  @Field(() => [DebtorFlagEnum], { nullable: true, description: 'Debtors with all of these flags set.' })
  flags?: DebtorFlagEnum[] | null;

  @Field(() => Boolean, { nullable: true, description: 'false (default): active only; true: archived only; null: both.', defaultValue: false })
  archived?: boolean | null;
}
