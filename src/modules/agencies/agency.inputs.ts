import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { AgencyScopeEnum, CommissionTierBasisEnum } from './agency.type.js';

@InputType()
export class CommissionTierInput {
  @Field(() => String, { description: 'Lower bound, inclusive: minor units (AMOUNT_COLLECTED) or days (DAYS_PAST_DUE). The first is 0.' })
  from!: string;

  @Field(() => Int)
  rateBps!: number;
}

@InputType()
export class CommissionPlanInput {
  @Field(() => Int, { description: 'Basis points of what is collected (1500 = 15%); with tiers, the tiers decide.' })
  rateBps!: number;

  @Field(() => CommissionTierBasisEnum, { nullable: true })
  tierBasis?: CommissionTierBasisEnum | null;

  @Field(() => [CommissionTierInput], { nullable: true })
  tiers?: CommissionTierInput[] | null;
}

@InputType()
export class AgencyInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  contactName?: string | null;

  @Field(() => String, { nullable: true })
  contactEmail?: string | null;

  @Field(() => String, { nullable: true, description: 'E.164' })
  contactPhone?: string | null;

  @Field(() => CommissionPlanInput)
  commission!: CommissionPlanInput;

  @Field(() => String, { description: 'Reference of the data-processing agreement; required before any placement.' })
  dataProtectionRef!: string;
}

@InputType()
export class GrantPortfolioAccessInput {
  @Field(() => ID)
  agencyId!: string;

  @Field(() => [ID], { description: '1–100 portfolios; each gets its own grant.' })
  portfolioIds!: string[];

  @Field(() => [AgencyScopeEnum])
  scopes!: AgencyScopeEnum[];

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Default now.' })
  validFrom?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Open-ended when absent; at most about three years.' })
  validUntil?: Date | null;
}
