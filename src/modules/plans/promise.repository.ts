import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { accounts } from '../accounts/account.table.js';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { plans } from './plan.table.js';
import { promises } from './promise.table.js';

export type PromiseRow = typeof promises.$inferSelect;
export type PromiseInsert = Omit<typeof promises.$inferInsert, 'tenantId'>;

export interface PromiseFilter {
  debtorId?: string | null;
  accountId?: string | null;
  planId?: string | null;
  statuses?: string[] | null;
}

function promiseInScope(scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  const ids = `{${scope.join(',')}}`;
  return sql`(${promises.accountId} is null or exists (select 1 from ${accounts} a where a.tenant_id = ${promises.tenantId} and a.id = ${promises.accountId} and a.portfolio_id = any(${ids}::uuid[])))
    and (${promises.planId} is null or exists (select 1 from ${plans} pl where pl.tenant_id = ${promises.tenantId} and pl.id = ${promises.planId} and pl.portfolio_ids <@ ${ids}::uuid[]))`;
}

export const promiseRepository = {
  async insert(tx: Tx, tenantId: string, row: PromiseInsert): Promise<PromiseRow> {
    const rows = await tx.insert(promises).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<PromiseRow | null> {
    const q = tx.select().from(promises).where(and(eq(promises.tenantId, tenantId), eq(promises.id, id), promiseInScope(scope)));
    const rows = lock ? await q.for('update', { of: promises }) : await q;
    return rows[0] ?? null;
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: PromiseFilter, limit: number, beforeId: string | null): Promise<PromiseRow[]> {
    return tx
      .select()
      .from(promises)
      .where(
        and(
          eq(promises.tenantId, tenantId),
          promiseInScope(scope),
          f.debtorId ? eq(promises.debtorId, f.debtorId) : undefined,
          f.accountId ? eq(promises.accountId, f.accountId) : undefined,
          f.planId ? eq(promises.planId, f.planId) : undefined,
          f.statuses?.length ? inArray(promises.status, f.statuses as PromiseRow['status'][]) : undefined,
          beforeId ? lt(promises.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(promises.id))
      .limit(limit);
  },

  async update(tx: Tx, tenantId: string, id: string, patch: Partial<PromiseInsert>): Promise<PromiseRow> {
    const rows = await tx.update(promises).set(patch).where(and(eq(promises.tenantId, tenantId), eq(promises.id, id))).returning();
    return rows[0]!;
  },

  /**
   * Pending promises a payment effective on `on` counts toward: on the accounts it reached, or on its plan,
   * made on or before that day and not past their date plus grace. Locked, in id order.
   */
  async openFor(tx: Tx, tenantId: string, accountIds: readonly string[], planId: string | null, on: string): Promise<PromiseRow[]> {
    return tx
      .select()
      .from(promises)
      .where(
        and(
          eq(promises.tenantId, tenantId),
          eq(promises.status, 'pending'),
          sql`(${accountIds.length ? inArray(promises.accountId, [...accountIds]) : sql`false`} or ${planId ? eq(promises.planId, planId) : sql`false`})`,
          sql`${promises.madeOn} <= ${on}::date and ${on}::date <= ${promises.promisedOn} + ${promises.graceDays}`,
        ),
      )
      .orderBy(promises.id)
      .for('update');
  },

  /** Cancels the pending promises made on an account (its debt no longer stands); returns their ids. */
  async cancelPendingOnAccount(tx: Tx, tenantId: string, accountId: string, at: Date): Promise<string[]> {
    const rows = await tx
      .update(promises)
      .set({ status: 'cancelled', resolvedAt: at })
      .where(and(eq(promises.tenantId, tenantId), eq(promises.accountId, accountId), eq(promises.status, 'pending')))
      .returning({ id: promises.id });
    return rows.map((r) => r.id);
  },

  async byIds(tx: Tx, tenantId: string, ids: readonly string[], lock = false): Promise<PromiseRow[]> {
    if (!ids.length) return [];
    const q = tx.select().from(promises).where(and(eq(promises.tenantId, tenantId), inArray(promises.id, [...ids]))).orderBy(promises.id);
    return lock ? q.for('update') : q;
  },

  /** What payments (not reversed) made from `from` through `to` paid toward an account or a plan. */
  async paidToward(tx: Tx, tenantId: string, target: { accountId: string } | { planId: string }, from: string, to: string): Promise<bigint> {
    const res =
      'accountId' in target
        ? await tx.execute(sql`
            select coalesce(sum(pa.amount), 0)::text as paid from payment_accounts pa join payments p on p.tenant_id = pa.tenant_id and p.id = pa.payment_id
            where pa.tenant_id = ${tenantId} and pa.account_id = ${target.accountId} and p.status = 'posted' and pa.effective_on between ${from}::date and ${to}::date`)
        : await tx.execute(sql`
            select coalesce(sum(p.applied), 0)::text as paid from payments p
            where p.tenant_id = ${tenantId} and p.plan_id = ${target.planId} and p.status = 'posted' and p.effective_on between ${from}::date and ${to}::date`);
    return BigInt(rowsOf<{ paid: string }>(res)[0]?.paid ?? '0');
  },
};
