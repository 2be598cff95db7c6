-- Billing (issue 8): FORCE RLS and grants for the new tables, and the two authentication functions again,
-- now also returning the tenant's subscription state and counting the request against its key's rate limit in
-- the same statement, so billing and rate limiting cost no round trip beyond the key lookup on PostgreSQL.
-- Tenants that existed before billing keep the unlimited use they had (grandfathered on enterprise) until they
-- subscribe or the platform assigns a plan; without this every one of them would wake up on the free plan.
-- Before FORCE: the owner (which runs migrations) is then still exempt from the table's policies. The tenants
-- are read through arrears_active_tenant_ids() (tenants itself is forced); a suspended tenant is not carried
-- over and starts on the default plan when reinstated.
INSERT INTO "billing_subscriptions" ("tenant_id", "plan_code", "status") SELECT "tenant_id", 'enterprise', 'active' FROM arrears_active_tenant_ids() ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "billing_subscriptions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_usage" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_meter_reports" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "rate_limit_counters" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- stripe_events: platform-wide like signing_keys; only the connecting role reads and writes it.
REVOKE ALL ON "stripe_events" FROM PUBLIC;
--> statement-breakpoint
ALTER TABLE "stripe_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "billing_subscriptions", "billing_usage", "billing_meter_reports" TO arrears_app;
--> statement-breakpoint
-- Counters live a minute: no WAL for them, so counting a request costs no log flush at commit (a crash or a
-- failover forgets the current minute's counts, which only ever lets a few requests more through).
ALTER TABLE "rate_limit_counters" SET UNLOGGED;
--> statement-breakpoint
REVOKE ALL ON "rate_limit_counters" FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "rate_limit_counters" TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "plan_code", "status", "past_due_since", "stripe_customer_id") ON "billing_subscriptions" TO arrears_auth;
--> statement-breakpoint
CREATE POLICY "billing_subscriptions_authenticate" ON "billing_subscriptions" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
-- p_window is the start of the caller's current one-minute window (NULL: count nowhere, another store counts).
-- The request is counted only once the secret matched, so a stranger who learned a key's public id cannot
-- spend its owner's quota.
CREATE FUNCTION arrears_authenticate_api_key_billed(p_tenant_id uuid, p_public_id text, p_secret_hash text, p_window timestamptz)
RETURNS TABLE (key_id uuid, secret_hash text, scopes text[], portfolio_ids uuid[], expires_at timestamptz, revoked_at timestamptz, tenant_status text,
               plan_code text, billing_status text, past_due_since timestamptz, hits integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_id uuid; v_hash text; v_scopes text[]; v_portfolios uuid[]; v_expires timestamptz; v_revoked timestamptz; v_tstatus text;
  v_plan text; v_bstatus text; v_since timestamptz; v_hits integer;
BEGIN
  SELECT k.id, k.secret_hash, k.scopes, k.portfolio_ids, k.expires_at, k.revoked_at, t.status, b.plan_code, b.status, b.past_due_since
    INTO v_id, v_hash, v_scopes, v_portfolios, v_expires, v_revoked, v_tstatus, v_plan, v_bstatus, v_since
    FROM api_keys k
    JOIN tenants t ON t.id = k.tenant_id
    LEFT JOIN billing_subscriptions b ON b.tenant_id = k.tenant_id
   WHERE k.tenant_id = p_tenant_id AND k.public_id = p_public_id;
  IF v_id IS NULL THEN RETURN; END IF;
  IF p_window IS NOT NULL AND v_hash = p_secret_hash AND v_revoked IS NULL AND (v_expires IS NULL OR v_expires > now()) AND v_tstatus = 'active' THEN
    INSERT INTO rate_limit_counters AS c (tenant_id, subject, window_start, hits)
    VALUES (p_tenant_id, 'key:' || v_id, p_window, 1)
    ON CONFLICT (tenant_id, subject) DO UPDATE
      SET hits = CASE WHEN c.window_start < excluded.window_start THEN 1 ELSE c.hits + 1 END,
          window_start = greatest(c.window_start, excluded.window_start)
    RETURNING c.hits INTO v_hits;
  END IF;
  RETURN QUERY SELECT v_id, v_hash, v_scopes, v_portfolios, v_expires, v_revoked, v_tstatus, v_plan, v_bstatus, v_since, v_hits;
END
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_authenticate_api_key_billed(uuid, text, text, timestamptz) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_authenticate_api_key_billed(uuid, text, text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_authenticate_api_key_billed(uuid, text, text, timestamptz) TO CURRENT_USER;
--> statement-breakpoint
-- An agency token's signature is checked before this runs, so every call is counted, against the credential
-- the token was issued to (a freshly minted token does not start a fresh quota).
CREATE FUNCTION arrears_agency_session_billed(p_tenant_id uuid, p_agency_id uuid, p_credential_id uuid, p_window timestamptz)
RETURNS TABLE (grant_id uuid, portfolio_id uuid, scopes text[], plan_code text, billing_status text, past_due_since timestamptz, hits integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_plan text; v_bstatus text; v_since timestamptz; v_hits integer;
BEGIN
  IF p_window IS NOT NULL THEN
    INSERT INTO rate_limit_counters AS c (tenant_id, subject, window_start, hits)
    VALUES (p_tenant_id, 'credential:' || p_credential_id, p_window, 1)
    ON CONFLICT (tenant_id, subject) DO UPDATE
      SET hits = CASE WHEN c.window_start < excluded.window_start THEN 1 ELSE c.hits + 1 END,
          window_start = greatest(c.window_start, excluded.window_start)
    RETURNING c.hits INTO v_hits;
  END IF;
  SELECT b.plan_code, b.status, b.past_due_since INTO v_plan, v_bstatus, v_since FROM billing_subscriptions b WHERE b.tenant_id = p_tenant_id;
  RETURN QUERY
  SELECT g.id, g.portfolio_id, g.scopes, v_plan, v_bstatus, v_since, v_hits
    FROM agency_grants g
    JOIN agencies a ON a.tenant_id = g.tenant_id AND a.id = g.agency_id AND a.status = 'active'
    JOIN agency_credentials c ON c.tenant_id = g.tenant_id AND c.id = p_credential_id AND c.agency_id = g.agency_id AND c.revoked_at IS NULL
    JOIN tenants t ON t.id = g.tenant_id AND t.status = 'active'
   WHERE g.tenant_id = p_tenant_id AND g.agency_id = p_agency_id
     AND g.ended_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now())
   ORDER BY g.portfolio_id;
END
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_agency_session_billed(uuid, uuid, uuid, timestamptz) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_agency_session_billed(uuid, uuid, uuid, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_agency_session_billed(uuid, uuid, uuid, timestamptz) TO CURRENT_USER;
--> statement-breakpoint
-- Stripe events name a customer; this is the one cross-tenant read that maps it to its tenant.
CREATE FUNCTION arrears_billing_customer_tenant(p_customer_id text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT tenant_id FROM billing_subscriptions WHERE stripe_customer_id = p_customer_id $$;
--> statement-breakpoint
ALTER FUNCTION arrears_billing_customer_tenant(text) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_billing_customer_tenant(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_billing_customer_tenant(text) TO CURRENT_USER;
--> statement-breakpoint
-- Plan limits count the whole tenant, whoever asks: a portfolio-scoped key or an agency sees only some
-- portfolios' accounts through the app role's policies, and would undercount. This function counts as
-- arrears_auth, whose policy admits the session's tenant only (never another tenant's rows).
CREATE POLICY "accounts_count_for_limits" ON "accounts" AS PERMISSIVE FOR SELECT TO arrears_auth
  USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
--> statement-breakpoint
GRANT SELECT ("tenant_id", "status") ON "accounts" TO arrears_auth;
--> statement-breakpoint
CREATE FUNCTION arrears_active_account_count()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT count(*) FROM accounts
   WHERE tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)
     AND status IN ('current', 'delinquent', 'in_plan', 'disputed', 'charged_off')
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_active_account_count() OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_active_account_count() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_active_account_count() TO arrears_app;
--> statement-breakpoint
-- Agencies never reach billing: their sessions see no billing rows, whatever the application asks.
CREATE POLICY "billing_subscriptions_no_agency" ON "billing_subscriptions" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "billing_usage_no_agency" ON "billing_usage" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "billing_meter_reports_no_agency" ON "billing_meter_reports" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
