import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { accounts } from './account.table.js';
import type { AccountStatus, LedgerSummary } from './account.logic.js';
import { inScope, type PortfolioScope } from './portfolio.repository.js';

export type AccountRow = typeof accounts.$inferSelect;
export type AccountInsert = Omit<typeof accounts.$inferInsert, 'tenantId'>;

export interface AccountFilter {
  portfolioId?: string | null;
  debtorId?: string | null;
  statuses?: AccountStatus[] | null;
  /** Accounts whose oldest unpaid due date is on or before this date (i.e. at least N days past due). */
  oldestUnpaidOnOrBefore?: string | null;
  /** Nothing unpaid, or the oldest unpaid due date is after this date (at most N days past due). */
  notPastDueBefore?: string | null;
}

function whereFor(tenantId: string, scope: PortfolioScope, f: AccountFilter): (SQL | undefined)[] {
  return [
    eq(accounts.tenantId, tenantId),
    inScope(accounts.portfolioId, scope),
    f.portfolioId ? eq(accounts.portfolioId, f.portfolioId) : undefined,
    f.debtorId ? eq(accounts.debtorId, f.debtorId) : undefined,
    f.statuses?.length ? inArray(accounts.status, f.statuses) : undefined,
    f.oldestUnpaidOnOrBefore ? and(isNotNull(accounts.oldestUnpaidDueOn), lte(accounts.oldestUnpaidDueOn, f.oldestUnpaidOnOrBefore)) : undefined,
    f.notPastDueBefore ? or(isNull(accounts.oldestUnpaidDueOn), gt(accounts.oldestUnpaidDueOn, f.notPastDueBefore)) : undefined,
  ];
}

export const accountRepository = {
  async insertMany(tx: Tx, tenantId: string, rows: AccountInsert[]): Promise<AccountRow[]> {
    if (!rows.length) return [];
    return tx.insert(accounts).values(rows.map((r) => ({ ...r, tenantId }))).returning();
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<AccountRow | null> {
    const q = tx.select().from(accounts).where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, id), inScope(accounts.portfolioId, scope)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<AccountRow[]> {
    if (!ids.length) return [];
    return tx.select().from(accounts).where(and(eq(accounts.tenantId, tenantId), inArray(accounts.id, [...ids]), inScope(accounts.portfolioId, scope)));
  },

  /** Locks accounts in id order (the order every writer takes), so concurrent writers queue rather than deadlock. */
  async lockMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<AccountRow[]> {
    if (!ids.length) return [];
    return tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), inArray(accounts.id, [...ids]), inScope(accounts.portfolioId, scope)))
      .orderBy(asc(accounts.id))
      .for('update');
  },

  async findByExternalRefs(tx: Tx, tenantId: string, refs: readonly string[]): Promise<AccountRow[]> {
    if (!refs.length) return [];
    return tx.select().from(accounts).where(and(eq(accounts.tenantId, tenantId), inArray(accounts.externalRef, [...refs])));
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: AccountFilter, limit: number, afterId: string | null): Promise<AccountRow[]> {
    const where = whereFor(tenantId, scope, f);
    if (afterId) where.push(sql`${accounts.id} < ${afterId}`);
    return tx.select().from(accounts).where(and(...where)).orderBy(desc(accounts.id)).limit(limit);
  },

  async count(tx: Tx, tenantId: string, scope: PortfolioScope, f: AccountFilter): Promise<number> {
    const rows = await tx.select({ n: sql<string>`count(*)` }).from(accounts).where(and(...whereFor(tenantId, scope, f)));
    return Number(rows[0]?.n ?? 0);
  },

  async byDebtors(tx: Tx, tenantId: string, scope: PortfolioScope, debtorIds: readonly string[]): Promise<AccountRow[]> {
    if (!debtorIds.length) return [];
    return tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), inArray(accounts.debtorId, [...debtorIds]), inScope(accounts.portfolioId, scope)))
      .orderBy(asc(accounts.debtorId), desc(accounts.id));
  },

  async update(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<AccountInsert>): Promise<AccountRow | null> {
    const rows = await tx
      .update(accounts)
      .set({ ...patch, version: sql`${accounts.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, id), eq(accounts.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  async inOpenNegotiation(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    const res = await tx.execute(sql`
      select 1 from plan_accounts where tenant_id = ${tenantId} and account_id = ${id} and open
      union all select 1 from settlement_accounts where tenant_id = ${tenantId} and account_id = ${id} and open limit 1`);
    return rowsOf(res).length > 0;
  },

  /** The materialised balances move with the ledger in the same transaction; version does not (not a user edit). */
  async setSummary(tx: Tx, tenantId: string, id: string, s: LedgerSummary): Promise<AccountRow> {
    const rows = await tx
      .update(accounts)
      .set({ principalBalance: s.principal, interestBalance: s.interest, feeBalance: s.fee, oldestUnpaidDueOn: s.oldestUnpaidDueOn, feeBasisDueOn: s.feeBasisDueOn, updatedAt: sql`now()` })
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, id)))
      .returning();
    return rows[0]!;
  },
};
