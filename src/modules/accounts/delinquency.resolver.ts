import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { DelinquencyBucketInput } from './account.inputs.js';
import { DelinquencyBucketSet, DelinquencyRefresh } from './account.type.js';

@Resolver()
export class DelinquencyResolver {
  @Authorized('read')
  @Query(() => DelinquencyBucketSet, { description: "The tenant's aging buckets (the default until set)." })
  delinquencyBuckets(@Ctx() ctx: GraphQLContext): Promise<DelinquencyBucketSet> {
    return ctx.services.delinquency.buckets(tenantActor(ctx));
  }

  @Authorized('admin')
  @Mutation(() => DelinquencyBucketSet, { description: 'Non-overlapping day ranges from 0 with an open-ended last range; gaps and overlaps are refused.' })
  setDelinquencyBuckets(@Ctx() ctx: GraphQLContext, @Arg('buckets', () => [DelinquencyBucketInput]) buckets: DelinquencyBucketInput[]): Promise<DelinquencyBucketSet> {
    return ctx.services.delinquency.setBuckets(
      tenantActor(ctx),
      buckets.map((b) => ({ label: b.label, minDays: b.minDays, maxDays: b.maxDays ?? null })),
    );
  }

  @Authorized('admin')
  @Mutation(() => DelinquencyRefresh, { description: 'Records dated bucket changes for every open account (also run by the background job).' })
  refreshDelinquency(@Ctx() ctx: GraphQLContext, @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null): Promise<DelinquencyRefresh> {
    return ctx.services.delinquency.refresh(tenantActor(ctx), asOf);
  }
}
