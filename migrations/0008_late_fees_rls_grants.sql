ALTER TABLE "late_fee_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "late_fee_policy_versions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "late_fee_attachments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "late_fee_assessments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "fee_waivers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "late_fee_runs" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "fee_jurisdiction_caps" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "late_fee_policies", "late_fee_runs", "fee_jurisdiction_caps" TO arrears_app;
--> statement-breakpoint
-- Attachments are configuration: replacing or removing one is an audited change, not history.
GRANT SELECT, INSERT, UPDATE, DELETE ON "late_fee_attachments" TO arrears_app;
--> statement-breakpoint
-- Policy versions, assessments and waivers are the record of what was charged and why: written once.
GRANT SELECT, INSERT ON "late_fee_policy_versions", "late_fee_assessments", "fee_waivers" TO arrears_app;
--> statement-breakpoint
CREATE FUNCTION arrears_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER late_fee_policy_versions_append_only BEFORE UPDATE OR DELETE ON "late_fee_policy_versions"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER late_fee_assessments_append_only BEFORE UPDATE OR DELETE ON "late_fee_assessments"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER fee_waivers_append_only BEFORE UPDATE OR DELETE ON "fee_waivers"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER late_fee_policy_versions_no_truncate BEFORE TRUNCATE ON "late_fee_policy_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER late_fee_assessments_no_truncate BEFORE TRUNCATE ON "late_fee_assessments"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER fee_waivers_no_truncate BEFORE TRUNCATE ON "fee_waivers"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
-- Accounts written before this migration: their fee basis (oldest unpaid principal or interest due date) is
-- approximated by the oldest unpaid due date; the next ledger posting on each recomputes it exactly.
UPDATE "accounts" SET "fee_basis_due_on" = "oldest_unpaid_due_on"
 WHERE "oldest_unpaid_due_on" IS NOT NULL AND "principal_balance" + "interest_balance" > 0;
--> statement-breakpoint
-- Portfolio-scoped principals: rows that belong to an account are visible only through an account the
-- session may see (the EXISTS is itself filtered by the accounts policies). Unscoped sessions stop at the
-- first test, evaluated once per statement. ledger_entries had relied on the application layer alone.
CREATE POLICY "ledger_entries_portfolio_scope" ON "ledger_entries" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "ledger_entries".tenant_id AND a.id = "ledger_entries".account_id));
--> statement-breakpoint
CREATE POLICY "late_fee_assessments_portfolio_scope" ON "late_fee_assessments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "late_fee_assessments".tenant_id AND a.id = "late_fee_assessments".account_id));
--> statement-breakpoint
CREATE POLICY "fee_waivers_portfolio_scope" ON "fee_waivers" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "fee_waivers".tenant_id AND a.id = "fee_waivers".account_id));
--> statement-breakpoint
-- Attachments: the tenant-wide and product-type ones are visible to every key of the tenant; those on a
-- portfolio or an account only within scope.
CREATE POLICY "late_fee_attachments_portfolio_scope" ON "late_fee_attachments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR (account_id IS NULL AND (portfolio_id IS NULL OR portfolio_id = ANY (CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[]))))
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "late_fee_attachments".tenant_id AND a.id = "late_fee_attachments".account_id));
