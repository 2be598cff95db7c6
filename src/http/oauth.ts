import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError, type AgencyAuthService } from '../modules/agencies/agency-auth.service.js';
import type { TokenService } from '../modules/agencies/token.service.js';
import { BodyTooLarge, ClientClosed, readBody } from './body.js';
import { sendJson } from './respond.js';

const TOKEN_BODY_LIMIT = 4096;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function oauthError(res: ServerResponse, e: OAuthError, basic: boolean): void {
  const headers: Record<string, string> = { ...NO_STORE };
  if (e.status === 401 && basic) headers['www-authenticate'] = 'Basic realm="arrears", charset="UTF-8"';
  if (e.retryAfter !== null) headers['retry-after'] = String(e.retryAfter);
  sendJson(res, e.status, { error: e.error, error_description: e.description }, headers);
}

/** client_secret_basic: the id and secret form-encoded, then joined with ':' and base64-encoded (RFC 6749 §2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | 'malformed' {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return 'malformed';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return 'malformed';
  try {
    return { id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')) };
  } catch {
    return 'malformed';
  }
}

/**
 * POST /oauth/token, grant_type=client_credentials (RFC 6749 §4.4). Client authentication by HTTP Basic or by
 * client_id/client_secret form fields, not both. The body is application/x-www-form-urlencoded (JSON is also
 * accepted). Errors use the OAuth error format; repeated failures answer 429 with Retry-After.
 */
export async function tokenEndpoint(req: IncomingMessage, res: ServerResponse, auth: AgencyAuthService, ip: string | null): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' }, NO_STORE);
  }
  const basic = basicCredentials(req.headers.authorization);
  let text: string;
  try {
    text = await readBody(req, TOKEN_BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: 'invalid_request', error_description: `Body exceeds ${TOKEN_BODY_LIMIT} bytes` }, NO_STORE);
    if (err instanceof ClientClosed) return;
    throw err;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let fields: Record<string, string | undefined>;
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(text);
    for (const k of new Set(params.keys())) {
      if (params.getAll(k).length > 1) return sendJson(res, 400, { error: 'invalid_request', error_description: `${k} is repeated` }, NO_STORE);
    }
    fields = Object.fromEntries(params);
  } else if (type === 'application/json') {
    try {
      const v = JSON.parse(text) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      fields = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : undefined]));
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'Body is not a JSON object' }, NO_STORE);
    }
  } else {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' }, NO_STORE);
  }
  if (basic === 'malformed') return oauthError(res, new OAuthError(401, 'invalid_client', 'Malformed Basic authorization header'), true);
  if (basic && (fields.client_id !== undefined || fields.client_secret !== undefined) && (fields.client_secret !== undefined || fields.client_id !== basic.id)) {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'Use one client authentication method, not both' }, NO_STORE);
  }
  try {
    const token = await auth.token({
      grantType: fields.grant_type ?? null,
      clientId: basic ? basic.id : (fields.client_id ?? null),
      clientSecret: basic ? basic.secret : (fields.client_secret ?? null),
      scope: fields.scope ?? null,
      ip,
    });
    sendJson(res, 200, token, NO_STORE);
  } catch (err) {
    if (err instanceof OAuthError) return oauthError(res, err, basic !== null);
    throw err;
  }
}

/** GET /.well-known/jwks.json: the public keys tokens are signed with, current and recently retired. */
export async function jwksEndpoint(req: IncomingMessage, res: ServerResponse, tokens: TokenService): Promise<void> {
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return sendJson(res, 405, { error: 'Use GET' });
  }
  // Verifiers refetch on an unknown kid (as jose's createRemoteJWKSet does), so a rotation is seen at once;
  // the cache only spares repeated fetches.
  sendJson(res, 200, await tokens.jwks(), { 'cache-control': 'public, max-age=300' });
}
