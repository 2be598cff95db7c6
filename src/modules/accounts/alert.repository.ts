import { and, desc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { alertRules, alerts } from './alert.table.js';
import { inScope, type PortfolioScope } from './portfolio.repository.js';
import { accounts } from './account.table.js';

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;

export interface AlertFilter {
  open?: boolean | null;
  acknowledged?: boolean | null;
  ruleId?: string | null;
  accountId?: string | null;
}

export const alertRepository = {
  async insertRule(tx: Tx, tenantId: string, row: Omit<typeof alertRules.$inferInsert, 'tenantId'>): Promise<AlertRuleRow> {
    const rows = await tx.insert(alertRules).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  async findRule(tx: Tx, tenantId: string, id: string, lock = false): Promise<AlertRuleRow | null> {
    const q = tx.select().from(alertRules).where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  async setRuleActive(tx: Tx, tenantId: string, id: string, active: boolean): Promise<AlertRuleRow> {
    const rows = await tx.update(alertRules).set({ active }).where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id))).returning();
    return rows[0]!;
  },

  async rules(tx: Tx, tenantId: string): Promise<AlertRuleRow[]> {
    return tx.select().from(alertRules).where(eq(alertRules.tenantId, tenantId)).orderBy(alertRules.createdAt, alertRules.id);
  },

  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: AlertFilter, limit: number, beforeId: string | null): Promise<AlertRow[]> {
    const rows = await tx
      .select({ alert: alerts })
      .from(alerts)
      .innerJoin(accounts, and(eq(accounts.tenantId, alerts.tenantId), eq(accounts.id, alerts.accountId)))
      .where(
        and(
          eq(alerts.tenantId, tenantId),
          inScope(accounts.portfolioId, scope),
          f.open === true ? isNull(alerts.clearedAt) : f.open === false ? isNotNull(alerts.clearedAt) : undefined,
          f.acknowledged === true ? isNotNull(alerts.acknowledgedAt) : f.acknowledged === false ? isNull(alerts.acknowledgedAt) : undefined,
          f.ruleId ? eq(alerts.ruleId, f.ruleId) : undefined,
          f.accountId ? eq(alerts.accountId, f.accountId) : undefined,
          beforeId ? lt(alerts.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(alerts.id))
      .limit(limit);
    return rows.map((r) => r.alert);
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string): Promise<AlertRow | null> {
    const rows = await tx
      .select({ alert: alerts })
      .from(alerts)
      .innerJoin(accounts, and(eq(accounts.tenantId, alerts.tenantId), eq(accounts.id, alerts.accountId)))
      .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, id), inScope(accounts.portfolioId, scope)))
      .for('update', { of: alerts });
    return rows[0]?.alert ?? null;
  },

  async acknowledge(tx: Tx, tenantId: string, id: string, at: Date, byId: string): Promise<AlertRow> {
    const rows = await tx.update(alerts).set({ acknowledgedAt: at, acknowledgedById: byId }).where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, id))).returning();
    return rows[0]!;
  },

  /**
   * Evaluates every active rule against every open account in one statement: raises an alert where a rule is
   * breached and none is open for that (rule, account) — the partial unique key makes duplicates impossible,
   * even with two evaluations at once — and clears open alerts whose condition no longer holds.
   * Overdue = what is owed minus charges not yet due (due today or later), never below 0.
   */
  async evaluate(tx: Tx, tenantId: string, asOf: string): Promise<{ raised: { id: string; ruleId: string; accountId: string }[]; cleared: number; holding: number }> {
    const res = await tx.execute(sql`
      with fut as (
        select l.account_id, sum(l.amount) as not_yet_due
        from ledger_entries l
        where l.tenant_id = ${tenantId} and l.amount > 0 and l.kind <> 'reversal' and l.effective_on >= ${asOf}::date
          and not exists (select 1 from ledger_entries r where r.tenant_id = l.tenant_id and r.reverses_entry_id = l.id)
        group by l.account_id
      ), m as (
        select a.id, a.currency,
               case when a.oldest_unpaid_due_on is null then 0 else greatest(0, ${asOf}::date - a.oldest_unpaid_due_on) end::bigint as dpd,
               (a.principal_balance + a.interest_balance + a.fee_balance) as owed,
               greatest(0, a.principal_balance + a.interest_balance + a.fee_balance - coalesce(fut.not_yet_due, 0)) as overdue
        from accounts a left join fut on fut.account_id = a.id
        where a.tenant_id = ${tenantId} and a.status not in ('closed', 'paid_off', 'settled', 'written_off')
      ), bp as (
        select x.account_id, count(*)::bigint as n from (
          select p.account_id, p.id from promises p
          where p.tenant_id = ${tenantId} and p.status = 'broken' and p.account_id is not null and p.promised_on >= ${asOf}::date - 180
          union
          select pa.account_id, p.id from promises p join plan_accounts pa on pa.tenant_id = p.tenant_id and pa.plan_id = p.plan_id
          where p.tenant_id = ${tenantId} and p.status = 'broken' and p.plan_id is not null and p.promised_on >= ${asOf}::date - 180
        ) x group by x.account_id
      ), v as (
        select r.id as rule_id, m.id as account_id, r.threshold,
               case r.metric
                 when 'days_past_due' then m.dpd
                 when 'outstanding_balance' then m.owed
                 when 'broken_promises' then coalesce((select bp.n from bp where bp.account_id = m.id), 0)
                 else case when m.owed > 0 then div(m.overdue::numeric * 10000, m.owed)::bigint else 0 end
               end as value
        from alert_rules r join m on (r.metric <> 'outstanding_balance' or r.currency = m.currency)
        where r.tenant_id = ${tenantId} and r.active
      ), breach as (
        select rule_id, account_id, value from v where value >= threshold
      ), cleared as (
        update alerts al set cleared_at = now()
        where al.tenant_id = ${tenantId} and al.cleared_at is null
          and not exists (select 1 from breach b where b.rule_id = al.rule_id and b.account_id = al.account_id)
        returning 1
      ), raised as (
        insert into alerts (tenant_id, id, rule_id, account_id, value)
        select ${tenantId}, gen_random_uuid(), rule_id, account_id, value from breach
        on conflict (tenant_id, rule_id, account_id) where cleared_at is null do nothing
        returning id, rule_id, account_id
      )
      select (select coalesce(json_agg(json_build_object('id', id, 'ruleId', rule_id, 'accountId', account_id)), '[]'::json) from raised)::text as raised,
             (select count(*) from cleared)::int as cleared, (select count(*) from breach)::int as holding`);
    const row = rowsOf<{ raised: string; cleared: number; holding: number }>(res)[0]!;
    return { raised: JSON.parse(row.raised) as { id: string; ruleId: string; accountId: string }[], cleared: Number(row.cleared), holding: Number(row.holding) };
  },
};
