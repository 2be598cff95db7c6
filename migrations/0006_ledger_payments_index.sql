-- Collections in the portfolio totals (portfolio.repository.ts, totals) sum every payment of a tenant with
-- its account and date. Payments are a small share of the ledger and lie scattered through its heap among
-- the charges; this partial covering index answers that read index-only (about 19 MB per 300,000 payments)
-- instead of visiting ledger pages. Payments are only ever inserted (the ledger is append-only), so the
-- index costs one entry per payment.
CREATE INDEX "ledger_entries_payments_idx" ON "ledger_entries" USING btree ("tenant_id", "account_id", "effective_on") INCLUDE ("amount") WHERE "kind" = 'payment';
