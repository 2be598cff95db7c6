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
-- Portfolio-scoped principals: rows tied to accounts are visible only through an account the session may
-- see (the EXISTS is itself filtered by the accounts policies). A plan or settlement is visible when one of its
-- accounts is; the application layer further requires all of them (and answers NOT_FOUND otherwise).
--> statement-breakpoint
CREATE POLICY "plan_accounts_portfolio_scope" ON "plan_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "plan_accounts".tenant_id AND a.id = "plan_accounts".account_id));
--> statement-breakpoint
CREATE POLICY "settlement_accounts_portfolio_scope" ON "settlement_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "settlement_accounts".tenant_id AND a.id = "settlement_accounts".account_id));
--> statement-breakpoint
CREATE POLICY "payment_accounts_portfolio_scope" ON "payment_accounts" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "payment_accounts".tenant_id AND a.id = "payment_accounts".account_id));
--> statement-breakpoint
CREATE POLICY "plans_portfolio_scope" ON "plans" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "plan_accounts" pa WHERE pa.tenant_id = "plans".tenant_id AND pa.plan_id = "plans".id));
--> statement-breakpoint
CREATE POLICY "plan_installments_portfolio_scope" ON "plan_installments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "plan_accounts" pa WHERE pa.tenant_id = "plan_installments".tenant_id AND pa.plan_id = "plan_installments".plan_id));
--> statement-breakpoint
CREATE POLICY "settlement_offers_portfolio_scope" ON "settlement_offers" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "settlement_accounts" sa WHERE sa.tenant_id = "settlement_offers".tenant_id AND sa.settlement_id = "settlement_offers".id));
--> statement-breakpoint
CREATE POLICY "promises_portfolio_scope" ON "promises" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "promises".tenant_id AND a.id = "promises".account_id)
         OR EXISTS (SELECT 1 FROM "plan_accounts" pa WHERE pa.tenant_id = "promises".tenant_id AND pa.plan_id = "promises".plan_id));
--> statement-breakpoint
CREATE POLICY "payments_portfolio_scope" ON "payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "accounts" a WHERE a.tenant_id = "payments".tenant_id AND a.id = "payments".account_id)
         OR EXISTS (SELECT 1 FROM "plan_accounts" pa WHERE pa.tenant_id = "payments".tenant_id AND pa.plan_id = "payments".plan_id)
         OR EXISTS (SELECT 1 FROM "settlement_accounts" sa WHERE sa.tenant_id = "payments".tenant_id AND sa.settlement_id = "payments".settlement_id));
--> statement-breakpoint
CREATE POLICY "installment_payments_portfolio_scope" ON "installment_payments" AS RESTRICTIVE FOR ALL TO arrears_app
  USING ((select nullif(current_setting('app.portfolio_ids', true), '')) IS NULL
         OR EXISTS (SELECT 1 FROM "payments" p WHERE p.tenant_id = "installment_payments".tenant_id AND p.id = "installment_payments".payment_id));
