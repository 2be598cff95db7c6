import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertUuid } from '../../shared/ids.js';
import { systemActor } from '../tenancy/principal.js';
import type { SubscriptionView } from './billing.service.js';
import type { Plan } from '../../config/plans.js';
import { LIMIT_KEYS } from '../../config/plans.js';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { money } from '../accounts/money.view.js';
import { BillingModeEnum, BillingPlan, BillingPortalSession, CheckoutSession, PlanLimitEnum, BillingSubscription, UsageReport } from './billing.type.js';

function planView(p: Plan): BillingPlan {
  return {
    code: p.code,
    name: p.name,
    price: money(p.priceMinor, p.currency),
    interval: p.interval,
    purchasable: p.stripePriceId !== null,
    limits: LIMIT_KEYS.map((k) => ({ limit: k as PlanLimitEnum, allowed: p.limits[k] })),
  };
}

@Resolver()
export class BillingResolver {
  @Authorized('read')
  @Query(() => [BillingPlan], { description: 'The plans on offer, cheapest first, with their limits.' })
  billingPlans(@Ctx() ctx: GraphQLContext): BillingPlan[] {
    tenantActor(ctx);
    return ctx.services.billing.plans().map(planView);
  }

  @Authorized('read')
  @Query(() => BillingSubscription, { description: "The tenant's plan, subscription status, billing mode and usage against each limit." })
  async subscription(@Ctx() ctx: GraphQLContext): Promise<BillingSubscription> {
    return this.view(await ctx.services.billing.subscription(tenantActor(ctx)));
  }

  private view(v: SubscriptionView): BillingSubscription {
    return {
      plan: planView(v.plan),
      status: v.access.status,
      mode: v.access.mode as BillingModeEnum,
      reason: v.access.reason,
      graceEndsAt: v.access.graceEndsAt,
      currentPeriodEnd: v.currentPeriodEnd,
      cancelAtPeriodEnd: v.cancelAtPeriodEnd,
      hasBillingAccount: v.hasBillingAccount,
      usage: v.usage.map((u) => ({ limit: u.limit as PlanLimitEnum, used: u.used, allowed: u.allowed, exceeded: u.allowed !== null && u.used !== null && u.used > u.allowed })),
    };
  }

  @Authorized('admin')
  @Query(() => [UsageReport], { description: "Recent usage reports to Stripe's meters, newest first." })
  async usageReports(@Ctx() ctx: GraphQLContext, @Arg('first', () => Int, { defaultValue: 50 }) first: number): Promise<UsageReport[]> {
    const rows = await ctx.services.billing.meterReports(tenantActor(ctx), first);
    return rows.map((r) => ({ ...r, value: Number(r.value) }));
  }

  @Authorized('platform')
  @Mutation(() => BillingSubscription, { description: 'Platform operators: put a tenant on a plan without Stripe (an invoiced contract, a pilot). Audited in the tenant\'s log.' })
  async setTenantPlan(
    @Ctx() ctx: GraphQLContext,
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('planCode', () => String) planCode: string,
    @Arg('reason', () => String) reason: string,
  ): Promise<BillingSubscription> {
    const id = assertUuid('tenantId', tenantId);
    await ctx.services.billing.assignPlan(id, planCode, reason);
    return this.view(await ctx.services.billing.subscription(systemActor(id, ctx.actor.principal.actorId, ctx.actor.requestId)));
  }

  @Authorized('admin')
  @Mutation(() => CheckoutSession, { description: 'A Stripe Checkout page for subscribing to a plan (tenant-wide admin keys). Works while read-only.' })
  async createCheckoutSession(@Ctx() ctx: GraphQLContext, @Arg('planCode', () => String) planCode: string): Promise<CheckoutSession> {
    return ctx.services.billing.createCheckoutSession(tenantActor(ctx), planCode);
  }

  @Authorized('admin')
  @Mutation(() => BillingPortalSession, { description: "Stripe's billing portal: change plan, update the card, pay an overdue invoice, cancel. Works while read-only." })
  async createBillingPortalSession(@Ctx() ctx: GraphQLContext): Promise<BillingPortalSession> {
    return ctx.services.billing.createPortalSession(tenantActor(ctx));
  }
}
