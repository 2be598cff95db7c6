CREATE TABLE "fee_jurisdiction_caps" (
	"tenant_id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"annual_rate_bps" bigint,
	"currency" text,
	"max_first_assessment" bigint,
	"max_later_assessment" bigint,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fee_jurisdiction_caps_tenant_id_code_pk" PRIMARY KEY("tenant_id","code"),
	CONSTRAINT "fee_jurisdiction_caps_values_check" CHECK (coalesce("fee_jurisdiction_caps"."annual_rate_bps", 0) >= 0 and coalesce("fee_jurisdiction_caps"."max_first_assessment", 0) >= 0 and coalesce("fee_jurisdiction_caps"."max_later_assessment", 0) >= 0),
	CONSTRAINT "fee_jurisdiction_caps_currency_check" CHECK (("fee_jurisdiction_caps"."currency" is null) = ("fee_jurisdiction_caps"."max_first_assessment" is null and "fee_jurisdiction_caps"."max_later_assessment" is null))
);
--> statement-breakpoint
ALTER TABLE "fee_jurisdiction_caps" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "fee_waivers" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"fee_entry_id" uuid NOT NULL,
	"ledger_entry_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"approved_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fee_waivers_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "fee_waivers_amount_check" CHECK ("fee_waivers"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "fee_waivers" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "late_fee_assessments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"policy_version_id" uuid NOT NULL,
	"run_id" uuid,
	"anchor_on" date NOT NULL,
	"assessed_on" date NOT NULL,
	"currency" text NOT NULL,
	"uncapped" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"capped_by" text[] DEFAULT '{}'::text[] NOT NULL,
	"ledger_entry_id" uuid,
	"explanation" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "late_fee_assessments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "late_fee_assessments_amount_check" CHECK ("late_fee_assessments"."amount" >= 0 and "late_fee_assessments"."amount" <= "late_fee_assessments"."uncapped" and case when "late_fee_assessments"."amount" > 0 then "late_fee_assessments"."ledger_entry_id" = "late_fee_assessments"."id" else "late_fee_assessments"."ledger_entry_id" is null end)
);
--> statement-breakpoint
ALTER TABLE "late_fee_assessments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "late_fee_attachments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"account_id" uuid,
	"portfolio_id" uuid,
	"product_type" text,
	"charge_from" date,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "late_fee_attachments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "late_fee_attachments_target_key" UNIQUE NULLS NOT DISTINCT("tenant_id","account_id","portfolio_id","product_type"),
	CONSTRAINT "late_fee_attachments_target_check" CHECK ("late_fee_attachments"."account_id" is null or ("late_fee_attachments"."portfolio_id" is null and "late_fee_attachments"."product_type" is null))
);
--> statement-breakpoint
ALTER TABLE "late_fee_attachments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "late_fee_policies" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"current_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "late_fee_policies_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "late_fee_policies" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "late_fee_policy_versions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "late_fee_policy_versions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "late_fee_policy_versions_version_check" CHECK ("late_fee_policy_versions"."version" >= 1)
);
--> statement-breakpoint
ALTER TABLE "late_fee_policy_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "late_fee_runs" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"as_of" date NOT NULL,
	"trigger" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"examined" integer DEFAULT 0 NOT NULL,
	"assessed" integer DEFAULT 0 NOT NULL,
	"fees_posted" integer DEFAULT 0 NOT NULL,
	"totals" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"skipped" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	CONSTRAINT "late_fee_runs_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "late_fee_runs_status_check" CHECK ("late_fee_runs"."status" in ('running', 'completed', 'failed')),
	CONSTRAINT "late_fee_runs_trigger_check" CHECK ("late_fee_runs"."trigger" in ('api', 'schedule', 'cli'))
);
--> statement-breakpoint
ALTER TABLE "late_fee_runs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "fee_basis_due_on" date;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "fee_anchor_on" date;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "fee_next_on" date;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "fee_rules_gen" text;--> statement-breakpoint
ALTER TABLE "fee_jurisdiction_caps" ADD CONSTRAINT "fee_jurisdiction_caps_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_waivers" ADD CONSTRAINT "fee_waivers_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_waivers" ADD CONSTRAINT "fee_waivers_fee_fk" FOREIGN KEY ("tenant_id","fee_entry_id") REFERENCES "public"."ledger_entries"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_waivers" ADD CONSTRAINT "fee_waivers_entry_fk" FOREIGN KEY ("tenant_id","ledger_entry_id") REFERENCES "public"."ledger_entries"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_assessments" ADD CONSTRAINT "late_fee_assessments_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_assessments" ADD CONSTRAINT "late_fee_assessments_version_fk" FOREIGN KEY ("tenant_id","policy_version_id") REFERENCES "public"."late_fee_policy_versions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_attachments" ADD CONSTRAINT "late_fee_attachments_policy_fk" FOREIGN KEY ("tenant_id","policy_id") REFERENCES "public"."late_fee_policies"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_attachments" ADD CONSTRAINT "late_fee_attachments_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_attachments" ADD CONSTRAINT "late_fee_attachments_portfolio_fk" FOREIGN KEY ("tenant_id","portfolio_id") REFERENCES "public"."portfolios"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_policies" ADD CONSTRAINT "late_fee_policies_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_policy_versions" ADD CONSTRAINT "late_fee_policy_versions_policy_fk" FOREIGN KEY ("tenant_id","policy_id") REFERENCES "public"."late_fee_policies"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_fee_runs" ADD CONSTRAINT "late_fee_runs_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fee_waivers_fee_idx" ON "fee_waivers" USING btree ("tenant_id","fee_entry_id");--> statement-breakpoint
CREATE UNIQUE INDEX "late_fee_assessments_period_key" ON "late_fee_assessments" USING btree ("tenant_id","account_id","period_key");--> statement-breakpoint
CREATE INDEX "late_fee_attachments_account_idx" ON "late_fee_attachments" USING btree ("tenant_id","account_id") WHERE "late_fee_attachments"."account_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "late_fee_policies_name_key" ON "late_fee_policies" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "late_fee_policy_versions_key" ON "late_fee_policy_versions" USING btree ("tenant_id","policy_id","version");--> statement-breakpoint
CREATE POLICY "fee_jurisdiction_caps_tenant_isolation" ON "fee_jurisdiction_caps" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "fee_waivers_tenant_isolation" ON "fee_waivers" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "late_fee_assessments_tenant_isolation" ON "late_fee_assessments" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "late_fee_attachments_tenant_isolation" ON "late_fee_attachments" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "late_fee_policies_tenant_isolation" ON "late_fee_policies" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "late_fee_policy_versions_tenant_isolation" ON "late_fee_policy_versions" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "late_fee_runs_tenant_isolation" ON "late_fee_runs" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));