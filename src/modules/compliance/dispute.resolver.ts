import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import type { AccountRow } from '../accounts/account.repository.js';
import { Account } from '../accounts/account.type.js';
import { Plan } from '../plans/plan.type.js';
import { disputeView, noticeView } from './compliance.view.js';
import type { DisputeRow } from './dispute.repository.js';
import { Dispute, DisputeConnection, DisputeFilterInput, OpenDisputeInput, RecordValidationNoticeInput, ResolveDisputeInput, ValidationNotice } from './dispute.type.js';

const DISPUTE_ORDER = 'dispute_id_desc';

@Resolver(() => Dispute)
export class DisputeResolver {
  @Authorized('write')
  @Mutation(() => Dispute, { description: 'Opens a dispute: the account becomes DISPUTED and collection pauses (fees, outbound contact, plan and promise evaluation) until resolveDispute.' })
  async openDispute(@Ctx() ctx: GraphQLContext, @Arg('input', () => OpenDisputeInput) input: OpenDisputeInput): Promise<Dispute> {
    return disputeView(await ctx.services.disputes.open(tenantActor(ctx, 'contacts:write'), input));
  }

  @Authorized('write')
  @Mutation(() => Dispute, { description: 'Resolves an open dispute; collection resumes unless it was UPHELD.' })
  async resolveDispute(@Ctx() ctx: GraphQLContext, @Arg('input', () => ResolveDisputeInput) input: ResolveDisputeInput): Promise<Dispute> {
    return disputeView(await ctx.services.disputes.resolve(tenantActor(ctx), input));
  }

  @Authorized('read')
  @Query(() => Dispute)
  async dispute(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Dispute> {
    return disputeView(await ctx.services.disputes.get(tenantActor(ctx, 'accounts:read'), id));
  }

  @Authorized('read')
  @Query(() => DisputeConnection, { description: 'Newest first.' })
  async disputes(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => DisputeFilterInput, { nullable: true }) filter: DisputeFilterInput | null,
  ): Promise<DisputeConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, DISPUTE_ORDER);
    const page = await ctx.services.disputes.list(tenantActor(ctx, 'accounts:read'), { ...filter }, size, cursor?.id ?? null);
    const cursorOf = (r: DisputeRow) => encodeCursor(DISPUTE_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: disputeView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @Authorized('write')
  @Mutation(() => ValidationNotice, { description: 'Records a validation notice sent for an account, and the date disputes are due by.' })
  async recordValidationNotice(@Ctx() ctx: GraphQLContext, @Arg('input', () => RecordValidationNoticeInput) input: RecordValidationNoticeInput): Promise<ValidationNotice> {
    return noticeView(await ctx.services.disputes.recordNotice(tenantActor(ctx, 'contacts:write'), input));
  }
}

@Resolver(() => Account)
export class AccountComplianceResolver {
  @FieldResolver(() => [Dispute], { description: 'Newest first.' })
  async disputes(@Ctx() ctx: GraphQLContext, @Root() a: AccountRow): Promise<Dispute[]> {
    return (await ctx.loaders.accountDisputes.load(a.id)).map(disputeView);
  }

  @FieldResolver(() => [ValidationNotice], { description: 'Newest first.' })
  async validationNotices(@Ctx() ctx: GraphQLContext, @Root() a: AccountRow): Promise<ValidationNotice[]> {
    return (await ctx.loaders.validationNotices.load(a.id)).map(noticeView);
  }
}

@Resolver(() => Plan)
export class PlanDisputeResolver {
  @FieldResolver(() => [ID], {
    description: 'Open disputes on the plan\'s accounts. While there is one the plan is paused: no installment is missed and it does not break; afterwards an installment that fell due gets its grace again from the resolution day.',
  })
  async pausedByDisputes(@Ctx() ctx: GraphQLContext, @Root() plan: Plan): Promise<string[]> {
    return ctx.loaders.planDisputes.load(plan.id);
  }
}
