import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { DebtorRow } from '../debtors/debtor.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { AccountRow } from './account.repository.js';
import type { BucketHistoryRow } from './delinquency.repository.js';
import type { BucketRange } from './delinquency.table.js';
import type { PortfolioRow } from './portfolio.repository.js';

function group<T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const list = m.get(key(r)) ?? [];
    list.push(r);
    m.set(key(r), list);
  }
  return m;
}

/** Per-request loaders for the accounts module: one query per batch, not per row. */
export function accountLoaders(services: Services, actor: () => TenantActor) {
  let today: Promise<string> | null = null;
  let bucketSet: Promise<{ version: number; buckets: BucketRange[] }> | null = null;
  return {
    debtor: new DataLoader<string, DebtorRow | null>(async (ids) => {
      const rows = await services.debtors.getMany(actor(), ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    portfolio: new DataLoader<string, PortfolioRow | null>(async (ids) => {
      const rows = await services.portfolios.getMany(actor(), ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    accountsByDebtor: new DataLoader<string, AccountRow[]>(async (ids) => {
      const byDebtor = group(await services.accounts.byDebtors(actor(), ids), (r) => r.debtorId);
      return ids.map((id) => byDebtor.get(id) ?? []);
    }),
    bucketHistory: new DataLoader<string, BucketHistoryRow[]>(async (ids) => {
      const byAccount = group(await services.delinquency.history(actor(), ids), (r) => r.accountId);
      return ids.map((id) => byAccount.get(id) ?? []);
    }),
    /** Today in the tenant's zone, once per request. */
    today: () => (today ??= services.accounts.tenantToday(actor())),
    bucketSet: () => (bucketSet ??= services.delinquency.buckets(actor())),
  };
}

export type AccountLoaders = ReturnType<typeof accountLoaders>;
