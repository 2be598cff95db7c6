import { and, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Database, type Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { localDate } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { BIGINT_MAX, parseDecimalAmount } from '../../shared/money.js';
import { email as checkEmail, isCalendarDate, lineText, phoneE164, Problems } from '../../shared/validation.js';
import { planLimitError, type Entitlements } from '../billing/entitlement.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { debtorContactPoints, debtors } from '../debtors/debtor.table.js';
import { debtorSearchColumns } from '../debtors/debtor.search.js';
import type { TenantActor } from '../tenancy/principal.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import { summarize } from './account.logic.js';
import { accounts, PRODUCT_TYPES } from './account.table.js';
import { openingEntries, type ProductType } from './account.service.js';
import { ledgerRepository } from './ledger.repository.js';
import { portfolioRepository, type PortfolioRow } from './portfolio.repository.js';
import { scopeOf } from './scope.js';
import { agencyRepository } from '../agencies/agency.repository.js';

/** Column names, as in a CSV header (snake_case) and the GraphQL input (camelCase). */
export const IMPORT_COLUMNS = [
  'debtor_external_ref',
  'debtor_kind',
  'debtor_name',
  'debtor_email',
  'debtor_phone',
  'account_external_ref',
  'product_type',
  'currency',
  'principal',
  'interest',
  'fees',
  'opened_on',
  'due_on',
  'charged_off_on',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly ImportColumn[] = ['debtor_external_ref', 'debtor_name', 'account_external_ref', 'product_type', 'currency', 'principal', 'opened_on', 'due_on'];

export interface RawImportRow {
  /** Line in the source file (or 1-based index in a GraphQL list), for error reports. */
  line: number;
  values: Partial<Record<ImportColumn, string | null | undefined>>;
}

export interface ImportRowError {
  line: number;
  field: string;
  message: string;
}

export interface CleanImportRow {
  line: number;
  debtorRef: string;
  debtorKind: 'person' | 'business';
  debtorName: string;
  email: string | null;
  phone: string | null;
  accountRef: string;
  productType: ProductType;
  currency: string;
  principal: bigint;
  interest: bigint;
  fees: bigint;
  openedOn: string;
  dueOn: string;
  chargedOffOn: string | null;
}

export interface ImportCounts {
  rows: number;
  accountsCreated: number;
  accountsUnchanged: number;
  debtorsCreated: number;
  debtorsUpdated: number;
  failed: number;
}

export interface ImportSummary extends ImportCounts {
  errors: ImportRowError[];
  /** false when nothing was written because the import was atomic and some row failed. */
  written: boolean;
}

export const emptyCounts = (): ImportCounts => ({ rows: 0, accountsCreated: 0, accountsUnchanged: 0, debtorsCreated: 0, debtorsUpdated: 0, failed: 0 });

export class AtomicAbort extends Error {
  constructor(readonly errors: ImportRowError[]) {
    super('atomic import refused');
  }
}

/** Rows per set-based statement: keeps every statement under PostgreSQL's 65,535 parameters. */
export const WRITE_CHUNK = 1000;

export function addCounts(total: ImportCounts & { errors?: ImportRowError[] }, c: ImportCounts & { errors?: ImportRowError[] }): void {
  total.accountsCreated += c.accountsCreated;
  total.accountsUnchanged += c.accountsUnchanged;
  total.debtorsCreated += c.debtorsCreated;
  total.debtorsUpdated += c.debtorsUpdated;
  if (total.errors && c.errors) total.errors.push(...c.errors);
}

const blank = (v: string | null | undefined): v is null | undefined => v == null || v.trim() === '';

/**
 * Validates one row on its own (no database): every problem is reported with the row's line and the
 * column name. Amounts are decimals in major units and may not carry more decimals than the currency has.
 */
export function validateImportRow(raw: RawImportRow, portfolioCurrency: string, today: string): CleanImportRow | ImportRowError[] {
  const errors: ImportRowError[] = [];
  const v = raw.values;
  const p = new Problems();
  const add = (field: string, message: string) => errors.push({ line: raw.line, field, message });
  for (const c of REQUIRED_COLUMNS) if (blank(v[c])) add(c, 'is required');
  if (errors.length) return errors;

  const text = (c: ImportColumn, max: number) => lineText(p, c, v[c]!, max);
  const debtorRef = text('debtor_external_ref', 100);
  const debtorName = text('debtor_name', 200);
  const accountRef = text('account_external_ref', 100);
  const kind = blank(v.debtor_kind) ? 'person' : v.debtor_kind!.trim().toLowerCase();
  if (kind !== 'person' && kind !== 'business') p.add('debtor_kind', 'must be person or business');
  const email = blank(v.debtor_email) ? null : checkEmail(p, 'debtor_email', v.debtor_email!);
  const phone = blank(v.debtor_phone) ? null : phoneE164(p, 'debtor_phone', v.debtor_phone!);
  const productType = v.product_type!.trim().toLowerCase();
  if (!(PRODUCT_TYPES as readonly string[]).includes(productType)) p.add('product_type', `must be one of ${PRODUCT_TYPES.join(', ')}`);
  const currency = v.currency!.trim().toUpperCase();
  if (currency !== portfolioCurrency) p.add('currency', `must be the portfolio's currency ${portfolioCurrency}, not ${currency.slice(0, 10)}`);
  const amount = (c: 'principal' | 'interest' | 'fees'): bigint => {
    if (blank(v[c])) return 0n;
    const r = parseDecimalAmount(v[c]!, portfolioCurrency, { allowZero: true });
    if (typeof r === 'string') {
      p.add(c, r);
      return 0n;
    }
    return r;
  };
  const principal = amount('principal');
  const interest = amount('interest');
  const fees = amount('fees');
  const date = (c: 'opened_on' | 'due_on' | 'charged_off_on'): string | null => {
    if (blank(v[c])) return null;
    const d = v[c]!.trim();
    if (!isCalendarDate(d)) p.add(c, 'must be a real date in YYYY-MM-DD form');
    return d;
  };
  const openedOn = date('opened_on')!;
  const dueOn = date('due_on')!;
  const chargedOffOn = date('charged_off_on');
  if (p.empty) {
    if (principal + interest + fees > BIGINT_MAX) p.add('principal', 'principal, interest and fees together exceed the supported range');
    if (dueOn < openedOn) p.add('due_on', 'must not be before opened_on');
    if (openedOn > today) p.add('opened_on', `must not be after today (${today})`);
    if (chargedOffOn && chargedOffOn < openedOn) p.add('charged_off_on', 'must not be before opened_on');
  }
  for (const x of p.list) add(x.field, x.message);
  if (errors.length) return errors;
  return {
    line: raw.line,
    debtorRef,
    debtorKind: kind as 'person' | 'business',
    debtorName,
    email,
    phone,
    accountRef,
    productType: productType as ProductType,
    currency,
    principal,
    interest,
    fees,
    openedOn,
    dueOn,
    chargedOffOn,
  };
}

/**
 * Bulk placement. Rows are validated one by one; valid rows are written in set-based statements (a few per
 * batch, not per row). Idempotent on external references: debtors are created or updated by theirs,
 * accounts created once — a re-run of the same rows changes nothing and says so.
 */
export class AccountImportService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly entitlements: Entitlements,
  ) {}

  /** The portfolio (in the actor's reach) and today's date in the tenant's zone. */
  async target(actor: TenantActor, rawPortfolioId: string): Promise<{ portfolio: PortfolioRow; today: string }> {
    const portfolioId = assertUuid('portfolioId', rawPortfolioId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const portfolio = await portfolioRepository.find(tx, s.tenantId, s.portfolios, portfolioId);
      if (!portfolio) throw AppError.notFound('Portfolio', portfolioId);
      if (portfolio.status !== 'active') throw AppError.conflict(`Portfolio ${portfolioId} is closed`, { field: 'portfolioId' });
      const tenant = await tenantRepository.find(tx, s.tenantId);
      return { portfolio, today: localDate(this.clock.now(), tenant?.timeZone ?? 'UTC') };
    });
  }

  /**
   * Validates rows and drops duplicates of an account reference already seen (in this call or, through
   * `seen`, earlier batches of the same file).
   */
  validate(rows: readonly RawImportRow[], portfolio: PortfolioRow, today: string, seen: Map<string, number> = new Map()): { clean: CleanImportRow[]; errors: ImportRowError[] } {
    const clean: CleanImportRow[] = [];
    const errors: ImportRowError[] = [];
    for (const raw of rows) {
      const r = validateImportRow(raw, portfolio.currency, today);
      if (Array.isArray(r)) {
        errors.push(...r);
        continue;
      }
      const first = seen.get(r.accountRef);
      if (first !== undefined) {
        errors.push({ line: r.line, field: 'account_external_ref', message: `duplicates line ${first}` });
        continue;
      }
      seen.set(r.accountRef, r.line);
      clean.push(r);
    }
    return { clean, errors };
  }

  /** GraphQL entry point: up to 10,000 rows in one transaction. */
  async importRows(actor: TenantActor, rawPortfolioId: string, rows: readonly RawImportRow[], atomic: boolean): Promise<ImportSummary> {
    const { portfolio, today } = await this.target(actor, rawPortfolioId);
    const { clean, errors } = this.validate(rows, portfolio, today);
    if (rows.length > 10_000) throw AppError.badInput('input.rows', 'at most 10,000 rows per call; use the CLI importer for files');
    const failedLines = new Set(errors.map((e) => e.line)).size;
    if (atomic && errors.length) return { ...emptyCounts(), rows: rows.length, failed: failedLines, errors, written: false };
    const s = scopeOf(actor);
    let result: ImportCounts & { errors: ImportRowError[] };
    try {
      result = await this.db.tenant(s.db, async (tx) => {
        const total = { ...emptyCounts(), errors: [] as ImportRowError[] };
        for (let i = 0; i < clean.length; i += WRITE_CHUNK) addCounts(total, await this.writeBatch(tx, actor, portfolio, clean.slice(i, i + WRITE_CHUNK)));
        // Atomic: a row refused by the database (its reference belongs to another debt) undoes everything.
        if (atomic && total.errors.length) throw new AtomicAbort(total.errors);
        total.rows = rows.length;
        total.failed = new Set([...errors, ...total.errors].map((e) => e.line)).size;
        const { errors: _e, ...c } = total;
        await this.recordBatch(tx, actor, portfolio, c, { source: 'graphql' });
        return total;
      });
    } catch (err) {
      if (err instanceof AtomicAbort) return { ...emptyCounts(), rows: rows.length, failed: new Set(err.errors.map((e) => e.line)).size, errors: err.errors, written: false };
      throw err;
    }
    return { ...result, errors: [...errors, ...result.errors].sort((a, b) => a.line - b.line), written: true };
  }

  /** One audit event per batch: counts and, for files, the file's SHA-256. */
  async recordBatch(tx: Tx, actor: TenantActor, portfolio: PortfolioRow, counts: ImportCounts, meta: { source: string; fileSha256?: string; batch?: number }): Promise<void> {
    // Accounts imported into a portfolio placed with an agency are placed with it too.
    if (counts.accountsCreated > 0) await agencyRepository.placeArrivals(tx, actor.principal.tenantId, portfolio.id);
    await this.audit.record(tx, actor, { action: 'account.import', entityType: 'portfolio', entityId: portfolio.id, before: null, after: { ...counts, ...meta } });
  }

  /**
   * Writes a batch of valid rows inside the caller's transaction: upsert debtors by reference, add their
   * missing contact points, insert new accounts with their opening ledger entries and balances.
   */
  async writeBatch(tx: Tx, actor: TenantActor, portfolio: PortfolioRow, input: readonly CleanImportRow[]): Promise<ImportCounts & { errors: ImportRowError[] }> {
    const counts = { ...emptyCounts(), errors: [] as ImportRowError[] };
    let rows = input;
    if (!rows.length) return counts;
    const tenantId = actor.principal.tenantId;

    // Rows that cannot be written are refused before anything is: a reference that is already another
    // debt, or (for a portfolio-scoped key) a debtor the key cannot see, must not create or rename debtors.
    const existingByRef = new Map<string, { portfolioId: string; debtorId: string }>();
    const lookUp = async (refs: string[]) => {
      if (!refs.length) return;
      const found = await tx
        .select({ externalRef: accounts.externalRef, portfolioId: accounts.portfolioId, debtorId: accounts.debtorId })
        .from(accounts)
        .where(and(eq(accounts.tenantId, tenantId), inArray(accounts.externalRef, refs)));
      for (const e of found) existingByRef.set(e.externalRef, e);
    };
    await lookUp(rows.map((r) => r.accountRef));
    const existingDebtors = await tx
      .select({ id: debtors.id, externalRef: debtors.externalRef })
      .from(debtors)
      .where(and(eq(debtors.tenantId, tenantId), inArray(debtors.externalRef, [...new Set(rows.map((r) => r.debtorRef))])));
    const debtorIdByRef = new Map(existingDebtors.map((d) => [d.externalRef!, d.id]));
    let hidden = new Set<string>();
    const scope = actor.principal.portfolioIds ?? null;
    if (scope && existingDebtors.length) {
      // Inside a scoped session RLS shows only the key's portfolios' accounts, so "has a visible account" is
      // exactly "the key may see this debtor".
      const visible = await tx
        .selectDistinct({ debtorId: accounts.debtorId })
        .from(accounts)
        .where(and(eq(accounts.tenantId, tenantId), inArray(accounts.debtorId, existingDebtors.map((d) => d.id)), inArray(accounts.portfolioId, [...scope])));
      const seen = new Set(visible.map((v) => v.debtorId));
      hidden = new Set(existingDebtors.filter((d) => !seen.has(d.id)).map((d) => d.externalRef!));
    }
    const refused = new Set<number>();
    for (const r of rows) {
      const e = existingByRef.get(r.accountRef);
      const refuse = (field: string, message: string) => {
        counts.errors.push({ line: r.line, field, message });
        refused.add(r.line);
      };
      if (e && e.portfolioId !== portfolio.id) refuse('account_external_ref', 'already exists in another portfolio');
      else if (e && e.debtorId !== debtorIdByRef.get(r.debtorRef)) refuse('account_external_ref', 'already exists for another debtor');
      else if (hidden.has(r.debtorRef)) refuse('debtor_external_ref', "belongs to a debtor outside this key's portfolios");
    }
    rows = rows.filter((r) => !refused.has(r.line));
    if (!rows.length) return counts;

    // The plan's active-account limit: new accounts beyond it are refused row by row (before any debtor is
    // written for them); an atomic import is then refused whole, by the caller.
    const fresh = [...new Set(rows.filter((r) => !existingByRef.has(r.accountRef)).map((r) => r.accountRef))];
    if (fresh.length) {
      const h = await this.entitlements.headroom(tx, tenantId, 'activeAccounts');
      if (h.allowed !== null && h.usage + fresh.length > h.allowed) {
        const room = Math.max(0, h.allowed - h.usage);
        const over = new Set(fresh.slice(room));
        const message = planLimitError(this.entitlements.catalog, h.plan, 'activeAccounts', h.usage, fresh.length).message.replace(/^activeAccounts: /, 'plan limit: ');
        for (const r of rows) {
          if (!over.has(r.accountRef)) continue;
          counts.errors.push({ line: r.line, field: 'account_external_ref', message });
          refused.add(r.line);
        }
        rows = rows.filter((r) => !refused.has(r.line));
        if (!rows.length) return counts;
      }
    }

    // Debtors: one row per reference (the first row naming it wins), created or updated.
    const byRef = new Map<string, CleanImportRow>();
    for (const r of rows) if (!byRef.has(r.debtorRef)) byRef.set(r.debtorRef, r);
    const debtorValues = [...byRef.values()].map((r) => ({
      tenantId,
      id: uuidv7(),
      kind: r.debtorKind,
      legalName: r.debtorName,
      displayName: r.debtorName,
      externalRef: r.debtorRef,
      ...debtorSearchColumns(r.debtorName, r.debtorName),
    }));
    // Each set-based write passes its rows as one jsonb parameter. (Drizzle's multi-row VALUES builds one
    // parameter per cell — ~25,000 for 1,000 debtors — and building and binding them cost far more client
    // CPU than the database spent writing.)
    const upserted = rowsOf<{ id: string; external_ref: string; inserted: boolean }>(
      await tx.execute(sql`
        insert into ${debtors} (tenant_id, id, kind, legal_name, display_name, external_ref, search_text, search_keys)
        select ${tenantId}::uuid, d.id, d.kind, d.legal_name, d.display_name, d.external_ref, d.search_text, d.search_keys
        from jsonb_to_recordset(${JSON.stringify(
          debtorValues.map((d) => ({ id: d.id, kind: d.kind, legal_name: d.legalName, display_name: d.displayName, external_ref: d.externalRef, search_text: d.searchText, search_keys: d.searchKeys })),
        )}::jsonb) as d(id uuid, kind text, legal_name text, display_name text, external_ref text, search_text text, search_keys text[])
        on conflict (tenant_id, external_ref) do update set
          kind = excluded.kind, legal_name = excluded.legal_name, display_name = excluded.display_name,
          search_text = excluded.search_text, search_keys = excluded.search_keys, version = debtors.version + 1, updated_at = now()
          -- Unchanged debtors are not touched: a re-run writes nothing.
          where (debtors.kind, debtors.legal_name) is distinct from (excluded.kind, excluded.legal_name) and debtors.archived_at is null
        returning id, external_ref, (xmax = 0) as inserted`),
    );
    for (const u of upserted) u.inserted ? counts.debtorsCreated++ : counts.debtorsUpdated++;
    const debtorIds = new Map<string, string>();
    const refs = [...byRef.keys()];
    const found = await tx.select({ id: debtors.id, externalRef: debtors.externalRef }).from(debtors).where(and(eq(debtors.tenantId, tenantId), inArray(debtors.externalRef, refs)));
    for (const d of found) debtorIds.set(d.externalRef!, d.id);

    // Contact points the debtor does not have yet.
    const contacts = [...byRef.values()].flatMap((r) => [
      ...(r.email ? [{ debtorId: debtorIds.get(r.debtorRef)!, kind: 'email' as const, value: r.email, searchValue: r.email.toLowerCase() }] : []),
      ...(r.phone ? [{ debtorId: debtorIds.get(r.debtorRef)!, kind: 'phone' as const, value: r.phone, searchValue: [...r.phone.replace(/\D/g, '')].reverse().join('') }] : []),
    ]);
    if (contacts.length) {
      await tx.execute(sql`
        insert into ${debtorContactPoints} (tenant_id, id, debtor_id, kind, position, value, search_value, label)
        select ${tenantId}::uuid, gen_random_uuid(), c.debtor_id, c.kind,
               coalesce((select max(position) + 1 from debtor_contact_points x where x.tenant_id = ${tenantId} and x.debtor_id = c.debtor_id and x.kind = c.kind), 0),
               c.value, c.search_value, 'import'
        from jsonb_to_recordset(${JSON.stringify(contacts.map((c) => ({ debtor_id: c.debtorId, kind: c.kind, value: c.value, search_value: c.searchValue })))}::jsonb)
             as c(debtor_id uuid, kind text, value text, search_value text)
        -- A lateral probe per row (an index lookup), not NOT EXISTS: that became a hash anti-join over all
        -- the tenant's contact points, rebuilt for every batch — quadratic over a large file.
        left join lateral (select true as found from debtor_contact_points x
                           where x.tenant_id = ${tenantId} and x.debtor_id = c.debtor_id and x.kind = c.kind and x.search_value = c.search_value limit 1) e on true
        where e.found is null`);
    }

    // Accounts: new references only; an existing one is left exactly as it is (looked up above, so a re-run
    // of a file builds and sends nothing for its accounts).
    const accountValues = rows.filter((r) => !existingByRef.has(r.accountRef)).map((r) => {
      const id = uuidv7();
      const entries = openingEntries(actor, id, r.currency, r.dueOn, r.principal, r.interest, r.fees);
      const summary = summarize(entries.map((e) => ({ id: e.id!, kind: e.kind, component: e.component, amount: e.amount, effectiveOn: e.effectiveOn, reversesEntryId: null })));
      return {
        row: {
          tenantId,
          id,
          debtorId: debtorIds.get(r.debtorRef)!,
          portfolioId: portfolio.id,
          externalRef: r.accountRef,
          productType: r.productType,
          currency: r.currency,
          originalPrincipal: r.principal,
          openedOn: r.openedOn,
          dueOn: r.dueOn,
          chargedOffOn: r.chargedOffOn,
          status: (r.chargedOffOn ? 'charged_off' : 'current') as 'charged_off' | 'current',
          principalBalance: summary.principal,
          interestBalance: summary.interest,
          feeBalance: summary.fee,
          oldestUnpaidDueOn: summary.oldestUnpaidDueOn,
          feeBasisDueOn: summary.feeBasisDueOn,
        },
        entries,
      };
    });
    const accountJson = accountValues.map(({ row: a }) => ({
      id: a.id,
      debtor_id: a.debtorId,
      external_ref: a.externalRef,
      product_type: a.productType,
      currency: a.currency,
      original_principal: a.originalPrincipal.toString(),
      opened_on: a.openedOn,
      due_on: a.dueOn,
      charged_off_on: a.chargedOffOn,
      status: a.status,
      principal_balance: a.principalBalance.toString(),
      interest_balance: a.interestBalance.toString(),
      fee_balance: a.feeBalance.toString(),
      oldest_unpaid_due_on: a.oldestUnpaidDueOn,
      fee_basis_due_on: a.feeBasisDueOn,
    }));
    const inserted = !accountValues.length
      ? []
      : rowsOf<{ id: string }>(
        await tx.execute(sql`
          insert into ${accounts} (tenant_id, id, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on,
                                   charged_off_on, status, principal_balance, interest_balance, fee_balance, oldest_unpaid_due_on, fee_basis_due_on)
          select ${tenantId}::uuid, a.id, a.debtor_id, ${portfolio.id}::uuid, a.external_ref, a.product_type, a.currency, a.original_principal, a.opened_on, a.due_on,
                 a.charged_off_on, a.status, a.principal_balance, a.interest_balance, a.fee_balance, a.oldest_unpaid_due_on, a.fee_basis_due_on
          from jsonb_to_recordset(${JSON.stringify(accountJson)}::jsonb)
               as a(id uuid, debtor_id uuid, external_ref text, product_type text, currency text, original_principal bigint, opened_on date, due_on date,
                    charged_off_on date, status text, principal_balance bigint, interest_balance bigint, fee_balance bigint, oldest_unpaid_due_on date, fee_basis_due_on date)
          on conflict do nothing
          returning id`),
      );
    const created = new Set(inserted.map((x) => x.id));
    counts.accountsCreated = created.size;
    // A reference taken between the look-up and the insert (a concurrent import) is looked up now.
    await lookUp(accountValues.filter((a) => !created.has(a.row.id)).map((a) => a.row.externalRef));
    const createdRefs = new Set(accountValues.filter((a) => created.has(a.row.id)).map((a) => a.row.externalRef));
    for (const r of rows) {
      if (createdRefs.has(r.accountRef)) continue;
      // An existing reference is "unchanged" only if it is the same debt: same portfolio and debtor.
      const e = existingByRef.get(r.accountRef);
      if (e && e.portfolioId !== portfolio.id) counts.errors.push({ line: r.line, field: 'account_external_ref', message: 'already exists in another portfolio' });
      else if (e && e.debtorId !== debtorIds.get(r.debtorRef)) counts.errors.push({ line: r.line, field: 'account_external_ref', message: 'already exists for another debtor' });
      else counts.accountsUnchanged++;
    }
    await ledgerRepository.insertBulk(
      tx,
      tenantId,
      accountValues.filter((a) => created.has(a.row.id)).flatMap((a) => a.entries),
    );
    return counts;
  }
}
