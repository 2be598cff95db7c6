CREATE TABLE "billing_meter_reports" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"metric" text NOT NULL,
	"period" text NOT NULL,
	"value" bigint NOT NULL,
	"cumulative" bigint NOT NULL,
	"identifier" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"event_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_meter_reports_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "billing_meter_reports_value_check" CHECK ("billing_meter_reports"."value" >= 0)
);
--> statement-breakpoint
ALTER TABLE "billing_meter_reports" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_subscriptions" (
	"tenant_id" uuid NOT NULL,
	"plan_code" text NOT NULL,
	"status" text DEFAULT 'none' NOT NULL,
	"stripe_customer_id" text,
	"stripe_subscription_id" text,
	"current_period_end" timestamp with time zone,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"past_due_since" timestamp with time zone,
	"state_at" timestamp with time zone,
	"status_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_subscriptions_tenant_id_pk" PRIMARY KEY("tenant_id"),
	CONSTRAINT "billing_subscriptions_status_check" CHECK ("billing_subscriptions"."status" in ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused'))
);
--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_usage" (
	"tenant_id" uuid NOT NULL,
	"metric" text NOT NULL,
	"period_start" date NOT NULL,
	"quantity" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_usage_tenant_id_metric_period_start_pk" PRIMARY KEY("tenant_id","metric","period_start"),
	CONSTRAINT "billing_usage_quantity_check" CHECK ("billing_usage"."quantity" >= 0)
);
--> statement-breakpoint
ALTER TABLE "billing_usage" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "rate_limit_counters" (
	"tenant_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"hits" integer NOT NULL,
	CONSTRAINT "rate_limit_counters_tenant_id_subject_pk" PRIMARY KEY("tenant_id","subject")
);
--> statement-breakpoint
ALTER TABLE "rate_limit_counters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "stripe_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"stripe_created_at" timestamp with time zone NOT NULL,
	"tenant_id" uuid,
	"outcome" text DEFAULT 'processing' NOT NULL,
	"detail" text,
	"attempts" integer DEFAULT 1 NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "stripe_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "billing_meter_reports" ADD CONSTRAINT "billing_meter_reports_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_usage" ADD CONSTRAINT "billing_usage_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_meter_reports_identifier_idx" ON "billing_meter_reports" USING btree ("tenant_id","identifier");--> statement-breakpoint
CREATE INDEX "billing_meter_reports_due_idx" ON "billing_meter_reports" USING btree ("tenant_id","next_attempt_at") WHERE "billing_meter_reports"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "billing_subscriptions_customer_idx" ON "billing_subscriptions" USING btree ("stripe_customer_id") WHERE "billing_subscriptions"."stripe_customer_id" is not null;--> statement-breakpoint
CREATE POLICY "billing_meter_reports_tenant_isolation" ON "billing_meter_reports" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "billing_subscriptions_tenant_isolation" ON "billing_subscriptions" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "billing_usage_tenant_isolation" ON "billing_usage" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "rate_limit_counters_auth_only" ON "rate_limit_counters" AS PERMISSIVE FOR ALL TO "arrears_auth" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "stripe_events_platform_only" ON "stripe_events" AS PERMISSIVE FOR ALL TO current_user USING (true) WITH CHECK (true);