import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, jwtVerify, SignJWT, errors as joseErrors, type CryptoKey, type JWK } from 'jose';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { PiiCipher } from '../../shared/pii-crypto.js';
import { signingKeyRepository, type SigningKeyRow } from './signing-key.repository.js';

/** One algorithm, pinned on both sides: EdDSA (Ed25519). Nothing in a token's header can change it. */
export const TOKEN_ALG = 'EdDSA';
export const TOKEN_TYPE = 'at+jwt';
/** The most any token may live; also how long a retired key stays published. */
export const MAX_TOKEN_TTL_SECONDS = 3600;
const CLOCK_TOLERANCE_SECONDS = 30;
/** An unknown kid reloads keys (another process may have rotated), at most this often. */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** Keys are reloaded this often anyway, so a rotation elsewhere is picked up for signing too. */
const KEY_CACHE_MS = 60_000;

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AgencyClaims {
  tenantId: string;
  agencyId: string;
  credentialId: string;
  grantIds: string[];
  scopes: string[];
}

/** Tokens verified in full, oldest first (a Map keeps insertion order): bounded, so a flood of tokens cannot grow it. */
const VERIFIED_CACHE_SIZE = 10_000;

interface VerifiedToken {
  claims: AgencyClaims;
  exp: number;
  nbf: number;
  iat: number;
}

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey | null;
  retiredAt: Date | null;
}

/**
 * Signs and verifies agency access tokens. Keys live in signing_keys (private halves sealed with the PII key
 * ring); the newest unretired key signs, and a retired key is still published and accepted until every token it
 * could have signed has expired, so a rotation never logs anyone out.
 */
export class TokenService {
  private keys: LoadedKey[] = [];
  private readonly verified = new Map<string, VerifiedToken>();
  private loadedAt = 0;
  private lastUnknownReload = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly pii: PiiCipher,
    private readonly clock: Clock,
    readonly settings: TokenSettings,
  ) {
    if (settings.ttlSeconds < 1 || settings.ttlSeconds > MAX_TOKEN_TTL_SECONDS) throw new Error(`token lifetime must be 1..${MAX_TOKEN_TTL_SECONDS} s`);
  }

  async issue(claims: AgencyClaims): Promise<{ token: string; expiresIn: number }> {
    const key = await this.signingKey();
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ tid: claims.tenantId, cid: claims.credentialId, grants: claims.grantIds, scope: claims.scopes.join(' ') })
      .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(claims.agencyId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey!);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /**
   * Signature, algorithm, type, issuer, audience, expiry, not-before and age, then the claims' shapes. Any
   * failure is UNAUTHENTICATED with a reason that says what was wrong with the token, never what it contained.
   */
  async verify(token: string): Promise<AgencyClaims> {
    // A token already verified in full is the same bytes with the same signature: only time can change the
    // answer. Revocation, recall and suspension are checked per request elsewhere, not here.
    const hit = this.verified.get(token);
    if (hit) {
      const now = this.clock.now().getTime() / 1000;
      if (now < hit.exp + CLOCK_TOLERANCE_SECONDS && now >= hit.nbf - CLOCK_TOLERANCE_SECONDS && now <= hit.iat + MAX_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) return hit.claims;
      this.verified.delete(token);
    }
    const claims = await this.verifyFully(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims.times);
    return claims.times.claims;
  }

  private async verifyFully(token: string): Promise<{ times: VerifiedToken }> {
    let payload: Record<string, unknown>;
    try {
      const res = await jwtVerify(token, (header) => this.publicKeyFor(header.kid), {
        algorithms: [TOKEN_ALG],
        typ: TOKEN_TYPE,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        currentDate: this.clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_TOKEN_TTL_SECONDS,
        requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti', 'tid', 'cid', 'grants', 'scope'],
      });
      payload = res.payload as Record<string, unknown>;
    } catch (err) {
      throw AppError.unauthenticated(`Invalid access token: ${reasonOf(err)}`);
    }
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const { sub, tid, cid, grants, scope } = payload;
    if (typeof sub !== 'string' || !uuid.test(sub) || typeof tid !== 'string' || !uuid.test(tid) || typeof cid !== 'string' || !uuid.test(cid)) {
      throw AppError.unauthenticated('Invalid access token: malformed claims');
    }
    if (!Array.isArray(grants) || grants.length > 1000 || !grants.every((g) => typeof g === 'string' && uuid.test(g)) || typeof scope !== 'string') {
      throw AppError.unauthenticated('Invalid access token: malformed claims');
    }
    const claims = { tenantId: tid, agencyId: sub, credentialId: cid, grantIds: grants as string[], scopes: scope.split(' ').filter(Boolean) };
    return { times: { claims, exp: payload.exp as number, nbf: payload.nbf as number, iat: payload.iat as number } };
  }

  /** The JWKS document: public keys only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ensureLoaded();
    return { keys: this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: TOKEN_ALG, use: 'sig' })) };
  }

  /** A new signing key; the previous one keeps verifying (and stays in the JWKS) until its tokens expire. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const kid = await this.createKey();
    const retired = await signingKeyRepository.retireAllBut(this.db, kid, this.clock.now());
    await this.reload();
    return { kid, retired };
  }

  private async signingKey(): Promise<LoadedKey> {
    await this.ensureLoaded();
    let key = this.keys.find((k) => k.retiredAt === null && k.privateKey);
    if (!key) {
      // First token ever: two processes may both create one; both are valid and the newer signs.
      await this.createKey();
      await this.reload();
      key = this.keys.find((k) => k.retiredAt === null && k.privateKey);
      if (!key) throw new Error('no signing key after creating one');
    }
    return key;
  }

  private async publicKeyFor(kid: string | undefined): Promise<CryptoKey> {
    if (!kid) throw new KidError('no kid in header');
    await this.ensureLoaded();
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && Date.now() - this.lastUnknownReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownReload = Date.now();
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    if (!key) throw new KidError('unknown kid');
    return key.publicKey;
  }

  private async createKey(): Promise<string> {
    const kid = `k-${this.clock.now().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const pair = await generateKeyPair(TOKEN_ALG, { crv: 'Ed25519', extractable: true });
    const pkcs8 = await exportPKCS8(pair.privateKey);
    const publicJwk = (await exportJWK(pair.publicKey)) as Record<string, string>;
    const sealed = this.pii.seal(pkcs8, `signing_key:${kid}`);
    await signingKeyRepository.insert(this.db, { kid, alg: TOKEN_ALG, publicJwk, sealed: sealed.ciphertext, sealKeyId: sealed.keyId, createdAt: this.clock.now() });
    return kid;
  }

  private async ensureLoaded(): Promise<void> {
    if (Date.now() - this.loadedAt < KEY_CACHE_MS && this.loadedAt > 0) return;
    await this.reload();
  }

  private reload(): Promise<void> {
    // Concurrent callers share one load.
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<void> {
    const since = new Date(this.clock.now().getTime() - (MAX_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000);
    const rows = await signingKeyRepository.published(this.db, since);
    const keys: LoadedKey[] = [];
    // Rows come unretired first, newest first: the first one signs.
    for (const row of rows) keys.push(await this.loadKey(row, keys.length === 0 && row.retired_at === null));
    this.keys = keys;
    this.loadedAt = Date.now();
  }

  private async loadKey(row: SigningKeyRow, signs: boolean): Promise<LoadedKey> {
    const jwk = (typeof row.public_jwk === 'string' ? JSON.parse(row.public_jwk) : row.public_jwk) as JWK;
    const retiredAt = row.retired_at ? new Date(row.retired_at) : null;
    const publicKey = (await importJWK(jwk, TOKEN_ALG)) as CryptoKey;
    // Only the newest unretired key signs; the others need no private half in memory.
    let privateKey: CryptoKey | null = null;
    if (signs) {
      const pem = this.pii.open(Buffer.from(row.sealed_b64, 'base64'), row.seal_key_id, `signing_key:${row.kid}`);
      privateKey = await importPKCS8(pem, TOKEN_ALG);
    }
    return { kid: row.kid, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, publicKey, privateKey, retiredAt };
  }
}

class KidError extends Error {}

function reasonOf(err: unknown): string {
  if (err instanceof KidError) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} failed (${err.reason})`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed token';
  if (err instanceof joseErrors.JOSENotSupported) return 'unsupported token';
  return 'verification failed';
}
