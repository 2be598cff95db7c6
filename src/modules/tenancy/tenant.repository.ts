import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { tenants } from './tenant.table.js';

export type TenantRow = typeof tenants.$inferSelect;

export const tenantRepository = {
  async insert(tx: Tx, tenantId: string, row: { name: string; timeZone: string }): Promise<TenantRow> {
    const rows = await tx.insert(tenants).values({ id: tenantId, ...row }).returning();
    return rows[0]!;
  },
  async find(tx: Tx, tenantId: string): Promise<TenantRow | null> {
    const rows = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
    return rows[0] ?? null;
  },
};
