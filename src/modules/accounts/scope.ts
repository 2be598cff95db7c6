import type { TenantScope } from '../../db/client.js';
import type { TenantActor } from '../tenancy/principal.js';
import type { PortfolioScope } from './portfolio.repository.js';

/** Database context and portfolio reach of an actor: a portfolio-scoped key sees only its portfolios. */
export function scopeOf(actor: TenantActor): { db: TenantScope; tenantId: string; portfolios: PortfolioScope } {
  const portfolios = actor.principal.portfolioIds ?? null;
  return { db: { tenantId: actor.principal.tenantId, portfolioIds: portfolios }, tenantId: actor.principal.tenantId, portfolios };
}
