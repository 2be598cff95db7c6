-- Credit checks (issue 7): FORCE RLS, grants, append-only history, and portfolio scope.
ALTER TABLE "credit_bureaus" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "credit_settings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "credit_checks" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "credit_reports" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "debtor_risk_history" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Bureaus are deactivated, never deleted: checks and reports refer to them. Reports are updated only to purge
-- their sealed payload at expiry; the risk history is append-only.
GRANT SELECT, INSERT, UPDATE ON "credit_bureaus", "credit_settings", "credit_checks", "credit_reports" TO arrears_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON "debtor_risk_history" TO arrears_app;
--> statement-breakpoint
CREATE TRIGGER debtor_risk_history_append_only BEFORE UPDATE OR DELETE ON "debtor_risk_history"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER debtor_risk_history_no_truncate BEFORE TRUNCATE ON "debtor_risk_history"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
-- Portfolio-scoped sessions and agencies see checks, reports and risk history only of debtors they reach
-- through an account in scope. (The application gives agencies none of the credit operations and no risk
-- history; this is the floor beneath that.)
CREATE POLICY "credit_checks_portfolio_scope" ON "credit_checks" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "credit_checks".tenant_id AND a.debtor_id = "credit_checks".debtor_id));
--> statement-breakpoint
CREATE POLICY "credit_reports_portfolio_scope" ON "credit_reports" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "credit_reports".tenant_id AND a.debtor_id = "credit_reports".debtor_id));
--> statement-breakpoint
CREATE POLICY "debtor_risk_history_portfolio_scope" ON "debtor_risk_history" AS RESTRICTIVE FOR ALL TO arrears_app
  USING (((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL AND (select nullif(current_setting('app.agency_id', true), '')) IS NULL)
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "debtor_risk_history".tenant_id AND a.debtor_id = "debtor_risk_history".debtor_id));
