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
  /** Index in the bucket set; null for accounts that fall in none of its ranges. */
  bucket_order: number | null;
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
   * The dashboard's figures, per portfolio, in two statements over one snapshot (the caller's transaction):
   *
   * - the accounts, read once: summed per (portfolio, oldest unpaid due date, closed or not) — a few thousand
   *   groups — from which come both the account totals (count, placed = original principal, outstanding; all
   *   accounts) and the aging (count and outstanding by bucket; accounts not closed). The bucket of a group is
   *   a CASE over the tenant's ranges on its oldest unpaid due date as of `asOf`; evaluating it per group
   *   rather than per account, and one scan rather than two, is most of the statement's cost at 1M accounts;
   * - the collections: payments (ledger_entries_payments_idx, migration 0006, index-only) plus reversals of
   *   payments (ledger_entries_reverses_key), in [from, to] and to date. Read apart: one scan of both kinds
   *   with an EXISTS for the reversals made the planner cost the EXISTS on every payment.
   *
   * Aging rows come ordered by portfolio and bucket (an account in no bucket has a null bucket_order, last).
   */
  async report(
    tx: Tx,
    tenantId: string,
    scope: PortfolioScope,
    portfolioIds: readonly string[] | null,
    asOf: string,
    buckets: readonly BucketRange[],
    from: string,
    to: string,
  ): Promise<{ aging: AgingRow[]; totals: PortfolioTotalsRow[] }> {
    await noJit(tx);
    const filter = [sql`a.tenant_id = ${tenantId}`];
    if (scope !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(scope)})`);
    if (portfolioIds !== null) filter.push(sql`a.portfolio_id = any(${toUuidArray(portfolioIds)})`);
    const where = sql.join(filter, sql` and `);
    const dpd = sql`case when g.oldest_unpaid_due_on is null then 0 else greatest(0, ${asOf}::date - g.oldest_unpaid_due_on) end`;
    const whens = buckets.map((b, i) => (b.maxDays === null ? sql`when ${dpd} >= ${b.minDays}::int then ${i}::int` : sql`when ${dpd} between ${b.minDays}::int and ${b.maxDays}::int then ${i}::int`));
    const figures = rowsOf<{ kind: 'total' | 'bucket'; portfolio_id: string; bucket_order: number | null; accounts: string; placed: string | null; outstanding: string }>(
      await tx.execute(sql`
        with g as (
          select a.portfolio_id, a.oldest_unpaid_due_on, a.status = 'closed' as closed, count(*) as accounts, sum(a.original_principal) as placed,
                 sum(a.principal_balance + a.interest_balance + a.fee_balance) as outstanding
          from accounts a
          where ${where}
          group by a.portfolio_id, a.oldest_unpaid_due_on, a.status = 'closed'
        )
        select 'total' as kind, g.portfolio_id, null::int as bucket_order, sum(g.accounts)::text as accounts, sum(g.placed)::text as placed, sum(g.outstanding)::text as outstanding
        from g
        group by g.portfolio_id
        union all
        select 'bucket', g.portfolio_id, b.bucket_order, sum(g.accounts)::text, null, sum(g.outstanding)::text
        from g cross join lateral (select case ${sql.join(whens, sql` `)} end as bucket_order) b
        where not g.closed
        group by g.portfolio_id, b.bucket_order
        order by 1, 2, 3`),
    );
    const sums = sql`sum(l.amount) filter (where l.effective_on between ${from}::date and ${to}::date) as in_period, sum(l.amount) as to_date`;
    const collections = rowsOf<{ portfolio_id: string; collected_in_period: string; collected_to_date: string }>(
      await tx.execute(sql`
        select x.portfolio_id, (-coalesce(sum(x.in_period), 0))::text as collected_in_period, (-coalesce(sum(x.to_date), 0))::text as collected_to_date
        from (
          select a.portfolio_id, ${sums}
          from ledger_entries l join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
          where l.tenant_id = ${tenantId} and l.kind = 'payment' and ${where}
          group by a.portfolio_id
          union all
          select a.portfolio_id, ${sums}
          from ledger_entries l
          join ledger_entries p on p.tenant_id = l.tenant_id and p.id = l.reverses_entry_id and p.kind = 'payment'
          join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
          where l.tenant_id = ${tenantId} and l.kind = 'reversal' and ${where}
          group by a.portfolio_id
        ) x
        group by x.portfolio_id`),
    );
    const collected = new Map(collections.map((c) => [c.portfolio_id, c]));
    return {
      aging: figures.filter((f) => f.kind === 'bucket').map((f) => ({ portfolio_id: f.portfolio_id, bucket_order: f.bucket_order, accounts: f.accounts, outstanding: f.outstanding })),
      totals: figures
        .filter((f) => f.kind === 'total')
        .map((f) => ({
          portfolio_id: f.portfolio_id,
          accounts: f.accounts,
          placed: f.placed ?? '0',
          outstanding: f.outstanding,
          collected_in_period: collected.get(f.portfolio_id)?.collected_in_period ?? '0',
          collected_to_date: collected.get(f.portfolio_id)?.collected_to_date ?? '0',
        })),
    };
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
