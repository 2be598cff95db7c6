import DataLoader from 'dataloader';
import type { Services } from '../../services.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { AssessmentRow, PolicyRow, PolicyVersionRow } from './late-fee.repository.js';

/** Per-request loaders for the fees module: one query per batch, not per row. */
export function lateFeeLoaders(services: Services, actor: () => TenantActor) {
  return {
    /** A policy's versions, newest first. */
    lateFeeVersions: new DataLoader<string, PolicyVersionRow[]>(async (ids) => {
      const rows = await services.lateFees.versionsOfPolicies(actor(), ids);
      return ids.map((id) => rows.filter((r) => r.policyId === id));
    }),
    lateFeePolicy: new DataLoader<string, PolicyRow | null>(async (ids) => {
      const rows = await services.lateFees.policiesByIds(actor(), ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    lateFeeByEntry: new DataLoader<string, AssessmentRow | null>(async (ids) => {
      const rows = await services.lateFees.assessmentsByEntryIds(actor(), ids);
      const byEntry = new Map(rows.map((r) => [r.ledgerEntryId, r]));
      return ids.map((id) => byEntry.get(id) ?? null);
    }),
  };
}

export type LateFeeLoaders = ReturnType<typeof lateFeeLoaders>;
