CREATE TABLE "credit_bureaus" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"base_url" text,
	"credential_sealed" "bytea",
	"credential_key_id" text,
	"subscriber_code" text,
	"timeout_ms" integer DEFAULT 10000 NOT NULL,
	"max_retries" integer DEFAULT 2 NOT NULL,
	"field_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"cost_per_pull" bigint DEFAULT 0 NOT NULL,
	"cost_currency" text DEFAULT 'USD' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_bureaus_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "credit_bureaus_provider_check" CHECK ("credit_bureaus"."provider" in ('sandbox', 'http_json')),
	CONSTRAINT "credit_bureaus_credential_check" CHECK (("credit_bureaus"."credential_sealed" is null) = ("credit_bureaus"."credential_key_id" is null)),
	CONSTRAINT "credit_bureaus_timeout_check" CHECK ("credit_bureaus"."timeout_ms" between 100 and 60000 and "credit_bureaus"."max_retries" between 0 and 5)
);
--> statement-breakpoint
ALTER TABLE "credit_bureaus" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "credit_checks" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"debtor_id" uuid NOT NULL,
	"bureau_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"pull_type" text NOT NULL,
	"consent_reference" text,
	"status" text NOT NULL,
	"failure_code" text,
	"failure_reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"report_id" uuid,
	"cost" bigint DEFAULT 0 NOT NULL,
	"cost_currency" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"requested_by_kind" text NOT NULL,
	"requested_by_id" text NOT NULL,
	CONSTRAINT "credit_checks_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "credit_checks_status_check" CHECK ("credit_checks"."status" in ('pending', 'completed', 'failed', 'reused')),
	CONSTRAINT "credit_checks_purpose_check" CHECK ("credit_checks"."purpose" in ('collection', 'account_review', 'credit_application', 'written_instruction')),
	CONSTRAINT "credit_checks_pull_check" CHECK ("credit_checks"."pull_type" in ('soft', 'hard')),
	CONSTRAINT "credit_checks_hard_consent_check" CHECK ("credit_checks"."pull_type" = 'soft' or "credit_checks"."consent_reference" is not null)
);
--> statement-breakpoint
ALTER TABLE "credit_checks" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "credit_reports" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"debtor_id" uuid NOT NULL,
	"bureau_id" uuid NOT NULL,
	"check_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"pull_type" text NOT NULL,
	"pulled_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"no_hit" boolean NOT NULL,
	"thin_file" boolean NOT NULL,
	"fraud_alert" boolean NOT NULL,
	"score" integer,
	"score_model" text,
	"score_band" text NOT NULL,
	"risk_rating" text NOT NULL,
	"delinquencies" integer NOT NULL,
	"tradelines" integer NOT NULL,
	"public_records" integer NOT NULL,
	"inquiries" integer NOT NULL,
	"payload_sealed" "bytea",
	"payload_key_id" text,
	"purged_at" timestamp with time zone,
	CONSTRAINT "credit_reports_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "credit_reports_payload_check" CHECK (("credit_reports"."payload_sealed" is null) = ("credit_reports"."payload_key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "credit_reports" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "credit_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"reuse_window_days" integer DEFAULT 30 NOT NULL,
	"retention_days" integer DEFAULT 365 NOT NULL,
	"strategy_rules" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_settings_days_check" CHECK ("credit_settings"."reuse_window_days" between 0 and 365 and "credit_settings"."retention_days" between 1 and 3660 and "credit_settings"."reuse_window_days" <= "credit_settings"."retention_days")
);
--> statement-breakpoint
ALTER TABLE "credit_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "debtor_risk_history" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"debtor_id" uuid NOT NULL,
	"risk_rating" text NOT NULL,
	"previous_rating" text,
	"score_band" text NOT NULL,
	"score" integer,
	"report_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "debtor_risk_history_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "debtor_risk_history" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "credit_bureaus" ADD CONSTRAINT "credit_bureaus_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_checks" ADD CONSTRAINT "credit_checks_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_checks" ADD CONSTRAINT "credit_checks_bureau_fk" FOREIGN KEY ("tenant_id","bureau_id") REFERENCES "public"."credit_bureaus"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_reports" ADD CONSTRAINT "credit_reports_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_settings" ADD CONSTRAINT "credit_settings_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "debtor_risk_history" ADD CONSTRAINT "debtor_risk_history_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credit_bureaus_name_key" ON "credit_bureaus" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "credit_checks_one_in_flight" ON "credit_checks" USING btree ("tenant_id","debtor_id","purpose","pull_type") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "credit_checks_debtor_idx" ON "credit_checks" USING btree ("tenant_id","debtor_id","requested_at");--> statement-breakpoint
CREATE INDEX "credit_checks_month_idx" ON "credit_checks" USING btree ("tenant_id","requested_at");--> statement-breakpoint
CREATE INDEX "credit_reports_reuse_idx" ON "credit_reports" USING btree ("tenant_id","debtor_id","bureau_id","pulled_at");--> statement-breakpoint
CREATE INDEX "credit_reports_expiry_idx" ON "credit_reports" USING btree ("tenant_id","expires_at") WHERE payload_sealed is not null;--> statement-breakpoint
CREATE INDEX "debtor_risk_history_debtor_idx" ON "debtor_risk_history" USING btree ("tenant_id","debtor_id","created_at");--> statement-breakpoint
CREATE POLICY "credit_bureaus_tenant_isolation" ON "credit_bureaus" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "credit_checks_tenant_isolation" ON "credit_checks" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "credit_reports_tenant_isolation" ON "credit_reports" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "credit_settings_tenant_isolation" ON "credit_settings" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "debtor_risk_history_tenant_isolation" ON "debtor_risk_history" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));