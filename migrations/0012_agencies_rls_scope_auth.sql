-- Agencies (issue 6): FORCE RLS and grants for the new tables, one function that computes a session's
-- portfolio reach, every portfolio-scope policy rebuilt on it, agency policies on debtors, contact points
-- and audit events, and the two functions token issuance and per-request verification use.
ALTER TABLE "agencies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "agency_credentials" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "agency_grants" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "agency_placements" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- signing_keys: platform-wide, no grant to the app role. Only the connecting role (which runs migrations and
-- owns the tables) reads and writes it, outside any tenant transaction; forced RLS with a policy for that role
-- alone keeps it so should a grant ever be added by mistake.
REVOKE ALL ON "signing_keys" FROM PUBLIC;
--> statement-breakpoint
ALTER TABLE "signing_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "signing_keys_platform_only" ON "signing_keys" AS PERMISSIVE FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Nothing is deleted: placements are history, grants end, credentials are revoked, agencies are terminated.
GRANT SELECT, INSERT, UPDATE ON "agencies", "agency_credentials", "agency_grants", "agency_placements" TO arrears_app;
--> statement-breakpoint
-- The portfolios a session may reach, or NULL for an unscoped (creditor-wide) session:
--  * a portfolio-scoped key: app.portfolio_ids;
--  * an agency: the portfolios with a grant to it that is open, inside its window, from an active agency —
--    read from agency_grants on every statement, so a recall binds the very next statement whatever the
--    application put in app.portfolio_ids (which it also sets, intersected here).
-- Wrapped as (select arrears_scope_portfolios()) in policies it is an InitPlan: once per statement. Policies
-- test the two settings first, so an unscoped (creditor-wide) session never calls it: an InitPlan runs only
-- when the OR gets to it.
-- SECURITY INVOKER: it reads agency_grants as the app role, through that table's own tenant policy. Its own
-- query keeps one generic plan: the transaction's plan_cache_mode (force_custom_plan, see contextPrelude)
-- would replan it on every call, which cost ~0.5 ms per statement.
CREATE FUNCTION arrears_scope_portfolios() RETURNS uuid[]
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  p uuid[] := CAST(nullif(current_setting('app.portfolio_ids', true), '') AS uuid[]);
  a uuid := CAST(nullif(current_setting('app.agency_id', true), '') AS uuid);
  granted uuid[];
BEGIN
  IF a IS NULL THEN
    RETURN p;
  END IF;
  SELECT coalesce(array_agg(g.portfolio_id), '{}') INTO granted
    FROM agency_grants g
    JOIN agencies ag ON ag.tenant_id = g.tenant_id AND ag.id = g.agency_id
   WHERE g.tenant_id = CAST(current_setting('app.tenant_id') AS uuid)
     AND g.agency_id = a
     AND g.ended_at IS NULL
     AND g.valid_from <= now()
     AND (g.valid_until IS NULL OR g.valid_until > now())
     AND ag.status = 'active';
  IF p IS NULL THEN
    RETURN granted;
  END IF;
  RETURN ARRAY(SELECT x FROM unnest(granted) AS x WHERE x = ANY (p));
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_scope_portfolios() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_scope_portfolios() TO arrears_app, CURRENT_USER;
--> statement-breakpoint
DROP POLICY "portfolios_portfolio_scope" ON "portfolios";
--> statement-breakpoint
CREATE POLICY "portfolios_portfolio_scope" ON "portfolios" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL) OR id = ANY (CAST((select arrears_scope_portfolios()) AS uuid[])));
--> statement-breakpoint
DROP POLICY "accounts_portfolio_scope" ON "accounts";
--> statement-breakpoint
CREATE POLICY "accounts_portfolio_scope" ON "accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL) OR portfolio_id = ANY (CAST((select arrears_scope_portfolios()) AS uuid[])));
--> statement-breakpoint
DROP POLICY "plans_portfolio_scope" ON "plans";
--> statement-breakpoint
CREATE POLICY "plans_portfolio_scope" ON "plans" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL) OR "plans".portfolio_ids <@ (select arrears_scope_portfolios()));
--> statement-breakpoint
DROP POLICY "settlement_offers_portfolio_scope" ON "settlement_offers";
--> statement-breakpoint
CREATE POLICY "settlement_offers_portfolio_scope" ON "settlement_offers" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL) OR "settlement_offers".portfolio_ids <@ (select arrears_scope_portfolios()));
--> statement-breakpoint
DROP POLICY "payments_portfolio_scope" ON "payments";
--> statement-breakpoint
CREATE POLICY "payments_portfolio_scope" ON "payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL) OR "payments".portfolio_ids <@ (select arrears_scope_portfolios()));
--> statement-breakpoint
-- Rows that hang off an account, plan, offer or payment follow it (the EXISTS is filtered by its policies).
DROP POLICY "ledger_entries_portfolio_scope" ON "ledger_entries";
--> statement-breakpoint
CREATE POLICY "ledger_entries_portfolio_scope" ON "ledger_entries" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "ledger_entries".tenant_id AND a.id = "ledger_entries".account_id));
--> statement-breakpoint
DROP POLICY "late_fee_assessments_portfolio_scope" ON "late_fee_assessments";
--> statement-breakpoint
CREATE POLICY "late_fee_assessments_portfolio_scope" ON "late_fee_assessments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "late_fee_assessments".tenant_id AND a.id = "late_fee_assessments".account_id));
--> statement-breakpoint
DROP POLICY "fee_waivers_portfolio_scope" ON "fee_waivers";
--> statement-breakpoint
CREATE POLICY "fee_waivers_portfolio_scope" ON "fee_waivers" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "fee_waivers".tenant_id AND a.id = "fee_waivers".account_id));
--> statement-breakpoint
DROP POLICY "late_fee_attachments_portfolio_scope" ON "late_fee_attachments";
--> statement-breakpoint
CREATE POLICY "late_fee_attachments_portfolio_scope" ON "late_fee_attachments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR (account_id IS NULL AND (portfolio_id IS NULL OR portfolio_id = ANY (CAST((select arrears_scope_portfolios()) AS uuid[]))))
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "late_fee_attachments".tenant_id AND a.id = "late_fee_attachments".account_id));
--> statement-breakpoint
DROP POLICY "plan_accounts_portfolio_scope" ON "plan_accounts";
--> statement-breakpoint
CREATE POLICY "plan_accounts_portfolio_scope" ON "plan_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "plans" x WHERE x.tenant_id = "plan_accounts".tenant_id AND x.id = "plan_accounts".plan_id));
--> statement-breakpoint
DROP POLICY "plan_installments_portfolio_scope" ON "plan_installments";
--> statement-breakpoint
CREATE POLICY "plan_installments_portfolio_scope" ON "plan_installments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "plans" x WHERE x.tenant_id = "plan_installments".tenant_id AND x.id = "plan_installments".plan_id));
--> statement-breakpoint
DROP POLICY "settlement_accounts_portfolio_scope" ON "settlement_accounts";
--> statement-breakpoint
CREATE POLICY "settlement_accounts_portfolio_scope" ON "settlement_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "settlement_offers" x WHERE x.tenant_id = "settlement_accounts".tenant_id AND x.id = "settlement_accounts".settlement_id));
--> statement-breakpoint
DROP POLICY "payment_accounts_portfolio_scope" ON "payment_accounts";
--> statement-breakpoint
-- Through the account, not the payment: a payment and its shares are written by one statement, and a row
-- inserted earlier in the same statement is invisible to the policy's subquery (every scoped session's
-- recordPayment failed the check). The payment row's own policy covers the payment.
CREATE POLICY "payment_accounts_portfolio_scope" ON "payment_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "payment_accounts".tenant_id AND a.id = "payment_accounts".account_id));
--> statement-breakpoint
DROP POLICY "installment_payments_portfolio_scope" ON "installment_payments";
--> statement-breakpoint
-- Through the installment's plan, for the same reason.
CREATE POLICY "installment_payments_portfolio_scope" ON "installment_payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "plan_installments" x WHERE x.tenant_id = "installment_payments".tenant_id AND x.id = "installment_payments".installment_id));
--> statement-breakpoint
DROP POLICY "promises_portfolio_scope" ON "promises";
--> statement-breakpoint
CREATE POLICY "promises_portfolio_scope" ON "promises" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "promises".tenant_id AND a.id = "promises".account_id)
         OR EXISTS (SELECT 1 FROM "plans" p WHERE p.tenant_id = "promises".tenant_id AND p.id = "promises".plan_id));
--> statement-breakpoint
-- Alerts and bucket history had relied on the application layer alone.
CREATE POLICY "alerts_portfolio_scope" ON "alerts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "alerts".tenant_id AND a.id = "alerts".account_id));
--> statement-breakpoint
CREATE POLICY "account_bucket_history_portfolio_scope" ON "account_bucket_history" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "account_bucket_history".tenant_id AND a.id = "account_bucket_history".account_id));
--> statement-breakpoint
-- Agency sessions see a debtor only through an account in a granted portfolio, and its contact points only
-- through such a debtor. (Portfolio-scoped API keys may create debtors before their accounts exist, which a
-- policy on the debtor row would refuse, so for them the application layer filters; agencies never create
-- debtors.)
CREATE POLICY "debtors_agency_scope" ON "debtors" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "debtors".tenant_id AND a.debtor_id = "debtors".id));
--> statement-breakpoint
CREATE POLICY "debtor_contact_points_agency_scope" ON "debtor_contact_points" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "debtors" d WHERE d.tenant_id = "debtor_contact_points".tenant_id AND d.id = "debtor_contact_points".debtor_id));
--> statement-breakpoint
-- An agency reads only the audit events it caused.
CREATE POLICY "audit_events_agency_scope" ON "audit_events" AS RESTRICTIVE FOR SELECT TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL
         OR (actor_kind = 'agency' AND actor_id = (select current_setting('app.agency_id', true))));
--> statement-breakpoint
-- An agency sees its own agency row, grants and placements, and changes none of them.
CREATE POLICY "agencies_agency_scope" ON "agencies" AS RESTRICTIVE FOR SELECT TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL OR id = CAST((select current_setting('app.agency_id', true)) AS uuid));
--> statement-breakpoint
CREATE POLICY "agency_grants_agency_scope" ON "agency_grants" AS RESTRICTIVE FOR SELECT TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL OR agency_id = CAST((select current_setting('app.agency_id', true)) AS uuid));
--> statement-breakpoint
CREATE POLICY "agency_placements_agency_scope" ON "agency_placements" AS RESTRICTIVE FOR SELECT TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL OR agency_id = CAST((select current_setting('app.agency_id', true)) AS uuid));
--> statement-breakpoint
CREATE POLICY "agency_credentials_agency_scope" ON "agency_credentials" AS RESTRICTIVE FOR SELECT TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agencies_no_agency_insert" ON "agencies" AS RESTRICTIVE FOR INSERT TO arrears_app
  WITH CHECK ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agencies_no_agency_update" ON "agencies" AS RESTRICTIVE FOR UPDATE TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_credentials_no_agency_insert" ON "agency_credentials" AS RESTRICTIVE FOR INSERT TO arrears_app
  WITH CHECK ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_credentials_no_agency_update" ON "agency_credentials" AS RESTRICTIVE FOR UPDATE TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_grants_no_agency_insert" ON "agency_grants" AS RESTRICTIVE FOR INSERT TO arrears_app
  WITH CHECK ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_grants_no_agency_update" ON "agency_grants" AS RESTRICTIVE FOR UPDATE TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_placements_no_agency_insert" ON "agency_placements" AS RESTRICTIVE FOR INSERT TO arrears_app
  WITH CHECK ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "agency_placements_no_agency_update" ON "agency_placements" AS RESTRICTIVE FOR UPDATE TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
-- Token issuance and per-request verification run before a tenant context exists, like API key lookup:
-- confined to two SECURITY DEFINER functions owned by arrears_auth, each returning one client's or one
-- agency's rows for a given tenant.
CREATE POLICY "agencies_authenticate" ON "agencies" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
CREATE POLICY "agency_credentials_authenticate" ON "agency_credentials" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
CREATE POLICY "agency_grants_authenticate" ON "agency_grants" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
GRANT SELECT ("tenant_id", "id", "status") ON "agencies" TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "id", "agency_id", "public_id", "secret_hash", "revoked_at") ON "agency_credentials" TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "id", "agency_id", "portfolio_id", "scopes", "valid_from", "valid_until", "ended_at") ON "agency_grants" TO arrears_auth;
--> statement-breakpoint
CREATE FUNCTION arrears_authenticate_agency_client(p_tenant_id uuid, p_public_id text)
RETURNS TABLE (credential_id uuid, agency_id uuid, secret_hash text, revoked_at timestamptz, agency_status text, tenant_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.id, c.agency_id, c.secret_hash, c.revoked_at, a.status, t.status
  FROM agency_credentials c
  JOIN agencies a ON a.tenant_id = c.tenant_id AND a.id = c.agency_id
  JOIN tenants t ON t.id = c.tenant_id
  WHERE c.tenant_id = p_tenant_id AND c.public_id = p_public_id
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_authenticate_agency_client(uuid, text) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_authenticate_agency_client(uuid, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_authenticate_agency_client(uuid, text) TO CURRENT_USER;
--> statement-breakpoint
-- The grants a token may still use: open, inside their window, of an active agency whose credential is not
-- revoked, in an active tenant. No row means the token is dead, whatever its expiry says.
CREATE FUNCTION arrears_agency_session(p_tenant_id uuid, p_agency_id uuid, p_credential_id uuid)
RETURNS TABLE (grant_id uuid, portfolio_id uuid, scopes text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT g.id, g.portfolio_id, g.scopes
  FROM agency_grants g
  JOIN agencies a ON a.tenant_id = g.tenant_id AND a.id = g.agency_id AND a.status = 'active'
  JOIN agency_credentials c ON c.tenant_id = g.tenant_id AND c.id = p_credential_id AND c.agency_id = g.agency_id AND c.revoked_at IS NULL
  JOIN tenants t ON t.id = g.tenant_id AND t.status = 'active'
  WHERE g.tenant_id = p_tenant_id AND g.agency_id = p_agency_id
    AND g.ended_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now())
  ORDER BY g.portfolio_id
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_agency_session(uuid, uuid, uuid) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_agency_session(uuid, uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_agency_session(uuid, uuid, uuid) TO CURRENT_USER;
