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
   * the bucket of each account is a CASE over the tenant's ranges on its oldest unpaid due date, so no
   * per-account work happens outside PostgreSQL.
   */
  async aging(tx: Tx, tenantId: string, scope: PortfolioScope, portfolioIds: readonly string[] | null, asOf: string, buckets: readonly BucketRange[]): Promise<AgingRow[]> {
    const dpd = sql`case when a.oldest_unpaid_due_on is null then 0 else greatest(0, ${asOf}::date - a.oldest_unpaid_due_on) end`;
    const whens = buckets.map((b, i) => (b.maxDays === null ? sql`when ${dpd} >= ${b.minDays}::int then ${i}::int` : sql`when ${dpd} between ${b.minDays}::int and ${b.maxDays}::int then ${i}::int`));
    const filter = [sql`a.tenant_id = ${tenantId}`, sql`a.status <> 'closed'`];
    if (scope !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(scope)})`);
    if (portfolioIds !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(portfolioIds)})`);
    const res = await tx.execute(sql`
      select a.portfolio_id, b.bucket_order, count(*)::text as accounts,
             sum(a.principal_balance + a.interest_balance + a.fee_balance)::text as outstanding
      from accounts a
      cross join lateral (select case ${sql.join(whens, sql` `)} end as bucket_order) b
      where ${sql.join(filter, sql` and `)}
      group by a.portfolio_id, b.bucket_order
      order by a.portfolio_id, b.bucket_order`);
    return rowsOf<AgingRow>(res);
  },

  /** Placed (original principal), outstanding, and payments collected in the period and to date, per portfolio. */
  async totals(tx: Tx, tenantId: string, scope: PortfolioScope, portfolioIds: readonly string[] | null, from: string, to: string): Promise<PortfolioTotalsRow[]> {
    const filter = [sql`a.tenant_id = ${tenantId}`];
    if (scope !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(scope)})`);
    if (portfolioIds !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(portfolioIds)})`);
    const res = await tx.execute(sql`
      with acc as (
        select a.portfolio_id, count(*) as accounts, sum(a.original_principal) as placed,
               sum(a.principal_balance + a.interest_balance + a.fee_balance) as outstanding
        from accounts a where ${sql.join(filter, sql` and `)} group by a.portfolio_id
      ), paid as (
        select a.portfolio_id,
               -sum(l.amount) filter (where l.effective_on between ${from}::date and ${to}::date) as in_period,
               -sum(l.amount) as to_date
        from ledger_entries l join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
        where l.tenant_id = ${tenantId} and l.kind in ('payment', 'reversal') and ${sql.join(filter, sql` and `)}
          and (l.kind = 'payment' or exists (select 1 from ledger_entries p where p.tenant_id = l.tenant_id and p.id = l.reverses_entry_id and p.kind = 'payment'))
        group by a.portfolio_id
      )
      select acc.portfolio_id, acc.accounts::text, acc.placed::text, acc.outstanding::text,
             coalesce(paid.in_period, 0)::text as collected_in_period, coalesce(paid.to_date, 0)::text as collected_to_date
      from acc left join paid on paid.portfolio_id = acc.portfolio_id`);
    return rowsOf<PortfolioTotalsRow>(res);
  },
};

export function toUuidArray(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
