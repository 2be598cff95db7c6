import { timingSafeEqual, createHash } from 'node:crypto';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { hashApiKey, hashesEqual, parseApiKey } from './api-key.format.js';
import { apiKeyRepository } from './api-key.repository.js';
import type { LastUsedTracker } from './last-used.tracker.js';
import { SCOPES, type Principal, type Scope } from './principal.js';
import type { AgencyAuthService } from '../agencies/agency-auth.service.js';
import { billingSnapshot, windowStart } from '../billing/subscription.logic.js';

/** A compact JWS: three base64url segments. API keys (ark_…) and the platform token never look like one. */
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Turns an Authorization header into a principal, or UNAUTHENTICATED with a reason that leaks nothing. */
export class AuthService {
  private readonly platformTokenDigest: Buffer | null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly lastUsed: LastUsedTracker,
    platformAdminToken: string | undefined,
    private readonly agencies: AgencyAuthService,
    /** Count each request in the database with the key lookup (the PostgreSQL rate-limit store). */
    private readonly countRequests = false,
  ) {
    this.platformTokenDigest = platformAdminToken ? createHash('sha256').update(platformAdminToken).digest() : null;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw AppError.unauthenticated('Missing Authorization header: send "Authorization: Bearer <API key or agency access token>"');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw AppError.unauthenticated('Malformed Authorization header: expected "Bearer <API key>"');
    const token = m[1]!;

    if (token.startsWith('ark_')) return this.apiKey(token);
    if (JWT_RE.test(token)) return this.agencies.principal(token);

    // Compare digests so the comparison is constant-time whatever the lengths.
    if (this.platformTokenDigest && timingSafeEqual(createHash('sha256').update(token).digest(), this.platformTokenDigest)) {
      return { kind: 'platform', tenantId: null, actorId: 'platform-admin', scopes: new Set() };
    }
    throw AppError.unauthenticated('Invalid credentials');
  }

  private async apiKey(token: string): Promise<Principal> {
    const parsed = parseApiKey(token);
    if (!parsed) throw AppError.unauthenticated('Malformed API key');
    const window = this.countRequests ? windowStart(this.clock.now()) : null;
    const found = await apiKeyRepository.lookupForAuth(this.db, parsed.tenantId, parsed.publicId, hashApiKey(token), window);
    // One message for unknown, wrong-secret, revoked and expired keys alike would hide useful facts from
    // the key's owner; revoked/expired are only reported once the secret matched, so nothing leaks.
    if (!found || !hashesEqual(found.secret_hash, hashApiKey(token))) throw AppError.unauthenticated('Invalid API key');
    const now = this.clock.now();
    if (found.revoked_at) throw AppError.unauthenticated('API key has been revoked');
    if (found.expires_at && new Date(found.expires_at) <= now) throw AppError.unauthenticated('API key has expired');
    if (found.tenant_status !== 'active') throw AppError.unauthenticated('Tenant is suspended');
    this.lastUsed.mark(parsed.tenantId, found.key_id, now);
    const scopes = new Set(found.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)));
    const principal: Principal = { kind: 'api_key', tenantId: parsed.tenantId, actorId: found.key_id, scopes, billing: billingSnapshot(found) };
    if (found.hits != null) principal.rateHits = Number(found.hits);
    if (found.portfolio_ids) principal.portfolioIds = parsePgUuidArray(found.portfolio_ids);
    return principal;
  }
}

/** postgres.js parses uuid[] into an array; PGlite too, but be tolerant of the text form '{a,b}'. */
function parsePgUuidArray(v: string[] | string): string[] {
  if (Array.isArray(v)) return v;
  return v.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
}
