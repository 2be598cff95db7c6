-- Lawful contact and outbound webhooks (issue 9): FORCE RLS, grants, append-only records, portfolio scope,
-- and the two SECURITY DEFINER functions of the outbox (emit, claim).
ALTER TABLE "contact_attempts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "contact_preferences" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "contact_rules" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "disputes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "validation_notices" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "webhook_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "webhook_attempts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- The contact log, consent history and validation notices are records: written once, never removed.
GRANT SELECT, INSERT ON "contact_attempts", "contact_preferences", "validation_notices" TO arrears_app;
--> statement-breakpoint
-- Webhook events and their delivery log are operational data: written once, then removed by the retention
-- purge (WEBHOOK_RETENTION_DAYS) once delivered or given up.
GRANT SELECT, INSERT, DELETE ON "webhook_events", "webhook_attempts" TO arrears_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "contact_rules", "disputes", "webhook_endpoints" TO arrears_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "webhook_deliveries" TO arrears_app;
--> statement-breakpoint
CREATE TRIGGER contact_attempts_append_only BEFORE UPDATE OR DELETE ON "contact_attempts"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contact_attempts_no_truncate BEFORE TRUNCATE ON "contact_attempts"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contact_preferences_append_only BEFORE UPDATE OR DELETE ON "contact_preferences"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER validation_notices_append_only BEFORE UPDATE OR DELETE ON "validation_notices"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER webhook_attempts_append_only BEFORE UPDATE ON "webhook_attempts"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contact_preferences_no_truncate BEFORE TRUNCATE ON "contact_preferences"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER validation_notices_no_truncate BEFORE TRUNCATE ON "validation_notices"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER webhook_attempts_no_truncate BEFORE TRUNCATE ON "webhook_attempts"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
-- Portfolio-scoped sessions and agencies reach contacts, disputes and notices of accounts in their reach, and a
-- debtor's consent history when they reach one of the debtor's accounts.
CREATE POLICY "contact_attempts_portfolio_scope" ON "contact_attempts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "contact_attempts".tenant_id AND a.id = "contact_attempts".account_id));
--> statement-breakpoint
CREATE POLICY "disputes_portfolio_scope" ON "disputes" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "disputes".tenant_id AND a.id = "disputes".account_id));
--> statement-breakpoint
CREATE POLICY "validation_notices_portfolio_scope" ON "validation_notices" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "validation_notices".tenant_id AND a.id = "validation_notices".account_id));
--> statement-breakpoint
CREATE POLICY "contact_preferences_portfolio_scope" ON "contact_preferences" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "contact_preferences".tenant_id AND a.debtor_id = "contact_preferences".debtor_id));
--> statement-breakpoint
-- An agency opens disputes it hears of; resolving one (an UPDATE) is the creditor's.
CREATE POLICY "disputes_no_agency_update" ON "disputes" AS RESTRICTIVE FOR UPDATE TO arrears_app
  USING ((select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
-- Contact rules are read by every session that logs a contact; only a tenant-wide admin changes them.
CREATE POLICY "contact_rules_scoped_read_only" ON "contact_rules" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (true)
  WITH CHECK ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
-- Webhook configuration and delivery data belong to the creditor as a whole: scoped sessions see none of it.
-- (Their changes still raise events: through arrears_webhook_emit below, not through these tables.)
CREATE POLICY "webhook_endpoints_unscoped_only" ON "webhook_endpoints" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "webhook_events_unscoped_only" ON "webhook_events" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "webhook_deliveries_unscoped_only" ON "webhook_deliveries" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
CREATE POLICY "webhook_attempts_unscoped_only" ON "webhook_attempts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL);
--> statement-breakpoint
-- arrears_auth owns the outbox functions. Its policies bind it to the calling transaction's tenant for emit;
-- the claim reads across tenants but returns only (tenant, endpoint) pairs and touches only the lease columns.
GRANT SELECT ("tenant_id", "id", "status", "event_types", "lease_owner", "lease_until") ON "webhook_endpoints" TO arrears_auth;
--> statement-breakpoint
GRANT UPDATE ("lease_owner", "lease_until") ON "webhook_endpoints" TO arrears_auth;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "endpoint_id", "status", "seq", "next_attempt_at") ON "webhook_deliveries" TO arrears_auth;
--> statement-breakpoint
GRANT INSERT ON "webhook_events", "webhook_deliveries" TO arrears_auth;
--> statement-breakpoint
CREATE POLICY "webhook_endpoints_outbox" ON "webhook_endpoints" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
CREATE POLICY "webhook_endpoints_claim" ON "webhook_endpoints" AS PERMISSIVE FOR UPDATE TO arrears_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY "webhook_deliveries_claim" ON "webhook_deliveries" AS PERMISSIVE FOR SELECT TO arrears_auth USING (true);
--> statement-breakpoint
CREATE POLICY "webhook_events_emit" ON "webhook_events" AS PERMISSIVE FOR INSERT TO arrears_auth
  WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
--> statement-breakpoint
CREATE POLICY "webhook_deliveries_emit" ON "webhook_deliveries" AS PERMISSIVE FOR INSERT TO arrears_auth
  WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
--> statement-breakpoint
-- Writes events of one type to the outbox of the transaction's tenant and fans each out to the active
-- endpoints subscribed to that type, in the caller's transaction. A tenant with no subscriber writes nothing.
-- DEFINER so that any session may raise events (an agency recording a payment) without reading the tenant's
-- endpoints, which its policies hide. Returns the number of deliveries queued.
CREATE FUNCTION arrears_webhook_emit(p_type text, p_ids uuid[], p_data jsonb[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  t uuid := CAST(nullif(current_setting('app.tenant_id', true), '') AS uuid);
  endpoints uuid[];
  n integer;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'arrears_webhook_emit needs a tenant transaction' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT array_agg(e.id ORDER BY e.id) INTO endpoints FROM webhook_endpoints e
   WHERE e.tenant_id = t AND e.status = 'active' AND p_type = ANY (e.event_types);
  IF endpoints IS NULL OR cardinality(p_ids) = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO webhook_events (tenant_id, id, type, data)
    SELECT t, i, p_type, d FROM unnest(p_ids, p_data) AS u(i, d);
  -- One delivery id per (event, endpoint), derived so the function needs no uuid generator of its own.
  INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id)
    SELECT t, CAST(md5(i::text || ep::text) AS uuid), ep, i
      FROM unnest(p_ids) WITH ORDINALITY AS u(i, o) CROSS JOIN unnest(endpoints) AS ep
     ORDER BY o, ep;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_webhook_emit(text, uuid[], jsonb[]) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_webhook_emit(text, uuid[], jsonb[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_webhook_emit(text, uuid[], jsonb[]) TO arrears_app;
--> statement-breakpoint
-- Leases up to p_limit active endpoints of active tenants whose oldest pending delivery is due and which no
-- other worker holds. Deliveries are sent by the lease holder alone, in order; an expired lease (a crashed
-- worker) is taken over, and what the crashed worker sent but did not record is sent again (at least once).
CREATE FUNCTION arrears_webhook_claim(p_worker text, p_limit integer, p_lease_seconds integer)
RETURNS TABLE (tenant_id uuid, endpoint_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  UPDATE webhook_endpoints e
     SET lease_owner = p_worker, lease_until = now() + make_interval(secs => p_lease_seconds)
    FROM (
      SELECT x.tenant_id, x.id
        FROM webhook_endpoints x
        JOIN tenants tn ON tn.id = x.tenant_id AND tn.status = 'active'
       WHERE x.status = 'active'
         AND (x.lease_until IS NULL OR x.lease_until < now())
         AND (SELECT d.next_attempt_at FROM webhook_deliveries d
               WHERE d.tenant_id = x.tenant_id AND d.endpoint_id = x.id AND d.status = 'pending'
               ORDER BY d.seq LIMIT 1) <= now()
       ORDER BY x.lease_until NULLS FIRST
       LIMIT p_limit
       FOR UPDATE OF x SKIP LOCKED
    ) c
   WHERE e.tenant_id = c.tenant_id AND e.id = c.id
  RETURNING e.tenant_id, e.id
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_webhook_claim(text, integer, integer) OWNER TO arrears_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_webhook_claim(text, integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_webhook_claim(text, integer, integer) TO CURRENT_USER;
