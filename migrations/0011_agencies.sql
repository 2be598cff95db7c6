CREATE TABLE "agencies" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"name" text NOT NULL,
	"contact_name" text,
	"contact_email" text,
	"contact_phone" text,
	"status" text DEFAULT 'active' NOT NULL,
	"commission" jsonb NOT NULL,
	"data_protection_ref" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agencies_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "agencies_status_check" CHECK ("agencies"."status" in ('active', 'suspended', 'terminated'))
);
--> statement-breakpoint
ALTER TABLE "agencies" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "agency_credentials" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"agency_id" uuid NOT NULL,
	"public_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_id" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by_id" text,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "agency_credentials_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "agency_credentials" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "agency_grants" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"agency_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"scopes" text[] NOT NULL,
	"valid_from" timestamp with time zone DEFAULT now() NOT NULL,
	"valid_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_id" text NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"ended_by_id" text,
	"recall_note" text,
	CONSTRAINT "agency_grants_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "agency_grants_window_check" CHECK ("agency_grants"."valid_until" is null or "agency_grants"."valid_until" > "agency_grants"."valid_from"),
	CONSTRAINT "agency_grants_scopes_check" CHECK (cardinality("agency_grants"."scopes") > 0)
);
--> statement-breakpoint
ALTER TABLE "agency_grants" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "agency_placements" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"grant_id" uuid NOT NULL,
	"agency_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"currency" text NOT NULL,
	"balance_at_placement" bigint NOT NULL,
	"due_since_at_placement" date,
	CONSTRAINT "agency_placements_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "agency_placements" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_sealed" "bytea" NOT NULL,
	"seal_key_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "signing_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "agencies" ADD CONSTRAINT "agencies_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_credentials" ADD CONSTRAINT "agency_credentials_agency_fk" FOREIGN KEY ("tenant_id","agency_id") REFERENCES "public"."agencies"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_grants" ADD CONSTRAINT "agency_grants_agency_fk" FOREIGN KEY ("tenant_id","agency_id") REFERENCES "public"."agencies"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_grants" ADD CONSTRAINT "agency_grants_portfolio_fk" FOREIGN KEY ("tenant_id","portfolio_id") REFERENCES "public"."portfolios"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_placements" ADD CONSTRAINT "agency_placements_grant_fk" FOREIGN KEY ("tenant_id","grant_id") REFERENCES "public"."agency_grants"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_placements" ADD CONSTRAINT "agency_placements_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agencies_name_key" ON "agencies" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "agency_credentials_public_id_key" ON "agency_credentials" USING btree ("tenant_id","public_id");--> statement-breakpoint
CREATE INDEX "agency_credentials_agency_idx" ON "agency_credentials" USING btree ("tenant_id","agency_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agency_grants_one_open_per_portfolio" ON "agency_grants" USING btree ("tenant_id","portfolio_id") WHERE ended_at is null;--> statement-breakpoint
CREATE INDEX "agency_grants_agency_idx" ON "agency_grants" USING btree ("tenant_id","agency_id","portfolio_id");--> statement-breakpoint
CREATE INDEX "agency_placements_account_idx" ON "agency_placements" USING btree ("tenant_id","account_id","placed_at");--> statement-breakpoint
CREATE INDEX "agency_placements_agency_idx" ON "agency_placements" USING btree ("tenant_id","agency_id","portfolio_id","placed_at");--> statement-breakpoint
CREATE INDEX "agency_placements_grant_idx" ON "agency_placements" USING btree ("tenant_id","grant_id");--> statement-breakpoint
CREATE INDEX "signing_keys_created_idx" ON "signing_keys" USING btree ("created_at");--> statement-breakpoint
CREATE POLICY "agencies_tenant_isolation" ON "agencies" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "agency_credentials_tenant_isolation" ON "agency_credentials" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "agency_grants_tenant_isolation" ON "agency_grants" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "agency_placements_tenant_isolation" ON "agency_placements" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));