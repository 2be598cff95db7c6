import DataLoader from 'dataloader';
import type { TenantActor } from '../tenancy/principal.js';
import type { ContactPointRow } from './debtor.repository.js';
import type { DebtorService } from './debtor.service.js';

/** One query per batch of debtors on a page, whatever the page size. */
export function contactPointsLoader(service: DebtorService, actor: () => TenantActor): DataLoader<string, ContactPointRow[]> {
  return new DataLoader(async (ids) => {
    const rows = await service.contactPoints(actor(), ids);
    const byDebtor = new Map<string, ContactPointRow[]>();
    for (const r of rows) {
      const list = byDebtor.get(r.debtorId) ?? [];
      list.push(r);
      byDebtor.set(r.debtorId, list);
    }
    return ids.map((id) => byDebtor.get(id) ?? []);
  });
}

/**
 * Agencies see a debtor's contact details only through a portfolio whose grant carries debtors:read; `actor`
 * is already narrowed to those portfolios. Everyone else sees them without a query.
 */
export function debtorDetailsLoader(service: DebtorService, actor: () => TenantActor): DataLoader<string, boolean> {
  return new DataLoader(async (ids) => {
    const a = actor();
    if (a.principal.kind !== 'agency') return ids.map(() => true);
    const visible = new Set((await service.getMany(a, ids)).map((d) => d.id));
    return ids.map((id) => visible.has(id));
  });
}
