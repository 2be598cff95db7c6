import { and, asc, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import type { AccountRow } from '../accounts/account.repository.js';
import { accounts } from '../accounts/account.table.js';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { planAccounts, planInstallments, planRules, plans } from './plan.table.js';

export type PlanRulesRow = typeof planRules.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type PlanInsert = Omit<typeof plans.$inferInsert, 'tenantId'>;
export type PlanAccountRow = typeof planAccounts.$inferSelect;
export type InstallmentRow = typeof planInstallments.$inferSelect;

/**
 * A portfolio-scoped principal sees a plan only when every account it covers is in scope (the database's
 * restrictive policy admits it when one is; this is the stricter application rule).
 */
function planInScope(scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  return sql`${plans.portfolioIds} <@ ${`{${scope.join(',')}}`}::uuid[]`;
}

export interface PlanFilter {
  debtorId?: string | null;
  accountId?: string | null;
  statuses?: string[] | null;
}

export const planRepository = {
  async rules(tx: Tx, tenantId: string): Promise<PlanRulesRow[]> {
    return tx.select().from(planRules).where(eq(planRules.tenantId, tenantId)).orderBy(asc(planRules.createdAt));
  },

  async rulesFor(tx: Tx, tenantId: string, portfolioId: string | null, lock = false): Promise<PlanRulesRow | null> {
    const q = tx
      .select()
      .from(planRules)
      .where(and(eq(planRules.tenantId, tenantId), portfolioId ? eq(planRules.portfolioId, portfolioId) : isNull(planRules.portfolioId)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  /** The tenant's rules and, when given, a portfolio's: one round trip for rulesForAccounts to choose from. */
  async rulesCandidates(tx: Tx, tenantId: string, portfolioId: string | null): Promise<PlanRulesRow[]> {
    return tx
      .select()
      .from(planRules)
      .where(and(eq(planRules.tenantId, tenantId), portfolioId ? or(isNull(planRules.portfolioId), eq(planRules.portfolioId, portfolioId)) : isNull(planRules.portfolioId)));
  },

  async insertRules(tx: Tx, tenantId: string, row: Omit<typeof planRules.$inferInsert, 'tenantId'>): Promise<PlanRulesRow | null> {
    const rows = await tx.insert(planRules).values({ ...row, tenantId }).onConflictDoNothing().returning();
    return rows[0] ?? null;
  },

  async updateRules(tx: Tx, tenantId: string, id: string, version: number, rules: unknown, byId: string): Promise<PlanRulesRow | null> {
    const rows = await tx
      .update(planRules)
      .set({ rules, updatedById: byId, version: sql`${planRules.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(planRules.tenantId, tenantId), eq(planRules.id, id), eq(planRules.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  async deleteRules(tx: Tx, tenantId: string, id: string): Promise<void> {
    await tx.delete(planRules).where(and(eq(planRules.tenantId, tenantId), eq(planRules.id, id)));
  },

  async insertPlan(tx: Tx, tenantId: string, row: PlanInsert, accts: { accountId: string; covered: bigint }[], schedule: { id: string; seq: number; dueOn: string; amount: bigint }[]): Promise<PlanRow> {
    const [plan] = await tx.insert(plans).values({ ...row, tenantId }).returning();
    await tx.insert(planAccounts).values(accts.map((a) => ({ tenantId, planId: row.id, accountId: a.accountId, covered: a.covered })));
    await tx.insert(planInstallments).values(schedule.map((s) => ({ tenantId, planId: row.id, ...s })));
    return plan!;
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<PlanRow | null> {
    const q = tx.select().from(plans).where(and(eq(plans.tenantId, tenantId), eq(plans.id, id), planInScope(scope)));
    const rows = lock ? await q.for('update', { of: plans }) : await q;
    return rows[0] ?? null;
  },

  /**
   * Locks the open plans holding an account, in id order: taken before the account (the order payments and the
   * evaluation lock in), so a dispute opened on the account waits for, or is waited for by, an evaluation.
   */
  async lockOpenForAccount(tx: Tx, tenantId: string, accountId: string): Promise<string[]> {
    const res = await tx.execute(sql`
      select p.id from plans p
      where p.tenant_id = ${tenantId} and p.status in ('proposed', 'active')
        and exists (select 1 from plan_accounts pa where pa.tenant_id = p.tenant_id and pa.plan_id = p.id and pa.account_id = ${accountId} and pa.open)
      order by p.id
      for update of p`);
    return rowsOf<{ id: string }>(res).map((r) => r.id);
  },

  async findMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<PlanRow[]> {
    if (!ids.length) return [];
    return tx.select().from(plans).where(and(eq(plans.tenantId, tenantId), inArray(plans.id, [...ids]), planInScope(scope)));
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: PlanFilter, limit: number, beforeId: string | null): Promise<PlanRow[]> {
    return tx
      .select()
      .from(plans)
      .where(
        and(
          eq(plans.tenantId, tenantId),
          planInScope(scope),
          f.debtorId ? eq(plans.debtorId, f.debtorId) : undefined,
          f.statuses?.length ? inArray(plans.status, f.statuses as PlanRow['status'][]) : undefined,
          f.accountId ? sql`exists (select 1 from ${planAccounts} pa where pa.tenant_id = ${plans.tenantId} and pa.plan_id = ${plans.id} and pa.account_id = ${f.accountId})` : undefined,
          beforeId ? lt(plans.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(plans.id))
      .limit(limit);
  },

  async update(tx: Tx, tenantId: string, id: string, patch: Partial<PlanInsert>): Promise<PlanRow> {
    const rows = await tx
      .update(plans)
      .set({ ...patch, version: sql`${plans.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(plans.tenantId, tenantId), eq(plans.id, id)))
      .returning();
    return rows[0]!;
  },

  /** Its accounts, locked in id order (the order every writer takes). */
  async lockAccounts(tx: Tx, tenantId: string, planId: string): Promise<AccountRow[]> {
    return tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), sql`${accounts.id} in (select x.account_id from ${planAccounts} x where x.tenant_id = ${tenantId} and x.plan_id = ${planId})`))
      .orderBy(asc(accounts.id))
      .for('update');
  },

  async accounts(tx: Tx, tenantId: string, planIds: readonly string[]): Promise<PlanAccountRow[]> {
    if (!planIds.length) return [];
    return tx.select().from(planAccounts).where(and(eq(planAccounts.tenantId, tenantId), inArray(planAccounts.planId, [...planIds]))).orderBy(asc(planAccounts.planId), asc(planAccounts.accountId));
  },

  async setAccountsOpen(tx: Tx, tenantId: string, planId: string, open: boolean): Promise<void> {
    await tx.update(planAccounts).set({ open }).where(and(eq(planAccounts.tenantId, tenantId), eq(planAccounts.planId, planId)));
  },

  async setPriorStatus(tx: Tx, tenantId: string, planId: string, accountId: string, priorStatus: string): Promise<void> {
    await tx.update(planAccounts).set({ priorStatus }).where(and(eq(planAccounts.tenantId, tenantId), eq(planAccounts.planId, planId), eq(planAccounts.accountId, accountId)));
  },

  /** The active plan holding an account, if any. */
  async activeForAccount(tx: Tx, tenantId: string, accountId: string): Promise<string | null> {
    const rows = await tx
      .select({ id: plans.id })
      .from(planAccounts)
      .innerJoin(plans, and(eq(plans.tenantId, planAccounts.tenantId), eq(plans.id, planAccounts.planId)))
      .where(and(eq(planAccounts.tenantId, tenantId), eq(planAccounts.accountId, accountId), eq(planAccounts.open, true), eq(plans.status, 'active')));
    return rows[0]?.id ?? null;
  },

  async installments(tx: Tx, tenantId: string, planIds: readonly string[]): Promise<InstallmentRow[]> {
    if (!planIds.length) return [];
    return tx
      .select()
      .from(planInstallments)
      .where(and(eq(planInstallments.tenantId, tenantId), inArray(planInstallments.planId, [...planIds])))
      .orderBy(asc(planInstallments.planId), asc(planInstallments.seq));
  },

  /**
   * Adds payments' shares to installments (negative for a reversal), in one statement. The status follows the
   * paid amount: paid when covered, else missed if it was once found missed (and not made good), else open.
   */
  async applyShares(tx: Tx, tenantId: string, shares: readonly { id: string; delta: bigint }[], at: Date): Promise<InstallmentRow[]> {
    if (!shares.length) return [];
    const json = JSON.stringify(shares.map((x) => ({ id: x.id, delta: x.delta.toString() })));
    const paid = sql`${planInstallments.paid} + v.delta`;
    return tx
      .update(planInstallments)
      .set({
        paid,
        status: sql`case when ${paid} >= ${planInstallments.amount} then 'paid' when ${planInstallments.missedAt} is not null then 'missed' else 'open' end`,
        paidAt: sql`case when ${paid} >= ${planInstallments.amount} then coalesce(${planInstallments.paidAt}, ${at.toISOString()}::timestamptz) else null end`,
      })
      .from(sql`json_to_recordset(${json}::json) as v(id uuid, delta bigint)`)
      .where(and(eq(planInstallments.tenantId, tenantId), sql`${planInstallments.id} = v.id`))
      .returning();
  },

  async recountMissed(tx: Tx, tenantId: string, planId: string): Promise<number> {
    const res = await tx.execute(sql`
      update ${plans} set missed_count = (select count(*) from ${planInstallments} i where i.tenant_id = ${tenantId} and i.plan_id = ${planId} and i.status = 'missed')
      where tenant_id = ${tenantId} and id = ${planId} returning missed_count`);
    return Number(rowsOf<{ missed_count: number }>(res)[0]?.missed_count ?? 0);
  },
};
