import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import type { AccountRow } from '../accounts/account.repository.js';
import { accounts } from '../accounts/account.table.js';
import { inScope, type PortfolioScope } from '../accounts/portfolio.repository.js';
import { planAccounts, plans } from './plan.table.js';
import { settlementAccounts, settlementOffers } from './settlement.table.js';
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
  /**
   * The payment with where it went, by account and by installment, in one statement (the children's foreign
   * keys are checked at its end, when the payment row exists). Returns the row as written.
   */
  async insertWithShares(tx: Tx, tenantId: string, row: PaymentRow, accountShares: { accountId: string; amount: bigint }[], installmentShares: { installmentId: string; amount: bigint }[]): Promise<PaymentRow> {
    const insert = tx.insert(payments).values({ ...row, tenantId });
    const a = JSON.stringify(accountShares.map((x) => ({ account_id: x.accountId, amount: x.amount.toString() })));
    const i = JSON.stringify(installmentShares.map((x) => ({ installment_id: x.installmentId, amount: x.amount.toString() })));
    await tx.execute(sql`
      with p as (${insert.getSQL()}), a as (
        insert into ${paymentAccounts} (tenant_id, payment_id, account_id, amount, effective_on)
        select ${tenantId}, ${row.id}, x.account_id, x.amount, ${row.effectiveOn}::date from json_to_recordset(${a}::json) as x(account_id uuid, amount bigint)
      )
      insert into ${installmentPayments} (tenant_id, payment_id, installment_id, amount)
      select ${tenantId}, ${row.id}, x.installment_id, x.amount from json_to_recordset(${i}::json) as x(installment_id uuid, amount bigint)`);
    return row;
  },

  /**
   * An account with what a payment on it must know, in one round trip: the active plan holding it and the
   * accepted settlement offer it is part of (as far as this session can see them).
   */
  async accountContext(tx: Tx, tenantId: string, scope: PortfolioScope, accountId: string): Promise<{ account: AccountRow; planId: string | null; settlementId: string | null } | null> {
    const rows = await tx
      .select({
        account: accounts,
        planId: sql<string | null>`(select pa.plan_id from ${planAccounts} pa join ${plans} p on p.tenant_id = pa.tenant_id and p.id = pa.plan_id
                 where pa.tenant_id = accounts.tenant_id and pa.account_id = accounts.id and pa.open and p.status = 'active' limit 1)`,
        settlementId: sql<string | null>`(select sa.settlement_id from ${settlementAccounts} sa join ${settlementOffers} o on o.tenant_id = sa.tenant_id and o.id = sa.settlement_id
                 where sa.tenant_id = accounts.tenant_id and sa.account_id = accounts.id and sa.open and o.status = 'accepted' limit 1)`,
      })
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, accountId), inScope(accounts.portfolioId, scope)));
    return rows[0] ?? null;
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
