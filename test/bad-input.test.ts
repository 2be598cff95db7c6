import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const CREATE = `mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { id version } }`;
const UPDATE = `mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { id version } }`;
const UNKNOWN_ID = '0190aaaa-0000-7000-8000-000000000000';
const NATIONAL_ID = '110101199003074514';

/** Everything a write could have touched for this tenant. */
async function snapshot(t: TestTenant): Promise<Record<string, unknown>> {
  const [row] = await h.db.admin.query<Record<string, unknown>>(
    `select
       (select count(*)::int from debtors where tenant_id = $1) as debtors,
       (select coalesce(sum(version), 0)::int from debtors where tenant_id = $1) as versions,
       (select max(updated_at)::text from debtors where tenant_id = $1) as last_update,
       (select count(*)::int from debtor_contact_points where tenant_id = $1) as contact_points,
       (select count(*)::int from audit_events where tenant_id = $1) as audit_events`,
    [t.id],
  );
  return row!;
}

/**
 * Sends a request that must be refused with `code` naming `field`, and checks nothing was written.
 * Returns the error for further checks.
 */
async function refused(
  t: TestTenant,
  query: string,
  variables: Record<string, unknown> | undefined,
  field: string | undefined,
  code = 'BAD_USER_INPUT',
): Promise<ReturnType<typeof errorOf> & { result: GqlResult }> {
  const before = await snapshot(t);
  const result = await t.gql(query, variables);
  const e = errorOf(result);
  expect(e.code, JSON.stringify(result.errors)).toBe(code);
  if (field !== undefined) expect(e.field, JSON.stringify(result.errors)).toBe(field);
  expect(e.message.length).toBeGreaterThan(0);
  expect(result.data?.createDebtor ?? result.data?.updateDebtor ?? null).toBeNull();
  expect(await snapshot(t)).toEqual(before);
  return { ...e, result };
}

/** createDebtor with `extra` on top of a valid person: must be refused naming `field`. */
const refusedCreate = (t: TestTenant, extra: Record<string, unknown>, field: string) =>
  refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'Valid Name', ...extra } }, field);

let t: TestTenant;
let existing: { id: string; version: number };
beforeAll(async () => {
  t = await h.tenant();
  const r = await t.gql<{ createDebtor: { id: string; version: number } }>(CREATE, {
    input: { kind: 'PERSON', legalName: 'Existing', emails: [{ address: 'existing@example.com' }], dateOfBirth: '1985-06-15' },
  });
  existing = r.data!.createDebtor;
});

describe('contact points', () => {
  it.each([
    ['not-an-email', 'input.emails.0.address'],
    ['user@example', 'input.emails.0.address'],
    ['a..b@example.com', 'input.emails.0.address'],
    ['', 'input.emails.0.address'],
  ])('refuses email %j', async (address, field) => {
    const e = await refusedCreate(t, { emails: [{ address }] }, field);
    expect(e.message).toMatch(/email address/);
  });

  it('names the position of the bad entry', async () => {
    await refusedCreate(t, { emails: [{ address: 'ok@example.com' }, { address: 'bad@' }] }, 'input.emails.1.address');
  });

  it.each([
    ['13800138000', 'no country code'],
    ['+86 138 0013 8000', 'formatted, not E.164'],
    ['+8612345', 'not a valid number'],
    ['+10000000000', 'invalid NANP number'],
    ['+8613800138000x', 'trailing letter'],
  ])('refuses phone %j (%s)', async (number) => {
    const e = await refusedCreate(t, { phones: [{ number }] }, 'input.phones.0.number');
    expect(e.message).toMatch(/E\.164/);
  });

  it('refuses duplicate emails (case-insensitive) and duplicate phones in one input', async () => {
    await refusedCreate(t, { emails: [{ address: 'dup@example.com' }, { address: 'DUP@Example.com' }] }, 'input.emails.1');
    await refusedCreate(t, { phones: [{ number: '+8613800138000' }, { number: '+8613800138000' }] }, 'input.phones.1');
  });

  it('refuses more than 10 emails or phones and more than 5 addresses', async () => {
    await refusedCreate(t, { emails: Array.from({ length: 11 }, (_, i) => ({ address: `e${i}@example.com` })) }, 'input.emails');
    await refusedCreate(t, { phones: Array.from({ length: 11 }, (_, i) => ({ number: `+861380013800${i}` })) }, 'input.phones');
    await refusedCreate(t, { addresses: Array.from({ length: 6 }, () => ({ line1: 'a', city: 'b', country: 'CN' })) }, 'input.addresses');
  });

  it('refuses a too-long contact label', async () => {
    await refusedCreate(t, { emails: [{ address: 'ok@example.com', label: 'l'.repeat(51) }] }, 'input.emails.0.label');
  });
});

describe('addresses', () => {
  it.each(['XX', 'UK', 'ZZ', 'EU', 'CHN', '1'])('refuses country %j', async (country) => {
    const e = await refusedCreate(t, { addresses: [{ line1: '1 Road', city: 'Town', country }] }, 'input.addresses.0.country');
    expect(e.message).toMatch(/ISO 3166-1/);
  });

  it('names the bad line of the right address', async () => {
    await refusedCreate(
      t,
      {
        addresses: [
          { line1: '1 Road', city: 'Town', country: 'CN' },
          { line1: '   ', city: 'Town', country: 'CN' },
        ],
      },
      'input.addresses.1.line1',
    );
  });
});

describe('time zone, language and dates', () => {
  it.each(['Mars/Base', '+08:00', 'UTC+8', 'Asia/Shang hai'])('refuses time zone %j', async (timeZone) => {
    const e = await refusedCreate(t, { timeZone }, 'input.timeZone');
    expect(e.message).toMatch(/IANA/);
  });

  it.each(['zz_invalid!!', 'en_US', '12-34'])('refuses language tag %j', async (preferredLanguage) => {
    const e = await refusedCreate(t, { preferredLanguage }, 'input.preferredLanguage');
    expect(e.message).toMatch(/BCP 47/);
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '15/06/1985', '1985-6-15', '1985-06-15T00:00:00Z'])('refuses date %j (variable)', async (dateOfBirth) => {
    const e = await refusedCreate(t, { dateOfBirth }, 'input.dateOfBirth');
    expect(e.message).toMatch(/real date/);
  });

  it('refuses an impossible date written in the query itself', async () => {
    const e = await refused(t, `mutation { createDebtor(input: { kind: PERSON, legalName: "X", dateOfBirth: "2026-02-30" }) { id } }`, undefined, 'input.dateOfBirth');
    expect(e.result.status).toBe(400);
    expect(e.message).toMatch(/real date/);
  });

  it('refuses a date of birth in the future or before 1900', async () => {
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    expect((await refusedCreate(t, { dateOfBirth: tomorrow }, 'input.dateOfBirth')).message).toMatch(/future/);
    expect((await refusedCreate(t, { dateOfBirth: '2999-01-01' }, 'input.dateOfBirth')).message).toMatch(/future/);
    await refusedCreate(t, { dateOfBirth: '1899-12-31' }, 'input.dateOfBirth');
  });

  it('refuses a business with a date of birth', async () => {
    const e = await refusedCreate(t, { kind: 'BUSINESS', legalName: 'Acme Ltd', dateOfBirth: '1990-01-01' }, 'input.dateOfBirth');
    expect(e.message).toMatch(/business/);
  });
});

describe('names, notes and tags', () => {
  it('refuses names over 200 characters', async () => {
    expect((await refusedCreate(t, { legalName: 'a'.repeat(201) }, 'input.legalName')).message).toMatch(/200/);
    await refusedCreate(t, { legalName: '王'.repeat(201) }, 'input.legalName');
    await refusedCreate(t, { legalName: '😀'.repeat(201) }, 'input.legalName');
    await refusedCreate(t, { displayName: 'b'.repeat(201) }, 'input.displayName');
    // Far over: refused by the schema's cheap first check, under the same field.
    await refusedCreate(t, { legalName: 'a'.repeat(5_000) }, 'input.legalName');
  });

  it('accepts a CJK name (and an emoji name) of exactly 200 characters', async () => {
    const before = (await snapshot(t)).debtors as number;
    for (const legalName of ['王'.repeat(200), '😀'.repeat(200)]) {
      const r = await t.gql<{ createDebtor: { id: string } }>(`mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { id legalName } }`, {
        input: { kind: 'PERSON', legalName },
      });
      expect(r.errors).toBeUndefined();
      expect(r.data!.createDebtor).toMatchObject({ legalName });
    }
    expect((await snapshot(t)).debtors).toBe(before + 2);
  });

  it('refuses empty names', async () => {
    await refusedCreate(t, { legalName: '' }, 'input.legalName');
    await refusedCreate(t, { legalName: ' \t ' }, 'input.legalName');
  });

  it('refuses notes over 10,000 characters', async () => {
    expect((await refusedCreate(t, { notes: 'n'.repeat(10_001) }, 'input.notes')).message).toMatch(/10000/);
    await refusedCreate(t, { notes: '债'.repeat(10_001) }, 'input.notes');
    await refusedCreate(t, { notes: 'n'.repeat(30_000) }, 'input.notes');
  });

  it.each([
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['RLO', '\u202E'],
    ['newline', '\n'],
    ['escape', '\u001B'],
  ])('refuses the control character %s in names', async (_name, c) => {
    expect((await refusedCreate(t, { legalName: `Bad${c}Name` }, 'input.legalName')).message).toMatch(/control characters/);
    await refusedCreate(t, { displayName: `Bad${c}Name` }, 'input.displayName');
  });

  it('refuses NUL and bidi overrides in notes (newlines and tabs are fine there)', async () => {
    await refusedCreate(t, { notes: 'a\u0000b' }, 'input.notes');
    await refusedCreate(t, { notes: 'a\u202Eb' }, 'input.notes');
  });

  it('refuses too many tags, bad tag characters and overlong tags', async () => {
    await refusedCreate(t, { tags: Array.from({ length: 31 }, (_, i) => `t${i}`) }, 'input.tags');
    await refusedCreate(t, { tags: ['ok', '#hash'] }, 'input.tags.1');
    await refusedCreate(t, { tags: ['t'.repeat(51)] }, 'input.tags.0');
    await refusedCreate(t, { tags: [''] }, 'input.tags.0');
  });

  it('reports every problem at once, the first as extensions.field', async () => {
    const e = await refusedCreate(t, { emails: [{ address: 'nope' }], timeZone: 'Mars/Base', preferredLanguage: 'zz_invalid!!' }, 'input.emails.0.address');
    const fields = (e.ext.problems as { field: string }[]).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['input.emails.0.address', 'input.timeZone', 'input.preferredLanguage']));
    expect(e.message).toMatch(/3 invalid fields/);
  });
});

describe('GraphQL-level errors', () => {
  it('unknown enum value, through variables and as a literal', async () => {
    const v = await refused(t, CREATE, { input: { kind: 'ALIEN', legalName: 'X' } }, 'input.kind');
    expect(v.result.status).toBe(400);
    const l = await refused(t, `mutation { createDebtor(input: { kind: ALIEN, legalName: "X" }) { id } }`, undefined, 'input.kind');
    expect(l.result.status).toBe(400);
    await refused(t, `{ debtors(orderBy: SIDEWAYS) { totalCount } }`, undefined, 'orderBy');
    await refused(t, `{ debtors(filter: { flags: [DECEASED, ZOMBIE] }) { totalCount } }`, undefined, 'filter.flags.1');
  });

  it('malformed GraphQL is a 400 BAD_USER_INPUT', async () => {
    const e = await refused(t, `mutation { createDebtor(input: { kind: PERSON `, undefined, undefined);
    expect(e.result.status).toBe(400);
    expect(e.message).toMatch(/Syntax Error/);
    const empty = await refused(t, ``, undefined, undefined);
    expect(empty.result.status).toBe(400);
  });

  it('wrong argument types name the argument', async () => {
    await refused(t, `{ debtors(first: "ten") { totalCount } }`, undefined, 'first');
    await refused(t, `query($n: Int) { debtors(first: $n) { totalCount } }`, { n: 'ten' }, 'first');
    await refused(t, `query($n: Int) { debtors(first: $n) { totalCount } }`, { n: 2.5 }, 'first');
    await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 123 } }, 'input.legalName');
    await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', deceased: 'yes' } }, 'input.deceased');
    await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', emails: [{ address: 'a@b.co' }, { address: 5 }] } }, 'input.emails.1.address');
    await refused(t, `mutation { createDebtor(input: { kind: PERSON, legalName: "X", emails: [{ address: "a@b.co" }, { address: 5 }] }) { id } }`, undefined, 'input.emails.1.address');
    await refused(t, CREATE, { input: 'not an object' }, 'input');
    await refused(t, `{ debtor(id: 42.5) { id } }`, undefined, 'id');
  });

  it('missing required values name the field', async () => {
    await refused(t, CREATE, { input: { kind: 'PERSON' } }, 'input.legalName');
    await refused(t, `mutation { createDebtor(input: { kind: PERSON }) { id } }`, undefined, 'input.legalName');
    await refused(t, `mutation { createDebtor { id } }`, undefined, 'input');
    await refused(t, CREATE, {}, 'input');
  });

  it('unknown input fields and arguments name the field', async () => {
    await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', foo: 1 } }, 'input.foo');
    await refused(t, `mutation { createDebtor(input: { kind: PERSON, legalName: "X", foo: 1 }) { id } }`, undefined, 'input.foo');
    await refused(t, `{ debtors(foo: 1) { totalCount } }`, undefined, 'foo');
    await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', emails: [{ address: 'a@b.co', primary: true }] } }, 'input.emails.0.primary');
  });

  it('unknown output fields are refused before anything runs', async () => {
    const e = await refused(t, `mutation { createDebtor(input: { kind: PERSON, legalName: "Never Written" }) { id nope } }`, undefined, undefined);
    expect(e.result.status).toBe(400);
    expect(e.message).toMatch(/nope/);
  });
});

describe('ids, pages and cursors', () => {
  it('a malformed id is BAD_USER_INPUT naming the id', async () => {
    await refused(t, `{ debtor(id: "not-a-uuid") { id } }`, undefined, 'id');
    await refused(t, `{ debtor(id: "") { id } }`, undefined, 'id');
    await refused(t, `{ debtor(id: "${UNKNOWN_ID}'; drop table debtors; --") { id } }`, undefined, 'id');
    await refused(t, UPDATE, { input: { id: 'not-a-uuid', version: 1, notes: 'x' } }, 'input.id');
    await refused(t, `mutation { archiveDebtor(id: "nope") { id } }`, undefined, 'id');
    await refused(t, `mutation { revealDebtorNationalId(id: "nope") { nationalId } }`, undefined, 'id');
  });

  it('an unknown well-formed id is NOT_FOUND', async () => {
    await refused(t, `{ debtor(id: "${UNKNOWN_ID}") { id } }`, undefined, undefined, 'NOT_FOUND');
    await refused(t, UPDATE, { input: { id: UNKNOWN_ID, version: 1, notes: 'x' } }, undefined, 'NOT_FOUND');
    await refused(t, `mutation { archiveDebtor(id: "${UNKNOWN_ID}") { id } }`, undefined, undefined, 'NOT_FOUND');
    await refused(t, `mutation { revealDebtorNationalId(id: "${UNKNOWN_ID}") { nationalId } }`, undefined, undefined, 'NOT_FOUND');
  });

  it('another tenant\'s debtor is NOT_FOUND, not FORBIDDEN', async () => {
    const other = await h.tenant();
    await refused(other, `{ debtor(id: "${existing.id}") { id } }`, undefined, undefined, 'NOT_FOUND');
    await refused(other, UPDATE, { input: { id: existing.id, version: existing.version, notes: 'x' } }, undefined, 'NOT_FOUND');
  });

  it.each([0, 101, -1, 1_000_000])('first: %d is BAD_USER_INPUT on first', async (first) => {
    const e = await refused(t, `query($first: Int) { debtors(first: $first) { totalCount } }`, { first }, 'first');
    expect(e.message).toMatch(/between 1 and 100/);
  });

  it('first beyond Int range is BAD_USER_INPUT on first', async () => {
    await refused(t, `{ debtors(first: 99999999999) { totalCount } }`, undefined, 'first');
  });

  it.each([
    ['garbage', 'garbage'],
    ['empty', ''],
    ['base64 of junk', Buffer.from('hello').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify(['created_desc', ''])).toString('base64url')],
    ['bad id', Buffer.from(JSON.stringify(['created_desc', '', 'x'])).toString('base64url')],
    ['other order', Buffer.from(JSON.stringify(['name_asc', 'a', UNKNOWN_ID])).toString('base64url')],
  ])('a %s cursor is BAD_USER_INPUT on after', async (_what, after) => {
    await refused(t, `query($after: String) { debtors(after: $after) { totalCount } }`, { after }, 'after');
  });

  it('an overlong search is BAD_USER_INPUT on filter.search', async () => {
    await refused(t, `query($s: String) { debtors(filter: { search: $s }) { totalCount } }`, { s: 'x'.repeat(201) }, 'filter.search');
  });
});

describe('updates and archives', () => {
  it('an invalid update writes nothing and keeps the version', async () => {
    await refused(t, UPDATE, { input: { id: existing.id, version: existing.version, emails: [{ address: 'broken' }] } }, 'input.emails.0.address');
    await refused(t, UPDATE, { input: { id: existing.id, version: existing.version, timeZone: '+08:00' } }, 'input.timeZone');
    await refused(t, UPDATE, { input: { id: existing.id, version: existing.version, kind: 'BUSINESS' } }, 'input.dateOfBirth');
    await refused(t, UPDATE, { input: { id: existing.id, version: existing.version, legalName: null } }, 'input.legalName');
    await refused(t, UPDATE, { input: { id: existing.id, version: 0, notes: 'x' } }, 'input.version');
    const r = await t.gql(`query($id: ID!) { debtor(id: $id) { version emails { address } timeZone } }`, { id: existing.id });
    expect(r.data!.debtor).toEqual({ version: existing.version, emails: [{ address: 'existing@example.com' }], timeZone: null });
  });

  it('an archive reason with control characters or over 500 characters is refused', async () => {
    await refused(t, `mutation($id: ID!, $r: String) { archiveDebtor(id: $id, reason: $r) { id } }`, { id: existing.id, r: 'bad\u0007reason' }, 'reason');
    await refused(t, `mutation($id: ID!, $r: String) { archiveDebtor(id: $id, reason: $r) { id } }`, { id: existing.id, r: 'r'.repeat(501) }, 'reason');
  });
});

describe('national id never echoed', () => {
  const check = (e: { message: string; ext: Record<string, any>; result: GqlResult }) => {
    expect(JSON.stringify(e.result.errors)).not.toContain(NATIONAL_ID);
    expect(JSON.stringify(e.result.errors)).not.toContain('7451');
  };

  it('not for an invalid national id', async () => {
    for (const nationalId of [`${NATIONAL_ID}!`, `${NATIONAL_ID}${'9'.repeat(60)}`, `中${NATIONAL_ID}`]) {
      const e = await refusedCreate(t, { nationalId }, 'input.nationalId');
      check(e);
    }
  });

  it('not when it is sent with the wrong type', async () => {
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', nationalId: Number(NATIONAL_ID) } }, 'input.nationalId'));
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', nationalId: [NATIONAL_ID] } }, 'input.nationalId'));
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', nationalId: { v: NATIONAL_ID } } }, 'input.nationalId'));
    check(await refused(t, `mutation { createDebtor(input: { kind: PERSON, legalName: "X", nationalId: ${NATIONAL_ID} }) { id } }`, undefined, 'input.nationalId'));
    check(await refused(t, `mutation { createDebtor(input: "${NATIONAL_ID}") { id } }`, undefined, 'input'));
    check(await refused(t, `{ debtor(id: ${NATIONAL_ID}) { id } }`, undefined, 'id'));
  });

  it('not when another field of the same input is wrong', async () => {
    check(await refused(t, CREATE, { input: { kind: 'ALIEN', legalName: 'X', nationalId: NATIONAL_ID } }, 'input.kind'));
    check(await refused(t, CREATE, { input: { kind: 'PERSON', nationalId: NATIONAL_ID } }, 'input.legalName'));
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', nationalId: NATIONAL_ID, foo: 1 } }, 'input.foo'));
    // A "; " inside the client's own text must not be taken for the end of the echoed value.
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', notes: 'a; b', nationalId: NATIONAL_ID, foo: 1 } }, 'input.foo'));
    check(await refused(t, CREATE, { input: { kind: 'PERSON', legalName: 'X', notes: 'x at "input.y"; z', nationalId: NATIONAL_ID, foo: 1 } }, 'input.foo'));
    check(await refusedCreate(t, { nationalId: NATIONAL_ID, timeZone: 'Mars/Base' }, 'input.timeZone'));
    check(await refused(t, UPDATE, { input: { id: existing.id, version: existing.version, nationalId: NATIONAL_ID, emails: [{ address: 'x' }] } }, 'input.emails.0.address'));
  });

  it('and never logged', () => {
    expect(h.logs.join('\n')).not.toContain(NATIONAL_ID);
  });
});

describe('HTTP-level bad input', () => {
  async function post(body: string, contentType = 'application/json'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${t.key}` }, body });
    return { status: res.status, body: await res.json() };
  }

  it('a body that is not JSON is 400 BAD_USER_INPUT', async () => {
    const before = await snapshot(t);
    for (const body of ['{not json', 'mutation { createDebtor(input: {kind: PERSON, legalName: "X"}) { id } }', '', '{"query": "{ viewer { kind } }"']) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(r.body.errors[0].extensions.requestId).toEqual(expect.any(String));
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it('JSON that is not a GraphQL request is 400', async () => {
    const before = await snapshot(t);
    for (const body of ['[]', '"query"', '42', 'null', '{"query": 5}', '{"query": "{ viewer { kind } }", "variables": "x"}']) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.body.errors?.[0]?.extensions?.code ?? 'BAD_USER_INPUT', body).toBe('BAD_USER_INPUT');
    }
    expect(await snapshot(t)).toEqual(before);
  });
});
