import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { creditBureaus, creditChecks, creditReports, creditSettings, debtorRiskHistory } from './credit-check.table.js';

export type BureauRow = typeof creditBureaus.$inferSelect;
export type CheckRow = typeof creditChecks.$inferSelect;
export type ReportRow = typeof creditReports.$inferSelect;
export type SettingsRow = typeof creditSettings.$inferSelect;
export type RiskHistoryRow = typeof debtorRiskHistory.$inferSelect;

export interface UsageRow {
  bureau_id: string;
  pulls: string;
  failed: string;
  reused: string;
  cost: string;
  currency: string;
}

export const creditCheckRepository = {
  // Bureaus

  async insertBureau(tx: Tx, tenantId: string, row: Omit<typeof creditBureaus.$inferInsert, 'tenantId'>): Promise<BureauRow> {
    return (await tx.insert(creditBureaus).values({ ...row, tenantId }).returning())[0]!;
  },

  async updateBureau(tx: Tx, tenantId: string, id: string, version: number, patch: Partial<typeof creditBureaus.$inferInsert>): Promise<BureauRow | null> {
    const rows = await tx
      .update(creditBureaus)
      .set({ ...patch, version: sql`${creditBureaus.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(creditBureaus.tenantId, tenantId), eq(creditBureaus.id, id), eq(creditBureaus.version, version)))
      .returning();
    return rows[0] ?? null;
  },

  async findBureau(tx: Tx, tenantId: string, id: string): Promise<BureauRow | null> {
    return (await tx.select().from(creditBureaus).where(and(eq(creditBureaus.tenantId, tenantId), eq(creditBureaus.id, id))))[0] ?? null;
  },

  async bureaus(tx: Tx, tenantId: string): Promise<BureauRow[]> {
    return tx.select().from(creditBureaus).where(eq(creditBureaus.tenantId, tenantId)).orderBy(asc(creditBureaus.name));
  },

  /** The bureau used when a request names none: the oldest active one. */
  async defaultBureau(tx: Tx, tenantId: string): Promise<BureauRow | null> {
    const rows = await tx
      .select()
      .from(creditBureaus)
      .where(and(eq(creditBureaus.tenantId, tenantId), eq(creditBureaus.active, true)))
      .orderBy(asc(creditBureaus.createdAt), asc(creditBureaus.id))
      .limit(1);
    return rows[0] ?? null;
  },

  // Settings

  async settings(tx: Tx, tenantId: string): Promise<SettingsRow | null> {
    return (await tx.select().from(creditSettings).where(eq(creditSettings.tenantId, tenantId)))[0] ?? null;
  },

  async upsertSettings(tx: Tx, tenantId: string, v: { reuseWindowDays: number; retentionDays: number; strategyRules: SettingsRow['strategyRules'] }): Promise<SettingsRow> {
    const rows = await tx
      .insert(creditSettings)
      .values({ tenantId, ...v })
      .onConflictDoUpdate({ target: creditSettings.tenantId, set: { ...v, version: sql`${creditSettings.version} + 1`, updatedAt: sql`now()` } })
      .returning();
    return rows[0]!;
  },

  // Checks

  /** null: a pull for the same debtor, purpose and type is already in flight (the partial unique index). */
  async insertPending(tx: Tx, tenantId: string, row: Omit<typeof creditChecks.$inferInsert, 'tenantId' | 'status'>): Promise<CheckRow | null> {
    const rows = await tx
      .insert(creditChecks)
      .values({ ...row, tenantId, status: 'pending' })
      .onConflictDoNothing({ target: [creditChecks.tenantId, creditChecks.debtorId, creditChecks.purpose, creditChecks.pullType], where: sql`status = 'pending'` })
      .returning();
    return rows[0] ?? null;
  },

  async insertCheck(tx: Tx, tenantId: string, row: Omit<typeof creditChecks.$inferInsert, 'tenantId'>): Promise<CheckRow> {
    return (await tx.insert(creditChecks).values({ ...row, tenantId }).returning())[0]!;
  },

  async findCheck(tx: Tx, tenantId: string, id: string): Promise<CheckRow | null> {
    return (await tx.select().from(creditChecks).where(and(eq(creditChecks.tenantId, tenantId), eq(creditChecks.id, id))))[0] ?? null;
  },

  async pendingFor(tx: Tx, tenantId: string, debtorId: string, purpose: CheckRow['purpose'], pullType: CheckRow['pullType']): Promise<CheckRow | null> {
    const rows = await tx
      .select()
      .from(creditChecks)
      .where(and(eq(creditChecks.tenantId, tenantId), eq(creditChecks.debtorId, debtorId), eq(creditChecks.purpose, purpose), eq(creditChecks.pullType, pullType), eq(creditChecks.status, 'pending')));
    return rows[0] ?? null;
  },

  async finishCheck(tx: Tx, tenantId: string, id: string, patch: Partial<typeof creditChecks.$inferInsert>): Promise<CheckRow> {
    const rows = await tx
      .update(creditChecks)
      .set({ ...patch, completedAt: sql`now()` })
      .where(and(eq(creditChecks.tenantId, tenantId), eq(creditChecks.id, id), eq(creditChecks.status, 'pending')))
      .returning();
    return rows[0]!;
  },

  async checksOf(tx: Tx, tenantId: string, debtorId: string, limit: number): Promise<CheckRow[]> {
    return tx
      .select()
      .from(creditChecks)
      .where(and(eq(creditChecks.tenantId, tenantId), eq(creditChecks.debtorId, debtorId)))
      .orderBy(desc(creditChecks.requestedAt), desc(creditChecks.id))
      .limit(limit);
  },

  /** Pending checks older than `before`: their process died mid-pull. */
  /** Fails pulls abandoned mid-way; returns when each was requested (its unit of the month's allowance goes back). */
  async failStale(tx: Tx, tenantId: string, before: Date): Promise<Date[]> {
    const rows = await tx
      .update(creditChecks)
      .set({ status: 'failed', failureCode: 'abandoned', failureReason: 'the pull did not finish (the process handling it stopped)', completedAt: sql`now()` })
      .where(and(eq(creditChecks.tenantId, tenantId), eq(creditChecks.status, 'pending'), lt(creditChecks.requestedAt, before)))
      .returning({ requestedAt: creditChecks.requestedAt });
    return rows.map((r) => r.requestedAt);
  },

  // Reports

  async insertReport(tx: Tx, tenantId: string, row: Omit<typeof creditReports.$inferInsert, 'tenantId'>): Promise<ReportRow> {
    return (await tx.insert(creditReports).values({ ...row, tenantId }).returning())[0]!;
  },

  async findReport(tx: Tx, tenantId: string, id: string): Promise<ReportRow | null> {
    return (await tx.select().from(creditReports).where(and(eq(creditReports.tenantId, tenantId), eq(creditReports.id, id))))[0] ?? null;
  },

  async reportsByIds(tx: Tx, tenantId: string, ids: readonly string[]): Promise<ReportRow[]> {
    if (!ids.length) return [];
    return tx.select().from(creditReports).where(and(eq(creditReports.tenantId, tenantId), sql`${creditReports.id} = any(${`{${ids.join(',')}}`}::uuid[])`));
  },

  /**
   * The newest report this request may reuse (one probe of credit_reports_reuse_idx): same debtor, bureau and
   * purpose, pulled after `since`, not expired; a hard pull's report serves a soft request, not the reverse.
   */
  async reusable(tx: Tx, tenantId: string, debtorId: string, bureauId: string, purpose: ReportRow['purpose'], pullType: ReportRow['pullType'], since: Date): Promise<ReportRow | null> {
    const rows = await tx
      .select()
      .from(creditReports)
      .where(
        and(
          eq(creditReports.tenantId, tenantId),
          eq(creditReports.debtorId, debtorId),
          eq(creditReports.bureauId, bureauId),
          gt(creditReports.pulledAt, since),
          gt(creditReports.expiresAt, sql`now()`),
          eq(creditReports.purpose, purpose),
          pullType === 'soft' ? undefined : eq(creditReports.pullType, 'hard'),
        ),
      )
      .orderBy(desc(creditReports.pulledAt))
      .limit(1);
    return rows[0] ?? null;
  },

  /** Retention: expired reports lose their sealed payload; the normalised figures stay for the record. */
  async purgeExpired(tx: Tx, tenantId: string): Promise<number> {
    const rows = await tx
      .update(creditReports)
      .set({ payloadSealed: null, payloadKeyId: null, purgedAt: sql`now()` })
      .where(and(eq(creditReports.tenantId, tenantId), lt(creditReports.expiresAt, sql`now()`), sql`${creditReports.payloadSealed} is not null`, isNull(creditReports.purgedAt)))
      .returning({ id: creditReports.id });
    return rows.length;
  },

  // Risk

  async insertRisk(tx: Tx, tenantId: string, row: Omit<typeof debtorRiskHistory.$inferInsert, 'tenantId'>): Promise<void> {
    await tx.insert(debtorRiskHistory).values({ ...row, tenantId });
  },

  async riskHistory(tx: Tx, tenantId: string, debtorIds: readonly string[]): Promise<RiskHistoryRow[]> {
    if (!debtorIds.length) return [];
    return tx
      .select()
      .from(debtorRiskHistory)
      .where(and(eq(debtorRiskHistory.tenantId, tenantId), sql`${debtorRiskHistory.debtorId} = any(${`{${debtorIds.join(',')}}`}::uuid[])`))
      .orderBy(desc(debtorRiskHistory.at), desc(debtorRiskHistory.id));
  },

  async setDebtorRating(tx: Tx, tenantId: string, debtorId: string, rating: string): Promise<string | null> {
    const rows = rowsOf<{ previous: string | null }>(
      await tx.execute(sql`
        update debtors d set risk_rating = ${rating}, updated_at = now(), version = d.version + 1
          from (select risk_rating as previous from debtors where tenant_id = ${tenantId} and id = ${debtorId} for update) p
         where d.tenant_id = ${tenantId} and d.id = ${debtorId}
        returning p.previous`),
    );
    return rows[0]?.previous ?? null;
  },

  // Usage

  /** Per bureau and currency for [from, to): completed pulls (what is billed), failed, reused, and the cost. */
  async usage(tx: Tx, tenantId: string, from: Date, to: Date): Promise<UsageRow[]> {
    return rowsOf(
      await tx.execute(sql`
        select bureau_id,
               count(*) filter (where status = 'completed')::text as pulls,
               count(*) filter (where status = 'failed')::text as failed,
               count(*) filter (where status = 'reused')::text as reused,
               coalesce(sum(cost) filter (where status = 'completed'), 0)::text as cost,
               cost_currency as currency
          from credit_checks
         where tenant_id = ${tenantId} and requested_at >= ${from.toISOString()}::timestamptz and requested_at < ${to.toISOString()}::timestamptz
         group by bureau_id, cost_currency order by bureau_id, cost_currency`),
    );
  },
};
