import type DataLoader from 'dataloader';
import { AppError } from '../shared/errors.js';
import type { ContactPointRow } from '../modules/debtors/debtor.repository.js';
import type { AgencyScope } from '../modules/agencies/agency.table.js';
import type { Actor, Scope, TenantActor } from '../modules/tenancy/principal.js';
import type { Services } from '../services.js';
import type { AccountLoaders } from '../modules/accounts/account.loaders.js';
import type { LateFeeLoaders } from '../modules/fees/late-fee.loaders.js';
import type { PlanLoaders } from '../modules/plans/plan.loaders.js';
import type { AgencyLoaders } from '../modules/agencies/agency.loaders.js';
import type { CreditCheckLoaders } from '../modules/credit-checks/credit-check.loaders.js';
import type { AccessState } from '../modules/billing/subscription.logic.js';
import type { ComplianceLoaders } from '../modules/compliance/compliance.loaders.js';

export interface Loaders extends AccountLoaders, LateFeeLoaders, PlanLoaders, AgencyLoaders, CreditCheckLoaders, ComplianceLoaders {
  contactPoints: DataLoader<string, ContactPointRow[]>;
  /** Whether the caller may see a debtor's contact details (always, except agencies without debtors:read there). */
  debtorDetails: DataLoader<string, boolean>;
}

export interface GraphQLContext {
  actor: Actor;
  /** The tenant's billing access for this request (null for the platform operator). */
  billing: AccessState | null;
  services: Services;
  loaders: Loaders;
}

/**
 * The actor, asserting it acts for a tenant (the auth checker has already refused everyone else). For an
 * agency, `scope` narrows its reach to the portfolios whose grant carries that scope: a grant of P1 with
 * payments:record and of P2 with accounts:read only lets it record payments in P1.
 */
export function tenantActor(ctx: GraphQLContext, scope?: AgencyScope): TenantActor {
  if (ctx.actor.principal.tenantId === null) throw AppError.forbidden('This operation needs a tenant API key');
  return narrowActor(ctx.actor as TenantActor, scope);
}

/** For an agency: the same actor reaching only the portfolios whose grant carries `scope`. Anyone else: unchanged. */
export function narrowActor(actor: TenantActor, scope?: AgencyScope): TenantActor {
  const p = actor.principal;
  if (p.kind !== 'agency' || !scope) return actor;
  const portfolioIds = p.agencyScopes?.get(scope) ?? [];
  const scopes = new Set<Scope>(scope === 'pii:reveal' ? ['pii:reveal'] : []);
  return { ...actor, principal: { ...p, portfolioIds, scopes } };
}
