import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver } from 'type-graphql';

import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { displayPrefix } from './api-key.format.js';
import type { ApiKeyRow } from './api-key.repository.js';
import type { CreatedKey } from './tenancy.service.js';
import { ApiKey, CreatedApiKey, CreateTenantPayload, Tenant, Viewer } from './tenancy.type.js';
import { CreateApiKeyInput, CreateTenantInput } from './tenancy.inputs.js';

function toApiKey(ctx: GraphQLContext, row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: displayPrefix(row.tenantId, row.publicId),
    scopes: row.scopes,
    portfolioIds: row.portfolioIds,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: ctx.services.tenancy.lastUsedAt(row),
  };
}

function toCreated(ctx: GraphQLContext, k: CreatedKey): CreatedApiKey {
  return { secret: k.secret, apiKey: toApiKey(ctx, k.record) };
}

@Resolver(() => Viewer)
export class TenancyResolver {
  @Query(() => Viewer, { description: 'The caller: principal kind, scopes and tenant.' })
  viewer(@Ctx() ctx: GraphQLContext): Viewer {
    const p = ctx.actor.principal;
    const scopes = p.kind === 'agency' ? [...(p.agencyScopes?.keys() ?? [])].sort() : [...p.scopes];
    return { kind: p.kind, actorId: p.actorId, scopes, portfolioIds: p.portfolioIds ? [...p.portfolioIds] : null, tenant: null };
  }

  @FieldResolver(() => Tenant, { nullable: true })
  async tenant(@Ctx() ctx: GraphQLContext): Promise<Tenant | null> {
    if (ctx.actor.principal.tenantId === null) return null;
    return ctx.services.tenancy.tenant(tenantActor(ctx));
  }

  @Authorized('admin')
  @Query(() => [ApiKey], { description: "This tenant's API keys, newest first." })
  async apiKeys(
    @Ctx() ctx: GraphQLContext,
    @Arg('includeRevoked', () => Boolean, { defaultValue: false }) includeRevoked: boolean,
  ): Promise<ApiKey[]> {
    const rows = await ctx.services.tenancy.listApiKeys(tenantActor(ctx), includeRevoked);
    return rows.map((r) => toApiKey(ctx, r));
  }

  @Authorized('platform')
  @Mutation(() => CreateTenantPayload, { description: 'Platform operator only: a tenant and its first admin key.' })
  async createTenant(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateTenantInput) input: CreateTenantInput): Promise<CreateTenantPayload> {
    const { tenant, key } = await ctx.services.tenancy.createTenant(ctx.actor, input);
    return { tenant, initialKey: toCreated(ctx, key) };
  }

  @Authorized('admin')
  @Mutation(() => CreatedApiKey)
  async createApiKey(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return toCreated(ctx, await ctx.services.tenancy.createApiKey(tenantActor(ctx), input));
  }

  @Authorized('admin')
  @Mutation(() => ApiKey, { description: 'Takes effect on the next request. Revoking a revoked key changes nothing.' })
  async revokeApiKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ApiKey> {
    return toApiKey(ctx, await ctx.services.tenancy.revokeApiKey(tenantActor(ctx), id));
  }
}

