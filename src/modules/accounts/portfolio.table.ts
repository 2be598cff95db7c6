import { sql } from 'drizzle-orm';
import { check, foreignKey, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenancy/tenant.table.js';

/** A group of accounts (product, vintage or placement batch): the unit an agency is granted. */
export const portfolios = pgTable(
  'portfolios',
  {
    tenantId: tenantId(),
    id: id(),
    version: integer('version').notNull().default(1),
    name: text('name').notNull(),
    description: text('description'),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['active', 'closed'] }).notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'portfolios_tenant_fk' }),
    uniqueIndex('portfolios_name_key').on(t.tenantId, t.name),
    check('portfolios_status_check', sql`${t.status} in ('active', 'closed')`),
    check('portfolios_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    tenantPolicy('portfolios'),
  ],
).enableRLS();
