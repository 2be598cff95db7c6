import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { AccountRow } from '../accounts/account.repository.js';
import { accounts } from '../accounts/account.table.js';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { settlementAccounts, settlementOffers } from './settlement.table.js';

export type SettlementRow = typeof settlementOffers.$inferSelect;
export type SettlementInsert = Omit<typeof settlementOffers.$inferInsert, 'tenantId'>;
export type SettlementAccountRow = typeof settlementAccounts.$inferSelect;

export interface SettlementFilter {
  debtorId?: string | null;
  accountId?: string | null;
  statuses?: string[] | null;
}

function settlementInScope(scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  return sql`${settlementOffers.portfolioIds} <@ ${`{${scope.join(',')}}`}::uuid[]`;
}

export const settlementRepository = {
  async insert(tx: Tx, tenantId: string, row: SettlementInsert, accts: { accountId: string; balance: bigint }[]): Promise<SettlementRow> {
    const [offer] = await tx.insert(settlementOffers).values({ ...row, tenantId }).returning();
    await tx.insert(settlementAccounts).values(accts.map((a) => ({ tenantId, settlementId: row.id, ...a })));
    return offer!;
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<SettlementRow | null> {
    const q = tx.select().from(settlementOffers).where(and(eq(settlementOffers.tenantId, tenantId), eq(settlementOffers.id, id), settlementInScope(scope)));
    const rows = lock ? await q.for('update', { of: settlementOffers }) : await q;
    return rows[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<SettlementRow[]> {
    if (!ids.length) return [];
    return tx.select().from(settlementOffers).where(and(eq(settlementOffers.tenantId, tenantId), inArray(settlementOffers.id, [...ids]), settlementInScope(scope)));
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: SettlementFilter, limit: number, beforeId: string | null): Promise<SettlementRow[]> {
    return tx
      .select()
      .from(settlementOffers)
      .where(
        and(
          eq(settlementOffers.tenantId, tenantId),
          settlementInScope(scope),
          f.debtorId ? eq(settlementOffers.debtorId, f.debtorId) : undefined,
          f.statuses?.length ? inArray(settlementOffers.status, f.statuses as SettlementRow['status'][]) : undefined,
          f.accountId ? sql`exists (select 1 from ${settlementAccounts} sa where sa.tenant_id = ${settlementOffers.tenantId} and sa.settlement_id = ${settlementOffers.id} and sa.account_id = ${f.accountId})` : undefined,
          beforeId ? lt(settlementOffers.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(settlementOffers.id))
      .limit(limit);
  },

  async update(tx: Tx, tenantId: string, id: string, patch: Partial<SettlementInsert>): Promise<SettlementRow> {
    const rows = await tx
      .update(settlementOffers)
      .set({ ...patch, version: sql`${settlementOffers.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(settlementOffers.tenantId, tenantId), eq(settlementOffers.id, id)))
      .returning();
    return rows[0]!;
  },

  /** Its accounts, locked in id order (the order every writer takes). */
  async lockAccounts(tx: Tx, tenantId: string, settlementId: string): Promise<AccountRow[]> {
    return tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), sql`${accounts.id} in (select x.account_id from ${settlementAccounts} x where x.tenant_id = ${tenantId} and x.settlement_id = ${settlementId})`))
      .orderBy(asc(accounts.id))
      .for('update');
  },

  async accounts(tx: Tx, tenantId: string, ids: readonly string[]): Promise<SettlementAccountRow[]> {
    if (!ids.length) return [];
    return tx
      .select()
      .from(settlementAccounts)
      .where(and(eq(settlementAccounts.tenantId, tenantId), inArray(settlementAccounts.settlementId, [...ids])))
      .orderBy(asc(settlementAccounts.settlementId), asc(settlementAccounts.accountId));
  },

  async updateAccount(tx: Tx, tenantId: string, settlementId: string, accountId: string, patch: Partial<Pick<SettlementAccountRow, 'priorStatus' | 'waiverGroupId' | 'open'>>): Promise<void> {
    await tx
      .update(settlementAccounts)
      .set(patch)
      .where(and(eq(settlementAccounts.tenantId, tenantId), eq(settlementAccounts.settlementId, settlementId), eq(settlementAccounts.accountId, accountId)));
  },

  async setAccountsOpen(tx: Tx, tenantId: string, settlementId: string, open: boolean): Promise<void> {
    await tx.update(settlementAccounts).set({ open }).where(and(eq(settlementAccounts.tenantId, tenantId), eq(settlementAccounts.settlementId, settlementId)));
  },

  /** An open offer (pending approval, offered or accepted) on any of the accounts, if one exists. */
  async openForAccounts(tx: Tx, tenantId: string, accountIds: readonly string[]): Promise<string | null> {
    if (!accountIds.length) return null;
    const rows = await tx
      .select({ id: settlementAccounts.settlementId })
      .from(settlementAccounts)
      .where(and(eq(settlementAccounts.tenantId, tenantId), inArray(settlementAccounts.accountId, [...accountIds]), eq(settlementAccounts.open, true)))
      .limit(1);
    return rows[0]?.id ?? null;
  },
};
