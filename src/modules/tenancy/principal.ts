export const SCOPES = ['read', 'write', 'admin', 'pii:reveal'] as const;
export type Scope = (typeof SCOPES)[number];

import type { AgencyScope } from '../agencies/agency.table.js';
import type { BillingSnapshot } from '../billing/subscription.logic.js';

export type PrincipalKind = 'api_key' | 'agency' | 'platform' | 'system';

/** What authentication yields. Nothing downstream of auth reads headers. */
export interface Principal {
  kind: PrincipalKind;
  /** null only for the platform operator, who acts on no tenant's data. */
  tenantId: string | null;
  actorId: string;
  scopes: ReadonlySet<Scope>;
  portfolioIds?: readonly string[];
  agencyId?: string;
  /** Agency principals: which granted portfolios carry each scope (a grant's scopes hold for its portfolio only). */
  agencyScopes?: ReadonlyMap<AgencyScope, readonly string[]>;
  /** Agency principals: the client credential the token was issued to (revoking it ends the token). */
  credentialId?: string;
  /** The tenant's subscription as authentication read it (tenant principals). */
  billing?: BillingSnapshot;
  /** Requests counted in this minute's window by the key lookup itself (the PostgreSQL rate-limit store). */
  rateHits?: number;
}

/** The principal plus where the request came from: what an audit event records. */
export interface Actor {
  principal: Principal;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

export interface TenantActor extends Actor {
  principal: Principal & { tenantId: string };
}

export function systemActor(tenantId: string, actorId: string, requestId = 'system'): TenantActor {
  return {
    principal: { kind: 'system', tenantId, actorId, scopes: new Set(SCOPES) },
    requestId,
    ip: null,
    userAgent: null,
  };
}
