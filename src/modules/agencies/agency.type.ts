import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { Money, Portfolio } from '../accounts/account.type.js';

export enum AgencyScopeEnum {
  DEBTORS_READ = 'debtors:read',
  ACCOUNTS_READ = 'accounts:read',
  CONTACTS_WRITE = 'contacts:write',
  PROMISES_WRITE = 'promises:write',
  PLANS_PROPOSE = 'plans:propose',
  PAYMENTS_RECORD = 'payments:record',
  PII_REVEAL = 'pii:reveal',
}
registerEnumType(AgencyScopeEnum, {
  name: 'AgencyScope',
  description:
    'What a grant lets an agency do in its portfolios. Reads need DEBTORS_READ / ACCOUNTS_READ; PLANS_PROPOSE lets it propose plans (outside the plan rules they wait for the creditor\'s approval); PROMISES_WRITE, PAYMENTS_RECORD as named; CONTACTS_WRITE is for the contact log; PII_REVEAL alone unmasks national ids.',
});

export enum AgencyStatusEnum {
  ACTIVE = 'active',
  SUSPENDED = 'suspended',
  TERMINATED = 'terminated',
}
registerEnumType(AgencyStatusEnum, { name: 'AgencyStatus', description: 'SUSPENDED: its tokens stop working, placements stay. TERMINATED: final; grants end and credentials are revoked.' });

export enum CommissionTierBasisEnum {
  AMOUNT_COLLECTED = 'AMOUNT_COLLECTED',
  DAYS_PAST_DUE = 'DAYS_PAST_DUE',
}
registerEnumType(CommissionTierBasisEnum, {
  name: 'CommissionTierBasis',
  description:
    'AMOUNT_COLLECTED: marginal brackets over the period\'s total collected in a currency (minor units). DAYS_PAST_DUE: each account\'s collections earn the rate of its days past due when placed.',
});

@ObjectType()
export class CommissionTier {
  @Field(() => String, { description: 'Lower bound, inclusive: minor units or days.' })
  from!: string;

  @Field(() => Int)
  rateBps!: number;
}

@ObjectType({ description: 'How the agency is paid: rates in basis points (1500 = 15%) of what it collects.' })
export class CommissionPlanType {
  @Field(() => Int)
  rateBps!: number;

  @Field(() => CommissionTierBasisEnum, { nullable: true })
  tierBasis!: CommissionTierBasisEnum | null;

  @Field(() => [CommissionTier])
  tiers!: CommissionTier[];
}

@ObjectType({ description: 'A collection agency the creditor places portfolios with.' })
export class Agency {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String)
  name!: string;

  @Field(() => AgencyStatusEnum)
  status!: AgencyStatusEnum;

  @Field(() => String, { nullable: true })
  contactName!: string | null;

  @Field(() => String, { nullable: true })
  contactEmail!: string | null;

  @Field(() => String, { nullable: true })
  contactPhone!: string | null;

  @Field(() => String, { description: 'The data-processing agreement the agency signed.' })
  dataProtectionRef!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType({ description: 'An OAuth client of an agency. The secret is shown once, when created.' })
export class AgencyCredential {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  clientId!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  lastUsedAt!: Date | null;
}

@ObjectType()
export class CreatedAgencyCredential {
  @Field(() => AgencyCredential)
  credential!: AgencyCredential;

  @Field(() => String, { description: 'Shown this once; only its hash is stored. Exchange it at POST /oauth/token.' })
  clientSecret!: string;
}

@ObjectType({ description: 'A placement of one portfolio with one agency.' })
export class AgencyGrant {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  agencyId!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => [AgencyScopeEnum])
  scopes!: AgencyScopeEnum[];

  @Field(() => GraphQLDateTime)
  validFrom!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  validUntil!: Date | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'recalled, expired, agency_suspended or agency_terminated' })
  endReason!: string | null;

  @Field(() => String, { nullable: true })
  recallNote!: string | null;
}

@ObjectType({ description: 'Which agency held the account, from when to when, and what it owed when placed.' })
export class AccountPlacement {
  @Field(() => ID)
  agencyId!: string;

  @Field(() => ID)
  grantId!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => GraphQLDateTime)
  placedAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the placement ended or will end (the grant\'s validUntil).' })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true })
  endReason!: string | null;

  @Field(() => Money)
  balanceAtPlacement!: Money;

  @Field(() => LocalDateScalar, { nullable: true, description: 'The oldest unpaid due date when placed.' })
  dueSinceAtPlacement!: string | null;
}

/** The figures a portfolio's row and a currency's totals share (not a type of its own: nothing returns it). */
@ObjectType()
abstract class PlacementFigures {
  @Field(() => Int, { description: 'Accounts placed during the period.' })
  placedAccounts!: number;

  @Field(() => Money, { description: 'What those accounts owed when placed.' })
  placedBalance!: Money;

  @Field(() => Money, { description: 'Posted (not reversed) payments with an effective date in the period, received while placed.' })
  collected!: Money;

  @Field(() => Int, { nullable: true, description: 'collected / placedBalance in basis points (floor).' })
  recoveryRateBps!: number | null;

  @Field(() => Int)
  promisesKept!: number;

  @Field(() => Int)
  promisesPartiallyKept!: number;

  @Field(() => Int)
  promisesBroken!: number;

  @Field(() => Int, { nullable: true, description: 'Promises the agency took, due in the period: kept / resolved, basis points.' })
  promisesKeptRatioBps!: number | null;
}

@ObjectType()
export class PortfolioPerformance extends PlacementFigures {
  @Field(() => Portfolio)
  portfolio!: Portfolio;

  @Field(() => Money, { description: "This portfolio's share of the commission owed (shares add up to the total)." })
  commission!: Money;
}

@ObjectType()
export class CurrencyPerformance extends PlacementFigures {
  @Field(() => String)
  currency!: string;

  @Field(() => Money, { description: 'Commission owed for the period, from the agency\'s commission plan; rounded once, half-even.' })
  commission!: Money;

  @Field(() => Int, { nullable: true, description: 'commission / collected, basis points (floor).' })
  effectiveCommissionRateBps!: number | null;

  @Field(() => Money, { description: 'collected − commission' })
  netRecovered!: Money;

  @Field(() => Int, { nullable: true, description: 'Scorecard only: 1 = best recovery rate among the tenant\'s agencies in this currency.' })
  rank!: number | null;
}

@ObjectType({ description: 'An agency\'s figures for a period of the tenant\'s calendar days.' })
export class AgencyPerformance {
  @Field(() => Agency)
  agency!: Agency;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar)
  to!: string;

  @Field(() => [PortfolioPerformance])
  portfolios!: PortfolioPerformance[];

  @Field(() => [CurrencyPerformance])
  totals!: CurrencyPerformance[];
}

@ObjectType()
export class SigningKeyRotation {
  @Field(() => String, { description: 'The new signing key id.' })
  kid!: string;

  @Field(() => [String], { description: 'Keys retired now; they keep verifying tokens until those expire.' })
  retired!: string[];
}
