import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { idempotencyKeys, ledgerEntries } from './ledger.table.js';

export type LedgerRow = typeof ledgerEntries.$inferSelect;
export type LedgerInsert = Omit<typeof ledgerEntries.$inferInsert, 'tenantId'>;

export const ledgerRepository = {
  async insertMany(tx: Tx, tenantId: string, rows: LedgerInsert[]): Promise<LedgerRow[]> {
    if (!rows.length) return [];
    return tx.insert(ledgerEntries).values(rows.map((r) => ({ ...r, tenantId }))).returning();
  },

  /**
   * Many entries in one statement with a single jsonb parameter, returning nothing: for bulk writes (the
   * importer), where a multi-row VALUES with one parameter per cell costs more to build than to run.
   */
  async insertBulk(tx: Tx, tenantId: string, rows: LedgerInsert[]): Promise<void> {
    if (!rows.length) return;
    const json = rows.map((r) => ({
      id: r.id,
      account_id: r.accountId,
      group_id: r.groupId,
      kind: r.kind,
      component: r.component,
      amount: r.amount.toString(),
      currency: r.currency,
      effective_on: r.effectiveOn,
      actor_kind: r.actorKind,
      actor_id: r.actorId,
      memo: r.memo ?? null,
      reverses_entry_id: r.reversesEntryId ?? null,
    }));
    await tx.execute(sql`
      insert into ${ledgerEntries} (tenant_id, id, account_id, group_id, kind, component, amount, currency, effective_on, actor_kind, actor_id, memo, reverses_entry_id)
      select ${tenantId}::uuid, e.id, e.account_id, e.group_id, e.kind, e.component, e.amount, e.currency, e.effective_on, e.actor_kind, e.actor_id, e.memo, e.reverses_entry_id
      from jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
           as e(id uuid, account_id uuid, group_id uuid, kind text, component text, amount bigint, currency text, effective_on date,
                actor_kind text, actor_id text, memo text, reverses_entry_id uuid)`);
  },

  async forAccount(tx: Tx, tenantId: string, accountId: string): Promise<LedgerRow[]> {
    return tx
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.tenantId, tenantId), eq(ledgerEntries.accountId, accountId)))
      .orderBy(asc(ledgerEntries.id));
  },

  /** Newest first, keyset on the UUIDv7 id (posting order). */
  async page(tx: Tx, tenantId: string, accountId: string, limit: number, beforeId: string | null): Promise<LedgerRow[]> {
    return tx
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.tenantId, tenantId), eq(ledgerEntries.accountId, accountId), beforeId ? lt(ledgerEntries.id, beforeId) : undefined))
      .orderBy(desc(ledgerEntries.id))
      .limit(limit);
  },

  async find(tx: Tx, tenantId: string, id: string): Promise<LedgerRow | null> {
    const rows = await tx.select().from(ledgerEntries).where(and(eq(ledgerEntries.tenantId, tenantId), eq(ledgerEntries.id, id)));
    return rows[0] ?? null;
  },

  async byGroup(tx: Tx, tenantId: string, groupId: string): Promise<LedgerRow[]> {
    return tx.select().from(ledgerEntries).where(and(eq(ledgerEntries.tenantId, tenantId), eq(ledgerEntries.groupId, groupId))).orderBy(asc(ledgerEntries.id));
  },

  async byGroups(tx: Tx, tenantId: string, groupIds: readonly string[]): Promise<LedgerRow[]> {
    if (!groupIds.length) return [];
    return tx.select().from(ledgerEntries).where(and(eq(ledgerEntries.tenantId, tenantId), inArray(ledgerEntries.groupId, [...groupIds]))).orderBy(asc(ledgerEntries.id));
  },

  /**
   * Whether a fee entry has waivers still standing (their waiver entries not reversed). Reversing such a fee
   * would credit the debtor twice: once by the waiver, once by the reversal.
   */
  async hasLiveWaivers(tx: Tx, tenantId: string, feeEntryId: string): Promise<boolean> {
    const result = await tx.execute(sql`
      select 1 from fee_waivers w
      where w.tenant_id = ${tenantId} and w.fee_entry_id = ${feeEntryId}
        and not exists (select 1 from ledger_entries r where r.tenant_id = w.tenant_id and r.reverses_entry_id = w.ledger_entry_id)
      limit 1`);
    return rowsOf(result).length > 0;
  },

  async isReversed(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    const rows = await tx.select({ id: ledgerEntries.id }).from(ledgerEntries).where(and(eq(ledgerEntries.tenantId, tenantId), eq(ledgerEntries.reversesEntryId, id)));
    return rows.length > 0;
  },

  /** Sums straight from the ledger, for checks against the materialised balances. */
  async sums(tx: Tx, tenantId: string, accountIds: readonly string[]): Promise<{ accountId: string; component: string; sum: string }[]> {
    if (!accountIds.length) return [];
    return tx
      .select({ accountId: ledgerEntries.accountId, component: ledgerEntries.component, sum: sql<string>`sum(${ledgerEntries.amount})::text` })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.tenantId, tenantId), inArray(ledgerEntries.accountId, [...accountIds])))
      .groupBy(ledgerEntries.accountId, ledgerEntries.component);
  },
};

export const idempotencyRepository = {
  /**
   * Claims the key. Returns null when this call claimed it; otherwise the first call's record. A concurrent
   * duplicate waits on the unique key until the first commits, then sees its record.
   */
  async claim(tx: Tx, tenantId: string, operation: string, key: string, requestHash: string, resultRef: string): Promise<{ requestHash: string; resultRef: string } | null> {
    const inserted = await tx
      .insert(idempotencyKeys)
      .values({ tenantId, operation, key, requestHash, resultRef })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length) return null;
    const rows = await tx
      .select({ requestHash: idempotencyKeys.requestHash, resultRef: idempotencyKeys.resultRef })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.operation, operation), eq(idempotencyKeys.key, key)));
    return rows[0]!;
  },
};
