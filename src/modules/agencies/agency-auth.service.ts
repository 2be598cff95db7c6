import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { AttemptLimiter } from '../../shared/attempt-limiter.js';
import { hashApiKey, hashesEqual } from '../tenancy/api-key.format.js';
import type { Principal } from '../tenancy/principal.js';
import { parseClientId, secretLooksValid } from './agency-credential.format.js';
import { agencyRepository, type SessionGrant } from './agency.repository.js';
import { AGENCY_SCOPES, type AgencyScope } from './agency.table.js';
import type { TokenService } from './token.service.js';
import { billingSnapshot, windowStart } from '../billing/subscription.logic.js';

/** RFC 6749 §5.2 error, with the HTTP status and (for throttling) how long to wait. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly retryAfter: number | null = null,
  ) {
    super(description);
  }
}

export interface TokenRequest {
  grantType: string | null;
  clientId: string | null;
  clientSecret: string | null;
  scope: string | null;
  ip: string | null;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** What a failed attempt is logged with: the public client id and the reason, never a secret or a token. */
export interface TokenFailure {
  clientId: string | null;
  ip: string | null;
  reason: string;
}

function grantScopes(g: SessionGrant): string[] {
  if (Array.isArray(g.scopes)) return g.scopes;
  return g.scopes.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
}

/**
 * The token endpoint (client_credentials) and the per-request check of an agency token. A token names its
 * grants; each request re-reads which of them are still open (one SECURITY DEFINER call, like an API key
 * lookup), so a recall, an expiry, a suspended agency or a revoked credential ends access on the next request.
 */
export class AgencyAuthService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly tokens: TokenService,
    private readonly limits: { perClient: AttemptLimiter; perIp: AttemptLimiter },
    private readonly onFailure: (f: TokenFailure) => void = () => {},
    /** Count each request in the database with the session lookup (the PostgreSQL rate-limit store). */
    private readonly countRequests = false,
  ) {}

  async token(req: TokenRequest): Promise<TokenResponse> {
    const ipKey = `ip:${req.ip ?? 'unknown'}`;
    const ipWait = this.limits.perIp.blockedFor(ipKey);
    if (ipWait !== null) throw new OAuthError(429, 'slow_down', `Too many failed attempts from this address; retry in ${ipWait} s`, ipWait);
    const fail = (status: number, error: string, description: string, reason: string, clientKey?: string): OAuthError => {
      this.limits.perIp.hit(ipKey);
      if (clientKey) this.limits.perClient.hit(clientKey);
      this.onFailure({ clientId: req.clientId && parseClientId(req.clientId) ? req.clientId : null, ip: req.ip, reason });
      return new OAuthError(status, error, description);
    };

    if (req.grantType !== 'client_credentials') {
      throw fail(400, req.grantType ? 'unsupported_grant_type' : 'invalid_request', req.grantType ? 'grant_type must be client_credentials' : 'grant_type is required', 'grant type');
    }
    if (!req.clientId || !req.clientSecret) throw fail(401, 'invalid_client', 'Client authentication failed: send client_id and client_secret (HTTP Basic or form fields)', 'missing credentials');
    const parsed = parseClientId(req.clientId);
    if (!parsed) throw fail(401, 'invalid_client', 'Client authentication failed', 'malformed client id');
    const clientKey = `client:${req.clientId}`;
    const clientWait = this.limits.perClient.blockedFor(clientKey);
    if (clientWait !== null) throw new OAuthError(429, 'slow_down', `Too many failed attempts for this client; retry in ${clientWait} s`, clientWait);
    if (!secretLooksValid(req.clientSecret)) throw fail(401, 'invalid_client', 'Client authentication failed', 'malformed secret', clientKey);

    const found = await agencyRepository.lookupClient(this.db, parsed.tenantId, parsed.publicId);
    if (!found || !hashesEqual(found.secret_hash, hashApiKey(req.clientSecret))) throw fail(401, 'invalid_client', 'Client authentication failed', 'unknown client or wrong secret', clientKey);
    // Reported only once the secret matched, so nothing is learnt by guessing.
    if (found.revoked_at) throw fail(401, 'invalid_client', 'Client credentials have been revoked', 'revoked credential', clientKey);
    if (found.agency_status !== 'active') throw fail(401, 'invalid_client', `The agency is ${found.agency_status}`, 'agency not active', clientKey);
    if (found.tenant_status !== 'active') throw fail(401, 'invalid_client', 'The creditor account is suspended', 'tenant not active', clientKey);

    const grants = await agencyRepository.sessionGrants(this.db, parsed.tenantId, found.agency_id, found.credential_id, null);
    if (!grants.length) throw fail(400, 'unauthorized_client', 'The agency has no active portfolio grant', 'no active grant');
    const granted = new Set(grants.flatMap(grantScopes));
    let scopes = [...granted];
    if (req.scope !== null && req.scope.trim() !== '') {
      const requested = [...new Set(req.scope.trim().split(/\s+/))];
      const unknown = requested.filter((s) => !(AGENCY_SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw fail(400, 'invalid_scope', `Unknown scope: ${unknown.join(', ')}; known: ${AGENCY_SCOPES.join(', ')}`, 'unknown scope');
      const notGranted = requested.filter((s) => !granted.has(s));
      if (notGranted.length) throw fail(400, 'invalid_scope', `Not granted to this agency: ${notGranted.join(', ')}`, 'scope not granted');
      scopes = requested;
    }
    scopes.sort();
    const grantIds = grants.filter((g) => grantScopes(g).some((s) => scopes.includes(s))).map((g) => g.grant_id);
    this.limits.perClient.reset(clientKey);
    const { token, expiresIn } = await this.tokens.issue({ tenantId: parsed.tenantId, agencyId: found.agency_id, credentialId: found.credential_id, grantIds, scopes });
    await this.db.tenant({ tenantId: parsed.tenantId }, (tx) => agencyRepository.touchCredential(tx, parsed.tenantId, found.credential_id, this.clock.now()));
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
  }

  private rateWindow(): Date | null {
    return this.countRequests ? windowStart(this.clock.now()) : null;
  }

  async principal(token: string): Promise<Principal> {
    const claims = await this.tokens.verify(token);
    const rows = await agencyRepository.sessionGrants(this.db, claims.tenantId, claims.agencyId, claims.credentialId, this.rateWindow());
    const inToken = new Set(claims.grantIds);
    const tokenScopes = new Set(claims.scopes);
    const byScope = new Map<AgencyScope, string[]>();
    const portfolios = new Set<string>();
    for (const g of rows) {
      if (!inToken.has(g.grant_id)) continue;
      for (const s of grantScopes(g)) {
        if (!tokenScopes.has(s) || !(AGENCY_SCOPES as readonly string[]).includes(s)) continue;
        const list = byScope.get(s as AgencyScope) ?? [];
        list.push(g.portfolio_id);
        byScope.set(s as AgencyScope, list);
        portfolios.add(g.portfolio_id);
      }
    }
    if (!portfolios.size) {
      throw AppError.unauthenticated('Access token is no longer valid: its grants were recalled or expired, the agency is not active, or its credential was revoked');
    }
    return {
      kind: 'agency',
      tenantId: claims.tenantId,
      actorId: claims.agencyId,
      agencyId: claims.agencyId,
      credentialId: claims.credentialId,
      scopes: new Set(),
      portfolioIds: [...portfolios].sort(),
      agencyScopes: byScope,
      billing: billingSnapshot(rows[0]!),
      ...(rows[0]!.hits != null ? { rateHits: Number(rows[0]!.hits) } : {}),
    };
  }
}
