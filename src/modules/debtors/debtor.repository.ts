import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { accounts } from '../accounts/account.table.js';
import { toUuidArray, type PortfolioScope } from '../accounts/portfolio.repository.js';
import { uuidv7 } from '../../shared/ids.js';
import type { SearchPlan } from './debtor.search.js';
import { debtorContactPoints, debtors } from './debtor.table.js';
import type { CleanContact, DebtorFlag } from './debtor.model.js';

export type DebtorRow = typeof debtors.$inferSelect;
export type DebtorInsert = Omit<typeof debtors.$inferInsert, 'tenantId'>;
export type ContactPointRow = typeof debtorContactPoints.$inferSelect;

export type DebtorOrder = 'created_desc' | 'created_asc' | 'name_asc' | 'name_desc';

export interface DebtorListFilter {
  search: SearchPlan | null;
  tags: string[];
  flags: DebtorFlag[];
  /** null: both; false: active only (the default); true: archived only */
  archived: boolean | null;
}

/** Keyset position: the last row's sort value and id. */
export interface DebtorCursor {
  key: string;
  id: string;
}

const FLAG_COLUMN = {
  deceased: debtors.deceased,
  bankrupt: debtors.bankrupt,
  ceaseCommunication: debtors.ceaseCommunication,
  vulnerable: debtors.vulnerable,
} as const;

const nameKey = sql`${debtors.displayName} collate "C"`;

/**
 * Ids of the tenant's debtors that match a search, from arrears_search_debtor_ids (migration 0005). Under RLS
 * PostgreSQL won't use an index for a non-leakproof predicate (LIKE, @>, lower()), so as the app role every
 * branch below was a scan of all the tenant's rows; the function runs them as a role with no security quals,
 * each branch on its own index, scoped to the tenant of the transaction's context. Pass null to skip a branch.
 */
function matchingIds(plan: SearchPlan): SQL {
  const call = (nameLike: string | null, nameKeys: string[] | null, emailPrefix: string | null, phonePrefix: string | null, ref: string | null) =>
    sql`select s.id from arrears_search_debtor_ids(${nameLike}::text, ${nameKeys ? toTextArray(nameKeys) : sql`null::text[]`}, ${emailPrefix}::text, ${phonePrefix}::text, ${ref}::text) as s(id)`;
  switch (plan.kind) {
    case 'email':
      return call(null, null, escapePrefix(plan.prefix), null, null);
    case 'phone':
      return call(null, null, escapePrefix(plan.folded), escapePrefix(plan.reversedDigits), plan.folded);
    case 'text':
      // By name (trigram LIKE, or the short-query keys), by email prefix, or the external reference exactly.
      return call(plan.like, plan.like ? null : plan.keys, escapePrefix(plan.folded), null, plan.folded);
  }
}

function escapePrefix(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

function toTextArray(values: string[]): SQL {
  return sql`${`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => '\\' + c)}"`).join(',')}}`}::text[]`;
}

/**
 * A portfolio-scoped principal sees a debtor only through an account in one of its portfolios
 * (null scope: the whole tenant).
 */
function visibleTo(tenantId: string, scope: PortfolioScope): SQL | undefined {
  if (scope === null) return undefined;
  if (scope.length === 0) return sql`false`;
  return sql`exists (select 1 from ${accounts} a where a.tenant_id = ${tenantId} and a.debtor_id = ${debtors.id} and a.portfolio_id = any(${toUuidArray(scope)}))`;
}

function whereFor(tenantId: string, f: DebtorListFilter, scope: PortfolioScope): SQL[] {
  const where: SQL[] = [eq(debtors.tenantId, tenantId)];
  const visible = visibleTo(tenantId, scope);
  if (visible) where.push(visible);
  if (f.archived === false) where.push(isNull(debtors.archivedAt));
  if (f.archived === true) where.push(isNotNull(debtors.archivedAt));
  if (f.tags.length) where.push(sql`${debtors.tags} @> ${toTextArray(f.tags)}`);
  for (const flag of f.flags) where.push(eq(FLAG_COLUMN[flag], true));
  if (f.search) where.push(sql`${debtors.id} in (${matchingIds(f.search)})`);
  return where;
}

export const debtorRepository = {
  async insert(tx: Tx, tenantId: string, row: DebtorInsert): Promise<DebtorRow> {
    const rows = await tx.insert(debtors).values({ ...row, tenantId }).returning();
    return rows[0]!;
  },

  /** Optimistic concurrency: the update only lands on the version the client read. */
  async update(tx: Tx, tenantId: string, id: string, expectedVersion: number, patch: Partial<DebtorInsert>): Promise<DebtorRow | null> {
    const rows = await tx
      .update(debtors)
      .set({ ...patch, version: sql`${debtors.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(debtors.tenantId, tenantId), eq(debtors.id, id), eq(debtors.version, expectedVersion)))
      .returning();
    return rows[0] ?? null;
  },

  async find(tx: Tx, tenantId: string, id: string, lock = false, scope: PortfolioScope = null): Promise<DebtorRow | null> {
    const q = tx.select().from(debtors).where(and(eq(debtors.tenantId, tenantId), eq(debtors.id, id), visibleTo(tenantId, scope)));
    const rows = lock ? await q.for('update') : await q;
    return rows[0] ?? null;
  },

  async findMany(tx: Tx, tenantId: string, ids: readonly string[], scope: PortfolioScope = null): Promise<DebtorRow[]> {
    if (ids.length === 0) return [];
    return tx.select().from(debtors).where(and(eq(debtors.tenantId, tenantId), inArray(debtors.id, [...ids]), visibleTo(tenantId, scope)));
  },

  async findByExternalRef(tx: Tx, tenantId: string, externalRef: string): Promise<DebtorRow | null> {
    const rows = await tx.select().from(debtors).where(and(eq(debtors.tenantId, tenantId), eq(debtors.externalRef, externalRef)));
    return rows[0] ?? null;
  },

  async list(tx: Tx, tenantId: string, f: DebtorListFilter, order: DebtorOrder, limit: number, after: DebtorCursor | null, scope: PortfolioScope = null): Promise<DebtorRow[]> {
    const where = whereFor(tenantId, f, scope);
    const byName = order === 'name_asc' || order === 'name_desc';
    const ascending = order === 'created_asc' || order === 'name_asc';
    if (after) {
      const cmp = ascending ? gt : lt;
      // ids are UUIDv7, so id order is creation order and the primary key serves "newest first".
      where.push(byName ? (ascending ? sql`(${nameKey}, ${debtors.id}) > (${after.key}, ${after.id})` : sql`(${nameKey}, ${debtors.id}) < (${after.key}, ${after.id})`) : cmp(debtors.id, after.id));
    }
    const dir = ascending ? asc : desc;
    const orderBy = byName ? [ascending ? sql`${nameKey} asc` : sql`${nameKey} desc`, dir(debtors.id)] : [dir(debtors.id)];
    return tx.select().from(debtors).where(and(...where)).orderBy(...orderBy).limit(limit);
  },

  async count(tx: Tx, tenantId: string, f: DebtorListFilter, scope: PortfolioScope = null): Promise<number> {
    const rows = await tx.select({ n: sql<string>`count(*)` }).from(debtors).where(and(...whereFor(tenantId, f, scope)));
    return Number(rows[0]?.n ?? 0);
  },

  async contactPointsFor(tx: Tx, tenantId: string, debtorIds: readonly string[]): Promise<ContactPointRow[]> {
    if (debtorIds.length === 0) return [];
    return tx
      .select()
      .from(debtorContactPoints)
      .where(and(eq(debtorContactPoints.tenantId, tenantId), inArray(debtorContactPoints.debtorId, [...debtorIds])))
      .orderBy(asc(debtorContactPoints.debtorId), asc(debtorContactPoints.kind), asc(debtorContactPoints.position));
  },

  /** Contact points are a child list replaced as a whole: simpler to reason about than a diff, and audited. */
  async replaceContactPoints(tx: Tx, tenantId: string, debtorId: string, emails: CleanContact[], phones: CleanContact[]): Promise<void> {
    await tx.delete(debtorContactPoints).where(and(eq(debtorContactPoints.tenantId, tenantId), eq(debtorContactPoints.debtorId, debtorId)));
    const rows = [
      ...emails.map((c, position) => ({ kind: 'email' as const, position, ...c })),
      ...phones.map((c, position) => ({ kind: 'phone' as const, position, ...c })),
    ].map((c) => ({ tenantId, id: uuidv7(), debtorId, ...c }));
    if (rows.length) await tx.insert(debtorContactPoints).values(rows);
  },
};
