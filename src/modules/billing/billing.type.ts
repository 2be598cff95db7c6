import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../accounts/account.type.js';

export enum PlanLimitEnum {
  ACTIVE_ACCOUNTS = 'activeAccounts',
  API_REQUESTS_PER_MINUTE = 'apiRequestsPerMinute',
  CREDIT_CHECKS_PER_MONTH = 'creditChecksPerMonth',
  AGENCY_SEATS = 'agencySeats',
  WEBHOOK_ENDPOINTS = 'webhookEndpoints',
  AUDIT_RETENTION_DAYS = 'auditRetentionDays',
}
registerEnumType(PlanLimitEnum, {
  name: 'PlanLimit',
  description:
    'ACTIVE_ACCOUNTS: accounts current, delinquent, in a plan, disputed or charged off. API_REQUESTS_PER_MINUTE: per API key or agency credential. CREDIT_CHECKS_PER_MONTH: bureau pulls per UTC month (reused reports and failed pulls are free). AGENCY_SEATS: open portfolio grants. WEBHOOK_ENDPOINTS: registered endpoints, disabled ones included. AUDIT_RETENTION_DAYS: how long the plan promises to keep the audit log (nothing is deleted before).',
});

export enum BillingModeEnum {
  FULL = 'full',
  GRACE = 'grace',
  READ_ONLY = 'read_only',
}
registerEnumType(BillingModeEnum, {
  name: 'BillingMode',
  description: 'GRACE: a payment failed; everything works until graceEndsAt, with a warning in every response. READ_ONLY: queries work, mutations answer PLAN_LIMIT_EXCEEDED (reason "billing") until paid.',
});

@ObjectType()
export class PlanLimitValue {
  @Field(() => PlanLimitEnum)
  limit!: PlanLimitEnum;

  @Field(() => Int, { nullable: true, description: 'null: unlimited.' })
  allowed!: number | null;
}

@ObjectType({ description: 'A subscription plan; the catalog is configuration (BILLING_PLANS), not code.' })
export class BillingPlan {
  @Field(() => String, { description: 'free, starter, growth or enterprise.' })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Money, { description: 'Per interval.' })
  price!: Money;

  @Field(() => String, { description: 'month or year.' })
  interval!: string;

  @Field(() => Boolean, { description: 'Whether createCheckoutSession sells it (it has a Stripe price).' })
  purchasable!: boolean;

  @Field(() => [PlanLimitValue])
  limits!: PlanLimitValue[];
}

@ObjectType()
export class PlanUsage {
  @Field(() => PlanLimitEnum)
  limit!: PlanLimitEnum;

  @Field(() => Int, { nullable: true, description: 'Current use; null where it is counted per key (requests per minute). For AUDIT_RETENTION_DAYS: the age in days of the oldest audit event.' })
  used!: number | null;

  @Field(() => Int, { nullable: true, description: 'null: unlimited.' })
  allowed!: number | null;

  @Field(() => Boolean, { description: 'Over the limit (after a downgrade): what exists keeps working; new ones are refused.' })
  exceeded!: boolean;
}

@ObjectType({ description: "The tenant's subscription (named so, not Subscription, which GraphQL tools read as the subscription root)." })
export class BillingSubscription {
  @Field(() => BillingPlan)
  plan!: BillingPlan;

  @Field(() => String, { description: "Stripe's status (active, trialing, past_due, unpaid, canceled, incomplete, incomplete_expired, paused), or none (never subscribed: the default plan)." })
  status!: string;

  @Field(() => BillingModeEnum)
  mode!: BillingModeEnum;

  @Field(() => String, { nullable: true, description: 'Why the tenant is in grace or read-only.' })
  reason!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  graceEndsAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  currentPeriodEnd!: Date | null;

  @Field(() => Boolean)
  cancelAtPeriodEnd!: boolean;

  @Field(() => Boolean, { description: 'Whether the tenant has a Stripe customer (createBillingPortalSession needs one).' })
  hasBillingAccount!: boolean;

  @Field(() => [PlanUsage])
  usage!: PlanUsage[];
}

@ObjectType()
export class CheckoutSession {
  @Field(() => String, { description: "Stripe Checkout's page: send the creditor's administrator there." })
  url!: string;

  @Field(() => String)
  sessionId!: string;

  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt!: Date | null;
}

@ObjectType()
export class BillingPortalSession {
  @Field(() => String)
  url!: string;
}

@ObjectType({ description: "A usage report to Stripe's meters; the identifier makes a resend count once." })
export class UsageReport {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'credit_checks or active_accounts.' })
  metric!: string;

  @Field(() => String, { description: 'YYYY-MM (credit checks) or YYYY-MM-DD (active accounts).' })
  period!: string;

  @Field(() => Int)
  value!: number;

  @Field(() => String)
  identifier!: string;

  @Field(() => String, { description: 'pending, sent or failed (given up).' })
  status!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  sentAt!: Date | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}
