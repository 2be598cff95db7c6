import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { isUuid } from '../../shared/ids.js';
import { AppError } from '../../shared/errors.js';
import type { AttemptRow, DeliveryRow, EndpointRow } from './webhook.repository.js';
import { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './webhook.inputs.js';
import type { WebhookEventType } from './webhook.table.js';
import {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookDeliveryStatusEnum,
  WebhookEndpoint,
  WebhookEndpointSecret,
  WebhookEndpointStatusEnum,
} from './webhook.type.js';

function endpointView(e: EndpointRow, now: Date): WebhookEndpoint {
  return {
    id: e.id,
    version: e.version,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes as WebhookEventType[],
    status: e.status as WebhookEndpointStatusEnum,
    disabledReason: e.disabledReason,
    failureStreak: e.failureStreak,
    previousSecretExpiresAt: e.previousSecretExpiresAt && e.previousSecretExpiresAt > now ? e.previousSecretExpiresAt : null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function deliveryView(d: DeliveryRow): WebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    event: { id: d.eventId, type: d.eventType as WebhookEventType, data: d.eventData as Record<string, unknown>, createdAt: d.eventCreatedAt },
    status: d.status as WebhookDeliveryStatusEnum,
    attemptCount: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    lastAttemptAt: d.lastAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
  };
}

const ORDER = 'event_desc';
// The key is the event id (time-ordered), the cursor's id the delivery's: together, the page's sort key.
const cursorOf = (d: WebhookDelivery) => encodeCursor(ORDER, d.event.id, d.id);

/**
 * One attempts loader per request (a page of deliveries asks for its logs in one query). Kept beside the
 * resolver, keyed by the request's context, so the shared context type need not know about webhooks.
 */
const attemptLoaders = new WeakMap<GraphQLContext, DataLoader<string, AttemptRow[]>>();
function attemptsLoader(ctx: GraphQLContext): DataLoader<string, AttemptRow[]> {
  let l = attemptLoaders.get(ctx);
  if (!l) {
    l = new DataLoader<string, AttemptRow[]>(async (ids) => {
      const rows = await ctx.services.webhooks.attemptsOf(tenantActor(ctx), ids);
      const by = new Map<string, AttemptRow[]>(ids.map((id) => [id, []]));
      for (const r of rows) by.get(r.deliveryId)?.push(r);
      return ids.map((id) => by.get(id)!);
    });
    attemptLoaders.set(ctx, l);
  }
  return l;
}

/**
 * Outbound webhooks. Every operation needs a tenant-wide admin key: endpoints and their delivery logs span all
 * portfolios (portfolio-scoped keys get FORBIDDEN, agencies may call none of these).
 */
@Resolver(() => WebhookDelivery)
export class WebhookResolver {
  @Authorized('admin')
  @Query(() => [WebhookEndpoint], { description: 'The tenant\'s webhook endpoints, oldest first.' })
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpoint[]> {
    const now = ctx.services.webhooks.clock.now();
    return (await ctx.services.webhooks.endpoints(tenantActor(ctx))).map((e) => endpointView(e, now));
  }

  @Authorized('admin')
  @Query(() => WebhookEndpoint)
  async webhookEndpoint(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<WebhookEndpoint> {
    return endpointView(await ctx.services.webhooks.endpoint(tenantActor(ctx), id), ctx.services.webhooks.clock.now());
  }

  @Authorized('admin')
  @Query(() => WebhookDeliveryConnection, { description: 'Deliveries, newest event first; each with its attempt log.' })
  async webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('status', () => WebhookDeliveryStatusEnum, { nullable: true }) status: WebhookDeliveryStatusEnum | null,
    @Arg('eventId', () => ID, { nullable: true, description: 'One event\'s deliveries (the webhook-id header a receiver got).' }) eventId: string | null,
    @Arg('first', () => Int, { nullable: true, description: '1–100, default 20' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<WebhookDeliveryConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, ORDER);
    if (cursor && !isUuid(cursor.key)) throw AppError.badInput('after', 'is not a cursor from this list and ordering');
    const rows = await ctx.services.webhooks.deliveries(tenantActor(ctx), { endpointId, status, eventId }, size + 1, cursor ? { eventId: cursor.key, id: cursor.id } : null);
    const page = rows.slice(0, size).map(deliveryView);
    return { edges: page.map((d) => ({ cursor: cursorOf(d), node: d })), pageInfo: pageInfo(page, rows.length > size, cursorOf) };
  }

  @Authorized('admin')
  @Query(() => WebhookDelivery)
  async webhookDelivery(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<WebhookDelivery> {
    return deliveryView(await ctx.services.webhooks.delivery(tenantActor(ctx), id));
  }

  @FieldResolver(() => [WebhookAttempt], { description: 'Every attempt, oldest first.' })
  async attempts(@Ctx() ctx: GraphQLContext, @Root() d: WebhookDelivery): Promise<WebhookAttempt[]> {
    return (await attemptsLoader(ctx).load(d.id)).map((a) => ({
      id: a.id,
      attemptedAt: a.attemptedAt,
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
    }));
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointSecret, { description: 'Registers a receiver. The signing secret is in the answer, this once.' })
  async createWebhookEndpoint(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput): Promise<WebhookEndpointSecret> {
    const r = await ctx.services.webhooks.createEndpoint(tenantActor(ctx), input);
    return { endpoint: endpointView(r.endpoint, ctx.services.webhooks.clock.now()), secret: r.secret };
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpoint, { description: 'Optimistic: pass the version you read.' })
  async updateWebhookEndpoint(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput,
  ): Promise<WebhookEndpoint> {
    return endpointView(await ctx.services.webhooks.updateEndpoint(tenantActor(ctx), id, version, input), ctx.services.webhooks.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointSecret, { description: 'A new signing secret, shown this once. The replaced one also signs for 24 hours (two signatures in webhook-signature).' })
  async rotateWebhookSecret(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<WebhookEndpointSecret> {
    const r = await ctx.services.webhooks.rotateSecret(tenantActor(ctx), id);
    return { endpoint: endpointView(r.endpoint, ctx.services.webhooks.clock.now()), secret: r.secret };
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpoint, { description: 'Stops deliveries; pending ones wait. Nothing is queued for it while disabled.' })
  async disableWebhookEndpoint(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string): Promise<WebhookEndpoint> {
    return endpointView(await ctx.services.webhooks.disableEndpoint(tenantActor(ctx), id, reason), ctx.services.webhooks.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpoint, { description: 'Resets the failure streak; pending deliveries resume at once, in order.' })
  async enableWebhookEndpoint(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<WebhookEndpoint> {
    return endpointView(await ctx.services.webhooks.enableEndpoint(tenantActor(ctx), id), ctx.services.webhooks.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => WebhookDelivery, {
    description: 'Queues the delivery\'s event to its endpoint again, as a new delivery behind the pending ones (same webhook-id). For SUCCEEDED and FAILED deliveries.',
  })
  async redeliverWebhook(@Ctx() ctx: GraphQLContext, @Arg('deliveryId', () => ID) deliveryId: string): Promise<WebhookDelivery> {
    return deliveryView(await ctx.services.webhooks.redeliver(tenantActor(ctx), deliveryId));
  }
}
