import { and, desc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { accountRowInScope } from './contact.repository.js';
import { planAccounts } from '../plans/plan.table.js';
import { disputes, validationNotices } from './dispute.table.js';

export type DisputeRow = typeof disputes.$inferSelect;
export type NoticeRow = typeof validationNotices.$inferSelect;

export interface DisputeFilter {
  accountId?: string | null;
  debtorId?: string | null;
  status?: 'open' | 'resolved' | null;
}

export const disputeRepository = {
  async insert(tx: Tx, tenantId: string, row: Omit<typeof disputes.$inferInsert, 'tenantId'>): Promise<DisputeRow> {
    return (await tx.insert(disputes).values({ ...row, tenantId }).returning())[0]!;
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<DisputeRow | null> {
    const q = tx.select().from(disputes).where(and(eq(disputes.tenantId, tenantId), eq(disputes.id, id), accountRowInScope(disputes.accountId, disputes.tenantId, scope)));
    return (await (lock ? q.for('update') : q))[0] ?? null;
  },

  async openFor(tx: Tx, tenantId: string, accountId: string): Promise<DisputeRow | null> {
    return (await tx.select().from(disputes).where(and(eq(disputes.tenantId, tenantId), eq(disputes.accountId, accountId), eq(disputes.status, 'open'))))[0] ?? null;
  },

  /** The dispute open on an account at `at` (opened by then, not resolved by then). */
  async openAt(tx: Tx, tenantId: string, accountId: string, at: Date): Promise<DisputeRow | null> {
    const rows = await tx
      .select()
      .from(disputes)
      .where(and(eq(disputes.tenantId, tenantId), eq(disputes.accountId, accountId), lte(disputes.openedAt, at), or(isNull(disputes.resolvedAt), gt(disputes.resolvedAt, at))))
      .orderBy(desc(disputes.openedAt))
      .limit(1);
    return rows[0] ?? null;
  },

  async update(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<typeof disputes.$inferInsert>): Promise<DisputeRow | null> {
    const rows = await tx
      .update(disputes)
      .set({ ...patch, version: sql`${disputes.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(disputes.tenantId, tenantId), eq(disputes.id, id), eq(disputes.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  /** Newest first, before `beforeId`. */
  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: DisputeFilter, limit: number, beforeId: string | null): Promise<DisputeRow[]> {
    const where = [eq(disputes.tenantId, tenantId)];
    const scoped = accountRowInScope(disputes.accountId, disputes.tenantId, scope);
    if (scoped) where.push(scoped);
    if (f.accountId) where.push(eq(disputes.accountId, f.accountId));
    if (f.debtorId) where.push(eq(disputes.debtorId, f.debtorId));
    if (f.status) where.push(eq(disputes.status, f.status));
    if (beforeId) where.push(lt(disputes.id, beforeId));
    return tx.select().from(disputes).where(and(...where)).orderBy(desc(disputes.id)).limit(limit);
  },

  async byAccounts(tx: Tx, tenantId: string, scope: PortfolioScope, accountIds: readonly string[]): Promise<DisputeRow[]> {
    if (!accountIds.length) return [];
    return tx
      .select()
      .from(disputes)
      .where(and(eq(disputes.tenantId, tenantId), inArray(disputes.accountId, [...accountIds]), accountRowInScope(disputes.accountId, disputes.tenantId, scope)))
      .orderBy(desc(disputes.id));
  },

  /** Of the given plans, the open disputes on their accounts (the plans they pause). */
  async openOnPlans(tx: Tx, tenantId: string, scope: PortfolioScope, planIds: readonly string[]): Promise<{ planId: string; disputeId: string }[]> {
    if (!planIds.length) return [];
    const rows = await tx
      .select({ planId: planAccounts.planId, disputeId: disputes.id })
      .from(planAccounts)
      .innerJoin(disputes, and(eq(disputes.tenantId, planAccounts.tenantId), eq(disputes.accountId, planAccounts.accountId), eq(disputes.status, 'open')))
      .where(and(eq(planAccounts.tenantId, tenantId), inArray(planAccounts.planId, [...planIds]), accountRowInScope(disputes.accountId, disputes.tenantId, scope)))
      .orderBy(disputes.id);
    return rows;
  },

  async insertNotice(tx: Tx, tenantId: string, row: Omit<typeof validationNotices.$inferInsert, 'tenantId'>): Promise<NoticeRow> {
    return (await tx.insert(validationNotices).values({ ...row, tenantId }).returning())[0]!;
  },

  async notices(tx: Tx, tenantId: string, scope: PortfolioScope, accountIds: readonly string[]): Promise<NoticeRow[]> {
    if (!accountIds.length) return [];
    return tx
      .select()
      .from(validationNotices)
      .where(and(eq(validationNotices.tenantId, tenantId), inArray(validationNotices.accountId, [...accountIds]), accountRowInScope(validationNotices.accountId, validationNotices.tenantId, scope)))
      .orderBy(desc(validationNotices.sentAt), desc(validationNotices.id));
  },
};
