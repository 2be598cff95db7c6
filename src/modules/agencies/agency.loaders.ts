import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { AgencyRow, PlacementRow } from './agency.repository.js';

/** Per-request loaders: one query per batch. */
export function agencyLoaders(services: Services, actor: () => TenantActor) {
  return {
    agency: new DataLoader<string, AgencyRow | null>(async (ids) => {
      const rows = await services.agencies.getMany(actor(), ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    placementsByAccount: new DataLoader<string, PlacementRow[]>(async (ids) => {
      const rows = await services.agencies.placementsOf(actor(), ids);
      return ids.map((id) => rows.filter((r) => r.accountId === id));
    }),
  };
}

export type AgencyLoaders = ReturnType<typeof agencyLoaders>;
