import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { PreferenceRow } from './contact.repository.js';
import type { DisputeRow, NoticeRow } from './dispute.repository.js';

/** Per-request loaders for the nested compliance fields: one query per batch. */
export function complianceLoaders(services: Services, accountsActor: () => TenantActor, debtorsActor: () => TenantActor) {
  return {
    accountDisputes: new DataLoader<string, DisputeRow[]>(async (ids) => {
      const rows = await services.disputes.byAccounts(accountsActor(), ids);
      return ids.map((id) => rows.filter((r) => r.accountId === id));
    }),
    validationNotices: new DataLoader<string, NoticeRow[]>(async (ids) => {
      const rows = await services.disputes.notices(accountsActor(), ids);
      return ids.map((id) => rows.filter((r) => r.accountId === id));
    }),
    /** The open disputes pausing each plan (on any of its accounts). */
    planDisputes: new DataLoader<string, string[]>(async (ids) => {
      const rows = await services.disputes.openOnPlans(accountsActor(), ids);
      return ids.map((id) => rows.filter((r) => r.planId === id).map((r) => r.disputeId));
    }),
    contactPreferences: new DataLoader<string, PreferenceRow[]>(async (ids) => {
      const rows = await services.contacts.preferences(debtorsActor(), ids);
      return ids.map((id) => rows.filter((r) => r.debtorId === id));
    }),
  };
}

export type ComplianceLoaders = ReturnType<typeof complianceLoaders>;
