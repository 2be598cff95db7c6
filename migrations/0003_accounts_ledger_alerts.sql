CREATE TABLE "portfolios" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"currency" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portfolios_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "portfolios_status_check" CHECK ("portfolios"."status" in ('active', 'closed')),
	CONSTRAINT "portfolios_currency_check" CHECK ("portfolios"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
ALTER TABLE "portfolios" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "accounts" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"debtor_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"external_ref" text NOT NULL,
	"product_type" text NOT NULL,
	"currency" text NOT NULL,
	"original_principal" bigint NOT NULL,
	"opened_on" date NOT NULL,
	"due_on" date NOT NULL,
	"charged_off_on" date,
	"status" text DEFAULT 'current' NOT NULL,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"principal_balance" bigint DEFAULT 0 NOT NULL,
	"interest_balance" bigint DEFAULT 0 NOT NULL,
	"fee_balance" bigint DEFAULT 0 NOT NULL,
	"oldest_unpaid_due_on" date,
	"bucket_label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "accounts_status_check" CHECK ("accounts"."status" in ('current', 'delinquent', 'in_plan', 'disputed', 'settled', 'paid_off', 'charged_off', 'written_off', 'recalled', 'closed')),
	CONSTRAINT "accounts_product_type_check" CHECK ("accounts"."product_type" in ('loan', 'credit_card', 'invoice', 'utility', 'telecom', 'other')),
	CONSTRAINT "accounts_dates_check" CHECK ("accounts"."due_on" >= "accounts"."opened_on" and ("accounts"."charged_off_on" is null or "accounts"."charged_off_on" >= "accounts"."opened_on")),
	CONSTRAINT "accounts_principal_check" CHECK ("accounts"."original_principal" >= 0)
);
--> statement-breakpoint
ALTER TABLE "accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" uuid NOT NULL,
	"operation" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"result_ref" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_operation_key_pk" PRIMARY KEY("tenant_id","operation","key")
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"component" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"effective_on" date NOT NULL,
	"posted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"memo" text,
	"reverses_entry_id" uuid,
	CONSTRAINT "ledger_entries_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "ledger_entries_kind_check" CHECK ("ledger_entries"."kind" in ('principal', 'interest', 'fee', 'payment', 'waiver', 'adjustment', 'reversal')),
	CONSTRAINT "ledger_entries_component_check" CHECK ("ledger_entries"."component" in ('principal', 'interest', 'fee')),
	CONSTRAINT "ledger_entries_sign_check" CHECK (case "ledger_entries"."kind" when 'payment' then "ledger_entries"."amount" < 0 when 'waiver' then "ledger_entries"."amount" < 0 when 'adjustment' then "ledger_entries"."amount" <> 0 when 'reversal' then "ledger_entries"."amount" <> 0 else "ledger_entries"."amount" > 0 end),
	CONSTRAINT "ledger_entries_reversal_check" CHECK (("ledger_entries"."kind" = 'reversal') = ("ledger_entries"."reverses_entry_id" is not null)),
	CONSTRAINT "ledger_entries_charge_component_check" CHECK ("ledger_entries"."kind" not in ('principal', 'interest', 'fee') or "ledger_entries"."kind" = "ledger_entries"."component")
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "account_bucket_history" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"bucket_label" text NOT NULL,
	"bucket_set_version" integer NOT NULL,
	"days_past_due" integer NOT NULL,
	"changed_on" date NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_bucket_history_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "account_bucket_history" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "delinquency_bucket_sets" (
	"tenant_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"buckets" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_id" text NOT NULL,
	CONSTRAINT "delinquency_bucket_sets_tenant_id_version_pk" PRIMARY KEY("tenant_id","version")
);
--> statement-breakpoint
ALTER TABLE "delinquency_bucket_sets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"metric" text NOT NULL,
	"threshold" bigint NOT NULL,
	"currency" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "alert_rules_metric_check" CHECK ("alert_rules"."metric" in ('days_past_due', 'outstanding_balance', 'overdue_ratio')),
	CONSTRAINT "alert_rules_currency_check" CHECK (("alert_rules"."metric" = 'outstanding_balance') = ("alert_rules"."currency" is not null)),
	CONSTRAINT "alert_rules_threshold_check" CHECK ("alert_rules"."threshold" >= 0)
);
--> statement-breakpoint
ALTER TABLE "alert_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "alerts" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"value" bigint NOT NULL,
	"raised_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by_id" text,
	"cleared_at" timestamp with time zone,
	CONSTRAINT "alerts_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "alerts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "portfolio_ids" uuid[];--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_portfolio_fk" FOREIGN KEY ("tenant_id","portfolio_id") REFERENCES "public"."portfolios"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reverses_fk" FOREIGN KEY ("tenant_id","reverses_entry_id") REFERENCES "public"."ledger_entries"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_bucket_history" ADD CONSTRAINT "account_bucket_history_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_fk" FOREIGN KEY ("tenant_id","rule_id") REFERENCES "public"."alert_rules"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "portfolios_name_key" ON "portfolios" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_external_ref_key" ON "accounts" USING btree ("tenant_id","external_ref");--> statement-breakpoint
CREATE INDEX "accounts_portfolio_idx" ON "accounts" USING btree ("tenant_id","portfolio_id","id");--> statement-breakpoint
CREATE INDEX "accounts_debtor_idx" ON "accounts" USING btree ("tenant_id","debtor_id","id");--> statement-breakpoint
CREATE INDEX "accounts_oldest_unpaid_idx" ON "accounts" USING btree ("tenant_id","oldest_unpaid_due_on");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_reverses_key" ON "ledger_entries" USING btree ("tenant_id","reverses_entry_id") WHERE "ledger_entries"."reverses_entry_id" is not null;--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "ledger_entries" USING btree ("tenant_id","account_id","effective_on","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_kind_idx" ON "ledger_entries" USING btree ("tenant_id","kind","effective_on");--> statement-breakpoint
CREATE INDEX "account_bucket_history_account_idx" ON "account_bucket_history" USING btree ("tenant_id","account_id","changed_on");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_key" ON "alerts" USING btree ("tenant_id","rule_id","account_id") WHERE "alerts"."cleared_at" is null;--> statement-breakpoint
CREATE INDEX "alerts_raised_idx" ON "alerts" USING btree ("tenant_id","raised_at");--> statement-breakpoint
CREATE POLICY "portfolios_tenant_isolation" ON "portfolios" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "accounts_tenant_isolation" ON "accounts" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "idempotency_keys_tenant_isolation" ON "idempotency_keys" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "ledger_entries_tenant_isolation" ON "ledger_entries" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "account_bucket_history_tenant_isolation" ON "account_bucket_history" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "delinquency_bucket_sets_tenant_isolation" ON "delinquency_bucket_sets" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "alert_rules_tenant_isolation" ON "alert_rules" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "alerts_tenant_isolation" ON "alerts" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));