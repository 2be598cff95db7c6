import { randomBytes } from 'node:crypto';
import type { Harness, TestTenant } from './harness.js';
import { ok } from './accounts-fixtures.js';

/** Builders for the agency suites: an agency, its credentials, grants, and tokens from POST /oauth/token. */

export const AGENCY = `id version name status contactEmail dataProtectionRef commission { rateBps tierBasis tiers { from rateBps } }`;
export const GRANT = `id agencyId portfolioId scopes validFrom validUntil endedAt endReason active`;

export const ALL_SCOPES = ['DEBTORS_READ', 'ACCOUNTS_READ', 'CONTACTS_WRITE', 'PROMISES_WRITE', 'PLANS_PROPOSE', 'PAYMENTS_RECORD'];

export async function createAgency(t: TestTenant, extra: Record<string, unknown> = {}): Promise<{ id: string; version: number; name: string }> {
  const input = { name: `Agency ${randomBytes(3).toString('hex')}`, contactEmail: 'ops@agency.example', dataProtectionRef: 'DPA-2026-001', commission: { rateBps: 1500 }, ...extra };
  return ok(await t.gql(`mutation($i: AgencyInput!) { createAgency(input: $i) { ${AGENCY} } }`, { i: input })).createAgency;
}

export async function grant(t: TestTenant, agencyId: string, portfolioIds: string[], scopes: string[] = ALL_SCOPES, extra: Record<string, unknown> = {}): Promise<any[]> {
  const r = await t.gql(`mutation($i: GrantPortfolioAccessInput!) { grantPortfolioAccess(input: $i) { ${GRANT} } }`, { i: { agencyId, portfolioIds, scopes, ...extra } });
  return ok(r).grantPortfolioAccess;
}

export async function recall(t: TestTenant, agencyId: string, portfolioId: string, reason = 'performance review'): Promise<any> {
  return ok(await t.gql(`mutation($a: ID!, $p: ID!, $r: String!) { recallPortfolio(agencyId: $a, portfolioId: $p, reason: $r) { ${GRANT} } }`, { a: agencyId, p: portfolioId, r: reason })).recallPortfolio;
}

export async function credential(t: TestTenant, agencyId: string): Promise<{ id: string; clientId: string; clientSecret: string }> {
  const r = ok(await t.gql(`mutation($a: ID!) { createAgencyCredential(agencyId: $a, label: "main") { clientSecret credential { id clientId } } }`, { a: agencyId }));
  return { id: r.createAgencyCredential.credential.id, clientId: r.createAgencyCredential.credential.clientId, clientSecret: r.createAgencyCredential.clientSecret };
}

export interface TokenReply {
  status: number;
  body: Record<string, any>;
  headers: Headers;
}

/** POST /oauth/token with form fields (client_secret_post) unless `basic` is set. */
export async function requestToken(h: Harness, fields: Record<string, string>, opts: { basic?: { id: string; secret: string }; headers?: Record<string, string> } = {}): Promise<TokenReply> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers };
  if (opts.basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(opts.basic.id)}:${encodeURIComponent(opts.basic.secret)}`).toString('base64')}`;
  const res = await fetch(`${h.url}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

export async function token(h: Harness, c: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const r = await requestToken(h, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, ...(scope ? { scope } : {}) });
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

/** An agency with credentials, granted `portfolioIds` with `scopes`, and a token. */
export async function agencyWithToken(h: Harness, t: TestTenant, portfolioIds: string[], scopes: string[] = ALL_SCOPES) {
  const agency = await createAgency(t);
  const grants = await grant(t, agency.id, portfolioIds, scopes);
  const cred = await credential(t, agency.id);
  const tok = await token(h, cred);
  return { agency, grants, cred, token: tok, gql: (q: string, v?: Record<string, unknown>) => h.gql(tok, q, v) };
}
