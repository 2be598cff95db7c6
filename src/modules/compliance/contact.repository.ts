import { and, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { AnyColumn } from 'drizzle-orm';
import type { PortfolioScope } from '../accounts/portfolio.repository.js';
import { accounts } from '../accounts/account.table.js';
import type { PastContact } from './contact.logic.js';
import type { ContactChannel } from './contact-rules.presets.js';
import { contactAttempts, contactPreferences, contactRules } from './contact.table.js';

export type ContactRow = typeof contactAttempts.$inferSelect;
export type PreferenceRow = typeof contactPreferences.$inferSelect;
export type ContactRulesRow = typeof contactRules.$inferSelect;

export interface ContactFilter {
  debtorId?: string | null;
  accountId?: string | null;
  channel?: ContactChannel | null;
}

/** The application's own portfolio filter (the database's policies apply as well): rows of accounts in scope. */
function inScope(accountId: AnyColumn, tenantId: AnyColumn, scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  return sql`exists (select 1 from ${accounts} a where a.tenant_id = ${tenantId} and a.id = ${accountId} and a.portfolio_id = any(${`{${scope.join(',')}}`}::uuid[]))`;
}

/** A debtor's rows for a scoped caller: debtors with an account in scope. */
function debtorInScope(debtorId: AnyColumn, tenantId: AnyColumn, scope: PortfolioScope) {
  if (scope === null) return undefined;
  if (!scope.length) return sql`false`;
  return sql`exists (select 1 from ${accounts} a where a.tenant_id = ${tenantId} and a.debtor_id = ${debtorId} and a.portfolio_id = any(${`{${scope.join(',')}}`}::uuid[]))`;
}

export { inScope as accountRowInScope };

export const contactRepository = {
  async insert(tx: Tx, tenantId: string, row: Omit<typeof contactAttempts.$inferInsert, 'tenantId'>): Promise<ContactRow> {
    return (await tx.insert(contactAttempts).values({ ...row, tenantId }).returning())[0]!;
  },

  /** The account's contacts between `since` and `until`: the history the guard judges an attempt against. */
  async history(tx: Tx, tenantId: string, accountId: string, since: Date, until: Date): Promise<PastContact[]> {
    return tx
      .select({ occurredAt: contactAttempts.occurredAt, channel: contactAttempts.channel, direction: contactAttempts.direction, outcome: contactAttempts.outcome })
      .from(contactAttempts)
      .where(and(eq(contactAttempts.tenantId, tenantId), eq(contactAttempts.accountId, accountId), gte(contactAttempts.occurredAt, since), lte(contactAttempts.occurredAt, until)));
  },

  async find(tx: Tx, tenantId: string, scope: PortfolioScope, id: string): Promise<ContactRow | null> {
    return (await tx.select().from(contactAttempts).where(and(eq(contactAttempts.tenantId, tenantId), eq(contactAttempts.id, id), inScope(contactAttempts.accountId, contactAttempts.tenantId, scope))))[0] ?? null;
  },

  /** Newest first (ids are time-ordered), before `beforeId`. */
  async list(tx: Tx, tenantId: string, scope: PortfolioScope, f: ContactFilter, limit: number, beforeId: string | null): Promise<ContactRow[]> {
    const where = [eq(contactAttempts.tenantId, tenantId)];
    const scoped = inScope(contactAttempts.accountId, contactAttempts.tenantId, scope);
    if (scoped) where.push(scoped);
    if (f.debtorId) where.push(eq(contactAttempts.debtorId, f.debtorId));
    if (f.accountId) where.push(eq(contactAttempts.accountId, f.accountId));
    if (f.channel) where.push(eq(contactAttempts.channel, f.channel));
    if (beforeId) where.push(lt(contactAttempts.id, beforeId));
    return tx.select().from(contactAttempts).where(and(...where)).orderBy(desc(contactAttempts.id)).limit(limit);
  },

  async insertPreference(tx: Tx, tenantId: string, row: Omit<typeof contactPreferences.$inferInsert, 'tenantId'>): Promise<PreferenceRow> {
    return (await tx.insert(contactPreferences).values({ ...row, tenantId }).returning())[0]!;
  },

  /** The latest consent row per channel for each debtor. */
  async latestPreferences(tx: Tx, tenantId: string, scope: PortfolioScope, debtorIds: readonly string[]): Promise<PreferenceRow[]> {
    if (!debtorIds.length) return [];
    return tx
      .selectDistinctOn([contactPreferences.debtorId, contactPreferences.channel])
      .from(contactPreferences)
      .where(and(eq(contactPreferences.tenantId, tenantId), inArray(contactPreferences.debtorId, [...debtorIds]), debtorInScope(contactPreferences.debtorId, contactPreferences.tenantId, scope)))
      // By recorded time (the service clock contacts are judged by), then id.
      .orderBy(contactPreferences.debtorId, contactPreferences.channel, desc(contactPreferences.createdAt), desc(contactPreferences.id));
  },

  /** The consent state of a channel as recorded by `at`. */
  async preferenceAt(tx: Tx, tenantId: string, debtorId: string, channel: ContactChannel, at: Date): Promise<PreferenceRow | null> {
    const rows = await tx
      .select()
      .from(contactPreferences)
      .where(and(eq(contactPreferences.tenantId, tenantId), eq(contactPreferences.debtorId, debtorId), eq(contactPreferences.channel, channel), lte(contactPreferences.createdAt, at)))
      .orderBy(desc(contactPreferences.createdAt), desc(contactPreferences.id))
      .limit(1);
    return rows[0] ?? null;
  },

  async preferenceHistory(tx: Tx, tenantId: string, debtorId: string): Promise<PreferenceRow[]> {
    return tx.select().from(contactPreferences).where(and(eq(contactPreferences.tenantId, tenantId), eq(contactPreferences.debtorId, debtorId))).orderBy(desc(contactPreferences.id));
  },

  async rules(tx: Tx, tenantId: string): Promise<ContactRulesRow[]> {
    return tx.select().from(contactRules).where(eq(contactRules.tenantId, tenantId)).orderBy(contactRules.jurisdiction);
  },

  async findRules(tx: Tx, tenantId: string, jurisdiction: string, lock = false): Promise<ContactRulesRow | null> {
    const q = tx.select().from(contactRules).where(and(eq(contactRules.tenantId, tenantId), eq(contactRules.jurisdiction, jurisdiction)));
    return (await (lock ? q.for('update') : q))[0] ?? null;
  },

  async insertRules(tx: Tx, tenantId: string, row: Omit<typeof contactRules.$inferInsert, 'tenantId'>): Promise<ContactRulesRow> {
    return (await tx.insert(contactRules).values({ ...row, tenantId }).returning())[0]!;
  },

  async updateRules(tx: Tx, tenantId: string, id: string, rules: unknown, updatedById: string): Promise<ContactRulesRow> {
    return (
      await tx
        .update(contactRules)
        .set({ rules, updatedById, version: sql`${contactRules.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(contactRules.tenantId, tenantId), eq(contactRules.id, id)))
        .returning()
    )[0]!;
  },
};
