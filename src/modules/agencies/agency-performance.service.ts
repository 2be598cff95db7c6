import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid } from '../../shared/ids.js';
import { isCalendarDate, Problems } from '../../shared/validation.js';
import { daysBetween } from '../../shared/dates.js';
import { portfolioRepository, type PortfolioRow } from '../accounts/portfolio.repository.js';
import { scopeOf } from '../accounts/scope.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import { agencyPerformanceRepository, type CollectedRow, type PlacedRow, type PromiseRow } from './agency-performance.repository.js';
import { agencyRepository, type AgencyRow } from './agency.repository.js';
import { commission, type Collected } from './commission.logic.js';

const MAX_PERIOD_DAYS = 3 * 366;

export interface PromiseFigures {
  kept: number;
  partiallyKept: number;
  broken: number;
  /** kept / (kept + partially kept + broken), basis points (floor); null when none was resolved. */
  keptRatioBps: number | null;
}

export interface PortfolioFigures extends PromiseFigures {
  portfolio: PortfolioRow;
  currency: string;
  placedAccounts: number;
  placedBalance: bigint;
  collected: bigint;
  recoveryRateBps: number | null;
  commission: bigint;
}

export interface CurrencyFigures extends PromiseFigures {
  currency: string;
  placedAccounts: number;
  placedBalance: bigint;
  collected: bigint;
  recoveryRateBps: number | null;
  commission: bigint;
  effectiveCommissionRateBps: number | null;
  netRecovered: bigint;
  /** 1 = the best recovery rate among the tenant's agencies in this currency (scorecard only). */
  rank: number | null;
}

export interface AgencyFigures {
  agency: AgencyRow;
  from: string;
  to: string;
  portfolios: PortfolioFigures[];
  totals: CurrencyFigures[];
}

const bps = (num: bigint, den: bigint): number | null => (den > 0n ? Number((num * 10_000n) / den) : null);

function promiseFigures(kept: number, partiallyKept: number, broken: number): PromiseFigures {
  const all = kept + partiallyKept + broken;
  return { kept, partiallyKept, broken, keptRatioBps: all ? Math.floor((kept * 10_000) / all) : null };
}

/**
 * Placed, collected, recovery, promises kept and commission owed, per agency and portfolio and per currency.
 * Three statements over one snapshot; commission is computed here from the agency's plan (commission.logic).
 */
export class AgencyPerformanceService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private period(from: string, to: string): void {
    const p = new Problems();
    if (!isCalendarDate(from)) p.add('from', 'must be a date (YYYY-MM-DD)');
    if (!isCalendarDate(to)) p.add('to', 'must be a date (YYYY-MM-DD)');
    if (p.empty && to < from) p.add('to', 'must not be before from');
    if (p.empty && daysBetween(from, to) > MAX_PERIOD_DAYS) p.add('to', `the period may span at most ${MAX_PERIOD_DAYS} days`);
    if (!p.empty) throw AppError.badInputMany(p.list);
  }

  /** One agency. An agency may read its own figures (over the portfolios it still holds) and no one else's. */
  async agency(actor: TenantActor, rawAgencyId: string, from: string, to: string): Promise<AgencyFigures> {
    const agencyId = assertUuid('agencyId', rawAgencyId);
    this.period(from, to);
    if (actor.principal.kind === 'agency' && actor.principal.agencyId !== agencyId) throw AppError.notFound('Agency', agencyId);
    if (actor.principal.kind !== 'agency' && actor.principal.portfolioIds) throw AppError.forbidden('Agency figures need a tenant-wide key');
    const [out] = await this.compute(actor, agencyId, from, to);
    if (!out) throw AppError.notFound('Agency', agencyId);
    return out;
  }

  /** Every agency of the tenant, each currency ranked by recovery rate: the creditor's scorecard. */
  async scorecard(actor: TenantActor, from: string, to: string): Promise<AgencyFigures[]> {
    this.period(from, to);
    if (actor.principal.kind === 'agency' || actor.principal.portfolioIds) throw AppError.forbidden('The scorecard needs a tenant-wide key');
    const all = await this.compute(actor, null, from, to);
    const byCurrency = new Map<string, CurrencyFigures[]>();
    for (const a of all) for (const t of a.totals) byCurrency.set(t.currency, [...(byCurrency.get(t.currency) ?? []), t]);
    for (const list of byCurrency.values()) {
      list.sort((x, y) => (y.recoveryRateBps ?? -1) - (x.recoveryRateBps ?? -1) || (y.collected > x.collected ? 1 : y.collected < x.collected ? -1 : 0));
      list.forEach((t, i) => (t.rank = i + 1));
    }
    return all;
  }

  private async compute(actor: TenantActor, agencyId: string | null, from: string, to: string): Promise<AgencyFigures[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const tenant = await tenantRepository.find(tx, s.tenantId);
      const tz = tenant?.timeZone ?? 'UTC';
      const agencies = agencyId ? await agencyRepository.findMany(tx, s.tenantId, [agencyId]) : await agencyRepository.list(tx, s.tenantId);
      if (!agencies.length) return [];
      const placed = await agencyPerformanceRepository.placed(tx, s.tenantId, agencyId, from, to, tz);
      const collected = await agencyPerformanceRepository.collected(tx, s.tenantId, agencyId, from, to, tz);
      const promises = await agencyPerformanceRepository.promises(tx, s.tenantId, agencyId, from, to);
      const portfolioIds = [...new Set(placed.map((r) => r.portfolio_id))];
      const portfolios = new Map((await portfolioRepository.findMany(tx, s.tenantId, s.portfolios, portfolioIds)).map((p) => [p.id, p]));
      return agencies.map((a) => assemble(a, from, to, placed, collected, promises, portfolios));
    });
  }
}

function assemble(
  agency: AgencyRow,
  from: string,
  to: string,
  placedRows: PlacedRow[],
  collectedRows: CollectedRow[],
  promiseRows: PromiseRow[],
  portfolios: Map<string, PortfolioRow>,
): AgencyFigures {
  const mine = <T extends { agency_id: string }>(rows: T[]) => rows.filter((r) => r.agency_id === agency.id);
  const placed = mine(placedRows).filter((r) => portfolios.has(r.portfolio_id));
  const collected = mine(collectedRows);
  const promises = mine(promiseRows);
  const currencies = [...new Set(placed.map((r) => r.currency))].sort();
  const portfolioFigures: PortfolioFigures[] = [];
  const totals: CurrencyFigures[] = [];
  for (const currency of currencies) {
    const items: Collected[] = collected
      .filter((c) => c.currency === currency && portfolios.has(c.portfolio_id))
      .map((c) => ({ key: c.portfolio_id, amount: BigInt(c.collected), daysPastDueAtPlacement: Number(c.dpd) }));
    const owed = commission(agency.commission, items);
    let tAccounts = 0;
    let tPlaced = 0n;
    let tCollected = 0n;
    const tp = { kept: 0, partiallyKept: 0, broken: 0 };
    for (const r of placed.filter((x) => x.currency === currency)) {
      const got = items.filter((i) => i.key === r.portfolio_id).reduce((sum, i) => sum + i.amount, 0n);
      const pr = promises.filter((x) => x.portfolio_id === r.portfolio_id);
      const k = pr.reduce((n, x) => n + Number(x.kept), 0);
      const pk = pr.reduce((n, x) => n + Number(x.partially_kept), 0);
      const b = pr.reduce((n, x) => n + Number(x.broken), 0);
      const balance = BigInt(r.balance);
      portfolioFigures.push({
        portfolio: portfolios.get(r.portfolio_id)!,
        currency,
        placedAccounts: Number(r.accounts),
        placedBalance: balance,
        collected: got,
        recoveryRateBps: bps(got, balance),
        commission: owed.byKey.get(r.portfolio_id) ?? 0n,
        ...promiseFigures(k, pk, b),
      });
      tAccounts += Number(r.accounts);
      tPlaced += balance;
      tCollected += got;
      tp.kept += k;
      tp.partiallyKept += pk;
      tp.broken += b;
    }
    totals.push({
      currency,
      placedAccounts: tAccounts,
      placedBalance: tPlaced,
      collected: tCollected,
      recoveryRateBps: bps(tCollected, tPlaced),
      commission: owed.total,
      effectiveCommissionRateBps: owed.effectiveRateBps,
      netRecovered: tCollected - owed.total,
      rank: null,
      ...promiseFigures(tp.kept, tp.partiallyKept, tp.broken),
    });
  }
  portfolioFigures.sort((x, y) => x.portfolio.name.localeCompare(y.portfolio.name));
  return { agency, from, to, portfolios: portfolioFigures, totals };
}
