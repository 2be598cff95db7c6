import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { LedgerRow } from '../accounts/ledger.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { InstallmentPaymentRow } from './payment.repository.js';
import type { InstallmentRow, PlanAccountRow } from './plan.repository.js';

/** Per-request loaders for the plans module: a page of plans or payments costs one query per field, not per row. */
export function planLoaders(services: Services, actor: () => TenantActor) {
  const byKey = <R>(ids: readonly string[], rows: R[], key: (r: R) => string): R[][] => {
    const groups = new Map<string, R[]>();
    for (const r of rows) {
      const k = key(r);
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    return ids.map((id) => groups.get(id) ?? []);
  };
  return {
    planInstallments: new DataLoader<string, InstallmentRow[]>(async (ids) => byKey(ids, await services.plans.installments(actor(), ids), (r) => r.planId)),
    planAccounts: new DataLoader<string, PlanAccountRow[]>(async (ids) => byKey(ids, await services.plans.planAccounts(actor(), ids), (r) => r.planId)),
    paymentEntries: new DataLoader<string, LedgerRow[]>(async (groupIds) => byKey(groupIds, await services.payments.entries(actor(), groupIds), (r) => r.groupId)),
    paymentInstallmentShares: new DataLoader<string, InstallmentPaymentRow[]>(async (ids) => byKey(ids, await services.payments.installmentShares(actor(), ids), (r) => r.paymentId)),
  };
}

export type PlanLoaders = ReturnType<typeof planLoaders>;
