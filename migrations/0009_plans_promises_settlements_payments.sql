CREATE TABLE "plan_accounts" (
	"tenant_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"covered" bigint NOT NULL,
	"prior_status" text,
	"open" boolean DEFAULT true NOT NULL,
	CONSTRAINT "plan_accounts_tenant_id_plan_id_account_id_pk" PRIMARY KEY("tenant_id","plan_id","account_id")
);
--> statement-breakpoint
ALTER TABLE "plan_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "plan_installments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"due_on" date NOT NULL,
	"amount" bigint NOT NULL,
	"paid" bigint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"missed_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	CONSTRAINT "plan_installments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "plan_installments_status_check" CHECK ("plan_installments"."status" in ('open', 'paid', 'missed')),
	CONSTRAINT "plan_installments_amount_check" CHECK ("plan_installments"."amount" > 0 and "plan_installments"."paid" >= 0 and "plan_installments"."paid" <= "plan_installments"."amount")
);
--> statement-breakpoint
ALTER TABLE "plan_installments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "plan_rules" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"portfolio_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"rules" jsonb NOT NULL,
	"updated_by_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_rules_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "plan_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "plans" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"debtor_id" uuid NOT NULL,
	"portfolio_ids" uuid[] NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"frequency" text,
	"start_on" date NOT NULL,
	"installment_count" integer NOT NULL,
	"down_payment" bigint NOT NULL,
	"total" bigint NOT NULL,
	"covers_fees" boolean NOT NULL,
	"terms" jsonb NOT NULL,
	"violations" jsonb NOT NULL,
	"paid" bigint DEFAULT 0 NOT NULL,
	"missed_count" integer DEFAULT 0 NOT NULL,
	"note" text,
	"proposed_by_kind" text NOT NULL,
	"proposed_by_id" text NOT NULL,
	"proposed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_by_id" text,
	"activated_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"broken_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"rejected_at" timestamp with time zone,
	"end_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "plans_status_check" CHECK ("plans"."status" in ('proposed', 'active', 'completed', 'broken', 'cancelled', 'rejected')),
	CONSTRAINT "plans_frequency_check" CHECK ("plans"."frequency" is null or "plans"."frequency" in ('weekly', 'biweekly', 'monthly')),
	CONSTRAINT "plans_amounts_check" CHECK ("plans"."down_payment" >= 0 and "plans"."total" > 0 and "plans"."paid" >= 0 and "plans"."installment_count" > 0)
);
--> statement-breakpoint
ALTER TABLE "plans" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "promises" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"debtor_id" uuid NOT NULL,
	"account_id" uuid,
	"plan_id" uuid,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"made_on" date NOT NULL,
	"promised_on" date NOT NULL,
	"grace_days" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"paid" bigint DEFAULT 0 NOT NULL,
	"resolved_at" timestamp with time zone,
	"note" text,
	"created_by_kind" text NOT NULL,
	"created_by_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "promises_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "promises_target_check" CHECK (("promises"."account_id" is null) <> ("promises"."plan_id" is null)),
	CONSTRAINT "promises_status_check" CHECK ("promises"."status" in ('pending', 'kept', 'partially_kept', 'broken', 'cancelled')),
	CONSTRAINT "promises_amount_check" CHECK ("promises"."amount" > 0 and "promises"."paid" >= 0 and "promises"."grace_days" >= 0)
);
--> statement-breakpoint
ALTER TABLE "promises" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "settlement_accounts" (
	"tenant_id" uuid NOT NULL,
	"settlement_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"balance" bigint NOT NULL,
	"prior_status" text,
	"waiver_group_id" uuid,
	"open" boolean DEFAULT true NOT NULL,
	CONSTRAINT "settlement_accounts_tenant_id_settlement_id_account_id_pk" PRIMARY KEY("tenant_id","settlement_id","account_id")
);
--> statement-breakpoint
ALTER TABLE "settlement_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "settlement_offers" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"debtor_id" uuid NOT NULL,
	"portfolio_ids" uuid[] NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"balance" bigint NOT NULL,
	"discount_bps" integer NOT NULL,
	"expires_on" date NOT NULL,
	"status" text NOT NULL,
	"violations" jsonb NOT NULL,
	"paid" bigint DEFAULT 0 NOT NULL,
	"accepted_on" date,
	"note" text,
	"created_by_kind" text NOT NULL,
	"created_by_id" text NOT NULL,
	"approved_by_id" text,
	"accepted_at" timestamp with time zone,
	"settled_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"settled_by_payment_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_offers_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "settlement_offers_status_check" CHECK ("settlement_offers"."status" in ('pending_approval', 'offered', 'accepted', 'settled', 'expired', 'rejected', 'withdrawn')),
	CONSTRAINT "settlement_offers_amount_check" CHECK ("settlement_offers"."amount" > 0 and "settlement_offers"."amount" <= "settlement_offers"."balance" and "settlement_offers"."paid" >= 0)
);
--> statement-breakpoint
ALTER TABLE "settlement_offers" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "installment_payments" (
	"tenant_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"installment_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "installment_payments_tenant_id_payment_id_installment_id_pk" PRIMARY KEY("tenant_id","payment_id","installment_id"),
	CONSTRAINT "installment_payments_amount_check" CHECK ("installment_payments"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "installment_payments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "payment_accounts" (
	"tenant_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"effective_on" date NOT NULL,
	CONSTRAINT "payment_accounts_tenant_id_payment_id_account_id_pk" PRIMARY KEY("tenant_id","payment_id","account_id")
);
--> statement-breakpoint
ALTER TABLE "payment_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "payments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"debtor_id" uuid NOT NULL,
	"portfolio_ids" uuid[] NOT NULL,
	"account_id" uuid,
	"plan_id" uuid,
	"settlement_id" uuid,
	"amount" bigint NOT NULL,
	"applied" bigint NOT NULL,
	"unapplied" bigint NOT NULL,
	"currency" text NOT NULL,
	"method" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"effective_on" date NOT NULL,
	"external_reference" text,
	"status" text DEFAULT 'posted' NOT NULL,
	"ledger_group_id" uuid,
	"explanation" jsonb NOT NULL,
	"effects" jsonb NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reversed_at" timestamp with time zone,
	"reversal_kind" text,
	"reversal_reason" text,
	"reversal_group_id" uuid,
	CONSTRAINT "payments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "payments_status_check" CHECK ("payments"."status" in ('posted', 'reversed')),
	CONSTRAINT "payments_amounts_check" CHECK ("payments"."amount" > 0 and "payments"."applied" >= 0 and "payments"."unapplied" >= 0 and "payments"."applied" + "payments"."unapplied" = "payments"."amount"),
	CONSTRAINT "payments_reversal_check" CHECK (("payments"."status" = 'reversed') = ("payments"."reversed_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "payments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "alert_rules" DROP CONSTRAINT "alert_rules_metric_check";--> statement-breakpoint
ALTER TABLE "audit_heads" ADD COLUMN "prev_hash" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "plan_freezes_fees" boolean;--> statement-breakpoint
ALTER TABLE "plan_accounts" ADD CONSTRAINT "plan_accounts_plan_fk" FOREIGN KEY ("tenant_id","plan_id") REFERENCES "public"."plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_accounts" ADD CONSTRAINT "plan_accounts_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_installments" ADD CONSTRAINT "plan_installments_plan_fk" FOREIGN KEY ("tenant_id","plan_id") REFERENCES "public"."plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_rules" ADD CONSTRAINT "plan_rules_portfolio_fk" FOREIGN KEY ("tenant_id","portfolio_id") REFERENCES "public"."portfolios"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promises" ADD CONSTRAINT "promises_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promises" ADD CONSTRAINT "promises_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promises" ADD CONSTRAINT "promises_plan_fk" FOREIGN KEY ("tenant_id","plan_id") REFERENCES "public"."plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_accounts" ADD CONSTRAINT "settlement_accounts_offer_fk" FOREIGN KEY ("tenant_id","settlement_id") REFERENCES "public"."settlement_offers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_accounts" ADD CONSTRAINT "settlement_accounts_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_offers" ADD CONSTRAINT "settlement_offers_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installment_payments" ADD CONSTRAINT "installment_payments_payment_fk" FOREIGN KEY ("tenant_id","payment_id") REFERENCES "public"."payments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installment_payments" ADD CONSTRAINT "installment_payments_installment_fk" FOREIGN KEY ("tenant_id","installment_id") REFERENCES "public"."plan_installments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_accounts" ADD CONSTRAINT "payment_accounts_payment_fk" FOREIGN KEY ("tenant_id","payment_id") REFERENCES "public"."payments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_accounts" ADD CONSTRAINT "payment_accounts_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_plan_fk" FOREIGN KEY ("tenant_id","plan_id") REFERENCES "public"."plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_settlement_fk" FOREIGN KEY ("tenant_id","settlement_id") REFERENCES "public"."settlement_offers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "plan_accounts_open_key" ON "plan_accounts" USING btree ("tenant_id","account_id") WHERE "plan_accounts"."open";--> statement-breakpoint
CREATE INDEX "plan_accounts_account_idx" ON "plan_accounts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "plan_installments_seq_key" ON "plan_installments" USING btree ("tenant_id","plan_id","seq");--> statement-breakpoint
CREATE INDEX "plan_installments_open_idx" ON "plan_installments" USING btree ("tenant_id","due_on") WHERE "plan_installments"."status" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "plan_rules_tenant_key" ON "plan_rules" USING btree ("tenant_id") WHERE "plan_rules"."portfolio_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "plan_rules_portfolio_key" ON "plan_rules" USING btree ("tenant_id","portfolio_id") WHERE "plan_rules"."portfolio_id" is not null;--> statement-breakpoint
CREATE INDEX "plans_debtor_idx" ON "plans" USING btree ("tenant_id","debtor_id","id");--> statement-breakpoint
CREATE INDEX "plans_active_idx" ON "plans" USING btree ("tenant_id","id") WHERE "plans"."status" = 'active';--> statement-breakpoint
CREATE INDEX "promises_account_idx" ON "promises" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "promises_plan_idx" ON "promises" USING btree ("tenant_id","plan_id");--> statement-breakpoint
CREATE INDEX "promises_pending_idx" ON "promises" USING btree ("tenant_id","promised_on") WHERE "promises"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_accounts_open_key" ON "settlement_accounts" USING btree ("tenant_id","account_id") WHERE "settlement_accounts"."open";--> statement-breakpoint
CREATE INDEX "settlement_offers_debtor_idx" ON "settlement_offers" USING btree ("tenant_id","debtor_id","id");--> statement-breakpoint
CREATE INDEX "settlement_offers_live_idx" ON "settlement_offers" USING btree ("tenant_id","expires_on") WHERE "settlement_offers"."status" in ('offered', 'accepted', 'pending_approval');--> statement-breakpoint
CREATE INDEX "installment_payments_installment_idx" ON "installment_payments" USING btree ("tenant_id","installment_id");--> statement-breakpoint
CREATE INDEX "payment_accounts_account_idx" ON "payment_accounts" USING btree ("tenant_id","account_id","effective_on");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_idempotency_key" ON "payments" USING btree ("tenant_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "payments_debtor_idx" ON "payments" USING btree ("tenant_id","debtor_id","id");--> statement-breakpoint
CREATE INDEX "payments_account_idx" ON "payments" USING btree ("tenant_id","account_id","id");--> statement-breakpoint
CREATE INDEX "payments_plan_idx" ON "payments" USING btree ("tenant_id","plan_id","id");--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_metric_check" CHECK ("alert_rules"."metric" in ('days_past_due', 'outstanding_balance', 'overdue_ratio', 'broken_promises'));--> statement-breakpoint
CREATE POLICY "plan_accounts_tenant_isolation" ON "plan_accounts" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "plan_installments_tenant_isolation" ON "plan_installments" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "plan_rules_tenant_isolation" ON "plan_rules" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "plans_tenant_isolation" ON "plans" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "promises_tenant_isolation" ON "promises" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "settlement_accounts_tenant_isolation" ON "settlement_accounts" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "settlement_offers_tenant_isolation" ON "settlement_offers" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "installment_payments_tenant_isolation" ON "installment_payments" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "payment_accounts_tenant_isolation" ON "payment_accounts" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "payments_tenant_isolation" ON "payments" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));