import { Field, ID, ObjectType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';

@ObjectType({ description: 'A creditor using Arrears.' })
export class Tenant {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'active or suspended' })
  status!: string;

  @Field(() => String, { description: 'IANA zone used for dates such as days past due.' })
  timeZone!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: 'An API key. The secret is shown only once, when the key is created.' })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Recognisable start of the key, safe to display.' })
  prefix!: string;

  @Field(() => [String])
  scopes!: string[];

  @Field(() => [ID], { nullable: true, description: 'null: the whole tenant.' })
  portfolioIds!: string[] | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Approximate (batched), never more than a minute behind.' })
  lastUsedAt!: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => String, { description: 'The full key. Store it now: Arrears keeps only its hash.' })
  secret!: string;

  @Field(() => ApiKey)
  apiKey!: ApiKey;
}

@ObjectType()
export class CreateTenantPayload {
  @Field(() => Tenant)
  tenant!: Tenant;

  @Field(() => CreatedApiKey, { description: 'The tenant\'s first key, with every scope.' })
  initialKey!: CreatedApiKey;
}

@ObjectType({ description: 'Who is calling.' })
export class Viewer {
  @Field(() => String, { description: 'api_key, agency, platform or system' })
  kind!: string;

  @Field(() => String)
  actorId!: string;

  @Field(() => [String], { description: 'For an agency token: every scope some active grant gives it.' })
  scopes!: string[];

  @Field(() => [ID], { nullable: true, description: 'Portfolio-scoped keys and agency tokens: the portfolios they reach (for an agency, those still granted).' })
  portfolioIds!: string[] | null;

  @Field(() => Tenant, { nullable: true })
  tenant!: Tenant | null;
}
