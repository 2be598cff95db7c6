import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { pageSize } from '../../graphql/pagination.js';
import { Money } from '../accounts/account.type.js';
import { money } from '../accounts/money.view.js';
import { Debtor } from '../debtors/debtor.type.js';
import type { DebtorRow } from '../debtors/debtor.repository.js';
import type { BureauRow, CheckRow, ReportRow } from './credit-check.repository.js';
import {
  CreditBureau,
  CreditBureauInput,
  CreditCheck,
  CreditReport,
  CreditReportPayload,
  CreditSettings,
  CreditSettingsInput,
  CreditUsage,
  RequestCreditCheckInput,
  RiskRatingChange,
  SuggestedStrategy,
  type BureauProviderEnum,
  type FieldMappingType,
} from './credit-check.type.js';

function bureauView(ctx: GraphQLContext, b: BureauRow): CreditBureau {
  return {
    id: b.id,
    version: b.version,
    name: b.name,
    provider: b.provider as BureauProviderEnum,
    baseUrl: b.baseUrl,
    hasCredential: b.credentialSealed !== null,
    subscriberCode: b.subscriberCode,
    timeoutMs: b.timeoutMs,
    maxRetries: b.maxRetries,
    fieldMapping: b.fieldMapping as FieldMappingType,
    costPerPull: money(b.costPerPull, b.costCurrency),
    active: b.active,
    circuit: ctx.services.creditChecks.breakerState(b.tenantId, b.id),
  };
}

function reportView(r: ReportRow): CreditReport {
  return { ...r, purged: r.payloadSealed === null } as unknown as CreditReport;
}

@Resolver(() => CreditCheck)
export class CreditCheckResolver {
  @Authorized('admin')
  @Query(() => [CreditBureau], { description: 'Bureau integrations, by name.' })
  async creditBureaus(@Ctx() ctx: GraphQLContext): Promise<CreditBureau[]> {
    return (await ctx.services.creditChecks.bureaus(tenantActor(ctx))).map((b) => bureauView(ctx, b));
  }

  @Authorized('admin')
  @Mutation(() => CreditBureau)
  async createCreditBureau(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreditBureauInput) input: CreditBureauInput): Promise<CreditBureau> {
    return bureauView(ctx, await ctx.services.creditChecks.createBureau(tenantActor(ctx), input));
  }

  @Authorized('admin')
  @Mutation(() => CreditBureau, { description: 'Optimistic: pass the version you read.' })
  async updateCreditBureau(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input', () => CreditBureauInput) input: CreditBureauInput,
  ): Promise<CreditBureau> {
    return bureauView(ctx, await ctx.services.creditChecks.updateBureau(tenantActor(ctx), id, version, input));
  }

  @Authorized('read')
  @Query(() => CreditSettings)
  creditSettings(@Ctx() ctx: GraphQLContext): Promise<CreditSettings> {
    return ctx.services.creditChecks.settings(tenantActor(ctx));
  }

  @Authorized('admin')
  @Mutation(() => CreditSettings)
  setCreditSettings(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreditSettingsInput) input: CreditSettingsInput): Promise<CreditSettings> {
    return ctx.services.creditChecks.setSettings(tenantActor(ctx), input);
  }

  @Authorized('write')
  @Mutation(() => CreditCheck, {
    description:
      'Pulls a report, or returns one from the reuse window (status REUSED) unless force. A bureau failure is a FAILED check with its reason; concurrent requests for the same debtor, purpose and type share one pull.',
  })
  requestCreditCheck(@Ctx() ctx: GraphQLContext, @Arg('input', () => RequestCreditCheckInput) input: RequestCreditCheckInput): Promise<CheckRow> {
    return ctx.services.creditChecks.request(tenantActor(ctx), input);
  }

  @Authorized('read')
  @Query(() => CreditCheck)
  creditCheck(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<CheckRow> {
    return ctx.services.creditChecks.check(tenantActor(ctx), id);
  }

  @Authorized('read')
  @Query(() => [CreditCheck], { description: 'A debtor’s checks, newest first.' })
  creditChecks(
    @Ctx() ctx: GraphQLContext,
    @Arg('debtorId', () => ID) debtorId: string,
    @Arg('first', () => Int, { nullable: true, description: '1–100, default 20' }) first: number | null,
  ): Promise<CheckRow[]> {
    return ctx.services.creditChecks.checksOf(tenantActor(ctx), debtorId, pageSize(first));
  }

  @Authorized('pii:reveal')
  @Mutation(() => CreditReportPayload, { description: 'The bureau’s raw answer. Needs pii:reveal; every read is audited.' })
  async readCreditReportPayload(@Ctx() ctx: GraphQLContext, @Arg('reportId', () => ID) reportId: string): Promise<CreditReportPayload> {
    const r = await ctx.services.creditChecks.readPayload(tenantActor(ctx), reportId);
    return { report: reportView(r.report), payload: r.payload };
  }

  @Authorized('admin')
  @Query(() => [CreditUsage], { description: 'Pulls per bureau (and currency, should its price have changed currency) in a calendar month (UTC), for billing.' })
  async creditUsage(@Ctx() ctx: GraphQLContext, @Arg('month', () => String, { description: 'YYYY-MM' }) month: string): Promise<CreditUsage[]> {
    return (await ctx.services.creditChecks.usage(tenantActor(ctx), month)).map((u) => ({
      bureau: bureauView(ctx, u.bureau),
      pulls: u.pulls,
      failed: u.failed,
      reused: u.reused,
      cost: money(u.cost, u.currency),
    }));
  }

  @FieldResolver(() => Money, { name: 'cost' })
  cost(@Root() c: CheckRow): ReturnType<typeof money> {
    return money(c.cost, c.costCurrency);
  }

  @FieldResolver(() => CreditReport, { nullable: true })
  async report(@Ctx() ctx: GraphQLContext, @Root() c: CheckRow): Promise<CreditReport | null> {
    if (!c.reportId) return null;
    const r = await ctx.loaders.creditReport.load(c.reportId);
    return r ? reportView(r) : null;
  }
}

@Resolver(() => CreditReport)
export class CreditReportResolver {
  @FieldResolver(() => SuggestedStrategy, { nullable: true, description: 'From the tenant’s strategy rules; null for a no-hit.' })
  async suggestedStrategy(@Ctx() ctx: GraphQLContext, @Root() r: ReportRow): Promise<SuggestedStrategy | null> {
    const settings = await ctx.loaders.creditSettings();
    const s = ctx.services.creditChecks.strategyFor(settings.strategyRules, r);
    return s ? { strategy: s.strategy, note: s.note } : null;
  }
}

@Resolver(() => Debtor)
export class DebtorRiskResolver {
  @FieldResolver(() => [RiskRatingChange], { description: 'Risk ratings from credit reports, newest first. Empty for agency tokens: credit data stays with the creditor.' })
  async riskHistory(@Ctx() ctx: GraphQLContext, @Root() d: DebtorRow): Promise<RiskRatingChange[]> {
    if (ctx.actor.principal.kind === 'agency') return [];
    return (await ctx.loaders.riskHistory.load(d.id)) as unknown as RiskRatingChange[];
  }
}
