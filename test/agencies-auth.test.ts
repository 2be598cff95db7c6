import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { PLATFORM_TOKEN, startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createDebtor, createPortfolio, expectError, idem, ok } from './accounts-fixtures.js';
import { ALL_SCOPES, createAgency, grant, recall, requestToken, type TokenReply } from './agency-fixtures.js';

/**
 * Agency authentication: the OAuth token endpoint (client_credentials), the EdDSA access tokens it issues, and
 * their check on every GraphQL request. Forged, tampered, expired and foreign tokens are 401 UNAUTHENTICATED;
 * a recall, an expiry, a suspension or a revoked credential binds the very next request; a signing key rotation
 * logs nobody out; nothing secret reaches the logs. `any` appears where GraphQL results and JWT claims are handled.
 */

/** Real time, except while a test freezes it (expiry / not-before). The database keeps its own now(). */
let frozen: Date | null = null;
const clock = { now: () => frozen ?? new Date() };

let h: Harness;
beforeAll(async () => {
  // Every failing token request below comes from 127.0.0.1; a generous limit keeps the per-address throttle
  // (3 × TOKEN_MAX_FAILURES) out of the way of this suite. Throttling has its own harness further down.
  h = await startHarness({ clock, env: { TOKEN_MAX_FAILURES: '200' } });
});
afterAll(async () => h?.close());

const ISSUER = 'urn:arrears:api';
const AUDIENCE = 'urn:arrears:graphql';
const ALL = 'accounts:read contacts:write debtors:read payments:record plans:propose promises:write';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOWHERE = '00000000-0000-7000-8000-0000000000ff';

/** Every client secret and access token handed out in this file: none may ever appear in a log line. */
const SECRETS: string[] = [];
const TOKENS: string[] = [];

const VIEWER = `{ viewer { kind actorId scopes portfolioIds } }`;
const ACCOUNT_Q = `query($id: ID!) { account(id: $id) { id portfolio { id } } }`;
const DEBTOR_Q = `query($id: ID!) { debtor(id: $id) { id } }`;
const ACCOUNTS_Q = `{ accounts(first: 100) { edges { node { id } } } }`;
const DEBTORS_Q = `{ debtors(first: 100) { edges { node { id } } } }`;
const PORTFOLIOS_Q = `{ portfolios { id } }`;
const RECORD = `mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { replayed payment { id accountId } } }`;
const ROTATE = `mutation { rotateSigningKey { kid retired } }`;

interface Cred {
  id: string;
  clientId: string;
  clientSecret: string;
}

async function newCredential(t: TestTenant, agencyId: string): Promise<Cred> {
  const r = ok(await t.gql(`mutation($a: ID!) { createAgencyCredential(agencyId: $a, label: "main") { clientSecret credential { id clientId } } }`, { a: agencyId }));
  const c = { id: r.createAgencyCredential.credential.id, clientId: r.createAgencyCredential.credential.clientId, clientSecret: r.createAgencyCredential.clientSecret };
  SECRETS.push(c.clientSecret);
  return c;
}

/** client_secret_post; the body of a 200 (the access token is remembered for the log check). */
async function issue(c: Cred, scope?: string, hh: Harness = h): Promise<TokenReply> {
  const r = await requestToken(hh, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, ...(scope ? { scope } : {}) });
  if (typeof r.body.access_token === 'string') TOKENS.push(r.body.access_token);
  return r;
}

async function tokenOf(c: Cred, scope?: string, hh: Harness = h): Promise<string> {
  const r = await issue(c, scope, hh);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.access_token as string;
}

/** A portfolio with one debtor and one account in it. */
async function book(t: TestTenant): Promise<{ portfolioId: string; debtorId: string; accountId: string }> {
  const p = await createPortfolio(t);
  const debtorId = await createDebtor(t);
  const account = await createAccount(t, { debtorId, portfolioId: p.id });
  return { portfolioId: p.id, debtorId, accountId: account.id as string };
}

/** An agency granted `portfolioIds`, with one credential. */
async function agencyOn(t: TestTenant, portfolioIds: string[], scopes: string[] = ALL_SCOPES, extra: Record<string, unknown> = {}) {
  const agency = await createAgency(t);
  const grants = portfolioIds.length ? await grant(t, agency.id, portfolioIds, scopes, extra) : [];
  const cred = await newCredential(t, agency.id);
  return { agency, grants, cred };
}

/** The common case: a tenant, one booked portfolio placed with an agency (all scopes), and a token. */
async function placed() {
  const t = await h.tenant();
  const b = await book(t);
  const a = await agencyOn(t, [b.portfolioId]);
  const tok = await tokenOf(a.cred);
  return { t, ...b, ...a, token: tok };
}

function expect401(r: GqlResult, label = ''): void {
  expect(r.status, `${label} ${JSON.stringify(r.errors ?? r.data)}`).toBe(401);
  expect(r.data, label).toBeNull();
  expect(r.errors?.length, label).toBe(1);
  expect(r.errors![0]!.extensions.code, `${label} ${r.errors![0]!.message}`).toBe('UNAUTHENTICATED');
}

function expectOAuthError(r: TokenReply, status: number, error: string, label = ''): void {
  expect(r.status, `${label} ${JSON.stringify(r.body)}`).toBe(status);
  expect(r.body.error, `${label} ${JSON.stringify(r.body)}`).toBe(error);
  expect(Object.keys(r.body).sort(), label).toEqual(['error', 'error_description']);
  expect(typeof r.body.error_description, label).toBe('string');
  expect(r.headers.get('cache-control'), label).toBe('no-store');
  expect(r.headers.get('content-type'), label).toMatch(/^application\/json/);
}

/** account(id) as the given bearer: the account's id, or the error code. */
async function accountAs(bearer: string, id: string): Promise<string> {
  const r = await h.gql(bearer, ACCOUNT_Q, { id });
  if (r.status === 401) return 'UNAUTHENTICATED';
  if (r.errors?.length) return r.errors[0]!.extensions.code as string;
  return r.data!.account.id as string;
}

async function rawToken(body: string, headers: Record<string, string>, method = 'POST'): Promise<TokenReply> {
  const res = await fetch(`${h.url}/oauth/token`, { method, headers, ...(method === 'GET' ? {} : { body }) });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

async function jwks(hh: Harness = h): Promise<{ keys: JWK[] }> {
  const res = await fetch(`${hh.url}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: JWK[] };
}

const seg = (o: unknown): string => base64url.encode(JSON.stringify(o));

function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Buffer | string): string {
  const input = `${seg(header)}.${seg(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function sign(payload: JWTPayload, header: Record<string, unknown>, key: CryptoKey): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header as never).sign(key);
}

/** A real token's payload with one part replaced, keeping the original header and signature. */
function tamper(tok: string, change: (p: Record<string, any>) => void): string {
  const [hd, pl, sig] = tok.split('.');
  const p = JSON.parse(Buffer.from(pl!, 'base64url').toString('utf8'));
  change(p);
  return `${hd}.${seg(p)}.${sig}`;
}

/**
 * The server's current signing key (kid and private half), as an insider or a leaked key would give it: used to
 * show that each claim check stands on its own, not only the signature.
 */
async function serverKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
  const k = await (h.app.services.tokens as any).signingKey();
  return { kid: k.kid, privateKey: k.privateKey };
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------------------------------

describe('POST /oauth/token: happy paths', () => {
  it('client_secret_post issues an EdDSA at+jwt with the documented header and claims', async () => {
    const t = await h.tenant();
    const b = await book(t);
    const { agency, grants, cred } = await agencyOn(t, [b.portfolioId]);
    const before = nowSec();
    const r = await issue(cred);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(r.body.token_type).toBe('Bearer');
    expect(r.body.expires_in).toBe(900);
    expect(r.body.scope).toBe(ALL);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('pragma')).toBe('no-cache');

    const tok = r.body.access_token as string;
    const header = decodeProtectedHeader(tok);
    const keys = (await jwks()).keys;
    expect(header).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'at+jwt' });
    expect(keys.map((k) => k.kid)).toContain(header.kid);

    const c = decodeJwt(tok) as Record<string, any>;
    expect(Object.keys(c).sort()).toEqual(['aud', 'cid', 'exp', 'grants', 'iat', 'iss', 'jti', 'nbf', 'scope', 'sub', 'tid']);
    expect(c.iss).toBe(ISSUER);
    expect(c.aud).toBe(AUDIENCE);
    expect(c.sub).toBe(agency.id);
    expect(c.tid).toBe(t.id);
    expect(c.cid).toBe(cred.id);
    expect(c.grants).toEqual([grants[0].id]);
    expect(c.scope).toBe(ALL);
    expect(c.iat).toBeGreaterThanOrEqual(before - 1);
    expect(c.iat).toBeLessThanOrEqual(nowSec() + 1);
    expect(c.nbf).toBe(c.iat);
    expect(c.exp).toBe(c.iat + 900);
    expect(c.jti).toMatch(UUID_RE);
    // The token verifies against the published JWKS alone (what an outside verifier would do).
    const v = await jwtVerify(tok, createLocalJWKSet({ keys }), { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['EdDSA'] });
    expect(v.payload.sub).toBe(agency.id);

    // And it works: the viewer is the agency, with the granted portfolio and every granted scope.
    const me = ok(await h.gql(tok, VIEWER)).viewer;
    expect(me).toEqual({ kind: 'agency', actorId: agency.id, scopes: ALL.split(' '), portfolioIds: [b.portfolioId] });
    expect(await accountAs(tok, b.accountId)).toBe(b.accountId);

    // Two tokens are distinct (jti).
    const again = await tokenOf(cred);
    expect(decodeJwt(again).jti).not.toBe(c.jti);
  });

  it('client_secret_basic issues the same kind of token; a JSON body is accepted too', async () => {
    const { t, accountId, agency, cred } = await placed();
    const r = await requestToken(h, { grant_type: 'client_credentials' }, { basic: { id: cred.clientId, secret: cred.clientSecret } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    TOKENS.push(r.body.access_token);
    expect(r.body.token_type).toBe('Bearer');
    expect(r.body.expires_in).toBe(900);
    expect(r.body.scope).toBe(ALL);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(decodeProtectedHeader(r.body.access_token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const c = decodeJwt(r.body.access_token) as Record<string, any>;
    expect([c.sub, c.tid, c.cid]).toEqual([agency.id, t.id, cred.id]);
    expect(await accountAs(r.body.access_token, accountId)).toBe(accountId);

    const j = await rawToken(JSON.stringify({ grant_type: 'client_credentials', client_id: cred.clientId, client_secret: cred.clientSecret, scope: 'accounts:read' }), {
      'content-type': 'application/json',
    });
    expect(j.status, JSON.stringify(j.body)).toBe(200);
    TOKENS.push(j.body.access_token);
    expect(j.body.scope).toBe('accounts:read');
    expect(await accountAs(j.body.access_token, accountId)).toBe(accountId);
  });

  it('scope narrows the token: an operation needing an excluded scope is FORBIDDEN, one inside it works', async () => {
    const { accountId, portfolioId, agency, cred } = await placed();
    const payment = (key: string) => ({ i: { accountId, amount: '1000', currency: 'CNY', method: 'BANK_TRANSFER', receivedAt: new Date(Date.now() - 60_000).toISOString(), idempotencyKey: key } });

    const r = await issue(cred, 'accounts:read');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.scope).toBe('accounts:read');
    const narrow = r.body.access_token as string;
    expect(decodeJwt(narrow).scope).toBe('accounts:read');
    expect(ok(await h.gql(narrow, VIEWER)).viewer).toEqual({ kind: 'agency', actorId: agency.id, scopes: ['accounts:read'], portfolioIds: [portfolioId] });
    expect(await accountAs(narrow, accountId)).toBe(accountId);
    const refused = await h.gql(narrow, RECORD, payment(idem('pay')));
    expect(refused.status).toBe(200);
    expect(refused.data).toBeNull();
    expectError(refused, 'FORBIDDEN');
    expectError(await h.gql(narrow, DEBTORS_Q), 'FORBIDDEN');

    // Two scopes, asked in any order and repeated: sorted, deduplicated.
    const two = await issue(cred, 'debtors:read accounts:read debtors:read');
    expect(two.status, JSON.stringify(two.body)).toBe(200);
    expect(two.body.scope).toBe('accounts:read debtors:read');
    expect(ok(await h.gql(two.body.access_token, VIEWER)).viewer.scopes).toEqual(['accounts:read', 'debtors:read']);
    expectError(await h.gql(two.body.access_token, RECORD, payment(idem('pay'))), 'FORBIDDEN');
  });

  it('a token with payments:record records a payment on a granted account (the FORBIDDEN above is about scope, not input)', async () => {
    const { accountId, cred } = await placed();
    const full = await tokenOf(cred, 'payments:record');
    const i = { accountId, amount: '1000', currency: 'CNY', method: 'BANK_TRANSFER', receivedAt: new Date(Date.now() - 60_000).toISOString(), idempotencyKey: idem('pay') };
    const r = await h.gql(full, RECORD, { i });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.data?.recordPayment.payment.accountId).toBe(accountId);
  });

  it('a token names only the grants that carry its scopes', async () => {
    const t = await h.tenant();
    const b1 = await book(t);
    const b2 = await book(t);
    const agency = await createAgency(t);
    const [g1] = await grant(t, agency.id, [b1.portfolioId], ALL_SCOPES);
    const [g2] = await grant(t, agency.id, [b2.portfolioId], ['ACCOUNTS_READ']);
    const cred = await newCredential(t, agency.id);

    const all = await tokenOf(cred);
    expect([...(decodeJwt(all).grants as string[])].sort()).toEqual([g1.id, g2.id].sort());
    expect(ok(await h.gql(all, VIEWER)).viewer.portfolioIds).toEqual([b1.portfolioId, b2.portfolioId].sort());

    const pay = await tokenOf(cred, 'payments:record');
    expect(decodeJwt(pay).grants).toEqual([g1.id]);
    expect(ok(await h.gql(pay, VIEWER)).viewer).toMatchObject({ scopes: ['payments:record'], portfolioIds: [b1.portfolioId] });
    // Nothing to read with it.
    expectError(await h.gql(pay, ACCOUNT_Q, { id: b1.accountId }), 'FORBIDDEN');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('POST /oauth/token: bad input', () => {
  it('refuses malformed requests with the OAuth error format and never echoes the secret', async () => {
    const { t, cred } = await placed();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const good = { grant_type: 'client_credentials', client_id: cred.clientId, client_secret: cred.clientSecret };
    const cases: [string, Promise<TokenReply>, number, string][] = [
      ['wrong grant_type', requestToken(h, { ...good, grant_type: 'password' }), 400, 'unsupported_grant_type'],
      ['authorization_code', requestToken(h, { ...good, grant_type: 'authorization_code' }), 400, 'unsupported_grant_type'],
      ['missing grant_type', requestToken(h, { client_id: cred.clientId, client_secret: cred.clientSecret }), 400, 'invalid_request'],
      ['missing credentials', requestToken(h, { grant_type: 'client_credentials' }), 401, 'invalid_client'],
      ['missing secret', requestToken(h, { grant_type: 'client_credentials', client_id: cred.clientId }), 401, 'invalid_client'],
      ['missing client id', requestToken(h, { grant_type: 'client_credentials', client_secret: cred.clientSecret }), 401, 'invalid_client'],
      ['basic and body secret', requestToken(h, good, { basic: { id: cred.clientId, secret: cred.clientSecret } }), 400, 'invalid_request'],
      ['basic and another body client_id', requestToken(h, { grant_type: 'client_credentials', client_id: 'agc_other' }, { basic: { id: cred.clientId, secret: cred.clientSecret } }), 400, 'invalid_request'],
      ['malformed client id', requestToken(h, { ...good, client_id: 'agc_not-a-client' }), 401, 'invalid_client'],
      ['client id of another shape', requestToken(h, { ...good, client_id: cred.clientId.slice(0, -1) }), 401, 'invalid_client'],
      ['unknown client id', requestToken(h, { ...good, client_id: cred.clientId.slice(0, -11) + 'AAAAAAAAAAA' }), 401, 'invalid_client'],
      ['wrong secret (bad checksum)', requestToken(h, { ...good, client_secret: cred.clientSecret.slice(0, -1) + (cred.clientSecret.endsWith('A') ? 'B' : 'A') }), 401, 'invalid_client'],
      ['unknown scope', requestToken(h, { ...good, scope: 'accounts:read accounts:write' }), 400, 'invalid_scope'],
      ['scope in the GraphQL spelling', requestToken(h, { ...good, scope: 'ACCOUNTS_READ' }), 400, 'invalid_scope'],
      ['scope not granted', requestToken(h, { ...good, scope: 'accounts:read pii:reveal' }), 400, 'invalid_scope'],
      ['repeated field', rawToken(`${new URLSearchParams(good).toString()}&grant_type=client_credentials`, form), 400, 'invalid_request'],
      ['text/plain', rawToken(new URLSearchParams(good).toString(), { 'content-type': 'text/plain' }), 400, 'invalid_request'],
      ['no content type', rawToken(new URLSearchParams(good).toString(), {}), 400, 'invalid_request'],
      ['JSON that is not an object', rawToken(JSON.stringify([good]), { 'content-type': 'application/json' }), 400, 'invalid_request'],
      ['JSON that does not parse', rawToken('{"grant_type":', { 'content-type': 'application/json' }), 400, 'invalid_request'],
      ['body too large', requestToken(h, { ...good, scope: 'accounts:read '.repeat(400) }), 413, 'invalid_request'],
    ];
    for (const [label, p, status, error] of cases) {
      const r = await p;
      expectOAuthError(r, status, error, label);
      expect(JSON.stringify(r.body), label).not.toContain(cred.clientSecret);
      // Only Basic authentication earns a challenge.
      if (label !== 'basic and body secret' && label !== 'basic and another body client_id') expect(r.headers.get('www-authenticate'), label).toBeNull();
    }

    // Another credential's secret (well-formed, right checksum) for this client id.
    const other = await newCredential(t, (await createAgency(t)).id);
    expectOAuthError(await requestToken(h, { ...good, client_secret: other.clientSecret }), 401, 'invalid_client', 'secret of another client');
  });

  it('a wrong secret sent with HTTP Basic is 401 invalid_client with a WWW-Authenticate challenge', async () => {
    const { cred } = await placed();
    const other = await placed();
    const r = await requestToken(h, { grant_type: 'client_credentials' }, { basic: { id: cred.clientId, secret: other.cred.clientSecret } });
    expectOAuthError(r, 401, 'invalid_client');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);

    const m = await rawToken('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic !!!not-base64' });
    expectOAuthError(m, 401, 'invalid_client', 'malformed Basic');
    expect(m.headers.get('www-authenticate')).toMatch(/^Basic /);
    const noColon = await rawToken('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(cred.clientId).toString('base64')}` });
    expectOAuthError(noColon, 401, 'invalid_client', 'Basic without a colon');
  });

  it('GET is 405 with Allow: POST', async () => {
    const r = await rawToken('', {}, 'GET');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.access_token).toBeUndefined();
  });

  it('an agency without an active grant is unauthorized_client; revoked credential and suspended agency are invalid_client', async () => {
    const t = await h.tenant();
    const b = await book(t);

    const idle = await agencyOn(t, []);
    const r1 = await issue(idle.cred);
    expectOAuthError(r1, 400, 'unauthorized_client', 'no grant');

    const rev = await agencyOn(t, [b.portfolioId]);
    ok(await t.gql(`mutation($id: ID!) { revokeAgencyCredential(id: $id) { id revokedAt } }`, { id: rev.cred.id }));
    const r2 = await issue(rev.cred);
    expectOAuthError(r2, 401, 'invalid_client', 'revoked');
    expect(r2.body.error_description).toMatch(/revoked/);
    // A wrong secret for a revoked credential says nothing about the revocation.
    const r2b = await requestToken(h, { grant_type: 'client_credentials', client_id: rev.cred.clientId, client_secret: idle.cred.clientSecret });
    expectOAuthError(r2b, 401, 'invalid_client', 'revoked, wrong secret');
    expect(r2b.body.error_description).not.toMatch(/revoked/);

    const b2 = await book(t);
    const sus = await agencyOn(t, [b2.portfolioId]);
    ok(await t.gql(`mutation($id: ID!) { setAgencyStatus(id: $id, status: SUSPENDED, reason: "audit") { id status } }`, { id: sus.agency.id }));
    expectOAuthError(await issue(sus.cred), 401, 'invalid_client', 'suspended');

    // Recalled: its only grant ended.
    const b3 = await book(t);
    const rec = await agencyOn(t, [b3.portfolioId]);
    await recall(t, rec.agency.id, b3.portfolioId);
    expectOAuthError(await issue(rec.cred), 400, 'unauthorized_client', 'recalled');

    // No client secret appears in the logs, and the refusals are logged with the public client id and a reason.
    for (const s of SECRETS) expect(h.logs.some((l) => l.includes(s)), 'secret in logs').toBe(false);
    const refused = h.logs.filter((l) => l.includes('token request refused') && l.includes(rev.cred.clientId));
    expect(refused.length).toBeGreaterThanOrEqual(2);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('forged, tampered and foreign tokens on /graphql', () => {
  it('alg none, HS256 with the public key as HMAC secret, and own keys are 401 UNAUTHENTICATED', async () => {
    const { token: real, accountId } = await placed();
    expect(await accountAs(real, accountId)).toBe(accountId);
    const header = decodeProtectedHeader(real) as Record<string, unknown>;
    const claims = decodeJwt(real) as Record<string, any>;
    const kid = header.kid as string;
    const pub = (await jwks()).keys.find((k) => k.kid === kid)!;
    expect(pub).toBeDefined();

    const forged: [string, string][] = [];
    forged.push(['alg none', `${seg({ alg: 'none', kid, typ: 'at+jwt' })}.${seg(claims)}.`]);
    forged.push(['alg none, no typ', `${seg({ alg: 'none' })}.${seg(claims)}.`]);
    forged.push(['alg NONE', `${seg({ alg: 'NONE', kid, typ: 'at+jwt' })}.${seg(claims)}.`]);
    forged.push(['alg none with the real signature', `${seg({ alg: 'none', kid, typ: 'at+jwt' })}.${seg(claims)}.${real.split('.')[2]}`]);
    const hs = { alg: 'HS256', kid, typ: 'at+jwt' };
    forged.push(['HS256 with the raw public key', hs256(hs, claims, Buffer.from(pub.x!, 'base64url'))]);
    forged.push(['HS256 with the x string', hs256(hs, claims, pub.x!)]);
    forged.push(['HS256 with the JWK as JSON', hs256(hs, claims, JSON.stringify(pub))]);
    forged.push(['HS256 with the JWKS as JSON', hs256(hs, claims, JSON.stringify(await jwks()))]);

    const own = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const ownJwk = await exportJWK(own.publicKey);
    const fresh = { ...claims, jti: randomUUID() };
    forged.push(['own key, real kid', await sign(fresh, { alg: 'EdDSA', kid, typ: 'at+jwt' }, own.privateKey)]);
    forged.push(['own key, embedded jwk', await sign(fresh, { alg: 'EdDSA', kid, typ: 'at+jwt', jwk: ownJwk }, own.privateKey)]);
    forged.push(['own key, unknown kid', await sign(fresh, { alg: 'EdDSA', kid: 'k-attacker', typ: 'at+jwt' }, own.privateKey)]);
    forged.push(['own key, kid with quotes', await sign(fresh, { alg: 'EdDSA', kid: "' or '1'='1", typ: 'at+jwt' }, own.privateKey)]);
    forged.push(['own key, no kid', await sign(fresh, { alg: 'EdDSA', typ: 'at+jwt' }, own.privateKey)]);
    forged.push(['own key, wrong issuer', await sign({ ...fresh, iss: 'urn:evil' }, { alg: 'EdDSA', kid, typ: 'at+jwt' }, own.privateKey)]);
    forged.push(['own key, wrong audience', await sign({ ...fresh, aud: 'urn:evil' }, { alg: 'EdDSA', kid, typ: 'at+jwt' }, own.privateKey)]);

    for (const [label, tok] of forged) {
      expect(tok.split('.').length, label).toBe(3);
      expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), label);
    }
    // The real token still works after all that.
    expect(await accountAs(real, accountId)).toBe(accountId);
  });

  it('a real token with its payload or header altered (signature kept) is 401', async () => {
    const t = await h.tenant();
    const b = await book(t);
    const b2 = await book(t);
    const a = await agencyOn(t, [b.portfolioId], ['ACCOUNTS_READ']);
    const other = await agencyOn(t, [b2.portfolioId]);
    const real = await tokenOf(a.cred);
    const otherTenant = await h.tenant();
    const variants: [string, string][] = [
      ['tid', tamper(real, (p) => (p.tid = otherTenant.id))],
      ['sub', tamper(real, (p) => (p.sub = other.agency.id))],
      ['cid', tamper(real, (p) => (p.cid = other.cred.id))],
      ['grants', tamper(real, (p) => p.grants.push(other.grants[0].id))],
      ['scope', tamper(real, (p) => (p.scope = ALL))],
      ['exp', tamper(real, (p) => (p.exp += 3600))],
      ['iss', tamper(real, (p) => (p.iss = 'urn:evil'))],
      ['header typ', ((): string => {
        const [hd, ...rest] = real.split('.');
        const hdr = JSON.parse(Buffer.from(hd!, 'base64url').toString('utf8'));
        return [seg({ ...hdr, typ: 'JWT' }), ...rest].join('.');
      })()],
      ['signature truncated', real.slice(0, -4)],
      ['signature of another token', `${real.split('.').slice(0, 2).join('.')}.${(await tokenOf(other.cred)).split('.')[2]}`],
    ];
    for (const [label, tok] of variants) expect401(await h.gql(tok, ACCOUNT_Q, { id: b.accountId }), label);
    expect(await accountAs(real, b.accountId)).toBe(b.accountId);
  });

  it('each claim check stands on its own: tokens signed with the server key but wrong claims are 401', async () => {
    const t = await h.tenant();
    const b = await book(t);
    const b2 = await book(t);
    const a = await agencyOn(t, [b.portfolioId]);
    const other = await agencyOn(t, [b2.portfolioId]);
    const real = await tokenOf(a.cred);
    const base = decodeJwt(real) as Record<string, any>;
    const tb = await h.tenant();
    const foreign = await agencyOn(tb, [(await createPortfolio(tb)).id]);
    const { kid, privateKey } = await serverKey();
    const hdr = { alg: 'EdDSA', kid, typ: 'at+jwt' };
    const now = nowSec();
    const mk = (patch: Record<string, unknown>, header: Record<string, unknown> = hdr, drop: string[] = []) => {
      const p: Record<string, unknown> = { ...base, jti: randomUUID(), iat: now, nbf: now, exp: now + 600, ...patch };
      for (const d of drop) delete p[d];
      return sign(p, header, privateKey);
    };

    // Control: the same construction with the right claims is accepted, so each refusal below is the claim's.
    const control = await mk({});
    expect(ok(await h.gql(control, VIEWER)).viewer).toMatchObject({ kind: 'agency', actorId: a.agency.id, portfolioIds: [b.portfolioId] });

    const bad: [string, Promise<string>][] = [
      ['wrong issuer', mk({ iss: 'urn:evil' })],
      ['wrong audience', mk({ aud: 'urn:arrears:other' })],
      ['audience list without ours', mk({ aud: ['urn:a', 'urn:b'] })],
      ['no audience', mk({}, hdr, ['aud'])],
      ['no issuer', mk({}, hdr, ['iss'])],
      ['typ JWT', mk({}, { alg: 'EdDSA', kid, typ: 'JWT' })],
      ['no typ', mk({}, { alg: 'EdDSA', kid })],
      ['no kid', mk({}, { alg: 'EdDSA', typ: 'at+jwt' })],
      ['no jti', mk({}, hdr, ['jti'])],
      ['no exp', mk({}, hdr, ['exp'])],
      ['no nbf', mk({}, hdr, ['nbf'])],
      ['no iat', mk({}, hdr, ['iat'])],
      ['no grants', mk({}, hdr, ['grants'])],
      ['expired', mk({ iat: now - 1000, nbf: now - 1000, exp: now - 100 })],
      ['issued more than an hour ago', mk({ iat: now - 4000, nbf: now - 4000, exp: now + 600 })],
      ['not yet valid', mk({ nbf: now + 600, exp: now + 1200 })],
      ['issued in the future', mk({ iat: now + 600, nbf: now, exp: now + 1200 })],
      ['grants not an array', mk({ grants: a.grants[0].id })],
      ['grants not uuids', mk({ grants: ['x'] })],
      ['scope not a string', mk({ scope: ['accounts:read'] })],
      ['sub not a uuid', mk({ sub: 'admin' })],
      ['tid upper case', mk({ tid: t.id.toUpperCase() })],
      ["only another agency's grant", mk({ grants: [other.grants[0].id] })],
      ['sub of another agency, our credential', mk({ sub: other.agency.id })],
      ["sub and grants of another agency, our credential", mk({ sub: other.agency.id, grants: [other.grants[0].id] })],
      ['another tenant', mk({ tid: tb.id })],
      ["another tenant's grant", mk({ grants: [foreign.grants[0].id] })],
      ["another tenant's agency, credential and grant, our tenant", mk({ sub: foreign.agency.id, cid: foreign.cred.id, grants: [foreign.grants[0].id] })],
      ['unknown scope only', mk({ scope: 'admin' })],
      ['empty scope', mk({ scope: '' })],
    ];
    for (const [label, p] of bad) expect401(await h.gql(await p, ACCOUNT_Q, { id: b.accountId }), label);

    // Our grant plus another agency's: only ours counts.
    const mixed = await mk({ grants: [a.grants[0].id, other.grants[0].id] });
    expect(ok(await h.gql(mixed, VIEWER)).viewer.portfolioIds).toEqual([b.portfolioId]);
    expectError(await h.gql(mixed, ACCOUNT_Q, { id: b2.accountId }), 'NOT_FOUND');
    expect(await accountAs(mixed, b.accountId)).toBe(b.accountId);
  });

  it('expiry and not-before follow the app clock with a 30 s tolerance', async () => {
    const { accountId, cred } = await placed();
    const T = new Date();
    frozen = T;
    try {
      const tok = await tokenOf(cred);
      const c = decodeJwt(tok) as Record<string, number>;
      expect(c.iat).toBe(Math.floor(T.getTime() / 1000));
      expect(c.exp).toBe(c.iat! + 900);
      expect(await accountAs(tok, accountId)).toBe(accountId);

      frozen = new Date((c.exp! + 29) * 1000);
      expect(await accountAs(tok, accountId), 'inside the tolerance after exp').toBe(accountId);
      frozen = new Date((c.exp! + 31) * 1000);
      const late = await h.gql(tok, ACCOUNT_Q, { id: accountId });
      expect401(late, 'expired');
      expect(late.errors![0]!.message).toMatch(/expired/);
      frozen = new Date((c.exp! + 86_400) * 1000);
      expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'a day later');

      frozen = new Date((c.nbf! - 29) * 1000);
      expect(await accountAs(tok, accountId), 'inside the tolerance before nbf').toBe(accountId);
      frozen = new Date((c.nbf! - 31) * 1000);
      expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'not yet valid');
      frozen = new Date((c.nbf! - 3600) * 1000);
      expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'an hour early');
    } finally {
      frozen = null;
    }
    // Back to real time, a new token works.
    expect(await accountAs(await tokenOf(cred), accountId)).toBe(accountId);
  });

  it('garbage bearer values are 401 UNAUTHENTICATED, never 500', async () => {
    const { token: real, accountId } = await placed();
    const [hd, pl] = real.split('.');
    const values = [
      'a.b.c',
      'a..',
      'eyJ.eyJ.',
      `${hd}.${pl}`,
      `${hd}..`,
      `${hd}.${pl}.`,
      `.${pl}.x`,
      `${seg('not an object')}.${pl}.AAAA`,
      `${base64url.encode('{not json')}.${pl}.AAAA`,
      `${seg({ alg: 'EdDSA', kid: 123, typ: 'at+jwt' })}.${pl}.AAAA`,
      `${seg({ alg: 'EdDSA', kid: { a: 1 }, typ: 'at+jwt' })}.${pl}.AAAA`,
      `${seg({ alg: 'EdDSA', kid: 'x'.repeat(5000), typ: 'at+jwt' })}.${pl}.AAAA`,
      `${seg({ alg: 'EdDSA', crit: ['b64'], b64: false, kid: 'x', typ: 'at+jwt' })}.${pl}.AAAA`,
      `${hd}.${base64url.encode('[]')}.AAAA`,
      `${hd}.${base64url.encode('null')}.AAAA`,
      `${hd}.${pl}.${'A'.repeat(8000)}`,
      'ark_nonsense',
      'not-a-token',
      real + 'x',
      real.toUpperCase(),
    ];
    for (const v of values) expect401(await h.gql(v, ACCOUNT_Q, { id: accountId }), v.slice(0, 60));
    const headers = ['Basic ' + Buffer.from('a:b').toString('base64'), 'Bearer', 'Bearer ', `Bearer ${real} extra`, `Token ${real}`, `Bearer\t`, real];
    for (const v of headers) expect401(await h.gql(null, ACCOUNT_Q, { id: accountId }, { authorization: v }), JSON.stringify(v.slice(0, 40)));
    // The scheme is case-insensitive; the real token is fine.
    expect(ok(await h.gql(null, ACCOUNT_Q, { id: accountId }, { authorization: `bearer ${real}` })).account.id).toBe(accountId);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('cross tenant and ungranted portfolios', () => {
  it("an agency token of tenant A gets NOT_FOUND for tenant B's ids and sees none of B in lists", async () => {
    const a = await placed();
    const aOther = await book(a.t); // tenant A, not granted
    const tb = await h.tenant();
    const b = await book(tb);

    const hidden = async (q: string, id: string, label: string) => {
      const r = await h.gql(a.token, q, { id });
      expect(r.status, label).toBe(200);
      expect(r.data, label).toBeNull();
      const e = expectError(r, 'NOT_FOUND');
      const none = expectError(await h.gql(a.token, q, { id: NOWHERE }), 'NOT_FOUND');
      expect(e.message.replace(id, '<id>'), label).toBe(none.message.replace(NOWHERE, '<id>'));
    };
    await hidden(ACCOUNT_Q, b.accountId, "B's account");
    await hidden(DEBTOR_Q, b.debtorId, "B's debtor");
    await hidden(`query($id: ID!) { portfolio(id: $id) { id } }`, b.portfolioId, "B's portfolio");
    await hidden(ACCOUNT_Q, aOther.accountId, "A's ungranted account");
    await hidden(DEBTOR_Q, aOther.debtorId, "A's ungranted debtor");

    const accounts = ok(await h.gql(a.token, ACCOUNTS_Q)).accounts.edges.map((e: any) => e.node.id);
    expect(accounts).toEqual([a.accountId]);
    const debtors = ok(await h.gql(a.token, DEBTORS_Q)).debtors.edges.map((e: any) => e.node.id);
    expect(debtors).toEqual([a.debtorId]);
    expect(ok(await h.gql(a.token, PORTFOLIOS_Q)).portfolios.map((p: any) => p.id)).toEqual([a.portfolioId]);
    const grants = ok(await h.gql(a.token, `{ agencyGrants { id agencyId portfolioId } }`)).agencyGrants;
    expect(grants).toEqual([{ id: a.grants[0].id, agencyId: a.agency.id, portfolioId: a.portfolioId }]);

    // Writing to B's account (or A's ungranted one) is NOT_FOUND and writes nothing.
    for (const id of [b.accountId, aOther.accountId]) {
      const r = await h.gql(a.token, RECORD, { i: { accountId: id, amount: '1000', currency: 'CNY', method: 'BANK_TRANSFER', receivedAt: new Date(Date.now() - 60_000).toISOString(), idempotencyKey: idem('pay') } });
      expect(r.data).toBeNull();
      expectError(r, 'NOT_FOUND');
    }
    const [{ n }] = (await h.db.admin.query<{ n: number }>('select count(*)::int as n from payments where tenant_id = any($1::uuid[])', [[tb.id, a.t.id]])) as [{ n: number }];
    expect(Number(n)).toBe(0);
    // Tenant B's own admin still sees its account.
    expect(ok(await tb.gql(ACCOUNT_Q, { id: b.accountId })).account.id).toBe(b.accountId);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('ending access binds the very next request', () => {
  it('recall of the only grant: request N works, request N+1 is 401', async () => {
    const { t, token: tok, accountId, portfolioId, agency } = await placed();
    expect(await accountAs(tok, accountId)).toBe(accountId);
    await recall(t, agency.id, portfolioId);
    expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'after recall');
    expect401(await h.gql(tok, VIEWER), 'viewer after recall');
  });

  it('recall of one of two grants: that portfolio is NOT_FOUND at once, the other still works', async () => {
    const t = await h.tenant();
    const b1 = await book(t);
    const b2 = await book(t);
    const a = await agencyOn(t, [b1.portfolioId, b2.portfolioId]);
    const tok = await tokenOf(a.cred);
    expect(await accountAs(tok, b1.accountId)).toBe(b1.accountId);
    expect(await accountAs(tok, b2.accountId)).toBe(b2.accountId);
    await recall(t, a.agency.id, b1.portfolioId);
    const r = await h.gql(tok, ACCOUNT_Q, { id: b1.accountId });
    expect(r.status).toBe(200);
    expect(r.data).toBeNull();
    expectError(r, 'NOT_FOUND');
    expectError(await h.gql(tok, DEBTOR_Q, { id: b1.debtorId }), 'NOT_FOUND');
    expect(await accountAs(tok, b2.accountId)).toBe(b2.accountId);
    expect(ok(await h.gql(tok, VIEWER)).viewer.portfolioIds).toEqual([b2.portfolioId]);
    expect(ok(await h.gql(tok, ACCOUNTS_Q)).accounts.edges.map((e: any) => e.node.id)).toEqual([b2.accountId]);

    // Placing it again makes a new grant: the old token does not name it, a new token does.
    await grant(t, a.agency.id, [b1.portfolioId]);
    expectError(await h.gql(tok, ACCOUNT_Q, { id: b1.accountId }), 'NOT_FOUND');
    const fresh = await tokenOf(a.cred);
    expect(await accountAs(fresh, b1.accountId)).toBe(b1.accountId);
  });

  it('a grant that reaches validUntil ends access without anyone acting', async () => {
    const t = await h.tenant();
    const b = await book(t);
    const agency = await createAgency(t);
    const until = new Date(Date.now() + 2500);
    await grant(t, agency.id, [b.portfolioId], ALL_SCOPES, { validUntil: until.toISOString() });
    const cred = await newCredential(t, agency.id);
    const tok = await tokenOf(cred);
    expect(await accountAs(tok, b.accountId)).toBe(b.accountId);
    const wait = until.getTime() + 150 - Date.now();
    expect(wait).toBeLessThanOrEqual(3000);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect401(await h.gql(tok, ACCOUNT_Q, { id: b.accountId }), 'after validUntil');
    expectOAuthError(await issue(cred), 400, 'unauthorized_client', 'token after validUntil');
  });

  it('revoking a credential ends its tokens at once; another credential of the agency keeps working', async () => {
    const { t, token: t1, accountId, agency, cred } = await placed();
    const cred2 = await newCredential(t, agency.id);
    const t2 = await tokenOf(cred2);
    expect(await accountAs(t1, accountId)).toBe(accountId);
    expect(await accountAs(t2, accountId)).toBe(accountId);
    const revoked = ok(await t.gql(`mutation($id: ID!) { revokeAgencyCredential(id: $id) { id revokedAt } }`, { id: cred.id })).revokeAgencyCredential;
    expect(revoked.revokedAt).not.toBeNull();
    expect401(await h.gql(t1, ACCOUNT_Q, { id: accountId }), 'revoked credential');
    expect(await accountAs(t2, accountId)).toBe(accountId);
    expectOAuthError(await issue(cred), 401, 'invalid_client', 'token for revoked credential');
  });

  it('suspending the agency ends its tokens at once; reinstating lets a new token work', async () => {
    const { t, token: tok, accountId, agency, cred } = await placed();
    const status = `mutation($id: ID!, $s: AgencyStatus!) { setAgencyStatus(id: $id, status: $s, reason: "compliance review") { id status } }`;
    expect(await accountAs(tok, accountId)).toBe(accountId);
    expect(ok(await t.gql(status, { id: agency.id, s: 'SUSPENDED' })).setAgencyStatus.status).toBe('SUSPENDED');
    expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'suspended');
    expectOAuthError(await issue(cred), 401, 'invalid_client', 'token while suspended');
    // Placements stay while suspended.
    const grants = ok(await t.gql(`query($a: ID!) { agencyGrants(agencyId: $a, activeOnly: false) { id endedAt } }`, { a: agency.id })).agencyGrants;
    expect(grants.map((g: any) => g.endedAt)).toEqual([null]);

    expect(ok(await t.gql(status, { id: agency.id, s: 'ACTIVE' })).setAgencyStatus.status).toBe('ACTIVE');
    const fresh = await tokenOf(cred);
    expect(await accountAs(fresh, accountId)).toBe(accountId);
  });

  it('terminating the agency ends its tokens and its credentials for good', async () => {
    const { t, token: tok, accountId, agency, cred } = await placed();
    expect(await accountAs(tok, accountId)).toBe(accountId);
    ok(await t.gql(`mutation($id: ID!) { setAgencyStatus(id: $id, status: TERMINATED, reason: "contract ended") { id status } }`, { id: agency.id }));
    expect401(await h.gql(tok, ACCOUNT_Q, { id: accountId }), 'terminated');
    expectOAuthError(await issue(cred), 401, 'invalid_client', 'token after termination');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('signing key rotation', () => {
  it('old tokens keep working, new tokens carry the new kid, both kids are published', async () => {
    const { t, token: t1, accountId, cred } = await placed();
    const kid1 = decodeProtectedHeader(t1).kid!;
    expect((await jwks()).keys.map((k) => k.kid)).toContain(kid1);

    // Only the platform operator may rotate.
    expectError(await t.gql(ROTATE), 'FORBIDDEN');
    expectError(await h.gql(t1, ROTATE), 'FORBIDDEN');
    const before = (await jwks()).keys.map((k) => k.kid);

    const rot = ok(await h.gql(PLATFORM_TOKEN, ROTATE)).rotateSigningKey;
    expect(rot.kid).not.toBe(kid1);
    expect(before).not.toContain(rot.kid);
    expect(rot.retired).toContain(kid1);
    expect(rot.retired).not.toContain(rot.kid);

    const set = await jwks();
    const kids = set.keys.map((k) => k.kid);
    expect(kids).toContain(kid1);
    expect(kids).toContain(rot.kid);
    for (const k of set.keys) {
      expect(Object.keys(k).sort(), 'public parts only').toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(k).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }

    expect(await accountAs(t1, accountId)).toBe(accountId);
    const t2 = await tokenOf(cred);
    expect(decodeProtectedHeader(t2).kid).toBe(rot.kid);
    expect(await accountAs(t2, accountId)).toBe(accountId);
    // Both verify against the published set.
    const local = createLocalJWKSet(set);
    for (const tok of [t1, t2]) await jwtVerify(tok, local, { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['EdDSA'] });
    // A token signed with the retired key but with a kid swapped to the new one fails.
    const [, p1, s1] = t1.split('.');
    expect401(await h.gql(`${seg({ alg: 'EdDSA', kid: rot.kid, typ: 'at+jwt' })}.${p1}.${s1}`, ACCOUNT_Q, { id: accountId }), 'kid swapped');
  });

  it('GET /.well-known/jwks.json only: other methods are 405', async () => {
    const res = await fetch(`${h.url}/.well-known/jwks.json`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('logs', () => {
  it('no log line holds an access token or a client secret, after failed and successful uses', async () => {
    const { t, token: tok, accountId, portfolioId, agency, cred } = await placed();
    // Successful uses.
    expect(await accountAs(tok, accountId)).toBe(accountId);
    const basic = await requestToken(h, { grant_type: 'client_credentials' }, { basic: { id: cred.clientId, secret: cred.clientSecret } });
    expect(basic.status).toBe(200);
    TOKENS.push(basic.body.access_token);
    // Failed ones: wrong secret (post and Basic), a tampered token, a recalled token.
    const wrong = await placed();
    expect((await requestToken(h, { grant_type: 'client_credentials', client_id: cred.clientId, client_secret: wrong.cred.clientSecret })).status).toBe(401);
    expect((await requestToken(h, { grant_type: 'client_credentials' }, { basic: { id: cred.clientId, secret: wrong.cred.clientSecret } })).status).toBe(401);
    expect((await requestToken(h, { grant_type: 'client_credentials', client_id: cred.clientId, client_secret: cred.clientSecret, scope: 'nope' })).status).toBe(400);
    expect401(await h.gql(tamper(tok, (p) => (p.scope = 'x')), VIEWER));
    await recall(t, agency.id, portfolioId);
    expect401(await h.gql(tok, VIEWER));
    expect401(await h.gql(basic.body.access_token, VIEWER));

    const text = h.logs.join('\n');
    expect(text.length).toBeGreaterThan(0);
    expect(text).toContain('token request refused');
    expect(SECRETS.length).toBeGreaterThan(5);
    expect(TOKENS.length).toBeGreaterThan(5);
    for (const s of SECRETS) {
      expect(text.includes(s), 'client secret in logs').toBe(false);
      // Nor its random body without the checksum.
      expect(text.includes(s.slice(4, 30)), 'client secret fragment in logs').toBe(false);
    }
    for (const k of TOKENS) {
      expect(text.includes(k), 'access token in logs').toBe(false);
      expect(text.includes(k.split('.')[2]!), 'token signature in logs').toBe(false);
      expect(text.includes(k.split('.')[1]!), 'token payload in logs').toBe(false);
    }
    // Nor the Basic header that carried a secret.
    expect(text.includes(Buffer.from(`${cred.clientId}:${cred.clientSecret}`).toString('base64'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('brute force on the token endpoint (TOKEN_MAX_FAILURES=3)', () => {
  let hb: Harness;
  beforeAll(async () => {
    hb = await startHarness({ env: { TOKEN_MAX_FAILURES: '3' } });
  });
  afterAll(async () => hb?.close());

  const tokenReq = (c: { clientId: string }, secret: string) => requestToken(hb, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret });

  it('wrong secrets for one client id: 401 three times, then 429 slow_down with Retry-After, even for the right secret; per address too', async () => {
    const t = await hb.tenant();
    const p = await createPortfolio(t);
    const agency = await createAgency(t);
    await grant(t, agency.id, [p.id]);
    const a = await newCredential(t, agency.id);
    const b = await newCredential(t, agency.id);
    const c = await newCredential(t, agency.id);
    const wrong = b.clientSecret; // well-formed, right checksum, another client's

    // Client A: three failures (address count 3), then blocked.
    for (let i = 1; i <= 3; i++) expectOAuthError(await tokenReq(a, wrong), 401, 'invalid_client', `failure ${i}`);
    const blocked = await tokenReq(a, wrong);
    expectOAuthError(blocked, 429, 'slow_down', 'fourth');
    const retry = Number(blocked.headers.get('retry-after'));
    expect(Number.isInteger(retry)).toBe(true);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(300);
    const right = await tokenReq(a, a.clientSecret);
    expectOAuthError(right, 429, 'slow_down', 'right secret while blocked');
    expect(right.headers.get('retry-after')).not.toBeNull();
    expect(right.body.access_token).toBeUndefined();
    const viaBasic = await requestToken(hb, { grant_type: 'client_credentials' }, { basic: { id: a.clientId, secret: a.clientSecret } });
    expectOAuthError(viaBasic, 429, 'slow_down', 'right secret by Basic while blocked');

    // Client B is not blocked by A's failures.
    const okB = await tokenReq(b, b.clientSecret);
    expect(okB.status, JSON.stringify(okB.body)).toBe(200);
    TOKENS.push(okB.body.access_token);

    // A success resets the client's count: C fails twice (address 5), succeeds, fails twice more (address 7): still 401.
    for (let i = 0; i < 2; i++) expectOAuthError(await tokenReq(c, wrong), 401, 'invalid_client');
    const okC = await tokenReq(c, c.clientSecret);
    expect(okC.status, JSON.stringify(okC.body)).toBe(200);
    TOKENS.push(okC.body.access_token);
    for (let i = 0; i < 2; i++) expectOAuthError(await tokenReq(c, wrong), 401, 'invalid_client', `after reset ${i}`);

    // The address: 3 × 3 = 9 failures in the window. Two more (malformed client ids) reach it; then everyone here waits.
    for (let i = 0; i < 2; i++) expectOAuthError(await tokenReq({ clientId: `agc_bogus${i}` }, wrong), 401, 'invalid_client');
    const ipBlocked = await tokenReq(b, b.clientSecret);
    expectOAuthError(ipBlocked, 429, 'slow_down', 'address blocked');
    expect(Number(ipBlocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    for (const s of [a.clientSecret, b.clientSecret, c.clientSecret]) expect(hb.logs.some((l) => l.includes(s))).toBe(false);
  });
});
