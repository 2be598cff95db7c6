-- FORCE makes the policies bind the table owner too; drizzle has no helper for it.
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "api_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "debtors" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "debtor_contact_points" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_heads" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO arrears_app;
--> statement-breakpoint
-- No DELETE on anything a collector's record depends on: debtors are archived, keys revoked.
GRANT SELECT, INSERT, UPDATE ON "tenants", "api_keys", "debtors", "audit_heads" TO arrears_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "debtor_contact_points" TO arrears_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON "audit_events" TO arrears_app;
--> statement-breakpoint
CREATE FUNCTION arrears_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_audit_change();
--> statement-breakpoint
-- Key lookup happens before a tenant context exists. It is confined to one function that returns one
-- key's verification data for a (tenant, public id) pair; the key embeds its tenant, so Citus can route it.
CREATE POLICY "api_keys_authenticate" ON "api_keys" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
CREATE POLICY "tenants_authenticate" ON "tenants" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "id", "public_id", "secret_hash", "scopes", "expires_at", "revoked_at") ON "api_keys" TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("id", "status") ON "tenants" TO arrears_auth;
--> statement-breakpoint
CREATE FUNCTION arrears_authenticate_api_key(p_tenant_id uuid, p_public_id text)
RETURNS TABLE (key_id uuid, secret_hash text, scopes text[], expires_at timestamptz, revoked_at timestamptz, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT k.id, k.secret_hash, k.scopes, k.expires_at, k.revoked_at, t.status
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
  WHERE k.tenant_id = p_tenant_id AND k.public_id = p_public_id
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_authenticate_api_key(uuid, text) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_authenticate_api_key(uuid, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_authenticate_api_key(uuid, text) TO arrears_app, CURRENT_USER;
