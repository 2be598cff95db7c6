// Barrel of every table: drizzle-kit reads this to generate migrations.
export * from '../modules/tenancy/tenant.table.js';
export * from '../modules/tenancy/api-key.table.js';
export * from '../modules/debtors/debtor.table.js';
export * from '../modules/audit/audit.table.js';
export * from '../modules/accounts/portfolio.table.js';
export * from '../modules/accounts/account.table.js';
export * from '../modules/accounts/ledger.table.js';
export * from '../modules/accounts/delinquency.table.js';
export * from '../modules/accounts/alert.table.js';
export * from '../modules/fees/late-fee.table.js';
export * from '../modules/plans/plan.table.js';
export * from '../modules/plans/promise.table.js';
export * from '../modules/plans/settlement.table.js';
export * from '../modules/plans/payment.table.js';
export * from '../modules/agencies/agency.table.js';
export * from '../modules/credit-checks/credit-check.table.js';
