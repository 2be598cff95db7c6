import { sql } from 'drizzle-orm';
import { customType, pgPolicy, pgRole, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The role every request runs as: no superuser, no BYPASSRLS. Created by migration 0000. */
export const appRole = pgRole('arrears_app').existing();
export const APP_ROLE = 'arrears_app';

/**
 * `(select …)` makes PostgreSQL evaluate the setting once per statement (an InitPlan) rather than per row.
 * `nullif` matters: once a transaction-local setting ends, the placeholder reads as '' rather than NULL.
 */
export const currentTenant = sql`(select nullif(current_setting('app.tenant_id', true), '')::uuid)`;

export const tenantId = () => uuid('tenant_id').notNull();
export const id = () => uuid('id').notNull();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The one policy shape every tenant-owned table carries (plus FORCE RLS, added in a hand-written migration). */
export function tenantPolicy(table: string) {
  return pgPolicy(`${table}_tenant_isolation`, {
    as: 'permissive',
    for: 'all',
    to: appRole,
    using: sql`tenant_id = ${currentTenant}`,
    withCheck: sql`tenant_id = ${currentTenant}`,
  });
}

/** Sealed values (AES-256-GCM: iv ‖ tag ‖ ciphertext). Both drivers may hand back a Uint8Array. */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => Buffer.from(v),
});
