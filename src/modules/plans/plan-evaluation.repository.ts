import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';

/**
 * When an open installment's grace period starts: its due date, or the day the last dispute on one of the
 * plan's accounts was resolved if that is later (the plan was paused; the debtor gets the full grace again).
 * Used inside statements that alias the installment `i` and the plan `p`.
 */
function graceFrom(tenantId: string) {
  return sql`greatest(i.due_on, (select max((d.resolved_at at time zone t.time_zone)::date)
                                   from plan_accounts pa
                                   join disputes d on d.tenant_id = pa.tenant_id and d.account_id = pa.account_id and d.status = 'resolved'
                                   join tenants t on t.id = d.tenant_id
                                  where pa.tenant_id = ${tenantId} and pa.plan_id = p.id))`;
}

/** Set-based statements for the nightly evaluation: one round trip per step and batch, however many plans. */
export const planEvaluationRepository = {
  /**
   * Active plans with something to evaluate (an open installment past due + grace, or enough missed ones to
   * break), in id order after `after`, locked: a payment on one of them waits, or is waited for.
   */
  async lockDuePlans(tx: Tx, tenantId: string, asOf: string, planId: string | null, after: string | null, limit: number): Promise<string[]> {
    const res = await tx.execute(sql`
      select p.id from plans p
      where p.tenant_id = ${tenantId} and p.status = 'active'
        ${planId ? sql`and p.id = ${planId}` : sql``}
        -- A dispute on any of its accounts pauses the plan: nothing is missed or broken while it is open.
        and not exists (select 1 from plan_accounts pa join disputes d on d.tenant_id = pa.tenant_id and d.account_id = pa.account_id and d.status = 'open'
                        where pa.tenant_id = p.tenant_id and pa.plan_id = p.id)
        ${after ? sql`and p.id > ${after}` : sql``}
        and (p.missed_count >= (p.terms->>'missedToBreak')::int
             or exists (select 1 from plan_installments i
                        where i.tenant_id = p.tenant_id and i.plan_id = p.id and i.status = 'open' and i.due_on < ${asOf}::date
                          and ${graceFrom(tenantId)} + (p.terms->>'graceDays')::int < ${asOf}::date))
      order by p.id
      limit ${limit}
      for update of p`);
    return rowsOf<{ id: string }>(res).map((r) => r.id);
  },

  async markMissed(tx: Tx, tenantId: string, planIds: readonly string[], asOf: string, now: Date): Promise<{ planId: string; seq: number; dueOn: string }[]> {
    const ids = `{${planIds.join(',')}}`;
    const res = await tx.execute(sql`
      with m as (
        update plan_installments i set status = 'missed', missed_at = ${now.toISOString()}::timestamptz
        from plans p
        where i.tenant_id = ${tenantId} and i.plan_id = any(${ids}::uuid[]) and i.status = 'open' and i.paid < i.amount
          and p.tenant_id = i.tenant_id and p.id = i.plan_id
          and ${graceFrom(tenantId)} + (p.terms->>'graceDays')::int < ${asOf}::date
        returning i.plan_id, i.seq, i.due_on
      ), c as (
        update plans p set missed_count = p.missed_count + n.k, version = p.version + 1, updated_at = now()
        from (select plan_id, count(*)::int as k from m group by plan_id) n
        where p.tenant_id = ${tenantId} and p.id = n.plan_id
        returning 1
      )
      select plan_id, seq, due_on::text from m, (select count(*) from c) cc order by plan_id, seq`);
    return rowsOf<{ plan_id: string; seq: number; due_on: string }>(res).map((r) => ({ planId: r.plan_id, seq: Number(r.seq), dueOn: r.due_on }));
  },

  /**
   * Breaks the plans of the batch that reached their terms' number of missed installments: their accounts
   * leave in_plan (delinquent, or paid off when nothing is owed) and late fees resume.
   */
  async breakPlans(tx: Tx, tenantId: string, planIds: readonly string[], now: Date, asOf: string): Promise<{ planId: string; missedCount: number; accounts: { accountId: string; from: string; to: string }[] }[]> {
    const ids = `{${planIds.join(',')}}`;
    const at = now.toISOString();
    const res = await tx.execute(sql`
      with b as (
        update plans p set status = 'broken', broken_at = ${at}::timestamptz,
               end_reason = p.missed_count || ' installments missed (the terms break the plan at ' || (p.terms->>'missedToBreak') || ')',
               version = p.version + 1, updated_at = now()
        where p.tenant_id = ${tenantId} and p.id = any(${ids}::uuid[]) and p.status = 'active'
          and p.missed_count >= (p.terms->>'missedToBreak')::int
        returning p.id, p.missed_count
      ), pa as (
        update plan_accounts x set open = false from b
        where x.tenant_id = ${tenantId} and x.plan_id = b.id
        returning x.plan_id, x.account_id
      ), a as (
        -- An account someone moved meanwhile (disputed, recalled) keeps its status; only the plan's hold ends.
        update accounts a set
               status = case when a.status <> 'in_plan' then a.status
                             when a.principal_balance + a.interest_balance + a.fee_balance <= 0 then 'paid_off' else 'delinquent' end,
               status_changed_at = case when a.status = 'in_plan' then ${at}::timestamptz else a.status_changed_at end,
               plan_freezes_fees = null, version = a.version + 1, updated_at = now()
        from pa
        where a.tenant_id = ${tenantId} and a.id = pa.account_id
          and (a.status = 'in_plan' or a.plan_freezes_fees is not null)
        -- The subquery reads the row as the statement's snapshot has it: the status before this update.
        returning pa.plan_id, a.id, a.status as to_status, (select o.status from accounts o where o.tenant_id = a.tenant_id and o.id = a.id) as from_status
      )
      select b.id as plan_id, b.missed_count,
             coalesce((select json_agg(json_build_object('accountId', a.id, 'from', a.from_status, 'to', a.to_status)) from a where a.plan_id = b.id and a.from_status <> a.to_status), '[]'::json)::text as accounts
      from b order by b.id`);
    return rowsOf<{ plan_id: string; missed_count: number; accounts: string }>(res).map((r) => ({
      planId: r.plan_id,
      missedCount: Number(r.missed_count),
      accounts: JSON.parse(r.accounts) as { accountId: string; from: string; to: string }[],
    }));
  },

  async decidePromises(tx: Tx, tenantId: string, asOf: string, now: Date): Promise<{ id: string; status: string; paid: string; debtor_id: string; account_id: string | null; plan_id: string | null }[]> {
    const res = await tx.execute(sql`
      update promises set status = case when paid >= amount then 'kept' when paid > 0 then 'partially_kept' else 'broken' end,
             resolved_at = ${now.toISOString()}::timestamptz
      where tenant_id = ${tenantId} and status = 'pending' and promised_on + grace_days < ${asOf}::date
        -- Collection is paused on a disputed account: its promises wait for the dispute to end, and then get
        -- their grace again from the resolution day, as installments do.
        and not exists (select 1 from disputes d where d.tenant_id = promises.tenant_id and d.status = 'open' and d.account_id = promises.account_id)
        and not exists (select 1 from plan_accounts pa join disputes d on d.tenant_id = pa.tenant_id and d.account_id = pa.account_id and d.status = 'open'
                         where pa.tenant_id = promises.tenant_id and pa.plan_id = promises.plan_id)
        and greatest(promised_on, (select max((d.resolved_at at time zone t.time_zone)::date)
                         from disputes d join tenants t on t.id = d.tenant_id
                        where d.tenant_id = promises.tenant_id and d.status = 'resolved' and (d.resolved_at at time zone t.time_zone)::date >= promises.made_on
                          and (d.account_id = promises.account_id
                               or d.account_id in (select pa.account_id from plan_accounts pa where pa.tenant_id = promises.tenant_id and pa.plan_id = promises.plan_id)))
                   ) + grace_days < ${asOf}::date
      returning id, status, paid::text, debtor_id, account_id, plan_id`);
    return rowsOf<{ id: string; status: string; paid: string; debtor_id: string; account_id: string | null; plan_id: string | null }>(res);
  },

  async expireSettlements(tx: Tx, tenantId: string, asOf: string, now: Date): Promise<string[]> {
    const res = await tx.execute(sql`
      with e as (
        update settlement_offers set status = 'expired', ended_at = ${now.toISOString()}::timestamptz, end_reason = 'not paid by ' || expires_on::text,
               version = version + 1, updated_at = now()
        where tenant_id = ${tenantId} and status in ('pending_approval', 'offered', 'accepted') and expires_on < ${asOf}::date
        returning id
      ), sa as (
        update settlement_accounts x set open = false from e where x.tenant_id = ${tenantId} and x.settlement_id = e.id returning 1
      )
      select e.id from e, (select count(*) from sa) n order by e.id`);
    return rowsOf<{ id: string }>(res).map((r) => r.id);
  },
};
