import { Field, InputType } from 'type-graphql';
import type { WebhookEventType } from './webhook.table.js';
import { WebhookEventTypeEnum } from './webhook.type.js';

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: 'https:// (http:// outside production); no credentials; no private, loopback or link-local host. At most 2048 characters.' })
  url!: string;

  @Field(() => [WebhookEventTypeEnum], { description: 'At least one.' })
  eventTypes!: WebhookEventType[];

  @Field(() => String, { nullable: true, description: 'At most 500 characters.' })
  description?: string | null;
}

@InputType({ description: 'Absent fields keep their value; description "" removes it.' })
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [WebhookEventTypeEnum], { nullable: true })
  eventTypes?: WebhookEventType[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}
