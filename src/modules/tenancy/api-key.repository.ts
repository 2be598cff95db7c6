import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.js';
import { apiKeys } from './api-key.table.js';
import type { Scope } from './principal.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface KeyVerification {
  key_id: string;
  secret_hash: string;
  scopes: string[];
  portfolio_ids: string[] | null;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  tenant_status: string;
  plan_code: string | null;
  billing_status: string | null;
  past_due_since: Date | string | null;
  /** Requests in the window, when the lookup counted (p_window given and the secret matched). */
  hits: number | null;
}

export const apiKeyRepository = {
  async insert(tx: Tx, tenantId: string, row: Omit<typeof apiKeys.$inferInsert, 'tenantId'>): Promise<ApiKeyRow> {
    const rows = await tx.insert(apiKeys).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async list(tx: Tx, tenantId: string, includeRevoked: boolean): Promise<ApiKeyRow[]> {
    const where = includeRevoked ? eq(apiKeys.tenantId, tenantId) : and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt));
    return tx.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  },

  async findForUpdate(tx: Tx, tenantId: string, id: string): Promise<ApiKeyRow | null> {
    const rows = await tx.select().from(apiKeys).where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id))).for('update');
    return rows[0] ?? null;
  },

  async revoke(tx: Tx, tenantId: string, id: string, at: Date, byId: string): Promise<ApiKeyRow> {
    const rows = await tx
      .update(apiKeys)
      .set({ revokedAt: at, revokedById: byId })
      .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)))
      .returning();
    return rows[0]!;
  },

  async countActiveAdmins(tx: Tx, tenantId: string, now: Date): Promise<number> {
    const rows = await tx
      .select({ n: sql<string>`count(*)` })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.tenantId, tenantId),
          isNull(apiKeys.revokedAt),
          sql`'admin' = any(${apiKeys.scopes})`,
          // Through the column (not a raw parameter): postgres.js cannot bind a bare Date in a sql`` template.
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        ),
      );
    return Number(rows[0]?.n ?? 0);
  },

  /** Only ever moves last_used_at forward; several processes may flush the same key. */
  async touch(tx: Tx, tenantId: string, ids: string[], ats: Date[]): Promise<void> {
    const items = JSON.stringify(ids.map((id, i) => ({ id, at: ats[i]!.toISOString() })));
    await tx.execute(sql`
      update ${apiKeys} as k set last_used_at = v.at
      from jsonb_to_recordset(${items}::jsonb) as v(id uuid, at timestamptz)
      where k.tenant_id = ${tenantId} and k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`);
  },

  /**
   * Before a tenant is known: a SECURITY DEFINER function returns one key's verification data and its tenant's
   * subscription, and (given a window) counts the request against the key's rate limit, in one statement.
   */
  async lookupForAuth(db: Database, tenantId: string, publicId: string, secretHash: string, window: Date | null): Promise<KeyVerification | null> {
    const rows = await db.query<KeyVerification & Record<string, unknown>>('select * from arrears_authenticate_api_key_billed($1, $2, $3, $4)', [
      tenantId,
      publicId,
      secretHash,
      window?.toISOString() ?? null,
    ]);
    return rows[0] ?? null;
  },
};

export function scopesOf(row: ApiKeyRow): Scope[] {
  return row.scopes as Scope[];
}
