import type DataLoader from 'dataloader';
import { AppError } from '../shared/errors.js';
import type { ContactPointRow } from '../modules/debtors/debtor.repository.js';
import type { Actor, TenantActor } from '../modules/tenancy/principal.js';
import type { Services } from '../services.js';
import type { AccountLoaders } from '../modules/accounts/account.loaders.js';
import type { LateFeeLoaders } from '../modules/fees/late-fee.loaders.js';
import type { PlanLoaders } from '../modules/plans/plan.loaders.js';

export interface Loaders extends AccountLoaders, LateFeeLoaders, PlanLoaders {
  contactPoints: DataLoader<string, ContactPointRow[]>;
}

export interface GraphQLContext {
  actor: Actor;
  services: Services;
  loaders: Loaders;
}

/** The actor, asserting it acts for a tenant (the auth checker has already refused everyone else). */
export function tenantActor(ctx: GraphQLContext): TenantActor {
  if (ctx.actor.principal.tenantId === null) throw AppError.forbidden('This operation needs a tenant API key');
  return ctx.actor as TenantActor;
}
