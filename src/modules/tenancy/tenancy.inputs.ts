import { ArrayMaxSize, MaxLength } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class CreateTenantInput {
  @Field(() => String)
  @MaxLength(200)
  name!: string;

  @Field(() => String, { nullable: true, description: 'IANA time zone; default UTC.' })
  @MaxLength(64)
  timeZone?: string | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => String)
  @MaxLength(100)
  name!: string;

  @Field(() => [String], { description: 'Any of read, write, admin, pii:reveal.' })
  @ArrayMaxSize(10)
  scopes!: string[];

  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => [ID], { nullable: true, description: 'Limit the key to these portfolios. Omit for the whole tenant.' })
  @ArrayMaxSize(100)
  portfolioIds?: string[] | null;
}
