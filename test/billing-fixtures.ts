import type { Harness } from './harness.js';

/** Puts a tenant on a plan directly (as the database owner), as if Stripe had said so. */
export async function setPlan(
  h: Harness,
  tenantId: string,
  planCode: string,
  status = 'active',
  extra: { pastDueSince?: Date | null; customerId?: string | null; subscriptionId?: string | null } = {},
): Promise<void> {
  await h.db.admin.query(
    `insert into billing_subscriptions (tenant_id, plan_code, status, past_due_since, stripe_customer_id, stripe_subscription_id)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (tenant_id) do update set plan_code = excluded.plan_code, status = excluded.status, past_due_since = excluded.past_due_since,
       stripe_customer_id = coalesce(excluded.stripe_customer_id, billing_subscriptions.stripe_customer_id),
       stripe_subscription_id = coalesce(excluded.stripe_subscription_id, billing_subscriptions.stripe_subscription_id)`,
    [tenantId, planCode, status, extra.pastDueSince?.toISOString() ?? null, extra.customerId ?? null, extra.subscriptionId ?? null],
  );
}
