import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/app.js';
import { migrationsFolder } from '../src/db/paths.js';
import { formatError } from '../src/graphql/format-error.js';
import { createLogger } from '../src/shared/logger.js';
import { requestScope } from '../src/shared/request-context.js';
import { errorOf, startHarness, type Harness, type TestTenant } from './harness.js';

let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(async () => h?.close());

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): any;
}

/**
 * A request through node:http, so the test controls framing (content-length vs chunked) and timing. `body`
 * chunks are written in order; `chunked` leaves content-length off.
 */
function raw(
  baseUrl: string,
  opts: { method?: string; path?: string; headers?: Record<string, string | number>; body?: (string | Buffer)[]; chunked?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(opts.path ?? '/graphql', baseUrl);
  return new Promise((resolve, reject) => {
    const chunks = opts.body ?? [];
    const headers: Record<string, string | number> = { ...opts.headers };
    if (!opts.chunked && chunks.length && headers['content-length'] === undefined) {
      headers['content-length'] = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
    }
    const req = request(url, { method: opts.method ?? 'POST', headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and stop reading before the whole body is sent; that is not a failure.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const auth = () => ({ authorization: `Bearer ${t.key}`, 'content-type': 'application/json' });
const viewerBody = JSON.stringify({ query: '{ viewer { kind } }' });

describe('health', () => {
  it('/healthz answers 200 without touching auth', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(UUID_RE);
  });

  it('/readyz answers 200 with the number of applied migrations', async () => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
    const res = await fetch(`${h.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; migrations: number };
    expect(body).toEqual({ status: 'ready', migrations: journal.entries.length });
    expect(body.migrations).toBeGreaterThanOrEqual(3);
  });

  it('an unknown route is 404; a wrong method on /graphql is 405', async () => {
    for (const path of ['/', '/nope', '/graphql/extra', '/healthz/x', '/.env']) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-request-id')).toMatch(UUID_RE);
      await res.arrayBuffer();
    }
    const post = await fetch(`${h.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(404);
    await post.arrayBuffer();
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${h.url}/graphql`, { method, headers: auth(), body: viewerBody });
      expect(res.status, method).toBe(405);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('x-request-id', () => {
  it('is on every response, and a valid incoming one is echoed', async () => {
    const id = 'client-req.0001:abc_DEF';
    for (const [path, init] of [
      ['/healthz', {}],
      ['/readyz', {}],
      ['/missing', {}],
      ['/graphql', { method: 'POST', headers: auth(), body: viewerBody }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: viewerBody }], // 401
      ['/graphql', { method: 'POST', headers: { ...auth(), 'content-type': 'text/plain' }, body: viewerBody }], // 415
    ] as [string, RequestInit][]) {
      const res = await fetch(`${h.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
      expect(res.headers.get('x-request-id'), path).toBe(id);
      await res.arrayBuffer();
    }
  });

  it('is quoted in GraphQL errors, and is the one in the header', async () => {
    const id = 'trace-1234567890';
    const r = await h.gql(t.key, `{ debtor(id: "nope") { id } }`, undefined, { 'x-request-id': id });
    expect(r.headers.get('x-request-id')).toBe(id);
    expect(errorOf(r).ext.requestId).toBe(id);
    const generated = await h.gql(t.key, `{ debtor(id: "nope") { id } }`);
    expect(errorOf(generated).ext.requestId).toBe(generated.headers.get('x-request-id'));
    expect(generated.headers.get('x-request-id')).toMatch(UUID_RE);
  });

  it.each([
    ['too short', 'abc'],
    ['too long', 'a'.repeat(129)],
    ['spaces', 'has some spaces'],
    ['log injection', 'abcdefgh\\nlevel=fatal'],
    ['quotes', '"><script>x</script>'],
    ['non-ASCII', 'идентификатор-1'],
  ])('an invalid one (%s) is replaced by a fresh id', async (_what, id) => {
    const res = await raw(h.url, { method: 'GET', path: '/healthz', headers: { 'x-request-id': Buffer.from(id, 'utf8').toString('latin1') } });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID_RE);
  });

  it('two requests without one get different ids', async () => {
    const a = await fetch(`${h.url}/healthz`);
    const b = await fetch(`${h.url}/healthz`);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});

describe('request bodies', () => {
  it('a body over 1 MB with content-length is 413', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const res = await raw(h.url, { headers: auth(), body: [big] });
    expect(res.status).toBe(413);
    expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.json().errors[0].message).toMatch(/exceeds/);
    expect(res.headers['x-request-id']).toMatch(UUID_RE);
  });

  it('a declared length over 1 MB is refused without reading the body', async () => {
    // Only a little is sent; the answer comes from the declared length alone.
    const res = await raw(h.url, { headers: { ...auth(), 'content-length': 50 * 1024 * 1024 }, body: ['{"query":'] });
    expect(res.status).toBe(413);
  });

  it('a chunked body that grows over 1 MB is 413', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const chunks = Array.from({ length: Math.ceil((MAX_BODY_BYTES * 1.5) / chunk.length) }, () => chunk);
    const res = await raw(h.url, { headers: auth(), body: chunks, chunked: true });
    expect(res.status).toBe(413);
    expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('a body of exactly 1 MB is accepted, chunked or not', async () => {
    const json = viewerBody;
    const padded = json + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(json));
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const a = await raw(h.url, { headers: auth(), body: [padded] });
    expect(a.status).toBe(200);
    expect(a.json()).toEqual({ data: { viewer: { kind: 'api_key' } } });
    const b = await raw(h.url, { headers: auth(), body: [padded.slice(0, 1000), padded.slice(1000)], chunked: true });
    expect(b.status).toBe(200);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])('content-type %j is 415', async (type) => {
    const headers: Record<string, string> = { authorization: `Bearer ${t.key}` };
    if (type) headers['content-type'] = type;
    const res = await raw(h.url, { headers, body: [viewerBody] });
    expect(res.status).toBe(415);
    expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('application/json with a charset is fine', async () => {
    const res = await raw(h.url, { headers: { ...auth(), 'content-type': 'application/json; charset=utf-8' }, body: [viewerBody] });
    expect(res.status).toBe(200);
  });

  it('no or bad credentials are 401 with a GraphQL-shaped error', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ark_nonsense', `Bearer ${t.key}x`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      const res = await raw(h.url, { headers, body: [viewerBody] });
      expect(res.status, authorization).toBe(401);
      expect(res.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('GET /graphql', () => {
  const q = encodeURIComponent('{ viewer { kind scopes } }');

  it('runs a query with a preflight-forcing header', async () => {
    const res = await fetch(`${h.url}/graphql?query=${q}`, { headers: { authorization: `Bearer ${t.key}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.viewer.kind).toBe('api_key');
    expect(res.headers.get('x-request-id')).toMatch(UUID_RE);
  });

  it('runs a query with a JSON content-type', async () => {
    const res = await fetch(`${h.url}/graphql?query=${q}`, { headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('with variables in the query string', async () => {
    const query = encodeURIComponent('query($f: Int) { debtors(first: $f) { totalCount } }');
    const vars = encodeURIComponent(JSON.stringify({ f: 5 }));
    const res = await fetch(`${h.url}/graphql?query=${query}&variables=${vars}`, { headers: { authorization: `Bearer ${t.key}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.debtors.totalCount).toBe(0);
  });

  it('a simple cross-site GET is refused by CSRF prevention', async () => {
    const res = await fetch(`${h.url}/graphql?query=${q}`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('a mutation over GET is refused and writes nothing', async () => {
    const m = encodeURIComponent('mutation { createDebtor(input: { kind: PERSON, legalName: "Via GET" }) { id } }');
    const res = await fetch(`${h.url}/graphql?query=${m}`, { headers: { authorization: `Bearer ${t.key}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
    await res.arrayBuffer();
    const count = await t.gql(`{ debtors(filter: { archived: null }) { totalCount } }`);
    expect(count.data!.debtors.totalCount).toBe(0);
  });
});

describe('query limits', () => {
  let lim: Harness;
  let lt: TestTenant;
  beforeAll(async () => {
    lim = await startHarness({ env: { GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '5', GRAPHQL_MAX_COST: '50' } });
    lt = await lim.tenant();
    await lt.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Limited", emails: [{ address: "l@example.com" }] }) { id } }`);
  });
  afterAll(async () => lim?.close());

  /** The query must be refused before anything runs, naming the limit. */
  async function overLimit(query: string, limit: string, variables?: Record<string, unknown>) {
    const r = await lt.gql(query, variables);
    expect(r.status).toBe(400);
    expect(r.data).toBeNull();
    const e = errorOf(r);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.ext.limit).toBe(limit);
    expect(e.ext.max).toEqual(expect.any(Number));
    expect(e.ext.value).toBeGreaterThan(e.ext.max);
    expect(e.message).toMatch(new RegExp(`^Query ${limit} \\d+ exceeds the limit of ${e.ext.max}$`));
    expect(e.ext.requestId).toEqual(expect.any(String));
    return e;
  }

  it('refuses a query deeper than GRAPHQL_MAX_DEPTH', async () => {
    const e = await overLimit(`{ debtors { edges { node { emails { address } } } } }`, 'depth');
    expect(e.ext).toMatchObject({ value: 5, max: 3 });
  });

  it('counts depth through fragments and inline fragments', async () => {
    await overLimit(`{ debtors { ...C } } fragment C on DebtorConnection { edges { ...E } } fragment E on DebtorEdge { node { id } }`, 'depth');
    await overLimit(`{ debtors { edges { ... on DebtorEdge { node { id } } } } }`, 'depth');
  });

  it('allows a query at the depth limit, and does not count introspection', async () => {
    const ok = await lt.gql(`{ debtors { edges { cursor } } }`);
    expect(ok.errors).toBeUndefined();
    const intro = await lt.gql(`{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }`);
    expect(intro.errors).toBeUndefined();
    expect(intro.data!.__schema.types.length).toBeGreaterThan(10);
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;
    const ok = await lt.gql(aliases(5));
    expect(ok.errors).toBeUndefined();
    const e = await overLimit(aliases(6), 'aliases');
    expect(e.ext).toMatchObject({ value: 6, max: 5 });
    // Aliases inside fragments count too.
    await overLimit(`{ ...V } fragment V on Query { ${Array.from({ length: 6 }, (_, i) => `b${i}: viewer { kind }`).join(' ')} }`, 'aliases');
  });

  it('refuses a query whose cost (page size × selection) exceeds GRAPHQL_MAX_COST', async () => {
    const e = await overLimit(`{ debtors(first: 100) { totalCount } }`, 'cost');
    expect(e.ext).toMatchObject({ value: 101, max: 50 });
    await overLimit(`query($n: Int) { debtors(first: $n) { edges { cursor } } }`, 'cost', { n: 60 });
    const small = await lt.gql(`{ debtors(first: 10) { edges { cursor } } }`);
    expect(small.errors).toBeUndefined();
  });

  it('a zero or negative page size cannot offset the cost of a sibling', async () => {
    await overLimit(`{ a: debtors(first: 100) { totalCount } b: debtors(first: -1000) { totalCount } }`, 'cost');
    await overLimit(`query($neg: Int) { a: debtors(first: 100) { totalCount } b: debtors(first: $neg) { totalCount } }`, 'cost', { neg: -1000 });
  });

  it('a page size beyond the maximum costs no more than the maximum, so the clearer error wins', async () => {
    const big = await startHarness({ env: { GRAPHQL_MAX_COST: '1000' } });
    try {
      const bt = await big.tenant();
      const r = await bt.gql(`{ debtors(first: 1000000) { edges { cursor } } }`);
      expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    } finally {
      await big.close();
    }
  });
});

describe('internal errors', () => {
  function capture() {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    return { lines, log: createLogger('info', sink) };
  }

  it('formatError answers a database error as INTERNAL with the request id, and logs it without SQL parameters', () => {
    const pgError = Object.assign(new Error('null value in column "legal_name" of relation "debtors" violates not-null constraint'), {
      code: '23502',
      severity: 'ERROR',
      detail: 'Failing row contains (110101199003074514, secret@example.com).',
      table_name: 'debtors',
    });
    const query = 'insert into "debtors" ("tenant_id", "id", "legal_name", "national_id_ciphertext")\nvalues ($1, $2, $3, $4)';
    const dq = new DrizzleQueryError(query, ['t-1', 'd-1', '王小明', '110101199003074514'], pgError);
    // Node's own stack text starts with the whole (multi-line) message; the test runner rewrites stacks, so
    // set it the way production sees it.
    dq.stack = `Error: ${dq.message}\n    at PgSession.query (file:///app/dist/src/db/client.js:1:1)\n    at async DebtorService.create (file:///app/dist/x.js:2:2)`;
    const gqlError = new GraphQLError(dq.message, { originalError: dq, path: ['createDebtor'] });
    const { lines, log } = capture();
    const out = requestScope.run({ requestId: 'req-internal-0001', log: log.child({ requestId: 'req-internal-0001' }) }, () => formatError({ message: gqlError.message, path: ['createDebtor'] }, gqlError));

    expect(out.extensions).toEqual({ code: 'INTERNAL', requestId: 'req-internal-0001' });
    expect(out.message).toBe('Internal error; quote request id req-internal-0001 when reporting it');
    expect(out.path).toEqual(['createDebtor']);
    const answer = JSON.stringify(out);
    for (const leak of ['insert', 'debtors', '110101199003074514', '王小明', 'secret@example.com', 'null value', 'at ', '.ts']) {
      expect(answer).not.toContain(leak);
    }

    const logged = lines.join('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry.requestId).toBe('req-internal-0001');
    expect(entry.err.stack).toMatch(/^\s+at PgSession\.query/);
    expect(entry.err.pgCode).toBe('23502');
    expect(entry.err.message).toMatch(/null value in column "legal_name"/);
    expect(entry.path).toEqual(['createDebtor']);
    for (const leak of ['110101199003074514', '王小明', 'secret@example.com', 'Failed query', 'params:', 'values ($1']) {
      expect(logged).not.toContain(leak);
    }
  });

  it('formatError answers any unknown error as INTERNAL without its message or stack', () => {
    const boom = new TypeError("Cannot read properties of undefined (reading 'secretField')");
    const { lines, log } = capture();
    const out = requestScope.run({ requestId: 'req-internal-0002', log }, () => formatError({ message: boom.message }, boom));
    expect(out.extensions!.code).toBe('INTERNAL');
    expect(out.message).not.toContain('secretField');
    expect(JSON.stringify(out)).not.toMatch(/stack|at .*\(/);
    expect(lines.join('')).toContain('secretField');
  });

  it('formatError turns a serialization failure into a retryable CONFLICT', () => {
    const err = new DrizzleQueryError('update "debtors" set ...', ['x'], Object.assign(new Error('could not serialize access'), { code: '40001' }));
    const { log } = capture();
    const out = requestScope.run({ requestId: 'req-internal-0003', log }, () => formatError({ message: err.message }, err));
    expect(out.extensions).toMatchObject({ code: 'CONFLICT', retryable: true, requestId: 'req-internal-0003' });
    expect(out.message).not.toMatch(/debtors|could not serialize/);
  });

  it('a real database failure over HTTP is INTERNAL, quoting the request id, with no SQL in the answer', async () => {
    const x = await h.tenant();
    await x.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Break Me", nationalId: "110101199003074514" }) { id } }`);
    // Break the schema under the running app for a moment: every debtor read now fails in the database.
    await h.db.admin.query('alter table debtors rename column notes to notes_broken');
    let r;
    try {
      r = await h.gql(x.key, `{ debtors { edges { node { id legalName notes } } } }`, undefined, { 'x-request-id': 'broken-request-0001' });
    } finally {
      await h.db.admin.query('alter table debtors rename column notes_broken to notes');
    }
    const e = errorOf(r);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe('Internal error; quote request id broken-request-0001 when reporting it');
    expect(e.ext.requestId).toBe('broken-request-0001');
    expect(Object.keys(e.ext).sort()).toEqual(['code', 'requestId']);
    const answer = JSON.stringify(r.errors);
    for (const leak of ['select', 'notes', 'does not exist', 'from "', '42703', 'stack', x.id]) expect(answer).not.toContain(leak);

    const logged = h.logs.filter((l) => l.includes('broken-request-0001')).join('\n');
    expect(logged).toContain('42703');
    expect(logged).not.toContain('Failed query');
    expect(logged).not.toContain('params:');
    expect(h.logs.join('\n')).not.toContain('110101199003074514');

    // And the app recovers once the database does.
    const ok = await x.gql(`{ debtors { totalCount } }`);
    expect(ok.data!.debtors.totalCount).toBe(1);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish with 200 and refuses new connections', async () => {
    const s = await startHarness();
    let dropped = false;
    try {
      const st = await s.tenant();
      const body = JSON.stringify({ query: `mutation { createDebtor(input: { kind: PERSON, legalName: "In Flight" }) { id legalName } }` });
      const half = Math.floor(body.length / 2);

      // Start a request and stop half way through its body: the server has it in flight.
      const started = new Promise<void>((resolve) => s.app.server.once('request', () => resolve()));
      const url = new URL('/graphql', s.url);
      let finish!: () => void;
      const response = new Promise<RawResponse>((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', agent: false, headers: { authorization: `Bearer ${st.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => {
              const text = Buffer.concat(parts).toString('utf8');
              resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
            });
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, half));
        finish = () => req.end(body.slice(half));
      });
      await started;

      let closed = false;
      const closing = s.app.close().then(() => {
        closed = true;
      });

      // New connections are refused while the in-flight request is still open.
      const refused = await new Promise<string>((resolve) => {
        const sock = connect(Number(new URL(s.url).port), '127.0.0.1');
        sock.once('connect', () => {
          sock.destroy();
          resolve('connected');
        });
        sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      expect(closed).toBe(false);

      finish();
      const res = await response;
      expect(res.status).toBe(200);
      expect(res.json().data.createDebtor.legalName).toBe('In Flight');
      await closing;
      expect(closed).toBe(true);

      // The write it made is committed.
      const rows = await s.db.admin.query<{ n: number }>('select count(*)::int as n from debtors where tenant_id = $1', [st.id]);
      expect(Number(rows[0]!.n)).toBe(1);
    } finally {
      if (s.app.server.listening) await s.app.close().catch(() => {});
      await s.db.drop();
      dropped = true;
    }
    expect(dropped).toBe(true);
  });
});
