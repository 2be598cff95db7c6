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
