import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Database, type Tx } from '../../db/client.js';
import { toUuidArray } from '../accounts/portfolio.repository.js';
import { agencies, agencyCredentials, agencyGrants, agencyPlacements } from './agency.table.js';

export type AgencyRow = typeof agencies.$inferSelect;
export type CredentialRow = typeof agencyCredentials.$inferSelect;
export type GrantRow = typeof agencyGrants.$inferSelect;
export type PlacementRow = typeof agencyPlacements.$inferSelect;

export interface ClientVerification {
  credential_id: string;
  agency_id: string;
  secret_hash: string;
  revoked_at: Date | string | null;
  agency_status: string;
  tenant_status: string;
}

export interface SessionGrant {
  grant_id: string;
  portfolio_id: string;
  scopes: string[] | string;
  plan_code: string | null;
  billing_status: string | null;
  past_due_since: Date | string | null;
  hits: number | null;
}

/** A grant that is open and not past its window (it may start later). */
const OPEN_GRANT = sql`g.ended_at is null and (g.valid_until is null or g.valid_until > now())`;

/** One placement per (grant, account) matched by `where`, with what the account owes and since when. */
async function insertPlacements(tx: Tx, tenantId: string, where: SQL): Promise<{ grant_id: string }[]> {
  return rowsOf(
    await tx.execute(sql`
      insert into agency_placements (tenant_id, grant_id, agency_id, portfolio_id, account_id, placed_at, ended_at, currency, balance_at_placement, due_since_at_placement)
      select g.tenant_id, g.id, g.agency_id, g.portfolio_id, a.id, greatest(g.valid_from, now()), g.valid_until, a.currency,
             a.principal_balance + a.interest_balance + a.fee_balance, a.oldest_unpaid_due_on
        from agency_grants g
        join accounts a on a.tenant_id = g.tenant_id and a.portfolio_id = g.portfolio_id
       where g.tenant_id = ${tenantId} and ${where}
      returning grant_id`),
  );
}

/** Ends running and future placements now; one that has not started ends where it starts (it never runs). */
async function endPlacements(tx: Tx, tenantId: string, where: SQL, reason: string): Promise<void> {
  await tx.execute(sql`
    update agency_placements set ended_at = greatest(placed_at, now()), end_reason = ${reason}
     where tenant_id = ${tenantId} and ${where} and (ended_at is null or ended_at > now())`);
}

export const agencyRepository = {
  async insert(tx: Tx, tenantId: string, row: Omit<typeof agencies.$inferInsert, 'tenantId'>): Promise<AgencyRow> {
    return (await tx.insert(agencies).values({ ...row, tenantId }).returning())[0]!;
  },

  async update(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<typeof agencies.$inferInsert>): Promise<AgencyRow | null> {
    const rows = await tx
      .update(agencies)
      .set({ ...patch, version: sql`${agencies.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(agencies.tenantId, tenantId), eq(agencies.id, id), eq(agencies.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  async find(tx: Tx, tenantId: string, id: string, lock = false): Promise<AgencyRow | null> {
    const q = tx.select().from(agencies).where(and(eq(agencies.tenantId, tenantId), eq(agencies.id, id)));
    return (lock ? await q.for('update') : await q)[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, ids: readonly string[]): Promise<AgencyRow[]> {
    if (!ids.length) return [];
    return tx.select().from(agencies).where(and(eq(agencies.tenantId, tenantId), inArray(agencies.id, [...ids])));
  },

  async list(tx: Tx, tenantId: string): Promise<AgencyRow[]> {
    return tx.select().from(agencies).where(eq(agencies.tenantId, tenantId)).orderBy(asc(agencies.name));
  },

  // Credentials

  async insertCredential(tx: Tx, tenantId: string, row: Omit<typeof agencyCredentials.$inferInsert, 'tenantId'>): Promise<CredentialRow> {
    return (await tx.insert(agencyCredentials).values({ ...row, tenantId }).returning())[0]!;
  },

  async findCredential(tx: Tx, tenantId: string, id: string): Promise<CredentialRow | null> {
    const rows = await tx.select().from(agencyCredentials).where(and(eq(agencyCredentials.tenantId, tenantId), eq(agencyCredentials.id, id))).for('update');
    return rows[0] ?? null;
  },

  async credentials(tx: Tx, tenantId: string, agencyId: string): Promise<CredentialRow[]> {
    return tx
      .select()
      .from(agencyCredentials)
      .where(and(eq(agencyCredentials.tenantId, tenantId), eq(agencyCredentials.agencyId, agencyId)))
      .orderBy(desc(agencyCredentials.createdAt), desc(agencyCredentials.id));
  },

  async revokeCredential(tx: Tx, tenantId: string, id: string, at: Date, byId: string): Promise<CredentialRow> {
    const rows = await tx
      .update(agencyCredentials)
      .set({ revokedAt: at, revokedById: byId })
      .where(and(eq(agencyCredentials.tenantId, tenantId), eq(agencyCredentials.id, id)))
      .returning();
    return rows[0]!;
  },

  async revokeAllCredentials(tx: Tx, tenantId: string, agencyId: string, at: Date, byId: string): Promise<number> {
    const rows = await tx
      .update(agencyCredentials)
      .set({ revokedAt: at, revokedById: byId })
      .where(and(eq(agencyCredentials.tenantId, tenantId), eq(agencyCredentials.agencyId, agencyId), isNull(agencyCredentials.revokedAt)))
      .returning({ id: agencyCredentials.id });
    return rows.length;
  },

  async touchCredential(tx: Tx, tenantId: string, id: string, at: Date): Promise<void> {
    await tx.update(agencyCredentials).set({ lastUsedAt: at }).where(and(eq(agencyCredentials.tenantId, tenantId), eq(agencyCredentials.id, id)));
  },

  /** Before the tenant context exists: SECURITY DEFINER lookup of one client (migration 0012). */
  async lookupClient(db: Database, tenantId: string, publicId: string): Promise<ClientVerification | null> {
    const rows = await db.query<ClientVerification & Record<string, unknown>>('select * from arrears_authenticate_agency_client($1, $2)', [tenantId, publicId]);
    return rows[0] ?? null;
  },

  /** The grants an agency's credential may use right now (empty: the token is dead). */
  /** The session's grants, each row also carrying the tenant's subscription and (given a window) the credential's request count. */
  async sessionGrants(db: Database, tenantId: string, agencyId: string, credentialId: string, window: Date | null): Promise<SessionGrant[]> {
    return db.query<SessionGrant & Record<string, unknown>>('select * from arrears_agency_session_billed($1, $2, $3, $4)', [tenantId, agencyId, credentialId, window?.toISOString() ?? null]);
  },

  // Grants

  /** Ends open grants of these portfolios whose window has passed, so a new placement can be made. */
  async closeExpired(tx: Tx, tenantId: string, portfolioIds: readonly string[]): Promise<void> {
    await tx.execute(sql`
      update ${agencyGrants} set ended_at = valid_until, end_reason = 'expired'
       where tenant_id = ${tenantId} and portfolio_id = any(${toUuidArray(portfolioIds)})
         and ended_at is null and valid_until is not null and valid_until <= now()`);
  },

  async openGrants(tx: Tx, tenantId: string, portfolioIds: readonly string[], lock: boolean): Promise<GrantRow[]> {
    if (!portfolioIds.length) return [];
    const q = tx
      .select()
      .from(agencyGrants)
      .where(and(eq(agencyGrants.tenantId, tenantId), inArray(agencyGrants.portfolioId, [...portfolioIds]), isNull(agencyGrants.endedAt)))
      .orderBy(asc(agencyGrants.portfolioId));
    return lock ? q.for('update') : q;
  },

  async insertGrants(tx: Tx, tenantId: string, rows: Omit<typeof agencyGrants.$inferInsert, 'tenantId'>[]): Promise<GrantRow[]> {
    return tx.insert(agencyGrants).values(rows.map((r) => ({ ...r, tenantId }))).returning();
  },

  async findGrant(tx: Tx, tenantId: string, id: string, lock = false): Promise<GrantRow | null> {
    const q = tx.select().from(agencyGrants).where(and(eq(agencyGrants.tenantId, tenantId), eq(agencyGrants.id, id)));
    return (lock ? await q.for('update') : await q)[0] ?? null;
  },

  async grants(tx: Tx, tenantId: string, filter: { agencyId?: string | null; portfolioId?: string | null; activeOnly: boolean }): Promise<GrantRow[]> {
    return tx
      .select()
      .from(agencyGrants)
      .where(
        and(
          eq(agencyGrants.tenantId, tenantId),
          filter.agencyId ? eq(agencyGrants.agencyId, filter.agencyId) : undefined,
          filter.portfolioId ? eq(agencyGrants.portfolioId, filter.portfolioId) : undefined,
          filter.activeOnly ? sql`${agencyGrants.endedAt} is null and (${agencyGrants.validUntil} is null or ${agencyGrants.validUntil} > now())` : undefined,
        ),
      )
      .orderBy(desc(agencyGrants.createdAt), desc(agencyGrants.id))
      .limit(1000);
  },

  async endGrants(tx: Tx, tenantId: string, ids: readonly string[], reason: GrantRow['endReason'], byId: string, note: string | null): Promise<GrantRow[]> {
    if (!ids.length) return [];
    return tx
      .update(agencyGrants)
      .set({ endedAt: sql`now()`, endReason: reason, endedById: byId, recallNote: note })
      .where(and(eq(agencyGrants.tenantId, tenantId), inArray(agencyGrants.id, [...ids]), isNull(agencyGrants.endedAt)))
      .returning();
  },

  async countOpenGrants(tx: Tx, tenantId: string): Promise<number> {
    const rows = await tx.select({ n: sql<string>`count(*)` }).from(agencyGrants).where(and(eq(agencyGrants.tenantId, tenantId), isNull(agencyGrants.endedAt)));
    return Number(rows[0]?.n ?? 0);
  },

  // Placements

  /**
   * Opens a placement for every account of the granted portfolios (one statement per grant batch), starting
   * when the grant starts (now, or its valid_from) and ending when it ends.
   */
  async placePortfolios(tx: Tx, tenantId: string, grantIds: readonly string[]): Promise<Map<string, number>> {
    const placed = new Map<string, number>(grantIds.map((id) => [id, 0]));
    if (!grantIds.length) return placed;
    for (const r of await insertPlacements(tx, tenantId, sql`g.id = any(${toUuidArray(grantIds)})`)) placed.set(r.grant_id, (placed.get(r.grant_id) ?? 0) + 1);
    return placed;
  },

  /**
   * Accounts that arrive in a portfolio while it is placed (created or moved in) join the open placement.
   * Called after their opening entries are posted, so the balance is what was handed over.
   */
  async placeAccounts(tx: Tx, tenantId: string, accountIds: readonly string[]): Promise<void> {
    if (!accountIds.length) return;
    await insertPlacements(tx, tenantId, sql`${OPEN_GRANT} and a.id = any(${toUuidArray(accountIds)})`);
  },

  /**
   * After an import into a portfolio: accounts of it that an open grant has not yet placed join the placement.
   * Nothing to do (one index probe) when the portfolio is not placed.
   */
  async placeArrivals(tx: Tx, tenantId: string, portfolioId: string): Promise<void> {
    await insertPlacements(
      tx,
      tenantId,
      sql`${OPEN_GRANT} and g.portfolio_id = ${portfolioId}
          and not exists (select 1 from agency_placements x where x.tenant_id = a.tenant_id and x.grant_id = g.id and x.account_id = a.id)`,
    );
  },

  /** Ends the open placements of these accounts (moved out of a placed portfolio). */
  async endAccountPlacements(tx: Tx, tenantId: string, accountIds: readonly string[], reason: string): Promise<void> {
    if (!accountIds.length) return;
    await endPlacements(tx, tenantId, sql`account_id = any(${toUuidArray(accountIds)})`, reason);
  },

  async endGrantPlacements(tx: Tx, tenantId: string, grantIds: readonly string[], reason: string): Promise<void> {
    if (!grantIds.length) return;
    await endPlacements(tx, tenantId, sql`grant_id = any(${toUuidArray(grantIds)})`, reason);
  },

  async placementsOfAccounts(tx: Tx, tenantId: string, accountIds: readonly string[]): Promise<PlacementRow[]> {
    if (!accountIds.length) return [];
    return tx
      .select()
      .from(agencyPlacements)
      .where(and(eq(agencyPlacements.tenantId, tenantId), inArray(agencyPlacements.accountId, [...accountIds])))
      .orderBy(asc(agencyPlacements.accountId), desc(agencyPlacements.placedAt));
  },
};
