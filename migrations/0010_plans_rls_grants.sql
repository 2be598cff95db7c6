-- Plans, promises, settlements and payments: FORCE RLS, grants, append-only history, portfolio scope.
ALTER TABLE "plan_rules" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "plans" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "plan_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "plan_installments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "promises" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "settlement_offers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "settlement_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "payments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "payment_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "installment_payments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "plan_rules", "plans", "plan_accounts", "plan_installments", "promises", "settlement_offers", "settlement_accounts", "payments" TO arrears_app;
--> statement-breakpoint
-- Where a payment went is history: written once, like the ledger it mirrors.
--> statement-breakpoint
GRANT SELECT, INSERT ON "payment_accounts", "installment_payments" TO arrears_app;
--> statement-breakpoint
CREATE TRIGGER payment_accounts_append_only BEFORE UPDATE OR DELETE ON "payment_accounts"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER payment_accounts_no_truncate BEFORE TRUNCATE ON "payment_accounts"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER installment_payments_append_only BEFORE UPDATE OR DELETE ON "installment_payments"
  FOR EACH ROW EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
CREATE TRIGGER installment_payments_no_truncate BEFORE TRUNCATE ON "installment_payments"
  FOR EACH STATEMENT EXECUTE FUNCTION arrears_refuse_change();
--> statement-breakpoint
-- Portfolio-scoped principals: a plan, settlement offer or payment is visible only when every portfolio it
-- spans (portfolio_ids, recorded when it is made; accounts in an open plan or offer cannot move) is in scope.
-- Rows hanging off them follow their parent; promises follow their account or plan.
--> statement-breakpoint
CREATE POLICY "plans_portfolio_scope" ON "plans" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL OR "plans".portfolio_ids <@ CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[]));
--> statement-breakpoint
CREATE POLICY "settlement_offers_portfolio_scope" ON "settlement_offers" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL OR "settlement_offers".portfolio_ids <@ CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[]));
--> statement-breakpoint
CREATE POLICY "payments_portfolio_scope" ON "payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL OR "payments".portfolio_ids <@ CAST((select nullif(current_setting('app.portfolio_ids', true), '')) AS uuid[]));
--> statement-breakpoint
CREATE POLICY "plan_accounts_portfolio_scope" ON "plan_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "plans" x WHERE x.tenant_id = "plan_accounts".tenant_id AND x.id = "plan_accounts".plan_id));
--> statement-breakpoint
CREATE POLICY "plan_installments_portfolio_scope" ON "plan_installments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "plans" x WHERE x.tenant_id = "plan_installments".tenant_id AND x.id = "plan_installments".plan_id));
--> statement-breakpoint
CREATE POLICY "settlement_accounts_portfolio_scope" ON "settlement_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "settlement_offers" x WHERE x.tenant_id = "settlement_accounts".tenant_id AND x.id = "settlement_accounts".settlement_id));
--> statement-breakpoint
CREATE POLICY "payment_accounts_portfolio_scope" ON "payment_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "payments" x WHERE x.tenant_id = "payment_accounts".tenant_id AND x.id = "payment_accounts".payment_id));
--> statement-breakpoint
CREATE POLICY "installment_payments_portfolio_scope" ON "installment_payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "payments" x WHERE x.tenant_id = "installment_payments".tenant_id AND x.id = "installment_payments".payment_id));
--> statement-breakpoint
CREATE POLICY "promises_portfolio_scope" ON "promises" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "promises".tenant_id AND a.id = "promises".account_id)
         OR EXISTS (SELECT 1 FROM "plans" p WHERE p.tenant_id = "promises".tenant_id AND p.id = "promises".plan_id));
