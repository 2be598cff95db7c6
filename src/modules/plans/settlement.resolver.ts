import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import type { TenantActor } from '../tenancy/principal.js';
import { CreateSettlementOfferInput, SettlementFilterInput } from './plan.inputs.js';
import type { SettlementRow } from './settlement.repository.js';
import { SettlementOffer, SettlementOfferConnection } from './settlement.type.js';
import { settlementView } from './plan.view.js';

const SETTLEMENT_ORDER = 'settlement_id_desc';

async function views(ctx: GraphQLContext, actor: TenantActor, rows: SettlementRow[]): Promise<SettlementOffer[]> {
  const accounts = await ctx.services.settlements.accounts(actor, rows.map((r) => r.id));
  return rows.map((r) => settlementView(r, accounts.filter((a) => a.settlementId === r.id)));
}

@Resolver(() => SettlementOffer)
export class SettlementResolver {
  @Authorized('write')
  @Mutation(() => SettlementOffer)
  async createSettlementOffer(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateSettlementOfferInput) input: CreateSettlementOfferInput): Promise<SettlementOffer> {
    const actor = tenantActor(ctx);
    return (await views(ctx, actor, [await ctx.services.settlements.create(actor, input)]))[0]!;
  }

  @Authorized('admin')
  @Mutation(() => SettlementOffer, { description: 'Approves an offer beyond the rules’ discount (PENDING_APPROVAL → OFFERED).' })
  async approveSettlementOffer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<SettlementOffer> {
    const actor = tenantActor(ctx);
    return (await views(ctx, actor, [await ctx.services.settlements.approve(actor, id)]))[0]!;
  }

  @Authorized('admin')
  @Mutation(() => SettlementOffer)
  async rejectSettlementOffer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<SettlementOffer> {
    const actor = tenantActor(ctx);
    return (await views(ctx, actor, [await ctx.services.settlements.reject(actor, id, reason)]))[0]!;
  }

  @Authorized('write')
  @Mutation(() => SettlementOffer, { description: 'The debtor accepted: payments from today count toward it until it expires.' })
  async acceptSettlementOffer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<SettlementOffer> {
    const actor = tenantActor(ctx);
    return (await views(ctx, actor, [await ctx.services.settlements.accept(actor, id)]))[0]!;
  }

  @Authorized('write')
  @Mutation(() => SettlementOffer)
  async withdrawSettlementOffer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<SettlementOffer> {
    const actor = tenantActor(ctx);
    return (await views(ctx, actor, [await ctx.services.settlements.withdraw(actor, id, reason)]))[0]!;
  }

  @Authorized('read')
  @Query(() => SettlementOffer)
  async settlementOffer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<SettlementOffer> {
    const actor = tenantActor(ctx, 'accounts:read');
    return (await views(ctx, actor, [await ctx.services.settlements.get(actor, id)]))[0]!;
  }

  @Authorized('read')
  @Query(() => SettlementOfferConnection, { description: 'Newest first.' })
  async settlementOffers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => SettlementFilterInput, { nullable: true }) filter: SettlementFilterInput | null,
  ): Promise<SettlementOfferConnection> {
    const actor = tenantActor(ctx, 'accounts:read');
    const size = pageSize(first);
    const cursor = decodeCursor(after, SETTLEMENT_ORDER);
    const page = await ctx.services.settlements.list(actor, { ...filter, statuses: filter?.statuses as string[] | null | undefined }, size, cursor?.id ?? null);
    const cursorOf = (r: SettlementRow) => encodeCursor(SETTLEMENT_ORDER, '', r.id);
    const nodes = await views(ctx, actor, page.rows);
    return { edges: page.rows.map((r, i) => ({ cursor: cursorOf(r), node: nodes[i]! })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }
}
