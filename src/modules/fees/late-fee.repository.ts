import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { accounts } from '../accounts/account.table.js';
import { feeJurisdictionCaps, feeWaivers, lateFeeAssessments, lateFeeAttachments, lateFeePolicies, lateFeePolicyVersions, lateFeeRuns } from './late-fee.table.js';

export type PolicyRow = typeof lateFeePolicies.$inferSelect;
export type PolicyVersionRow = typeof lateFeePolicyVersions.$inferSelect;
export type AttachmentRow = typeof lateFeeAttachments.$inferSelect;
export type AssessmentRow = typeof lateFeeAssessments.$inferSelect;
export type RunRow = typeof lateFeeRuns.$inferSelect;
export type CapRow = typeof feeJurisdictionCaps.$inferSelect;
export type WaiverRow = typeof feeWaivers.$inferSelect;

/** An account a run examines, with what the engine needs from its debtor and account-level attachment. */
export interface BatchAccountRow {
  id: string;
  portfolio_id: string;
  product_type: string;
  currency: string;
  status: string;
  original_principal: string;
  due_on: string;
  principal_balance: string;
  interest_balance: string;
  fee_balance: string;
  /** The account's fee basis date (oldest unpaid principal or interest); null when none is owed. */
  anchor_on: string;
  bankrupt: boolean;
  deceased: boolean;
  account_policy_id: string | null;
  account_charge_from: string | null;
  /** Set while an installment plan holds the account: whether its terms freeze fees. */
  plan_freezes_fees: boolean | null;
}

export interface LaterEntryRow {
  account_id: string;
  component: string;
  amount: string;
  effective_on: string;
}

export interface AssessedRow {
  account_id: string;
  total: string;
  charged: number;
  periods: string[] | null;
  /** The latest day any assessment of the account covered (its charged-through date). */
  last_on: string | null;
}

export interface NewAssessment {
  id: string;
  account_id: string;
  period_key: string;
  policy_version_id: string;
  anchor_on: string;
  assessed_on: string;
  currency: string;
  uncapped: string;
  amount: string;
  capped_by: string[];
  explanation: unknown;
}

export interface AccountFeeState {
  id: string;
  anchor: string;
  next_on: string;
}

export interface BatchWriteResult {
  currency: string;
  assessed: number;
  posted: number;
  total: string;
  /** Fees posted (amount > 0): the assessment id and its account. */
  charged: { id: string; accountId: string }[];
}

/** Statuses a run looks at: live debts. Settled, paid off, written off, recalled and closed accrue nothing. */
export const ACCRUING_STATUSES = ['current', 'delinquent', 'in_plan', 'disputed', 'charged_off'] as const;

export const lateFeeRepository = {
  async insertPolicy(tx: Tx, tenantId: string, row: { id: string; name: string; currentVersion: number }): Promise<PolicyRow> {
    const rows = await tx.insert(lateFeePolicies).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async insertVersion(tx: Tx, tenantId: string, row: { id: string; policyId: string; version: number; rules: unknown; actorId: string }): Promise<PolicyVersionRow> {
    const rows = await tx.insert(lateFeePolicyVersions).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async setCurrentVersion(tx: Tx, tenantId: string, id: string, version: number, name: string): Promise<PolicyRow> {
    const rows = await tx
      .update(lateFeePolicies)
      .set({ currentVersion: version, name, updatedAt: sql`now()` })
      .where(and(eq(lateFeePolicies.tenantId, tenantId), eq(lateFeePolicies.id, id)))
      .returning();
    return rows[0]!;
  },

  async findPolicy(tx: Tx, tenantId: string, id: string, lock = false): Promise<PolicyRow | null> {
    const q = tx.select().from(lateFeePolicies).where(and(eq(lateFeePolicies.tenantId, tenantId), eq(lateFeePolicies.id, id)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  async findPolicies(tx: Tx, tenantId: string, ids: readonly string[]): Promise<PolicyRow[]> {
    if (!ids.length) return [];
    return tx.select().from(lateFeePolicies).where(and(eq(lateFeePolicies.tenantId, tenantId), inArray(lateFeePolicies.id, [...ids])));
  },

  async listPolicies(tx: Tx, tenantId: string, limit: number, afterId: string | null): Promise<PolicyRow[]> {
    return tx
      .select()
      .from(lateFeePolicies)
      .where(and(eq(lateFeePolicies.tenantId, tenantId), afterId ? sql`${lateFeePolicies.id} > ${afterId}` : undefined))
      .orderBy(asc(lateFeePolicies.id))
      .limit(limit);
  },

  async versions(tx: Tx, tenantId: string, policyId: string): Promise<PolicyVersionRow[]> {
    return tx
      .select()
      .from(lateFeePolicyVersions)
      .where(and(eq(lateFeePolicyVersions.tenantId, tenantId), eq(lateFeePolicyVersions.policyId, policyId)))
      .orderBy(desc(lateFeePolicyVersions.version));
  },

  async versionsOfPolicies(tx: Tx, tenantId: string, policyIds: readonly string[]): Promise<PolicyVersionRow[]> {
    if (!policyIds.length) return [];
    return tx
      .select()
      .from(lateFeePolicyVersions)
      .where(and(eq(lateFeePolicyVersions.tenantId, tenantId), inArray(lateFeePolicyVersions.policyId, [...policyIds])))
      .orderBy(desc(lateFeePolicyVersions.version));
  },

  async versionsByIds(tx: Tx, tenantId: string, ids: readonly string[]): Promise<PolicyVersionRow[]> {
    if (!ids.length) return [];
    return tx.select().from(lateFeePolicyVersions).where(and(eq(lateFeePolicyVersions.tenantId, tenantId), inArray(lateFeePolicyVersions.id, [...ids])));
  },

  /** The version new fees use, for each policy (all of the tenant's when `policyIds` is null). */
  async currentVersions(tx: Tx, tenantId: string, policyIds: readonly string[] | null): Promise<{ policy: PolicyRow; version: PolicyVersionRow }[]> {
    if (policyIds && !policyIds.length) return [];
    return tx
      .select({ policy: lateFeePolicies, version: lateFeePolicyVersions })
      .from(lateFeePolicies)
      .innerJoin(
        lateFeePolicyVersions,
        and(eq(lateFeePolicyVersions.tenantId, lateFeePolicies.tenantId), eq(lateFeePolicyVersions.policyId, lateFeePolicies.id), eq(lateFeePolicyVersions.version, lateFeePolicies.currentVersion)),
      )
      .where(and(eq(lateFeePolicies.tenantId, tenantId), policyIds ? inArray(lateFeePolicies.id, [...policyIds]) : undefined));
  },

  /** Tenant, product-type and portfolio attachments: few per tenant, read once per run. */
  async sharedAttachments(tx: Tx, tenantId: string): Promise<AttachmentRow[]> {
    return tx
      .select()
      .from(lateFeeAttachments)
      .where(and(eq(lateFeeAttachments.tenantId, tenantId), isNull(lateFeeAttachments.accountId)))
      .orderBy(asc(lateFeeAttachments.id));
  },

  async accountAttachment(tx: Tx, tenantId: string, accountId: string): Promise<AttachmentRow | null> {
    const rows = await tx.select().from(lateFeeAttachments).where(and(eq(lateFeeAttachments.tenantId, tenantId), eq(lateFeeAttachments.accountId, accountId)));
    return rows[0] ?? null;
  },

  async attachmentsOfPolicy(tx: Tx, tenantId: string, policyId: string): Promise<AttachmentRow[]> {
    return tx
      .select()
      .from(lateFeeAttachments)
      .where(and(eq(lateFeeAttachments.tenantId, tenantId), eq(lateFeeAttachments.policyId, policyId)))
      .orderBy(asc(lateFeeAttachments.id));
  },

  async findAttachment(tx: Tx, tenantId: string, target: { accountId: string | null; portfolioId: string | null; productType: string | null }): Promise<AttachmentRow | null> {
    const rows = await tx
      .select()
      .from(lateFeeAttachments)
      .where(
        and(
          eq(lateFeeAttachments.tenantId, tenantId),
          sql`${lateFeeAttachments.accountId} is not distinct from ${target.accountId}::uuid`,
          sql`${lateFeeAttachments.portfolioId} is not distinct from ${target.portfolioId}::uuid`,
          sql`${lateFeeAttachments.productType} is not distinct from ${target.productType}::text`,
        ),
      )
      .for('update');
    return rows[0] ?? null;
  },

  async insertAttachment(tx: Tx, tenantId: string, row: Omit<typeof lateFeeAttachments.$inferInsert, 'tenantId'>): Promise<AttachmentRow> {
    const rows = await tx.insert(lateFeeAttachments).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async deleteAttachment(tx: Tx, tenantId: string, id: string): Promise<void> {
    await tx.delete(lateFeeAttachments).where(and(eq(lateFeeAttachments.tenantId, tenantId), eq(lateFeeAttachments.id, id)));
  },

  /** Makes the next run look at one account again (its account-level policy changed, or it moved). */
  async resetAccountFeeState(tx: Tx, tenantId: string, accountId: string): Promise<void> {
    await tx.update(accounts).set({ feeRulesGen: null }).where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, accountId)));
  },

  async caps(tx: Tx, tenantId: string): Promise<CapRow[]> {
    return tx.select().from(feeJurisdictionCaps).where(eq(feeJurisdictionCaps.tenantId, tenantId)).orderBy(asc(feeJurisdictionCaps.code));
  },

  async upsertCap(tx: Tx, tenantId: string, row: Omit<typeof feeJurisdictionCaps.$inferInsert, 'tenantId' | 'updatedAt'>): Promise<CapRow> {
    const rows = await tx
      .insert(feeJurisdictionCaps)
      .values({ ...row, tenantId })
      .onConflictDoUpdate({
        target: [feeJurisdictionCaps.tenantId, feeJurisdictionCaps.code],
        set: { ...row, updatedAt: sql`now()` },
      })
      .returning();
    return rows[0]!;
  },

  async insertRun(tx: Tx, tenantId: string, row: { id: string; asOf: string; trigger: 'api' | 'schedule' | 'cli'; actorKind: string; actorId: string; startedAt: Date }): Promise<RunRow> {
    const rows = await tx.insert(lateFeeRuns).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async updateRun(tx: Tx, tenantId: string, id: string, patch: Partial<typeof lateFeeRuns.$inferInsert>): Promise<RunRow> {
    const rows = await tx.update(lateFeeRuns).set(patch).where(and(eq(lateFeeRuns.tenantId, tenantId), eq(lateFeeRuns.id, id))).returning();
    return rows[0]!;
  },

  /** Adds one batch's figures to a run; totals ({currency: minor units}) and skips ({reason: n}) are merged. */
  async addToRun(
    tx: Tx,
    tenantId: string,
    id: string,
    d: { examined: number; assessed: number; feesPosted: number; totals: Record<string, string>; skipped: Record<string, number> },
  ): Promise<void> {
    await tx.execute(sql`
      update late_fee_runs set
        examined = examined + ${d.examined}, assessed = assessed + ${d.assessed}, fees_posted = fees_posted + ${d.feesPosted},
        totals = (select coalesce(jsonb_object_agg(k, (v)::text), '{}'::jsonb)
                  from (select k, sum(v::numeric) as v
                        from (select key as k, value #>> '{}' as v from jsonb_each(totals)
                              union all select key, value #>> '{}' from jsonb_each(${JSON.stringify(d.totals)}::jsonb)) x
                        group by k) y),
        skipped = (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                   from (select k, sum(v::int) as v
                         from (select key as k, value #>> '{}' as v from jsonb_each(skipped)
                               union all select key, value #>> '{}' from jsonb_each(${JSON.stringify(d.skipped)}::jsonb)) x
                         group by k) y)
      where tenant_id = ${tenantId} and id = ${id}`);
  },

  async listRuns(tx: Tx, tenantId: string, limit: number, beforeId: string | null): Promise<RunRow[]> {
    return tx
      .select()
      .from(lateFeeRuns)
      .where(and(eq(lateFeeRuns.tenantId, tenantId), beforeId ? lt(lateFeeRuns.id, beforeId) : undefined))
      .orderBy(desc(lateFeeRuns.id))
      .limit(limit);
  },

  /**
   * Settings for one accrual batch's transaction. synchronous_commit off: a batch is idempotent (the unique
   * (account, period) key), so after a crash that lost its commit the next run simply does it again —
   * waiting for the WAL flush buys nothing. work_mem: the batch's rows arrive as one JSON document, and the
   * default would spill its parse to a temporary file.
   */
  async tuneBatch(tx: Tx): Promise<void> {
    await tx.execute(sql`select set_config('synchronous_commit', 'off', true), set_config('work_mem', '32MB', true)`);
  },

  /**
   * The next batch of accounts that may owe something, locked. SKIP LOCKED: a row another run (or a payment)
   * holds is left to that transaction and picked up by a later run, so concurrent runs split the work
   * instead of queueing behind each other. Accounts whose anchor, policy fingerprint and next due date say
   * "nothing before `asOf`" are not read at all: that is what makes a repeat run cheap.
   */
  async lockBatch(tx: Tx, tenantId: string, asOf: string, gen: string, afterId: string | null, limit: number): Promise<BatchAccountRow[]> {
    const result = await tx.execute(sql`
      select a.id, a.portfolio_id, a.product_type, a.currency, a.status, a.original_principal::text, a.due_on::text,
             a.principal_balance::text, a.interest_balance::text, a.fee_balance::text, a.fee_basis_due_on::text as anchor_on,
             d.bankrupt, d.deceased, att.policy_id as account_policy_id, att.charge_from::text as account_charge_from, a.plan_freezes_fees
      from accounts a
      join debtors d on d.tenant_id = a.tenant_id and d.id = a.debtor_id
      left join late_fee_attachments att on att.tenant_id = a.tenant_id and att.account_id = a.id
      where a.tenant_id = ${tenantId}
        ${afterId ? sql`and a.id > ${afterId}::uuid` : sql``}
        and a.fee_basis_due_on < ${asOf}::date
        and a.status in ('current', 'delinquent', 'in_plan', 'disputed', 'charged_off')
        and (a.fee_rules_gen is distinct from ${gen} or a.fee_anchor_on is distinct from a.fee_basis_due_on or a.fee_next_on <= ${asOf}::date)
      order by a.id
      limit ${limit}
      for update of a skip locked`);
    return rowsOf<BatchAccountRow>(result);
  },

  /** One account, unlocked, for a preview. */
  async accountFacts(tx: Tx, tenantId: string, accountId: string): Promise<BatchAccountRow | null> {
    const result = await tx.execute(sql`
      select a.id, a.portfolio_id, a.product_type, a.currency, a.status, a.original_principal::text, a.due_on::text,
             a.principal_balance::text, a.interest_balance::text, a.fee_balance::text, a.fee_basis_due_on::text as anchor_on,
             d.bankrupt, d.deceased, att.policy_id as account_policy_id, att.charge_from::text as account_charge_from, a.plan_freezes_fees
      from accounts a
      join debtors d on d.tenant_id = a.tenant_id and d.id = a.debtor_id
      left join late_fee_attachments att on att.tenant_id = a.tenant_id and att.account_id = a.id
      where a.tenant_id = ${tenantId} and a.id = ${accountId}::uuid`);
    return rowsOf<BatchAccountRow>(result)[0] ?? null;
  },

  /** Entries effective after each account's anchor: what turns today's balances into an earlier day's. */
  async laterEntries(tx: Tx, tenantId: string, anchors: { id: string; anchor: string }[]): Promise<LaterEntryRow[]> {
    if (!anchors.length) return [];
    const result = await tx.execute(sql`
      select e.account_id, e.component, e.amount::text, e.effective_on::text
      from jsonb_to_recordset(${JSON.stringify(anchors)}::jsonb) as b(id uuid, anchor date)
      join ledger_entries e on e.tenant_id = ${tenantId} and e.account_id = b.id and e.effective_on > b.anchor`);
    return rowsOf<LaterEntryRow>(result);
  },

  /** What the engine already charged each account, and the periods it assessed under the current anchor. */
  async assessed(tx: Tx, tenantId: string, anchors: { id: string; anchor: string }[]): Promise<AssessedRow[]> {
    if (!anchors.length) return [];
    const result = await tx.execute(sql`
      select s.account_id, sum(s.amount)::text as total, (count(*) filter (where s.amount > 0))::int as charged,
             array_agg(s.period_key) filter (where s.anchor_on = b.anchor) as periods, max(s.assessed_on)::text as last_on
      from jsonb_to_recordset(${JSON.stringify(anchors)}::jsonb) as b(id uuid, anchor date)
      join late_fee_assessments s on s.tenant_id = ${tenantId} and s.account_id = b.id
      group by s.account_id`);
    return rowsOf<AssessedRow>(result).map((r) => ({ ...r, periods: typeof r.periods === 'string' ? parsePgTextArray(r.periods) : r.periods }));
  },

  /**
   * Writes a batch in one statement (rows as one json parameter: json, not jsonb, since nothing here needs
   * the binary form and parsing it is most of the statement's cost): assessments first, keyed on (account, period) with ON CONFLICT DO
   * NOTHING; ledger entries and balances only for the rows that statement actually inserted. A period some
   * other run already assessed therefore charges nothing here, whatever this run computed for it.
   */
  async writeBatch(
    tx: Tx,
    tenantId: string,
    runId: string,
    gen: string,
    actor: { kind: string; id: string },
    /** JSON arrays of NewAssessment and AccountFeeState. */
    rowsJson: string,
    statesJson: string,
  ): Promise<BatchWriteResult[]> {
    const result = await tx.execute(sql`
      with r as (
        select * from json_to_recordset(${rowsJson}::json)
          as r(id uuid, account_id uuid, period_key text, policy_version_id uuid, anchor_on date, assessed_on date, currency text,
               uncapped bigint, amount bigint, capped_by text[], explanation json)
      ),
      ins as (
        insert into late_fee_assessments (tenant_id, id, account_id, period_key, policy_version_id, run_id, anchor_on, assessed_on, currency, uncapped, amount, capped_by, ledger_entry_id, explanation)
        select ${tenantId}::uuid, id, account_id, period_key, policy_version_id, ${runId}::uuid, anchor_on, assessed_on, currency, uncapped, amount, capped_by,
               case when amount > 0 then id end, explanation
        from r
        on conflict (tenant_id, account_id, period_key) do nothing
        returning id, account_id, amount, ledger_entry_id, assessed_on, currency, period_key
      ),
      led as (
        insert into ledger_entries (tenant_id, id, account_id, group_id, kind, component, amount, currency, effective_on, actor_kind, actor_id, memo)
        select ${tenantId}::uuid, ledger_entry_id, account_id, ledger_entry_id, 'fee', 'fee', amount, currency, assessed_on, ${actor.kind}, ${actor.id}, 'late fee ' || period_key
        from ins where amount > 0
        returning account_id
      ),
      st as (select * from json_to_recordset(${statesJson}::json) as s(id uuid, anchor date, next_on date)),
      sums as (select account_id, sum(amount) as total from ins group by account_id),
      upd as (
        update accounts a
        set fee_balance = a.fee_balance + coalesce(sums.total, 0),
            fee_anchor_on = st.anchor, fee_next_on = st.next_on, fee_rules_gen = ${gen},
            updated_at = case when coalesce(sums.total, 0) > 0 then now() else a.updated_at end
        from st left join sums on sums.account_id = st.id
        where a.tenant_id = ${tenantId} and a.id = st.id
        returning a.id
      )
      select ins.currency, count(*)::int as assessed, (count(*) filter (where ins.amount > 0))::int as posted, coalesce(sum(ins.amount), 0)::text as total,
             coalesce(json_agg(json_build_object('id', ins.id, 'accountId', ins.account_id)) filter (where ins.amount > 0), '[]'::json)::text as charged,
             (select count(*) from led)::int as ledger_rows, (select count(*) from upd)::int as updated
      from ins group by ins.currency`);
    return rowsOf<{ currency: string; assessed: number; posted: number; total: string; charged: string }>(result).map((r) => ({
      currency: r.currency,
      assessed: Number(r.assessed),
      posted: Number(r.posted),
      total: r.total,
      charged: JSON.parse(r.charged) as { id: string; accountId: string }[],
    }));
  },

  /** Only the state columns, for accounts examined without any new period (skips, nothing due yet). */
  async writeStates(tx: Tx, tenantId: string, gen: string, statesJson: string): Promise<void> {
    await tx.execute(sql`
      update accounts a set fee_anchor_on = s.anchor, fee_next_on = s.next_on, fee_rules_gen = ${gen}
      from json_to_recordset(${statesJson}::json) as s(id uuid, anchor date, next_on date)
      where a.tenant_id = ${tenantId} and a.id = s.id`);
  },

  async assessmentsByEntryIds(tx: Tx, tenantId: string, entryIds: readonly string[]): Promise<AssessmentRow[]> {
    if (!entryIds.length) return [];
    // A charged assessment has its fee entry's id.
    return tx.select().from(lateFeeAssessments).where(and(eq(lateFeeAssessments.tenantId, tenantId), inArray(lateFeeAssessments.id, [...entryIds])));
  },

  async assessmentsOfAccount(tx: Tx, tenantId: string, accountId: string, limit: number, beforeId: string | null): Promise<AssessmentRow[]> {
    return tx
      .select()
      .from(lateFeeAssessments)
      .where(and(eq(lateFeeAssessments.tenantId, tenantId), eq(lateFeeAssessments.accountId, accountId), beforeId ? lt(lateFeeAssessments.id, beforeId) : undefined))
      .orderBy(desc(lateFeeAssessments.id))
      .limit(limit);
  },

  /** What is waived of a fee: its waivers, less those whose waiver entry was itself reversed. */
  async waivedOf(tx: Tx, tenantId: string, feeEntryId: string): Promise<bigint> {
    const rows = await tx
      .select({ sum: sql<string>`coalesce(sum(${feeWaivers.amount}), 0)::text` })
      .from(feeWaivers)
      .where(
        and(
          eq(feeWaivers.tenantId, tenantId),
          eq(feeWaivers.feeEntryId, feeEntryId),
          sql`not exists (select 1 from ledger_entries r where r.tenant_id = ${feeWaivers.tenantId} and r.reverses_entry_id = ${feeWaivers.ledgerEntryId})`,
        ),
      );
    return BigInt(rows[0]?.sum ?? '0');
  },

  async insertWaiver(tx: Tx, tenantId: string, row: Omit<typeof feeWaivers.$inferInsert, 'tenantId' | 'createdAt'>): Promise<WaiverRow> {
    const rows = await tx.insert(feeWaivers).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async waiversByLedgerIds(tx: Tx, tenantId: string, entryIds: readonly string[]): Promise<WaiverRow[]> {
    if (!entryIds.length) return [];
    return tx.select().from(feeWaivers).where(and(eq(feeWaivers.tenantId, tenantId), inArray(feeWaivers.ledgerEntryId, [...entryIds])));
  },
};

/** PGlite returns some arrays in their text form ('{a,b}'); postgres.js parses them. */
function parsePgTextArray(s: string): string[] {
  const inner = s.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((x) => x.replace(/^"|"$/g, '')) : [];
}
