import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { localDate } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { isCurrency } from '../../shared/money.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import { DEFAULT_BUCKETS } from './delinquency.logic.js';
import { delinquencyRepository } from './delinquency.repository.js';
import { portfolioRepository, type PortfolioRow } from './portfolio.repository.js';
import { scopeOf } from './scope.js';

export interface PortfolioAnalytics {
  portfolio: PortfolioRow;
  asOf: string;
  from: string;
  to: string;
  accounts: number;
  placed: bigint;
  outstanding: bigint;
  collectedInPeriod: bigint;
  collectedToDate: bigint;
  /** collected to date / placed, in basis points (integer division: exact, never a float). */
  recoveryRateBp: number | null;
  buckets: { label: string; minDays: number; maxDays: number | null; accounts: number; outstanding: bigint }[];
}

const view = (p: PortfolioRow) => ({ name: p.name, description: p.description, currency: p.currency, status: p.status, version: p.version });

export class PortfolioService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(actor: TenantActor, input: { name: string; description?: string | null; currency: string }): Promise<PortfolioRow> {
    const s = scopeOf(actor);
    if (s.portfolios !== null) throw AppError.forbidden('A portfolio-scoped key cannot create portfolios');
    const p = new Problems();
    const name = lineText(p, 'input.name', input.name, 200);
    const description = input.description ? freeText(p, 'input.description', input.description, 2000) : null;
    const currency = input.currency.trim().toUpperCase();
    if (!isCurrency(currency)) p.add('input.currency', 'must be an ISO 4217 currency code such as CNY, EUR or JPY');
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const row = await portfolioRepository.insert(tx, s.tenantId, { id: uuidv7(), name, description, currency });
        await this.audit.record(tx, actor, { action: 'portfolio.create', entityType: 'portfolio', entityId: row.id, before: null, after: view(row) });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'portfolios_name_key')) throw new AppError('CONFLICT', `input.name: a portfolio named "${name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  async update(actor: TenantActor, rawId: string, version: number, patch: { name?: string | null; description?: string | null; status?: 'active' | 'closed' | null }): Promise<PortfolioRow> {
    const id = assertUuid('input.id', rawId);
    const s = scopeOf(actor);
    const p = new Problems();
    const name = patch.name == null ? undefined : lineText(p, 'input.name', patch.name, 200);
    const description = patch.description === undefined ? undefined : patch.description === null ? null : freeText(p, 'input.description', patch.description, 2000);
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const current = await portfolioRepository.find(tx, s.tenantId, s.portfolios, id, true);
        if (!current) throw AppError.notFound('Portfolio', id);
        if (current.version !== version) throw new AppError('CONFLICT', `input.version: portfolio is at version ${current.version}, not ${version}`, { field: 'input.version' });
        const updated = await portfolioRepository.update(tx, s.tenantId, id, version, { name, description, status: patch.status ?? undefined });
        if (!updated) throw AppError.conflict('Portfolio changed concurrently; reload and retry');
        await this.audit.record(tx, actor, { action: 'portfolio.update', entityType: 'portfolio', entityId: id, before: view(current), after: view(updated) });
        return updated;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'portfolios_name_key')) throw new AppError('CONFLICT', `input.name: a portfolio named "${name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  async get(actor: TenantActor, rawId: string): Promise<PortfolioRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => portfolioRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Portfolio', id);
    return row;
  }

  getMany(actor: TenantActor, ids: readonly string[]): Promise<PortfolioRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => portfolioRepository.findMany(tx, s.tenantId, s.portfolios, ids));
  }

  list(actor: TenantActor): Promise<PortfolioRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => portfolioRepository.list(tx, s.tenantId, s.portfolios));
  }

  /**
   * The creditor's dashboard: per portfolio, the aging by bucket (count and outstanding), what was placed,
   * what was collected in [from, to] and to date, and the recovery rate. Computed in SQL in one snapshot.
   */
  async analytics(actor: TenantActor, args: { portfolioIds?: string[] | null; from?: string | null; to?: string | null; asOf?: string | null }): Promise<PortfolioAnalytics[]> {
    const s = scopeOf(actor);
    const p = new Problems();
    for (const [k, v] of [['from', args.from], ['to', args.to], ['asOf', args.asOf]] as const) if (v != null && !isCalendarDate(v)) p.add(k, 'must be a real date in YYYY-MM-DD form');
    const ids = args.portfolioIds?.map((id, i) => uuidField(p, `portfolioIds.${i}`, id)) ?? null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const tenant = await tenantRepository.find(tx, s.tenantId);
      const today = localDate(this.clock.now(), tenant?.timeZone ?? 'UTC');
      const asOf = args.asOf ?? today;
      const to = args.to ?? asOf;
      const from = args.from ?? `${to.slice(0, 7)}-01`;
      if (from > to) throw AppError.badInput('from', 'must not be after to');
      const set = (await delinquencyRepository.latest(tx, s.tenantId))?.buckets ?? DEFAULT_BUCKETS;
      const portfolios = ids ? await portfolioRepository.findMany(tx, s.tenantId, s.portfolios, ids) : await portfolioRepository.list(tx, s.tenantId, s.portfolios);
      if (ids) {
        const found = new Set(portfolios.map((x) => x.id));
        const missing = ids.find((id) => !found.has(id));
        if (missing) throw AppError.notFound('Portfolio', missing);
      }
      const only = portfolios.map((x) => x.id);
      const { aging, totals } = await portfolioRepository.report(tx, s.tenantId, s.portfolios, only, asOf, set, from, to);
      return portfolios.map((portfolio) => {
        const t = totals.find((x) => x.portfolio_id === portfolio.id);
        const placed = BigInt(t?.placed ?? 0);
        const collectedToDate = BigInt(t?.collected_to_date ?? 0);
        return {
          portfolio,
          asOf,
          from,
          to,
          accounts: Number(t?.accounts ?? 0),
          placed,
          outstanding: BigInt(t?.outstanding ?? 0),
          collectedInPeriod: BigInt(t?.collected_in_period ?? 0),
          collectedToDate,
          recoveryRateBp: placed > 0n ? Number((collectedToDate * 10000n) / placed) : null,
          buckets: set.map((b, i) => {
            const row = aging.find((r) => r.portfolio_id === portfolio.id && Number(r.bucket_order) === i);
            return { label: b.label, minDays: b.minDays, maxDays: b.maxDays, accounts: Number(row?.accounts ?? 0), outstanding: BigInt(row?.outstanding ?? 0) };
          }),
        };
      });
    });
  }
}

