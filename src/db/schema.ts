// Barrel of every table: drizzle-kit reads this to generate migrations.
export * from '../modules/tenancy/tenant.table.js';
export * from '../modules/tenancy/api-key.table.js';
export * from '../modules/debtors/debtor.table.js';
export * from '../modules/audit/audit.table.js';
