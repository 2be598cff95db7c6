import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { ReportRow, RiskHistoryRow } from './credit-check.repository.js';
import type { settingsView } from './credit-check.service.js';

/** Per-request loaders: one query per batch. */
export function creditCheckLoaders(services: Services, actor: () => TenantActor) {
  let settings: Promise<ReturnType<typeof settingsView>> | null = null;
  return {
    creditReport: new DataLoader<string, ReportRow | null>(async (ids) => {
      const rows = await services.creditChecks.reports(actor(), ids);
      return ids.map((id) => rows.find((r) => r.id === id) ?? null);
    }),
    riskHistory: new DataLoader<string, RiskHistoryRow[]>(async (ids) => {
      const rows = await services.creditChecks.riskHistory(actor(), ids);
      return ids.map((id) => rows.filter((r) => r.debtorId === id));
    }),
    creditSettings: () => (settings ??= services.creditChecks.settings(actor())),
  };
}

export type CreditCheckLoaders = ReturnType<typeof creditCheckLoaders>;
