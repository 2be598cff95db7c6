import type { TenantScope } from '../../db/client.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { PortfolioScope } from './portfolio.repository.js';

/**
 * Database context and portfolio reach of an actor: a portfolio-scoped key sees only its portfolios, an agency
 * only the portfolios granted to it (app.agency_id makes the database check the grants again on each statement).
 */
export function scopeOf(actor: TenantActor): { db: TenantScope; tenantId: string; portfolios: PortfolioScope } {
  const portfolios = actor.principal.portfolioIds ?? null;
  return {
    db: { tenantId: actor.principal.tenantId, portfolioIds: portfolios, agencyId: actor.principal.agencyId ?? null },
    tenantId: actor.principal.tenantId,
    portfolios,
  };
}
