import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { CreatePortfolioInput, UpdatePortfolioInput } from './account.inputs.js';
import { Portfolio, PortfolioAnalytics } from './account.type.js';
import { money } from './money.view.js';
import type { PortfolioRow } from './portfolio.repository.js';

@Resolver(() => Portfolio)
export class PortfolioResolver {
  @Authorized('read')
  @Query(() => Portfolio)
  portfolio(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PortfolioRow> {
    return ctx.services.portfolios.get(tenantActor(ctx, 'accounts:read'), id);
  }

  @Authorized('read')
  @Query(() => [Portfolio], { description: 'Portfolios this key can reach, by name.' })
  portfolios(@Ctx() ctx: GraphQLContext): Promise<PortfolioRow[]> {
    return ctx.services.portfolios.list(tenantActor(ctx, 'accounts:read'));
  }

  @Authorized('write')
  @Mutation(() => Portfolio)
  createPortfolio(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreatePortfolioInput) input: CreatePortfolioInput): Promise<PortfolioRow> {
    return ctx.services.portfolios.create(tenantActor(ctx), input);
  }

  @Authorized('write')
  @Mutation(() => Portfolio)
  updatePortfolio(@Ctx() ctx: GraphQLContext, @Arg('input', () => UpdatePortfolioInput) input: UpdatePortfolioInput): Promise<PortfolioRow> {
    const { id, version, ...patch } = input;
    return ctx.services.portfolios.update(tenantActor(ctx), id, version, patch);
  }

  @Authorized('read')
  @Query(() => [PortfolioAnalytics], { description: 'Aging by bucket, placed, outstanding, collected and recovery rate, per portfolio.' })
  async portfolioAnalytics(
    @Ctx() ctx: GraphQLContext,
    @Arg('portfolioIds', () => [ID], { nullable: true }) portfolioIds: string[] | null,
    @Arg('from', () => LocalDateScalar, { nullable: true, description: 'Collection period start; default the first of the month of `to`.' }) from: string | null,
    @Arg('to', () => LocalDateScalar, { nullable: true, description: 'Collection period end; default asOf.' }) to: string | null,
    @Arg('asOf', () => LocalDateScalar, { nullable: true, description: "Aging date; default today in the tenant's zone." }) asOf: string | null,
  ): Promise<PortfolioAnalytics[]> {
    const rows = await ctx.services.portfolios.analytics(tenantActor(ctx, 'accounts:read'), { portfolioIds, from, to, asOf });
    return rows.map((r) => {
      const c = r.portfolio.currency;
      return {
        portfolio: r.portfolio as never,
        asOf: r.asOf,
        from: r.from,
        to: r.to,
        accounts: r.accounts,
        placed: money(r.placed, c),
        outstanding: money(r.outstanding, c),
        collectedInPeriod: money(r.collectedInPeriod, c),
        collectedToDate: money(r.collectedToDate, c),
        recoveryRateBasisPoints: r.recoveryRateBp,
        buckets: r.buckets.map((b) => ({ ...b, outstanding: money(b.outstanding, c) })),
      };
    });
  }
}
