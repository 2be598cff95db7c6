import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { installmentPayments, paymentAccounts, payments } from './payment.table.js';

export type PaymentRow = typeof payments.$inferSelect;
export type PaymentInsert = Omit<typeof payments.$inferInsert, 'tenantId'>;
export type InstallmentPaymentRow = typeof installmentPayments.$inferSelect;

export interface PaymentFilter {
  debtorId?: string | null;
  accountId?: string | null;
  planId?: string | null;
  settlementId?: string | null;
}

/** A portfolio-scoped principal sees a payment when every account it named or reached is in scope. */
function paymentInScope(scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  return sql`${payments.portfolioIds} <@ ${`{${scope.join(',')}}`}::uuid[]`;
}

export const paymentRepository = {
  async insert(tx: Tx, tenantId: string, row: PaymentInsert): Promise<PaymentRow> {
    const rows = await tx.insert(payments).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async insertAccounts(tx: Tx, tenantId: string, paymentId: string, effectiveOn: string, rows: { accountId: string; amount: bigint }[]): Promise<void> {
    if (!rows.length) return;
    await tx.insert(paymentAccounts).values(rows.map((r) => ({ tenantId, paymentId, effectiveOn, ...r })));
  },

  async insertInstallments(tx: Tx, tenantId: string, paymentId: string, rows: { installmentId: string; amount: bigint }[]): Promise<void> {
    if (!rows.length) return;
    await tx.insert(installmentPayments).values(rows.map((r) => ({ tenantId, paymentId, ...r })));
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string, lock = false): Promise<PaymentRow | null> {
    const q = tx.select().from(payments).where(and(eq(payments.tenantId, tenantId), eq(payments.id, id), paymentInScope(scope)));
    const rows = lock ? await q.for('update', { of: payments }) : await q;
    return rows[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, scope: PortfolioScope, ids: readonly string[]): Promise<PaymentRow[]> {
    if (!ids.length) return [];
    return tx.select().from(payments).where(and(eq(payments.tenantId, tenantId), inArray(payments.id, [...ids]), paymentInScope(scope)));
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: PaymentFilter, limit: number, beforeId: string | null): Promise<PaymentRow[]> {
    return tx
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.tenantId, tenantId),
          paymentInScope(scope),
          f.debtorId ? eq(payments.debtorId, f.debtorId) : undefined,
          f.planId ? eq(payments.planId, f.planId) : undefined,
          f.settlementId ? eq(payments.settlementId, f.settlementId) : undefined,
          f.accountId
            ? sql`(${payments.accountId} = ${f.accountId} or exists (select 1 from ${paymentAccounts} pa where pa.tenant_id = ${payments.tenantId} and pa.payment_id = ${payments.id} and pa.account_id = ${f.accountId}))`
            : undefined,
          beforeId ? lt(payments.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(payments.id))
      .limit(limit);
  },

  async reached(tx: Tx, tenantId: string, paymentId: string): Promise<{ accountId: string; amount: bigint }[]> {
    return tx
      .select({ accountId: paymentAccounts.accountId, amount: paymentAccounts.amount })
      .from(paymentAccounts)
      .where(and(eq(paymentAccounts.tenantId, tenantId), eq(paymentAccounts.paymentId, paymentId)))
      .orderBy(asc(paymentAccounts.accountId));
  },

  async installmentShares(tx: Tx, tenantId: string, paymentIds: readonly string[]): Promise<InstallmentPaymentRow[]> {
    if (!paymentIds.length) return [];
    return tx.select().from(installmentPayments).where(and(eq(installmentPayments.tenantId, tenantId), inArray(installmentPayments.paymentId, [...paymentIds])));
  },

  async markReversed(tx: Tx, tenantId: string, id: string, patch: Pick<PaymentInsert, 'reversedAt' | 'reversalKind' | 'reversalReason' | 'reversalGroupId'>): Promise<PaymentRow> {
    const rows = await tx
      .update(payments)
      .set({ ...patch, status: 'reversed' })
      .where(and(eq(payments.tenantId, tenantId), eq(payments.id, id)))
      .returning();
    return rows[0]!;
  },

  /** Fee entries of an account with what is left of each to waive (not reversed), newest first. */
  async unwaivedFees(tx: Tx, tenantId: string, accountId: string): Promise<{ id: string; unwaived: bigint }[]> {
    const res = await tx.execute(sql`
      select l.id, (l.amount - coalesce((select sum(w.amount) from fee_waivers w where w.tenant_id = l.tenant_id and w.fee_entry_id = l.id
                 and not exists (select 1 from ledger_entries r where r.tenant_id = w.tenant_id and r.reverses_entry_id = w.ledger_entry_id)), 0))::text as unwaived
      from ledger_entries l
      where l.tenant_id = ${tenantId} and l.account_id = ${accountId} and l.kind = 'fee'
        and not exists (select 1 from ledger_entries r where r.tenant_id = l.tenant_id and r.reverses_entry_id = l.id)
      order by l.effective_on desc, l.id desc`);
    return rowsOf<{ id: string; unwaived: string }>(res)
      .map((r) => ({ id: r.id, unwaived: BigInt(r.unwaived) }))
      .filter((r) => r.unwaived > 0n);
  },

  /** The payment whose ledger group this is, if any: such entries are reversed with the payment, not alone. */
  async byLedgerGroup(tx: Tx, tenantId: string, groupId: string): Promise<string | null> {
    const rows = await tx.select({ id: payments.id }).from(payments).where(and(eq(payments.tenantId, tenantId), eq(payments.ledgerGroupId, groupId)));
    return rows[0]?.id ?? null;
  },
};
