-- Debtor search under row-level security.
--
-- As the app role, PostgreSQL may use a predicate as an index condition only if it is LEAKPROOF (it must not
-- see rows before the RLS policy has filtered them). LIKE, @> and lower() are not leakproof, so every
-- search predicate (trigram LIKE on search_text, search_keys @>, the contact points' prefix LIKE) was a
-- filter over a scan of all the tenant's rows: about 2 s per search at 1M debtors (npm run bench:search).
--
-- Matching therefore runs in one SECURITY DEFINER function owned by arrears_search, whose only policy on
-- these tables is a constant true (no security quals, so the indexes are usable) and which may read only the
-- search columns. The function scopes every branch to the tenant in the transaction's own context, the very
-- setting the tenant policies read, so it matches exactly the rows RLS would let the caller see; it returns
-- ids only, and the caller's query still reads the rows themselves under RLS.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'arrears_search') THEN
    CREATE ROLE arrears_search NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
--> statement-breakpoint
CREATE POLICY "debtors_search" ON "debtors" AS PERMISSIVE FOR SELECT TO arrears_search USING (true);
--> statement-breakpoint
CREATE POLICY "debtor_contact_points_search" ON "debtor_contact_points" AS PERMISSIVE FOR SELECT TO arrears_search USING (true);
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO arrears_search;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "id", "search_text", "search_keys", "external_ref") ON "debtors" TO arrears_search;
--> statement-breakpoint
GRANT SELECT ("tenant_id", "debtor_id", "kind", "search_value") ON "debtor_contact_points" TO arrears_search;
--> statement-breakpoint
-- The text search also matches lower(external_ref) exactly; debtors_external_ref_key is on the raw value.
-- Partial: without the NULL refs it is never the cheapest-looking index for the foreign-key checks on
-- debtors(tenant_id, id), which on a not-yet-analysed table could otherwise pick it and scan the tenant.
CREATE INDEX "debtors_external_ref_lower_idx" ON "debtors" USING btree ("tenant_id", lower("external_ref")) WHERE "external_ref" IS NOT NULL;
--> statement-breakpoint
-- Each non-null argument is one branch; a debtor matched by several branches may be returned more than once
-- (callers use the result with IN). Patterns arrive escaped by the caller (debtor.repository.ts).
-- force_custom_plan: each call is planned with its arguments' values, which a LIKE prefix needs to become an
-- index range (a generic plan would see only "LIKE $1").
CREATE FUNCTION arrears_search_debtor_ids(p_name_like text, p_name_keys text[], p_email_prefix text, p_phone_prefix text, p_ref text)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET plan_cache_mode = force_custom_plan
ROWS 100
AS $$
DECLARE
  v_tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
BEGIN
  IF v_tenant IS NULL THEN
    RETURN;
  END IF;
  IF p_name_like IS NOT NULL THEN
    RETURN QUERY SELECT d.id FROM debtors d WHERE d.tenant_id = v_tenant AND d.search_text LIKE p_name_like;
  END IF;
  IF p_name_keys IS NOT NULL THEN
    RETURN QUERY SELECT d.id FROM debtors d WHERE d.tenant_id = v_tenant AND d.search_keys @> p_name_keys;
  END IF;
  IF p_email_prefix IS NOT NULL THEN
    RETURN QUERY SELECT c.debtor_id FROM debtor_contact_points c
      WHERE c.tenant_id = v_tenant AND c.kind = 'email' AND c.search_value LIKE p_email_prefix;
  END IF;
  IF p_phone_prefix IS NOT NULL THEN
    RETURN QUERY SELECT c.debtor_id FROM debtor_contact_points c
      WHERE c.tenant_id = v_tenant AND c.kind = 'phone' AND c.search_value LIKE p_phone_prefix;
  END IF;
  IF p_ref IS NOT NULL THEN
    RETURN QUERY SELECT d.id FROM debtors d WHERE d.tenant_id = v_tenant AND lower(d.external_ref) = p_ref;
  END IF;
END
$$;
--> statement-breakpoint
ALTER FUNCTION arrears_search_debtor_ids(text, text[], text, text, text) OWNER TO arrears_search;
--> statement-breakpoint
REVOKE ALL ON FUNCTION arrears_search_debtor_ids(text, text[], text, text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION arrears_search_debtor_ids(text, text[], text, text, text) TO arrears_app;
