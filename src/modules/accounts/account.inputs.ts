import { ArrayMaxSize, MaxLength, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { LocalDateScalar, MinorUnitsScalar } from '../../graphql/scalars.js';
import { AccountStatusEnum, AlertMetricEnum, ComponentEnum, EntryKindEnum, PortfolioStatusEnum, ProductTypeEnum } from './account.type.js';

@InputType()
export class CreatePortfolioInput {
  @Field(() => String)
  @MaxLength(400)
  name!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(4000)
  description?: string | null;

  @Field(() => String, { description: 'ISO 4217; every account in the portfolio uses it.' })
  @MaxLength(3)
  currency!: string;
}

@InputType()
export class UpdatePortfolioInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  @MaxLength(400)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(4000)
  description?: string | null;

  @Field(() => PortfolioStatusEnum, { nullable: true })
  status?: PortfolioStatusEnum | null;
}

@InputType()
export class CreateAccountInput {
  @Field(() => ID)
  debtorId!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => String, { description: "The creditor's reference, unique within the tenant." })
  @MaxLength(200)
  externalRef!: string;

  @Field(() => ProductTypeEnum)
  productType!: ProductTypeEnum;

  @Field(() => String, { description: "ISO 4217; must match the portfolio's." })
  @MaxLength(3)
  currency!: string;

  @Field(() => MinorUnitsScalar, { description: 'Posted as the opening principal entry, effective on dueOn.' })
  originalPrincipal!: string;

  @Field(() => MinorUnitsScalar, { nullable: true })
  openingInterest?: string | null;

  @Field(() => MinorUnitsScalar, { nullable: true })
  openingFees?: string | null;

  @Field(() => LocalDateScalar)
  openedOn!: string;

  @Field(() => LocalDateScalar)
  dueOn!: string;

  @Field(() => LocalDateScalar, { nullable: true })
  chargedOffOn?: string | null;
}

@InputType()
export class ChangeAccountStatusInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => AccountStatusEnum)
  status!: AccountStatusEnum;

  @Field(() => String, { nullable: true })
  @MaxLength(1000)
  reason?: string | null;
}

@InputType()
export class MoveAccountInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  portfolioId!: string;
}

@InputType()
export class PostLedgerEntryInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => EntryKindEnum, { description: 'principal, interest, fee (charges); payment, waiver (credits); adjustment (signed).' })
  kind!: EntryKindEnum;

  @Field(() => ComponentEnum, { nullable: true, description: 'Required for adjustments; for payments and waivers, omit to split fees → interest → principal.' })
  component?: ComponentEnum | null;

  @Field(() => MinorUnitsScalar, { description: 'Positive, except an adjustment (signed).' })
  amount!: string;

  @Field(() => String, { description: "Must equal the account's currency." })
  @MaxLength(3)
  currency!: string;

  @Field(() => LocalDateScalar)
  effectiveOn!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000)
  memo?: string | null;

  @Field(() => String, { description: 'Retries with the same key return the first result and write nothing.' })
  @MaxLength(128)
  idempotencyKey!: string;
}

@InputType()
export class ReverseLedgerEntryInput {
  @Field(() => ID)
  entryId!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000)
  memo?: string | null;

  @Field(() => String)
  @MaxLength(128)
  idempotencyKey!: string;
}

@InputType()
export class AccountFilterInput {
  @Field(() => ID, { nullable: true })
  portfolioId?: string | null;

  @Field(() => ID, { nullable: true })
  debtorId?: string | null;

  @Field(() => [AccountStatusEnum], { nullable: true })
  statuses?: AccountStatusEnum[] | null;

  @Field(() => String, { nullable: true, description: "A bucket label from the tenant's delinquency buckets." })
  @MaxLength(40)
  bucket?: string | null;

  @Field(() => Int, { nullable: true })
  @Min(0)
  minDaysPastDue?: number | null;
}

@InputType()
export class DelinquencyBucketInput {
  @Field(() => String)
  @MaxLength(40)
  label!: string;

  @Field(() => Int)
  minDays!: number;

  @Field(() => Int, { nullable: true, description: 'null (or omitted) only for the last, open-ended range.' })
  maxDays?: number | null;
}

@InputType()
export class CreateAlertRuleInput {
  @Field(() => String)
  @MaxLength(400)
  name!: string;

  @Field(() => AlertMetricEnum)
  metric!: AlertMetricEnum;

  @Field(() => MinorUnitsScalar, { description: 'Days, minor units (with currency) or basis points, by metric.' })
  threshold!: string;

  @Field(() => String, { nullable: true, description: 'Required for outstanding_balance.' })
  @MaxLength(3)
  currency?: string | null;
}

@InputType()
export class AlertFilterInput {
  @Field(() => Boolean, { nullable: true, description: 'true: condition still holds; false: cleared.' })
  open?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  acknowledged?: boolean | null;

  @Field(() => ID, { nullable: true })
  ruleId?: string | null;

  @Field(() => ID, { nullable: true })
  accountId?: string | null;
}

@InputType()
export class AccountImportRowInput {
  @Field(() => String)
  debtorExternalRef!: string;

  @Field(() => String, { nullable: true, description: 'person (default) or business' })
  debtorKind?: string | null;

  @Field(() => String)
  debtorName!: string;

  @Field(() => String, { nullable: true })
  debtorEmail?: string | null;

  @Field(() => String, { nullable: true })
  debtorPhone?: string | null;

  @Field(() => String)
  accountExternalRef!: string;

  @Field(() => String, { description: 'loan, credit_card, invoice, utility, telecom or other' })
  productType!: string;

  @Field(() => String)
  currency!: string;

  @Field(() => String, { description: 'Decimal in major units with at most the currency\'s decimals, e.g. "1234.56".' })
  principal!: string;

  @Field(() => String, { nullable: true })
  interest?: string | null;

  @Field(() => String, { nullable: true })
  fees?: string | null;

  @Field(() => String)
  openedOn!: string;

  @Field(() => String)
  dueOn!: string;

  @Field(() => String, { nullable: true })
  chargedOffOn?: string | null;
}

export const IMPORT_MAX_ROWS = 10_000;

@InputType()
export class ImportAccountsInput {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => [AccountImportRowInput])
  @ArrayMaxSize(IMPORT_MAX_ROWS)
  rows!: AccountImportRowInput[];

  @Field(() => Boolean, { defaultValue: false, description: 'true: write nothing unless every row is valid.' })
  atomic!: boolean;
}
