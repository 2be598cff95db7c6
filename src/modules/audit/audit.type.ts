import { GraphQLDateTime, GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { PageInfo } from '../../graphql/pagination.js';

@ObjectType({ description: 'One entry of the tenant\'s hash-chained audit log.' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLSafeInt, { description: 'Position in the tenant\'s chain, from 1, without gaps.' })
  seq!: number;

  @Field(() => GraphQLDateTime)
  occurredAt!: Date;

  @Field(() => String)
  actorKind!: string;

  @Field(() => String)
  actorId!: string;

  @Field(() => String)
  action!: string;

  @Field(() => String)
  entityType!: string;

  @Field(() => String)
  entityId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Changed fields before, personal data redacted.' })
  before!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  after!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String)
  prevHash!: string;

  @Field(() => String)
  hash!: string;
}

@ObjectType()
export class AuditEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  count!: () => Promise<number>;

  @Field(() => Int, { description: 'Computed only when selected.' })
  totalCount(): Promise<number> {
    return this.count();
  }
}

@InputType()
export class AuditEventFilter {
  @Field(() => String, { nullable: true })
  @MaxLength(100)
  entityType?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(100)
  entityId?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(100)
  actorId?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(100)
  action?: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  from?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  to?: Date | null;
}

@ObjectType()
export class AuditVerification {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => GraphQLSafeInt, { description: 'Events checked before the first failure (or all of them).' })
  checked!: number;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'The first event that was altered, removed or out of order.' })
  firstBrokenSeq!: number | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;
}
