import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { accountBucketHistory, delinquencyBucketSets, type BucketRange } from './delinquency.table.js';

export type BucketHistoryRow = typeof accountBucketHistory.$inferSelect;

/** The CASE expression that turns an account row (alias a) into its bucket label as of a date. */
export function bucketCase(asOf: string, buckets: readonly BucketRange[]) {
  const dpd = sql`case when a.oldest_unpaid_due_on is null then 0 else greatest(0, ${asOf}::date - a.oldest_unpaid_due_on) end`;
  const whens = buckets.map((b) =>
    b.maxDays === null ? sql`when ${dpd} >= ${b.minDays}::int then ${b.label}::text` : sql`when ${dpd} between ${b.minDays}::int and ${b.maxDays}::int then ${b.label}::text`,
  );
  return { dpd, label: sql`case ${sql.join(whens, sql` `)} end` };
}

export const delinquencyRepository = {
  /** Serialises one kind of tenant-wide job per tenant until the transaction ends. */
  async lock(tx: Tx, tenantId: string, job: string): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${job + ':' + tenantId}, 0))`);
  },

  async latest(tx: Tx, tenantId: string): Promise<{ version: number; buckets: BucketRange[] } | null> {
    const rows = await tx
      .select({ version: delinquencyBucketSets.version, buckets: delinquencyBucketSets.buckets })
      .from(delinquencyBucketSets)
      .where(eq(delinquencyBucketSets.tenantId, tenantId))
      .orderBy(desc(delinquencyBucketSets.version))
      .limit(1);
    return rows[0] ?? null;
  },

  async insert(tx: Tx, tenantId: string, version: number, buckets: BucketRange[], byId: string): Promise<void> {
    await tx.insert(delinquencyBucketSets).values({ tenantId, version, buckets, createdById: byId });
  },

  async history(tx: Tx, tenantId: string, accountIds: readonly string[]): Promise<BucketHistoryRow[]> {
    if (!accountIds.length) return [];
    return tx
      .select()
      .from(accountBucketHistory)
      .where(and(eq(accountBucketHistory.tenantId, tenantId), inArray(accountBucketHistory.accountId, [...accountIds])))
      .orderBy(accountBucketHistory.accountId, accountBucketHistory.changedOn, accountBucketHistory.recordedAt);
  },

  /**
   * Records, for every open account whose bucket differs from the last one recorded, the new bucket dated
   * `asOf`. One statement; re-running it for the same date records nothing new.
   */
  async refresh(tx: Tx, tenantId: string, asOf: string, buckets: readonly BucketRange[], version: number, accountId: string | null = null): Promise<{ accountId: string; label: string }[]> {
    const { dpd, label } = bucketCase(asOf, buckets);
    const one = accountId ? sql`and a.id = ${accountId}` : sql``;
    const res = await tx.execute(sql`
      with cur as (
        select a.id, ${label} as label, ${dpd} as dpd from accounts a
        where a.tenant_id = ${tenantId} and a.status <> 'closed' ${one}
      ), changed as (
        update accounts a set bucket_label = cur.label from cur
        where a.tenant_id = ${tenantId} and a.id = cur.id and a.bucket_label is distinct from cur.label
        returning a.id, cur.label, cur.dpd
      ), ins as (
        insert into account_bucket_history (tenant_id, id, account_id, bucket_label, bucket_set_version, days_past_due, changed_on)
        select ${tenantId}, gen_random_uuid(), id, label, ${version}::int, dpd, ${asOf}::date from changed
        returning 1
      )
      -- A data-modifying CTE runs whether or not the query reads it: the history rows are written.
      select id, label from changed`);
    return rowsOf<{ id: string; label: string }>(res).map((r) => ({ accountId: r.id, label: r.label }));
  },
};
