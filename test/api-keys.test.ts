import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, parseApiKey } from '../src/modules/tenancy/api-key.format.js';
import { errorOf, startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';

/** API keys: shown once, stored hashed, refused as soon as revoked or expired, and last use tracked without writes. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

// --- forging keys that pass the format and checksum checks (to reach the database lookup) ---
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of Buffer.from(s, 'utf8')) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
function base62(n: number, width: number): string {
  let out = '';
  for (let v = BigInt(n); v > 0n; v /= 62n) out = ALPHABET[Number(v % 62n)] + out;
  return out.padStart(width, '0');
}
/** The same key with a different secret and a correct checksum: only the stored hash can tell. */
function withOtherSecret(key: string): string {
  const m = /^(ark_[0-9A-Za-z]{22}_[0-9A-Za-z]{11}_)([0-9A-Za-z]{33})[0-9A-Za-z]{6}$/.exec(key)!;
  const secret = [...m[2]!].map((c) => ALPHABET[(ALPHABET.indexOf(c) + 1) % 62]).join('');
  const body = m[1]! + secret;
  return body + base62(crc32(body), 6);
}

async function raw(auth: string | undefined, query = '{ viewer { kind actorId } }'): Promise<GqlResult> {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth === undefined ? {} : { authorization: auth }) },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: any; errors?: GqlResult['errors'] };
  return { status: res.status, data: body.data ?? null, errors: body.errors, headers: res.headers };
}

function expect401(r: GqlResult, why: string): void {
  expect(r.status, why).toBe(401);
  expect(r.data, why).toBeNull();
  expect(errorOf(r).code, why).toBe('UNAUTHENTICATED');
}

const viewer = (key: string) => h.gql(key, `{ viewer { kind actorId scopes } }`);

async function listKeys(t: TestTenant): Promise<any[]> {
  const r = await t.gql(`{ apiKeys(includeRevoked: true) { id name prefix scopes createdAt expiresAt revokedAt lastUsedAt } }`);
  expect(r.errors).toBeUndefined();
  return r.data!.apiKeys;
}

describe('API key lifecycle', () => {
  it('createApiKey returns the secret once; listings show only the prefix; the database holds only a hash', async () => {
    const t = await h.tenant();
    const r = await t.gql(`mutation { createApiKey(input: { name: "ci", scopes: ["read", "write", "read"] }) { secret apiKey { id name prefix scopes revokedAt lastUsedAt } } }`);
    expect(r.errors).toBeUndefined();
    const { secret, apiKey } = r.data!.createApiKey;
    expect(secret).toMatch(/^ark_[0-9A-Za-z]{22}_[0-9A-Za-z]{11}_[0-9A-Za-z]{39}$/);
    expect(apiKey).toMatchObject({ name: 'ci', scopes: ['read', 'write'], revokedAt: null, lastUsedAt: null });
    expect(apiKey.prefix.endsWith('_…')).toBe(true);
    expect(secret.startsWith(apiKey.prefix.slice(0, -1))).toBe(true);

    // The listing never carries the secret (nor any part of the secret segment).
    const listing = await t.gql(`{ apiKeys { id name prefix scopes } }`);
    const text = JSON.stringify(listing);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(-39));
    expect(listing.data!.apiKeys.find((k: any) => k.id === apiKey.id)).toMatchObject({ prefix: apiKey.prefix });
    // And the schema has no field that could: ApiKey has no secret, only CreatedApiKey does.
    const type = await t.gql(`{ __type(name: "ApiKey") { fields { name } } }`);
    const fields = type.data!.__type.fields.map((f: any) => f.name);
    expect(fields).not.toContain('secret');
    expect(fields.some((f: string) => /secret|hash/i.test(f))).toBe(false);

    // Stored: SHA-256 of the key, and nothing that contains the key.
    const rows = await h.db.admin.query<{ doc: string; secret_hash: string }>(`select row_to_json(k)::text as doc, secret_hash from api_keys k where tenant_id = $1 and id = $2`, [
      t.id,
      apiKey.id,
    ]);
    expect(rows[0]!.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(rows[0]!.doc).not.toContain(secret.slice(-39));

    // The new key works, as itself, with exactly its scopes.
    const v = await viewer(secret);
    expect(v.status).toBe(200);
    expect(v.data!.viewer).toEqual({ kind: 'api_key', actorId: apiKey.id, scopes: ['read', 'write'] });
  });

  it('revokeApiKey: the very next request with the key gets 401 UNAUTHENTICATED', async () => {
    const t = await h.tenant();
    const k = await t.keyWith(['read']);
    expect((await viewer(k.key)).status).toBe(200);
    const r = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: k.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.revokeApiKey.revokedAt).not.toBeNull();
    const after = await viewer(k.key);
    expect401(after, 'revoked key');
    expect(errorOf(after).message).toMatch(/revoked/i);
    // Listed as revoked only with includeRevoked.
    const active = await t.gql(`{ apiKeys { id } }`);
    expect(active.data!.apiKeys.map((x: any) => x.id)).not.toContain(k.id);
    expect((await listKeys(t)).find((x) => x.id === k.id).revokedAt).not.toBeNull();
  });

  it('a revoked admin key can no longer act, even on its own revocation', async () => {
    const t = await h.tenant();
    const second = await t.keyWith(['admin', 'read']);
    const firstId = (await t.gql(`{ viewer { actorId } }`)).data!.viewer.actorId;
    const r = await h.gql(second.key, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: firstId });
    expect(r.errors).toBeUndefined();
    expect401(await t.gql(`{ apiKeys { id } }`), 'revoked initial key');
    expect401(await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: second.id }), 'revoked key revoking');
  });

  it('an expired key is refused with 401 once its expiresAt has passed', async () => {
    const t = await h.tenant();
    const expiresAt = new Date(Date.now() + 2_000);
    const k = await t.keyWith(['read'], { expiresAt: expiresAt.toISOString() });
    const before = await viewer(k.key);
    expect(before.status).toBe(200);
    expect(before.data!.viewer.actorId).toBe(k.id);
    while (Date.now() <= expiresAt.getTime() + 50) await new Promise((r) => setTimeout(r, 100));
    const after = await viewer(k.key);
    expect401(after, 'expired key');
    expect(errorOf(after).message).toMatch(/expired/i);
  });

  it('expiresAt in the past is BAD_USER_INPUT on input.expiresAt', async () => {
    const t = await h.tenant();
    const r = await t.gql(`mutation($at: DateTime!) { createApiKey(input: { name: "late", scopes: ["read"], expiresAt: $at }) { secret } }`, {
      at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(r.data).toBeNull();
    expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
    expect((await listKeys(t)).length).toBe(1);
  });

  it('an unknown scope is BAD_USER_INPUT on input.scopes.<index>', async () => {
    const t = await h.tenant();
    const r = await t.gql(`mutation { createApiKey(input: { name: "bad", scopes: ["superuser", "read"] }) { secret } }`);
    expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scopes.0' });
    const r2 = await t.gql(`mutation { createApiKey(input: { name: "bad", scopes: ["read", "ADMIN"] }) { secret } }`);
    expect(errorOf(r2)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scopes.1' });
    const r3 = await t.gql(`mutation { createApiKey(input: { name: "bad", scopes: [] }) { secret } }`);
    expect(errorOf(r3)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scopes' });
    expect((await listKeys(t)).length).toBe(1);
  });

  it('missing, malformed, wrong-checksum, wrong-secret and unknown keys get 401 UNAUTHENTICATED', async () => {
    const t = await h.tenant();
    const key = t.key;
    const pos = key.length - 12;
    const typo = key.slice(0, pos) + (key[pos] === 'a' ? 'b' : 'a') + key.slice(pos + 1);
    const cases: [string, string | undefined][] = [
      ['no Authorization header', undefined],
      ['empty header', ''],
      ['Basic scheme', `Basic ${Buffer.from('user:pass').toString('base64')}`],
      ['Bearer without token', 'Bearer '],
      ['key without Bearer', key],
      ['two tokens', `Bearer ${key} ${key}`],
      ['not a key', 'Bearer hello-world'],
      ['ark_ prefix only', 'Bearer ark_'],
      ['truncated key', `Bearer ${key.slice(0, -1)}`],
      ['key with extra character', `Bearer ${key}x`],
      ['wrong checksum (one character changed)', `Bearer ${typo}`],
      ['right checksum, wrong secret', `Bearer ${withOtherSecret(key)}`],
      ['well-formed key unknown in this tenant', `Bearer ${generateApiKey(t.id).key}`],
      ['well-formed key for a tenant that does not exist', `Bearer ${generateApiKey(randomUUID()).key}`],
    ];
    // The last three get past the format and checksum check, so the refusal comes from the lookup.
    for (const [why, auth] of cases.slice(-3)) expect(parseApiKey(auth!.slice('Bearer '.length)), why).not.toBeNull();
    expect(parseApiKey(typo)).toBeNull();
    for (const [why, auth] of cases) expect401(await raw(auth), why);
    // Control: the real key, sent properly, works (so the failures above are about the credential).
    expect((await raw(`Bearer ${key}`)).status).toBe(200);
    expect((await raw(`bearer   ${key}`)).status).toBe(200);
  });

  it('refuses to revoke the last admin key (CONFLICT); with a second admin key it is allowed', async () => {
    const t = await h.tenant();
    const firstId = (await t.gql(`{ viewer { actorId } }`)).data!.viewer.actorId;
    // Non-admin keys do not count as a fallback.
    await t.keyWith(['read', 'write', 'pii:reveal']);
    const r = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: firstId });
    expect(r.data).toBeNull();
    expect(errorOf(r).code).toBe('CONFLICT');
    expect((await viewer(t.key)).status).toBe(200);
    expect((await listKeys(t)).find((k) => k.id === firstId).revokedAt).toBeNull();

    // An expired admin key does not count either: still the last active one.
    const soon = new Date(Date.now() + 1_500);
    await t.keyWith(['admin'], { expiresAt: soon.toISOString() });
    while (Date.now() <= soon.getTime() + 50) await new Promise((res) => setTimeout(res, 100));
    const r2 = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: firstId });
    expect(errorOf(r2).code).toBe('CONFLICT');

    await t.keyWith(['admin']);
    const r3 = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: firstId });
    expect(r3.errors).toBeUndefined();
    expect(r3.data!.revokeApiKey.revokedAt).not.toBeNull();
  });

  it('revoking twice is idempotent: same answer, one revocation, one audit event', async () => {
    const t = await h.tenant();
    const k = await t.keyWith(['read']);
    const m = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
    const first = await t.gql(m, { id: k.id });
    const second = await t.gql(m, { id: k.id });
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data!.revokeApiKey).toEqual(first.data!.revokeApiKey);
    const events = await t.gql(`query($id: String!) { auditEvents(first: 10, filter: { entityId: $id, action: "api_key.revoke" }) { totalCount } }`, { id: k.id });
    expect(events.data!.auditEvents.totalCount).toBe(1);
    // An unknown id is NOT_FOUND, a malformed one BAD_USER_INPUT.
    expect(errorOf(await t.gql(m, { id: randomUUID() })).code).toBe('NOT_FOUND');
    expect(errorOf(await t.gql(m, { id: 'nope' })).code).toBe('BAD_USER_INPUT');
  });

  it('lastUsedAt shows after use without a database write per request; the batch flush writes it', async () => {
    const t = await h.tenant();
    const tracker = h.app.services.lastUsed;
    // Restart the interval so its next tick is ~30 s away: nothing flushes behind this test's back.
    await tracker.stop();
    tracker.start();
    const k = await t.keyWith(['read']);
    const dbValue = async () =>
      (await h.db.admin.query<{ ms: string | null }>(`select (extract(epoch from last_used_at) * 1000)::bigint::text as ms from api_keys where tenant_id = $1 and id = $2`, [t.id, k.id]))[0]!.ms;

    expect((await listKeys(t)).find((x) => x.id === k.id).lastUsedAt).toBeNull();
    const usedFrom = Date.now();
    const statementsBefore = h.db.database.stats.statements;
    expect((await viewer(k.key)).status).toBe(200);
    // Authentication was one read (the key lookup), no write.
    expect(h.db.database.stats.statements - statementsBefore).toBe(1);
    expect(await dbValue()).toBeNull();

    const shown = (await listKeys(t)).find((x) => x.id === k.id).lastUsedAt;
    expect(shown).not.toBeNull();
    expect(Date.parse(shown)).toBeGreaterThanOrEqual(usedFrom - 5);
    expect(Date.parse(shown)).toBeLessThanOrEqual(Date.now());
    expect(await dbValue()).toBeNull();

    await tracker.flush();
    expect(Number(await dbValue())).toBe(Date.parse(shown));
    expect((await listKeys(t)).find((x) => x.id === k.id).lastUsedAt).toBe(shown);
  });
});
