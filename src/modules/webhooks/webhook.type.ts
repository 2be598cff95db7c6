import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/pagination.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook.table.js';

/** GraphQL name of an event type: payment.recorded → PAYMENT_RECORDED. */
export const eventTypeName = (t: WebhookEventType): string => t.toUpperCase().replace(/[.]/g, '_');

/**
 * Built from WEBHOOK_EVENT_TYPES so the enum follows the outbox's list; the values are the wire names
 * ("payment.recorded"), which the resolvers receive and the payloads carry.
 */
export const WebhookEventTypeEnum: Record<string, WebhookEventType> = Object.fromEntries(WEBHOOK_EVENT_TYPES.map((t) => [eventTypeName(t), t]));
registerEnumType(WebhookEventTypeEnum, {
  name: 'WebhookEventType',
  description:
    'An outbound event; the payload\'s "type" is the lower-case dotted name (PAYMENT_RECORDED → "payment.recorded"). Payloads are thin: the object\'s kind and id and related ids, never personal data; fetch details through the API.',
});

export enum WebhookEndpointStatusEnum {
  ACTIVE = 'active',
  DISABLED = 'disabled',
}
registerEnumType(WebhookEndpointStatusEnum, {
  name: 'WebhookEndpointStatus',
  description: 'DISABLED: by a person, after a 410 Gone, or after too many failed attempts in a row. Nothing is queued for it, and its pending deliveries wait until it is enabled.',
});

export enum WebhookDeliveryStatusEnum {
  PENDING = 'pending',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
}
registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: queued or between retries. SUCCEEDED: a 2xx answer. FAILED: given up once older than the maximum age (three days by default); redeliverWebhook sends it again.',
});

@ObjectType({ description: 'A receiver of the tenant\'s events. Its signing secret is shown once, when created or rotated.' })
export class WebhookEndpoint {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => String) url!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [WebhookEventTypeEnum]) eventTypes!: WebhookEventType[];
  @Field(() => WebhookEndpointStatusEnum) status!: WebhookEndpointStatusEnum;
  @Field(() => String, { nullable: true, description: 'Why it was disabled (by whom: see the audit log).' }) disabledReason!: string | null;
  @Field(() => Int, { description: 'Failed attempts in a row; any success resets it. The endpoint is disabled when it reaches the configured limit.' }) failureStreak!: number;
  @Field(() => GraphQLDateTime, { nullable: true, description: 'After a rotation, the previous secret also signs until then (null: no overlap in progress).' })
  previousSecretExpiresAt!: Date | null;
  @Field(() => GraphQLDateTime) createdAt!: Date;
  @Field(() => GraphQLDateTime) updatedAt!: Date;
}

@ObjectType({ description: 'An endpoint with its signing secret: shown this once, never again.' })
export class WebhookEndpointSecret {
  @Field(() => WebhookEndpoint) endpoint!: WebhookEndpoint;
  @Field(() => String, { description: 'whsec_… (Standard Webhooks). The HMAC-SHA256 key is the base64 after the prefix.' }) secret!: string;
}

@ObjectType({ description: 'One HTTP attempt of a delivery.' })
export class WebhookAttempt {
  @Field(() => ID) id!: string;
  @Field(() => GraphQLDateTime) attemptedAt!: Date;
  @Field(() => Int) durationMs!: number;
  @Field(() => Int, { nullable: true, description: 'The receiver\'s HTTP status; null when there was no answer.' }) statusCode!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the attempt got no whole answer (timeout, connection refused or reset, refused address).' }) error!: string | null;
  @Field(() => String, { nullable: true, description: 'The first 1 KB of the answer.' }) responseExcerpt!: string | null;
}

@ObjectType({ description: 'The event a delivery carries: exactly what the receiver gets as the JSON body.' })
export class WebhookEvent {
  @Field(() => ID, { description: 'Also the webhook-id header: the same on every attempt and redelivery.' }) id!: string;
  @Field(() => WebhookEventTypeEnum) type!: WebhookEventType;
  @Field(() => GraphQLJSONObject) data!: Record<string, unknown>;
  @Field(() => GraphQLDateTime, { description: 'The body\'s "timestamp".' }) createdAt!: Date;
}

@ObjectType({ description: 'One event for one endpoint.' })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID) endpointId!: string;
  @Field(() => WebhookEvent) event!: WebhookEvent;
  @Field(() => WebhookDeliveryStatusEnum) status!: WebhookDeliveryStatusEnum;
  @Field(() => Int, { description: 'Attempts made so far.' }) attemptCount!: number;
  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the next attempt is due (pending only).' }) nextAttemptAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => GraphQLDateTime) createdAt!: Date;
}

@ObjectType()
export class WebhookDeliveryEdge {
  @Field(() => String) cursor!: string;
  @Field(() => WebhookDelivery) node!: WebhookDelivery;
}

@ObjectType()
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge]) edges!: WebhookDeliveryEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
