import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { AlertFilterInput, CreateAlertRuleInput } from './account.inputs.js';
import type { AlertRow, AlertRuleRow } from './alert.repository.js';
import type { AlertMetric } from './alert.service.js';
import { Alert, AlertConnection, AlertEvaluation, AlertRule } from './account.type.js';

const ORDER = 'alert_id_desc';

@Resolver(() => Alert)
export class AlertResolver {
  @Authorized('read')
  @Query(() => [AlertRule])
  alertRules(@Ctx() ctx: GraphQLContext): Promise<AlertRuleRow[]> {
    return ctx.services.alerts.rules(tenantActor(ctx));
  }

  @Authorized('admin')
  @Mutation(() => AlertRule)
  createAlertRule(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateAlertRuleInput) input: CreateAlertRuleInput): Promise<AlertRuleRow> {
    return ctx.services.alerts.createRule(tenantActor(ctx), { ...input, metric: input.metric as AlertMetric });
  }

  @Authorized('admin')
  @Mutation(() => AlertRule, { description: 'An inactive rule raises nothing; its open alerts clear at the next evaluation.' })
  setAlertRuleActive(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('active', () => Boolean) active: boolean): Promise<AlertRuleRow> {
    return ctx.services.alerts.setRuleActive(tenantActor(ctx), id, active);
  }

  @Authorized('admin')
  @Mutation(() => AlertEvaluation, { description: 'Evaluates every rule now (the background job does the same periodically).' })
  evaluateAlerts(@Ctx() ctx: GraphQLContext, @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null): Promise<AlertEvaluation> {
    return ctx.services.alerts.evaluate(tenantActor(ctx), asOf);
  }

  @Authorized('read')
  @Query(() => AlertConnection, { description: 'Newest first.' })
  async alerts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => AlertFilterInput, { nullable: true }) filter: AlertFilterInput | null,
  ): Promise<AlertConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, ORDER);
    const page = await ctx.services.alerts.list(tenantActor(ctx, 'accounts:read'), filter ?? {}, size, cursor?.id ?? null);
    const cursorOf = (r: AlertRow) => encodeCursor(ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: r })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @Authorized('write')
  @Mutation(() => Alert)
  acknowledgeAlert(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AlertRow> {
    return ctx.services.alerts.acknowledge(tenantActor(ctx), id);
  }
}
