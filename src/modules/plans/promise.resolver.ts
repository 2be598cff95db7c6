import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { CreatePromiseInput, PromiseFilterInput } from './plan.inputs.js';
import type { PromiseRow } from './promise.repository.js';
import { PaymentPromise, PaymentPromiseConnection } from './promise.type.js';
import { promiseView } from './plan.view.js';

const PROMISE_ORDER = 'promise_id_desc';

@Resolver(() => PaymentPromise)
export class PromiseResolver {
  @Authorized('write')
  @Mutation(() => PaymentPromise, { description: 'Records a promise to pay; its outcome is then decided from payments.' })
  async createPromise(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreatePromiseInput) input: CreatePromiseInput): Promise<PaymentPromise> {
    return promiseView(await ctx.services.promises.create(tenantActor(ctx, 'promises:write'), input));
  }

  @Authorized('write')
  @Mutation(() => PaymentPromise)
  async cancelPromise(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<PaymentPromise> {
    return promiseView(await ctx.services.promises.cancel(tenantActor(ctx, 'promises:write'), id, reason));
  }

  @Authorized('read')
  @Query(() => PaymentPromise)
  async promise(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PaymentPromise> {
    return promiseView(await ctx.services.promises.get(tenantActor(ctx, 'accounts:read'), id));
  }

  @Authorized('read')
  @Query(() => PaymentPromiseConnection, { description: 'Newest first.' })
  async promises(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => PromiseFilterInput, { nullable: true }) filter: PromiseFilterInput | null,
  ): Promise<PaymentPromiseConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, PROMISE_ORDER);
    const page = await ctx.services.promises.list(tenantActor(ctx, 'accounts:read'), { ...filter, statuses: filter?.statuses as string[] | null | undefined }, size, cursor?.id ?? null);
    const cursorOf = (r: PromiseRow) => encodeCursor(PROMISE_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: promiseView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }
}
