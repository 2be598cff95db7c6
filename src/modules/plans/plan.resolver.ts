import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { money } from '../accounts/money.view.js';
import { PlanFilterInput, ProposePlanInput, SetPlanRulesInput } from './plan.inputs.js';
import { reviveRules } from './plan-rules.logic.js';
import type { PlanRow } from './plan.repository.js';
import { Installment, Plan, PlanAccount, PlanConnection, PlanEvaluation, PlanPreview, PlanRulesSet } from './plan.type.js';
import { installmentView, planView, previewView, rulesView } from './plan.view.js';

const PLAN_ORDER = 'plan_id_desc';

@Resolver(() => Plan)
export class PlanResolver {
  @Authorized('read')
  @Query(() => PlanRulesSet, { description: 'The tenant-wide plan rules (defaults until set) and the portfolios that have their own.' })
  async planRules(@Ctx() ctx: GraphQLContext): Promise<PlanRulesSet> {
    const r = await ctx.services.plans.rules(tenantActor(ctx, 'plans:propose'));
    return { tenant: rulesView(r.tenant, r.tenantRow), portfolios: r.portfolios.map((row) => rulesView(reviveRules(row.rules), row)) };
  }

  @Authorized('admin')
  @Mutation(() => PlanRulesSet, { description: 'Sets the tenant-wide rules, or a portfolio’s (which then replace the tenant’s for plans on its accounts).' })
  async setPlanRules(@Ctx() ctx: GraphQLContext, @Arg('input', () => SetPlanRulesInput) input: SetPlanRulesInput): Promise<PlanRulesSet> {
    await ctx.services.plans.setRules(tenantActor(ctx), { portfolioId: input.portfolioId, expectedVersion: input.expectedVersion, rules: input.rules });
    return this.planRules(ctx);
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'Removes a portfolio’s own rules (the tenant rules apply again). false when it had none.' })
  clearPortfolioPlanRules(@Ctx() ctx: GraphQLContext, @Arg('portfolioId', () => ID) portfolioId: string): Promise<boolean> {
    return ctx.services.plans.clearPortfolioRules(tenantActor(ctx), portfolioId);
  }

  @Authorized('read')
  @Query(() => PlanPreview, { description: 'The schedule and rule check proposePlan would make, writing nothing.' })
  async previewPlan(@Ctx() ctx: GraphQLContext, @Arg('input', () => ProposePlanInput) input: ProposePlanInput): Promise<PlanPreview> {
    return previewView(await ctx.services.plans.preview(tenantActor(ctx, 'plans:propose'), input));
  }

  @Authorized('write')
  @Mutation(() => Plan, { description: 'Inside the rules (and activate not false) the plan is ACTIVE at once; outside them it stays PROPOSED until an admin approves it.' })
  async proposePlan(@Ctx() ctx: GraphQLContext, @Arg('input', () => ProposePlanInput) input: ProposePlanInput): Promise<Plan> {
    return planView(await ctx.services.plans.propose(tenantActor(ctx, 'plans:propose'), input));
  }

  @Authorized('write')
  @Mutation(() => Plan, { description: 'Activates a proposal that is inside the rules.' })
  async activatePlan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Plan> {
    return planView(await ctx.services.plans.activate(tenantActor(ctx), id));
  }

  @Authorized('admin')
  @Mutation(() => Plan, { description: 'Approves and activates a proposal (also one outside the rules); the approver is recorded.' })
  async approvePlan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Plan> {
    return planView(await ctx.services.plans.approve(tenantActor(ctx), id));
  }

  @Authorized('admin')
  @Mutation(() => Plan)
  async rejectPlan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<Plan> {
    return planView(await ctx.services.plans.reject(tenantActor(ctx), id, reason));
  }

  @Authorized('write')
  @Mutation(() => Plan, { description: 'Cancels a proposed or active plan; its accounts leave IN_PLAN and late fees resume.' })
  async cancelPlan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<Plan> {
    return planView(await ctx.services.plans.cancel(tenantActor(ctx), id, reason));
  }

  @Authorized('write')
  @Mutation(() => PlanEvaluation, { description: 'Runs the evaluation the nightly job runs: missed installments, broken plans, promises, settlement expiry. With planId, that plan only.' })
  evaluatePlans(
    @Ctx() ctx: GraphQLContext,
    @Arg('planId', () => ID, { nullable: true }) planId: string | null,
    @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null,
  ): Promise<PlanEvaluation> {
    return ctx.services.plans.evaluate(tenantActor(ctx), { planId, asOf });
  }

  @Authorized('read')
  @Query(() => Plan)
  async plan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Plan> {
    return planView(await ctx.services.plans.get(tenantActor(ctx, 'accounts:read'), id));
  }

  @Authorized('read')
  @Query(() => PlanConnection, { description: 'Newest first.' })
  async plans(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => PlanFilterInput, { nullable: true }) filter: PlanFilterInput | null,
  ): Promise<PlanConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, PLAN_ORDER);
    const page = await ctx.services.plans.list(tenantActor(ctx, 'accounts:read'), { debtorId: filter?.debtorId, accountId: filter?.accountId, statuses: filter?.statuses as string[] | null | undefined }, size, cursor?.id ?? null);
    const cursorOf = (r: PlanRow) => encodeCursor(PLAN_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: planView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @FieldResolver(() => [Installment], { description: 'The down payment (seq 0) and installments, in order.' })
  async installments(@Ctx() ctx: GraphQLContext, @Root() plan: Plan & { currency: string }): Promise<Installment[]> {
    return (await ctx.loaders.planInstallments.load(plan.id)).map((r) => installmentView(r, plan.currency));
  }

  @FieldResolver(() => [PlanAccount])
  async accounts(@Ctx() ctx: GraphQLContext, @Root() plan: Plan & { currency: string }): Promise<PlanAccount[]> {
    return (await ctx.loaders.planAccounts.load(plan.id)).map((r) => ({ accountId: r.accountId, covered: money(r.covered, plan.currency) }));
  }
}
