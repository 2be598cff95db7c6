import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { AppError } from '../../shared/errors.js';
import { Account, Portfolio } from '../accounts/account.type.js';
import type { AccountRow } from '../accounts/account.repository.js';
import { money } from '../accounts/money.view.js';
import type { PortfolioRow } from '../accounts/portfolio.repository.js';
import type { AgencyFigures, CurrencyFigures, PortfolioFigures } from './agency-performance.service.js';
import type { AgencyRow, CredentialRow, GrantRow, PlacementRow } from './agency.repository.js';
import { AgencyInput, GrantPortfolioAccessInput } from './agency.inputs.js';
import {
  Agency,
  AgencyCredential,
  AgencyGrant,
  AgencyPerformance,
  AgencyStatusEnum,
  AccountPlacement,
  CommissionPlanType,
  CommissionTierBasisEnum,
  CreatedAgencyCredential,
  CurrencyPerformance,
  PortfolioPerformance,
  SigningKeyRotation,
} from './agency.type.js';

function credentialView(ctx: GraphQLContext, c: CredentialRow): AgencyCredential {
  return {
    id: c.id,
    clientId: ctx.services.agencies.clientIdOf(tenantActor(ctx), c),
    label: c.label,
    createdAt: c.createdAt,
    revokedAt: c.revokedAt,
    lastUsedAt: c.lastUsedAt,
  };
}

/** The fields both rows share, from either kind of figures. */
function placementFigures(f: PortfolioFigures | CurrencyFigures, currency: string) {
  return {
    placedAccounts: f.placedAccounts,
    placedBalance: money(f.placedBalance, currency),
    collected: money(f.collected, currency),
    recoveryRateBps: f.recoveryRateBps,
    promisesKept: f.kept,
    promisesPartiallyKept: f.partiallyKept,
    promisesBroken: f.broken,
    promisesKeptRatioBps: f.keptRatioBps,
    commission: money(f.commission, currency),
  };
}

function portfolioFigures(p: PortfolioFigures): PortfolioPerformance {
  return { portfolio: p.portfolio as unknown as Portfolio, ...placementFigures(p, p.currency) };
}

function currencyFigures(t: CurrencyFigures): CurrencyPerformance {
  return {
    currency: t.currency,
    ...placementFigures(t, t.currency),
    effectiveCommissionRateBps: t.effectiveCommissionRateBps,
    netRecovered: money(t.netRecovered, t.currency),
    rank: t.rank,
  };
}

function performanceView(f: AgencyFigures): AgencyPerformance {
  return { agency: f.agency as unknown as Agency, from: f.from, to: f.to, portfolios: f.portfolios.map(portfolioFigures), totals: f.totals.map(currencyFigures) };
}

@Resolver(() => Agency)
export class AgencyResolver {
  @Authorized('admin')
  @Query(() => [Agency], { description: "The tenant's agencies, by name." })
  agencies(@Ctx() ctx: GraphQLContext): Promise<AgencyRow[]> {
    return ctx.services.agencies.list(tenantActor(ctx));
  }

  @Authorized('admin')
  @Query(() => Agency)
  agency(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AgencyRow> {
    return ctx.services.agencies.get(tenantActor(ctx), id);
  }

  @Authorized('admin')
  @Mutation(() => Agency)
  createAgency(@Ctx() ctx: GraphQLContext, @Arg('input', () => AgencyInput) input: AgencyInput): Promise<AgencyRow> {
    return ctx.services.agencies.create(tenantActor(ctx), input);
  }

  @Authorized('admin')
  @Mutation(() => Agency, { description: 'Optimistic: pass the version you read; a stale one is CONFLICT.' })
  updateAgency(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input', () => AgencyInput) input: AgencyInput,
  ): Promise<AgencyRow> {
    return ctx.services.agencies.update(tenantActor(ctx), id, version, input);
  }

  @Authorized('admin')
  @Mutation(() => Agency, { description: 'Suspend (tokens stop at once), reinstate, or terminate (final: grants end, credentials are revoked).' })
  setAgencyStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('status', () => AgencyStatusEnum) status: AgencyStatusEnum,
    @Arg('reason', () => String) reason: string,
  ): Promise<AgencyRow> {
    return ctx.services.agencies.setStatus(tenantActor(ctx), id, status, reason);
  }

  @Authorized('admin')
  @Mutation(() => CreatedAgencyCredential, { description: 'Client credentials for POST /oauth/token; the secret is shown once. At most five active per agency.' })
  async createAgencyCredential(
    @Ctx() ctx: GraphQLContext,
    @Arg('agencyId', () => ID) agencyId: string,
    @Arg('label', () => String, { nullable: true }) label: string | null,
  ): Promise<CreatedAgencyCredential> {
    const out = await ctx.services.agencies.createCredential(tenantActor(ctx), agencyId, label);
    return { credential: credentialView(ctx, out.credential), clientSecret: out.clientSecret };
  }

  @Authorized('admin')
  @Mutation(() => AgencyCredential, { description: 'Tokens issued to it stop working on their next request. Rotate by creating a new one first.' })
  async revokeAgencyCredential(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AgencyCredential> {
    return credentialView(ctx, await ctx.services.agencies.revokeCredential(tenantActor(ctx), id));
  }

  @Authorized('admin')
  @Mutation(() => [AgencyGrant], { description: 'Places portfolios with an agency (one grant per portfolio). A portfolio placed with another agency is CONFLICT; placing it again with the same agency replaces its grant.' })
  grantPortfolioAccess(@Ctx() ctx: GraphQLContext, @Arg('input', () => GrantPortfolioAccessInput) input: GrantPortfolioAccessInput): Promise<GrantRow[]> {
    return ctx.services.agencies.grant(tenantActor(ctx), input);
  }

  @Authorized('admin')
  @Mutation(() => AgencyGrant, { description: "Ends the agency's grant of the portfolio at once; accounts keep their placement history." })
  recallPortfolio(
    @Ctx() ctx: GraphQLContext,
    @Arg('agencyId', () => ID) agencyId: string,
    @Arg('portfolioId', () => ID) portfolioId: string,
    @Arg('reason', () => String) reason: string,
  ): Promise<GrantRow> {
    return ctx.services.agencies.recall(tenantActor(ctx), agencyId, portfolioId, reason);
  }

  @Authorized('read')
  @Query(() => [AgencyGrant], { description: 'Newest first, at most 1000. An agency token sees its own grants.' })
  agencyGrants(
    @Ctx() ctx: GraphQLContext,
    @Arg('agencyId', () => ID, { nullable: true }) agencyId: string | null,
    @Arg('portfolioId', () => ID, { nullable: true }) portfolioId: string | null,
    @Arg('activeOnly', () => Boolean, { defaultValue: true }) activeOnly: boolean,
  ): Promise<GrantRow[]> {
    return ctx.services.agencies.grants(tenantActor(ctx, 'accounts:read'), { agencyId, portfolioId, activeOnly });
  }

  @Authorized('admin')
  @Query(() => AgencyPerformance, { description: 'Placed, collected, recovery, promises kept and commission owed for [from, to] (tenant calendar days). An agency token may read its own.' })
  async agencyPerformance(
    @Ctx() ctx: GraphQLContext,
    @Arg('agencyId', () => ID) agencyId: string,
    @Arg('from', () => LocalDateScalar) from: string,
    @Arg('to', () => LocalDateScalar) to: string,
  ): Promise<AgencyPerformance> {
    return performanceView(await ctx.services.agencyPerformance.agency(tenantActor(ctx, 'accounts:read'), agencyId, from, to));
  }

  @Authorized('admin')
  @Query(() => [AgencyPerformance], { description: "Every agency's figures for the period; each currency's totals ranked by recovery rate." })
  async agencyScorecard(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => LocalDateScalar) from: string,
    @Arg('to', () => LocalDateScalar) to: string,
  ): Promise<AgencyPerformance[]> {
    return (await ctx.services.agencyPerformance.scorecard(tenantActor(ctx), from, to)).map(performanceView);
  }

  @Authorized('platform')
  @Mutation(() => SigningKeyRotation, { description: 'Platform operator: a new token signing key. Tokens signed by the old one stay valid until they expire.' })
  rotateSigningKey(@Ctx() ctx: GraphQLContext): Promise<SigningKeyRotation> {
    return ctx.services.tokens.rotate();
  }

  @FieldResolver(() => CommissionPlanType)
  commission(@Root() a: AgencyRow): CommissionPlanType {
    const c = a.commission;
    return {
      rateBps: c.rateBps,
      tierBasis: c.tierBasis === 'amount_collected' ? CommissionTierBasisEnum.AMOUNT_COLLECTED : c.tierBasis === 'days_past_due' ? CommissionTierBasisEnum.DAYS_PAST_DUE : null,
      tiers: c.tiers ?? [],
    };
  }

  @Authorized('admin')
  @FieldResolver(() => [AgencyCredential], { description: 'Newest first, revoked ones included.' })
  async credentials(@Ctx() ctx: GraphQLContext, @Root() a: AgencyRow): Promise<AgencyCredential[]> {
    return (await ctx.services.agencies.credentials(tenantActor(ctx), a.id)).map((c) => credentialView(ctx, c));
  }
}

@Resolver(() => AgencyGrant)
export class AgencyGrantResolver {
  @FieldResolver(() => Agency)
  async agency(@Ctx() ctx: GraphQLContext, @Root() g: GrantRow): Promise<AgencyRow> {
    const a = await ctx.loaders.agency.load(g.agencyId);
    if (!a) throw AppError.notFound('Agency', g.agencyId);
    return a;
  }

  @FieldResolver(() => Portfolio, { nullable: true, description: 'Null when the caller cannot see the portfolio.' })
  portfolio(@Ctx() ctx: GraphQLContext, @Root() g: GrantRow): Promise<PortfolioRow | null> {
    return ctx.loaders.portfolio.load(g.portfolioId);
  }

  @FieldResolver(() => Boolean, { description: 'Open and inside its window now.' })
  active(@Root() g: GrantRow): boolean {
    const now = Date.now();
    return !g.endedAt && g.validFrom.getTime() <= now && (!g.validUntil || g.validUntil.getTime() > now);
  }
}

@Resolver(() => Account)
export class AccountPlacementResolver {
  @FieldResolver(() => [AccountPlacement], { description: 'Which agencies held the account and when, newest first. An agency sees its own placements.' })
  async placements(@Ctx() ctx: GraphQLContext, @Root() a: AccountRow): Promise<AccountPlacement[]> {
    const rows: PlacementRow[] = await ctx.loaders.placementsByAccount.load(a.id);
    return rows.map((p) => ({
      agencyId: p.agencyId,
      grantId: p.grantId,
      portfolioId: p.portfolioId,
      placedAt: p.placedAt,
      endedAt: p.endedAt,
      endReason: p.endReason,
      balanceAtPlacement: money(p.balanceAtPlacement, p.currency),
      dueSinceAtPlacement: p.dueSinceAtPlacement,
    }));
  }
}
