import { sql } from 'drizzle-orm';
import { check, pgPolicy, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { appRole, createdAt, currentTenant, updatedAt } from '../../db/columns.js';

/**
 * A creditor. Global by nature (its id *is* the tenant id), so it is on the catalog test's allow-list for the
 * tenant_id-led key, but still under RLS: the app role sees only its own row.
 */
export const tenants = pgTable(
  'tenants',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    timeZone: text('time_zone').notNull().default('UTC'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('tenants_status_check', sql`${t.status} in ('active', 'suspended')`),
    pgPolicy('tenants_tenant_isolation', {
      as: 'permissive',
      for: 'all',
      to: appRole,
      using: sql`id = ${currentTenant}`,
      withCheck: sql`id = ${currentTenant}`,
    }),
  ],
).enableRLS();
