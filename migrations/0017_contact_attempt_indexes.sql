DROP INDEX "contact_attempts_account_idx";--> statement-breakpoint
DROP INDEX "contact_attempts_debtor_idx";--> statement-breakpoint
CREATE INDEX "contact_attempts_account_id_idx" ON "contact_attempts" USING btree ("tenant_id","account_id","id");--> statement-breakpoint
CREATE INDEX "contact_attempts_account_idx" ON "contact_attempts" USING btree ("tenant_id","account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "contact_attempts_debtor_idx" ON "contact_attempts" USING btree ("tenant_id","debtor_id","id");