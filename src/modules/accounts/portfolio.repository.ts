import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { portfolios } from './portfolio.table.js';
import type { BucketRange } from './delinquency.table.js';

export type PortfolioRow = typeof portfolios.$inferSelect;

/** null: every portfolio; an array: only these (a portfolio-scoped principal). */
export type PortfolioScope = readonly string[] | null;

export function inScope(column: Parameters<typeof inArray>[0], scope: PortfolioScope): SQL | undefined {
  return scope === null ? undefined : scope.length ? inArray(column, [...scope]) : sql`false`;
}

export interface AgingRow {
  portfolio_id: string;
  bucket: string;
  bucket_order: number;
  accounts: string;
  outstanding: string;
}

export interface PortfolioTotalsRow {
  portfolio_id: string;
  accounts: string;
  placed: string;
  outstanding: string;
  collected_in_period: string;
  collected_to_date: string;
}

export const portfolioRepository = {
  async insert(tx: Tx, tenantId: string, row: Omit<typeof portfolios.$inferInsert, 'tenantId'>): Promise<PortfolioRow> {
    const rows = await tx.insert(portfolios).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async update(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<typeof portfolios.$inferInsert>): Promise<PortfolioRow | null> {
    const rows = await tx
      .update(portfolios)
      .set({ ...patch, version: sql`${portfolios.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id), eq(portfolios.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<PortfolioRow | null> {
    const q = tx.select().from(portfolios).where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id), inScope(portfolios.id, scope)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<PortfolioRow[]> {
    if (!ids.length) return [];
    return tx.select().from(portfolios).where(and(eq(portfolios.tenantId, tenantId), inArray(portfolios.id, [...ids]), inScope(portfolios.id, scope)));
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope): Promise<PortfolioRow[]> {
    return tx.select().from(portfolios).where(and(eq(portfolios.tenantId, tenantId), inScope(portfolios.id, scope))).orderBy(asc(portfolios.name));
  },

  /**
   * The aging report: per portfolio and bucket, count and outstanding balance as of a date. One statement;
   * no per-account work happens outside PostgreSQL. Accounts are first summed per (portfolio, oldest unpaid
   * due date) — a few hundred groups — and only those groups go through the CASE over the tenant's ranges:
   * evaluating it on every account row cost more than the scan itself.
   */
  async aging(tx: Tx, tenantId: string, scope: PortfolioScope, portfolioIds: readonly string[] | null, asOf: string, buckets: readonly BucketRange[]): Promise<AgingRow[]> {
    await noJit(tx);
    const dpd = sql`case when g.oldest_unpaid_due_on is null then 0 else greatest(0, ${asOf}::date - g.oldest_unpaid_due_on) end`;
    const whens = buckets.map((b, i) => (b.maxDays === null ? sql`when ${dpd} >= ${b.minDays}::int then ${i}::int` : sql`when ${dpd} between ${b.minDays}::int and ${b.maxDays}::int then ${i}::int`));
    const filter = [sql`a.tenant_id = ${tenantId}`, sql`a.status <> 'closed'`];
    if (scope !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(scope)})`);
    if (portfolioIds !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(portfolioIds)})`);
    const res = await tx.execute(sql`
      select g.portfolio_id, b.bucket_order, sum(g.accounts)::text as accounts, sum(g.outstanding)::text as outstanding
      from (
        select a.portfolio_id, a.oldest_unpaid_due_on, count(*) as accounts, sum(a.principal_balance + a.interest_balance + a.fee_balance) as outstanding
        from accounts a
        where ${sql.join(filter, sql` and `)}
        group by a.portfolio_id, a.oldest_unpaid_due_on
      ) g
      cross join lateral (select case ${sql.join(whens, sql` `)} end as bucket_order) b
      group by g.portfolio_id, b.bucket_order
      order by g.portfolio_id, b.bucket_order`);
    return rowsOf<AgingRow>(res);
  },

  /**
   * Placed (original principal), outstanding, and payments collected in the period and to date, per portfolio.
   * Collections are payments plus reversals of payments (negative: a reversal gives the money back), read
   * apart: payments through ledger_entries_payments_idx (migration 0006, index-only), the few reversals
   * through ledger_entries_reverses_key. (One scan of both kinds with an EXISTS for the reversals made the
   * planner cost the EXISTS on every payment.)
   */
  async totals(tx: Tx, tenantId: string, scope: PortfolioScope, portfolioIds: readonly string[] | null, from: string, to: string): Promise<PortfolioTotalsRow[]> {
    await noJit(tx);
    const filter = [sql`a.tenant_id = ${tenantId}`];
    if (scope !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(scope)})`);
    if (portfolioIds !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(portfolioIds)})`);
    const where = sql.join(filter, sql` and `);
    const sums = sql`sum(l.amount) filter (where l.effective_on between ${from}::date and ${to}::date) as in_period, sum(l.amount) as to_date`;
    const res = await tx.execute(sql`
      with acc as (
        select a.portfolio_id, count(*) as accounts, sum(a.original_principal) as placed,
               sum(a.principal_balance + a.interest_balance + a.fee_balance) as outstanding
        from accounts a where ${where} group by a.portfolio_id
      ), paid as (
        select a.portfolio_id, ${sums}
        from ledger_entries l join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
        where l.tenant_id = ${tenantId} and l.kind = 'payment' and ${where}
        group by a.portfolio_id
      ), reversed as (
        select a.portfolio_id, ${sums}
        from ledger_entries l
        join ledger_entries p on p.tenant_id = l.tenant_id and p.id = l.reverses_entry_id and p.kind = 'payment'
        join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
        where l.tenant_id = ${tenantId} and l.kind = 'reversal' and ${where}
        group by a.portfolio_id
      )
      select acc.portfolio_id, acc.accounts::text, acc.placed::text, acc.outstanding::text,
             (-(coalesce(paid.in_period, 0) + coalesce(reversed.in_period, 0)))::text as collected_in_period,
             (-(coalesce(paid.to_date, 0) + coalesce(reversed.to_date, 0)))::text as collected_to_date
      from acc
      left join paid on paid.portfolio_id = acc.portfolio_id
      left join reversed on reversed.portfolio_id = acc.portfolio_id`);
    return rowsOf<PortfolioTotalsRow>(res);
  },
};

/**
 * Reports over a whole tenant cost enough that the planner JIT-compiles them (jit_above_cost), and with
 * inlining and optimisation (past 500,000) compiling took longer than running: 3.5 s of a 6.3 s totals query
 * at 1M accounts. Transaction-local, so it ends with the report's transaction.
 */
async function noJit(tx: Tx): Promise<void> {
  await tx.execute(sql`set local jit = off`);
}

export function toUuidArray(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
