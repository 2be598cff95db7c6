import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness } from './harness.js';

/**
 * National ids and API key secrets must not leak: not into logs (at the most verbose level), not into audit
 * events, not into any error a client sees, whatever a client sends and however it fails.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { LOG_LEVEL: 'trace' } });
});
afterAll(async () => h?.close());

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
/** An 18-character id that cannot occur by chance in any log line, uuid or hash. */
const nationalIdLike = () => '91' + digits(15) + 'X';

interface Response {
  status: number;
  text: string;
  body: any;
}

/** A request as raw as it gets: the body is sent exactly as written, the whole answer kept as text. */
async function post(auth: string | null, body: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* kept as text */
  }
  return { status: res.status, text: text + JSON.stringify([...res.headers]), body: parsed };
}

const CREATE = `mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { id nationalIdMasked } }`;

describe('secrets never leak', () => {
  it('national ids and key secrets appear in no log line, audit event or error response', async () => {
    const t = await h.tenant();
    const writer = await t.keyWith(['read', 'write', 'pii:reveal']);
    const doomed = await t.keyWith(['read']);
    const adminSecret = t.key;
    const nationalId = nationalIdLike();
    const newNationalId = nationalIdLike();
    const badNationalId = nationalIdLike() + '!!';
    const numericNationalId = Number('4' + digits(14)); // a safe integer: what the server parses is what we sent
    const bigNumericNationalId = '5' + digits(17); // not a safe integer: JSON.parse rounds it
    const errors: Response[] = [];

    // Normal use, including the one legitimate way to see the id.
    const c = await post(writer.key, JSON.stringify({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'Secret Keeper', nationalId, emails: [{ address: 'keeper@example.com' }] } } }));
    expect(c.body.errors).toBeUndefined();
    const id = c.body.data.createDebtor.id;
    expect(c.body.data.createDebtor.nationalIdMasked).toBe('••••' + nationalId.slice(-4));
    expect(c.text).not.toContain(nationalId);
    const u = await h.gql(writer.key, `mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { version } }`, { input: { id, version: 1, nationalId: newNationalId } });
    expect(u.errors).toBeUndefined();
    const rev = await h.gql(writer.key, `mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id });
    expect(rev.data!.revealDebtorNationalId.nationalId).toBe(newNationalId);
    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: doomed.id });
    expect(revoked.errors).toBeUndefined();

    // --- every way to get a national id refused ---
    const send = async (body: unknown, key = writer.key) => {
      const r = await post(key, typeof body === 'string' ? body : JSON.stringify(body));
      errors.push(r);
      return r;
    };
    const invalid = [
      // The obviously wrong value …
      await send({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'A', nationalId: '!!' } } }),
      // … and a real-looking one with a stray character: refused without being echoed.
      await send({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'A', nationalId: badNationalId } } }),
      await send({ query: `mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { id } }`, variables: { input: { id, version: 2, nationalId: badNationalId } } }),
      // A JSON number where a string belongs, in variables and inline.
      await send({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'A', nationalId: numericNationalId } } }),
      await send(`{"query": ${JSON.stringify(CREATE)}, "variables": {"input": {"kind": "PERSON", "legalName": "A", "nationalId": ${bigNumericNationalId}}}}`),
      await send({ query: `mutation { createDebtor(input: { kind: PERSON, legalName: "A", nationalId: ${numericNationalId} }) { id } }` }),
      // An object or a list where a string belongs.
      await send({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'A', nationalId: { value: nationalId } } } }),
      await send({ query: CREATE, variables: { input: { kind: 'PERSON', legalName: 'A', nationalId: [nationalId] } } }),
    ];
    for (const r of invalid) {
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.body.data ?? null, r.text).toBeNull();
      expect(r.body.errors[0].extensions.code, r.text).toBe('BAD_USER_INPUT');
    }
    expect(invalid[0]!.body.errors[0].extensions.field).toBe('input.nationalId');
    expect(invalid[1]!.body.errors[0].extensions.field).toBe('input.nationalId');
    // A body that is not even JSON, cut off right after the id.
    const broken = await send(`{"query": ${JSON.stringify(CREATE)}, "variables": {"input": {"nationalId": "${nationalId}"`);
    expect(broken.status).toBe(400);

    // --- every way to present a key wrongly ---
    const pos = adminSecret.length - 12;
    const typo = adminSecret.slice(0, pos) + (adminSecret[pos] === 'a' ? 'b' : 'a') + adminSecret.slice(pos + 1);
    const badAuth: [string, Record<string, string>][] = [
      ['typo', { authorization: `Bearer ${typo}` }],
      ['extra character', { authorization: `Bearer ${adminSecret}x` }],
      ['wrong scheme', { authorization: `Token ${adminSecret}` }],
      ['two keys', { authorization: `Bearer ${adminSecret} ${writer.key}` }],
      ['revoked key', { authorization: `Bearer ${doomed.key}` }],
    ];
    for (const [why, headers] of badAuth) {
      const r = await post(null, JSON.stringify({ query: '{ viewer { kind } }' }), headers);
      errors.push(r);
      expect(r.status, why).toBe(401);
      expect(r.body.errors[0].extensions.code, why).toBe('UNAUTHENTICATED');
    }
    // A key pasted into a query argument instead of the header.
    errors.push(await send({ query: `query($k: String!) { debtors(first: 1, after: $k) { totalCount } }`, variables: { k: adminSecret } }));
    expect(errors[errors.length - 1]!.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');

    // --- what must not appear anywhere ---
    const forbidden = [
      nationalId,
      newNationalId,
      badNationalId,
      badNationalId.slice(0, -2),
      String(numericNationalId),
      bigNumericNationalId,
      bigNumericNationalId.slice(0, 15),
      ...[adminSecret, writer.key, doomed.key, typo].flatMap((k) => [k, k.slice(-39)]),
    ];

    const errorText = errors.map((r) => r.text).join('\n');
    for (const f of forbidden) expect(errorText, `an error response contains ${f}`).not.toContain(f);

    expect(h.logs.length).toBeGreaterThan(10);
    expect(h.logs.some((l) => l.includes('"status":401'))).toBe(true);
    const logText = h.logs.join('\n');
    for (const f of forbidden) expect(logText, `a log line contains ${f}`).not.toContain(f);

    const audit = await h.db.admin.query<{ doc: string }>(`select row_to_json(e)::text as doc from audit_events e`);
    expect(audit.length).toBeGreaterThan(5);
    const auditText = audit.map((r) => r.doc).join('\n');
    for (const f of forbidden) expect(auditText, `an audit event contains ${f}`).not.toContain(f);

    // At rest, the debtor row holds the id only encrypted (and its last four characters).
    const rows = await h.db.admin.query<{ doc: string }>(`select row_to_json(d)::text as doc from debtors d where tenant_id = $1`, [t.id]);
    for (const f of [nationalId, newNationalId, newNationalId.slice(0, 14)]) expect(rows.map((r) => r.doc).join('\n')).not.toContain(f);
  });

  it('an unexpected database error is answered INTERNAL and logged without the query or its parameters', async () => {
    const t = await h.tenant();
    const marker = `boom.${randomBytes(4).toString('hex')}`;
    const email = `${marker}@example.com`;
    const nationalId = nationalIdLike();
    // Stand-in for any database failure the code does not map: a constraint it knows nothing about.
    await h.db.admin.query(`alter table debtor_contact_points add constraint zz_test_refuse check (value not like 'boom.%')`);
    try {
      const rid = `secrets-internal-${randomBytes(4).toString('hex')}`;
      const r = await h.gql(t.key, CREATE, { input: { kind: 'PERSON', legalName: 'Internal Failure', nationalId, emails: [{ address: email }] } }, { 'x-request-id': rid });
      const e = errorOf(r);
      expect(e.code).toBe('INTERNAL');
      expect(e.message).toContain(rid);
      const text = JSON.stringify(r.errors);
      for (const f of [email, marker, nationalId, 'zz_test_refuse', 'debtor_contact_points', 'insert']) expect(text).not.toContain(f);

      // It was logged, with the request id and the driver's code …
      const lines = h.logs.filter((l) => l.includes(rid) && l.includes('"level":50'));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).toContain('23514');
      // … but without the parameters drizzle puts in its error message.
      const logText = h.logs.filter((l) => l.includes(rid)).join('\n');
      for (const f of [email, marker, nationalId, 'params:']) expect(logText, `log contains ${f}`).not.toContain(f);
      // Nothing was written.
      const n = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from debtors where tenant_id = $1`, [t.id]);
      expect(n[0]!.n).toBe(0);
    } finally {
      await h.db.admin.query(`alter table debtor_contact_points drop constraint zz_test_refuse`);
    }
  });
});
