ALTER TABLE "portfolios" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "ledger_entries" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "idempotency_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "delinquency_bucket_sets" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "account_bucket_history" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "alert_rules" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "alerts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "portfolios", "accounts", "alert_rules", "alerts" TO arrears_app;
--> statement-breakpoint
-- Ledger, bucket history, bucket sets and idempotency records are written once and never changed.
GRANT SELECT, INSERT ON "ledger_entries", "account_bucket_history", "delinquency_bucket_sets", "idempotency_keys" TO arrears_app;
--> statement-breakpoint
CREATE FUNCTION arrears_refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only: % refused; post a reversal instead', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_ledger_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON "ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_ledger_change();
--> statement-breakpoint
-- Portfolio-scoped principals (app.portfolio_ids set): restrictive policies, ANDed with the tenant policy,
-- hide every other portfolio and its accounts. Unscoped principals set it to '' and see the whole tenant.
CREATE POLICY "portfolios_portfolio_scope" ON "portfolios" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR id = ANY (CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[])));
--> statement-breakpoint
CREATE POLICY "accounts_portfolio_scope" ON "accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR portfolio_id = ANY (CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[])));
--> statement-breakpoint
GRANT SELECT ("portfolio_ids") ON "api_keys" TO arrears_auth;
--> statement-breakpoint
DROP FUNCTION arrears_authenticate_api_key(uuid, text);
--> statement-breakpoint
CREATE FUNCTION arrears_authenticate_api_key(p_tenant_id uuid, p_public_id text)
RETURNS TABLE (key_id uuid, secret_hash text, scopes text[], portfolio_ids uuid[], expires_at timestamptz, revoked_at timestamptz, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT k.id, k.secret_hash, k.scopes, k.portfolio_ids, k.expires_at, k.revoked_at, t.status
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
  WHERE k.tenant_id = p_tenant_id AND k.public_id = p_public_id
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_authenticate_api_key(uuid, text) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_authenticate_api_key(uuid, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_authenticate_api_key(uuid, text) TO arrears_app, CURRENT_USER;
--> statement-breakpoint
-- Background jobs visit every active tenant; this is the only cross-tenant read, and it returns ids only.
CREATE FUNCTION arrears_active_tenant_ids()
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id FROM tenants WHERE status = 'active' ORDER BY id $$;
--> statement-breakpoint
ALTER FUNCTION arrears_active_tenant_ids() OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_active_tenant_ids() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_active_tenant_ids() TO CURRENT_USER;
