CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_status_check" CHECK ("tenants"."status" in ('active', 'suspended'))
);
--> statement-breakpoint
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "api_keys" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"public_id" text NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_kind" text NOT NULL,
	"created_by_id" text NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by_id" text,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "debtor_contact_points" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"debtor_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"position" integer NOT NULL,
	"value" text NOT NULL,
	"search_value" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "debtor_contact_points_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "debtor_contact_points_kind_check" CHECK ("debtor_contact_points"."kind" in ('email', 'phone'))
);
--> statement-breakpoint
ALTER TABLE "debtor_contact_points" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "debtors" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"kind" text NOT NULL,
	"legal_name" text NOT NULL,
	"display_name" text NOT NULL,
	"external_ref" text,
	"addresses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"preferred_language" text,
	"time_zone" text,
	"date_of_birth" date,
	"national_id_ciphertext" "bytea",
	"national_id_key_id" text,
	"national_id_last4" text,
	"deceased" boolean DEFAULT false NOT NULL,
	"bankrupt" boolean DEFAULT false NOT NULL,
	"cease_communication" boolean DEFAULT false NOT NULL,
	"vulnerable" boolean DEFAULT false NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"notes" text,
	"risk_rating" text,
	"search_text" text NOT NULL,
	"search_keys" text[] NOT NULL,
	"archived_at" timestamp with time zone,
	"archived_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "debtors_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "debtors_kind_check" CHECK ("debtors"."kind" in ('person', 'business')),
	CONSTRAINT "debtors_risk_rating_check" CHECK ("debtors"."risk_rating" is null or "debtors"."risk_rating" in ('low', 'medium', 'high', 'critical')),
	CONSTRAINT "debtors_national_id_check" CHECK (("debtors"."national_id_ciphertext" is null) = ("debtors"."national_id_key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "debtors" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "audit_events" (
	"tenant_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"id" uuid NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text,
	"ip" text,
	"user_agent" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_tenant_id_seq_pk" PRIMARY KEY("tenant_id","seq")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_heads" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "debtor_contact_points" ADD CONSTRAINT "debtor_contact_points_debtor_fk" FOREIGN KEY ("tenant_id","debtor_id") REFERENCES "public"."debtors"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "debtors" ADD CONSTRAINT "debtors_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_public_id_key" ON "api_keys" USING btree ("tenant_id","public_id");--> statement-breakpoint
CREATE INDEX "api_keys_created_idx" ON "api_keys" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "debtor_contact_points_debtor_idx" ON "debtor_contact_points" USING btree ("tenant_id","debtor_id","kind","position");--> statement-breakpoint
CREATE INDEX "debtor_contact_points_search_idx" ON "debtor_contact_points" USING btree ("tenant_id","kind","search_value" text_pattern_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "debtors_external_ref_key" ON "debtors" USING btree ("tenant_id","external_ref");--> statement-breakpoint
CREATE INDEX "debtors_display_name_idx" ON "debtors" USING btree ("tenant_id","display_name" collate "C","id");--> statement-breakpoint
CREATE INDEX "debtors_search_text_trgm_idx" ON "debtors" USING gin ("tenant_id","search_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "debtors_search_keys_idx" ON "debtors" USING gin ("tenant_id","search_keys");--> statement-breakpoint
CREATE INDEX "debtors_tags_idx" ON "debtors" USING gin ("tenant_id","tags");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" USING btree ("tenant_id","entity_type","entity_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("tenant_id","actor_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_occurred_idx" ON "audit_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE POLICY "tenants_tenant_isolation" ON "tenants" AS PERMISSIVE FOR ALL TO "arrears_app" USING (id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "api_keys_tenant_isolation" ON "api_keys" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "debtor_contact_points_tenant_isolation" ON "debtor_contact_points" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "debtors_tenant_isolation" ON "debtors" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "audit_events_tenant_isolation" ON "audit_events" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
CREATE POLICY "audit_heads_tenant_isolation" ON "audit_heads" AS PERMISSIVE FOR ALL TO "arrears_app" USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)) WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));