import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql as dsql, type SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { buildApp, type App } from '../src/app.js';
import { parseConfig, type Config } from '../src/config/env.js';
import { openPglite, openPostgres, type Database } from '../src/db/client.js';
import { createLogger } from '../src/shared/logger.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import type { Clock } from '../src/shared/clock.js';

/** Set by CI for the second run: the same suite against a real PostgreSQL server. */
export const PG_URL = process.env.TEST_DATABASE_URL;
export const engine: 'postgres' | 'pglite' = PG_URL ? 'postgres' : 'pglite';

export const PLATFORM_TOKEN = 'test-platform-token-' + 'x'.repeat(16);

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data: T | null;
  errors: { message: string; path?: (string | number)[]; extensions: Record<string, any> }[] | undefined;
  headers: Headers;
}

export type AdminQuery = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface TestDatabase {
  database: Database;
  /** A connection as the server's superuser (the owner): for tests that must step around the app role. */
  admin: {
    query: AdminQuery;
    /**
     * Runs `fn` inside one transaction on one connection, as the superuser: committed when `fn` resolves,
     * rolled back when it throws. Use it for anything that must share a session (set_config(..., true),
     * `set local`). On PGlite it holds the database's queue, so no request interleaves with it.
     */
    transaction<T>(fn: (q: AdminQuery) => Promise<T>): Promise<T>;
  };
  drop(): Promise<void>;
  /** PostgreSQL only: the fresh database's URL, so a second app instance can open its own pool on it. */
  url?: string;
}

/** `text` with $1..$n placeholders as a drizzle SQL object (PGlite transactions run through drizzle). */
function drizzleSql(text: string, params: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return dsql.join(parts.map((p, i) => (i % 2 === 0 ? dsql.raw(p) : dsql`${params[Number(p) - 1]}`)));
}

/**
 * PGlite: borrow a tenant transaction (which holds the single connection's queue), then drop back to the
 * connecting superuser with no tenant set, so `fn` starts exactly where an admin transaction would.
 */
function pgliteTransaction(database: Database) {
  return <T>(fn: (q: AdminQuery) => Promise<T>): Promise<T> =>
    database.tenant({ tenantId: '00000000-0000-0000-0000-000000000000' }, async (tx) => {
      const q: AdminQuery = async (text, params = []) => {
        const res = (await tx.execute(drizzleSql(text, params))) as unknown as { rows: never[] };
        return res.rows;
      };
      await q(`select set_config('role', 'none', true), set_config('app.tenant_id', '', true), set_config('app.agency_id', '', true), set_config('app.portfolio_ids', '', true)`);
      return fn(q);
    });
}

/** A fresh, migrated database: in-memory PGlite, or a throwaway database on the PostgreSQL server. */
export async function freshDatabase(): Promise<TestDatabase> {
  if (!PG_URL) {
    const database = await openPglite();
    await database.migrate();
    return {
      database,
      admin: { query: (s, p) => database.query(s, p) as never, transaction: pgliteTransaction(database) },
      drop: () => database.close(),
    };
  }
  const name = `arrears_test_${randomBytes(6).toString('hex')}`;
  const root = postgres(PG_URL, { max: 1, onnotice: () => {} });
  await root.unsafe(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const database = openPostgres({ url: url.toString(), poolSize: 8 });
  await database.migrate();
  const adminSql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  return {
    database,
    url: url.toString(),
    admin: {
      query: async (s, p = []) => (await adminSql.unsafe(s, p as never[])) as never,
      async transaction(fn) {
        const conn = await adminSql.reserve();
        try {
          await conn.unsafe('begin');
          let result;
          try {
            result = await fn(async (s, p = []) => (await conn.unsafe(s, p as never[])) as never);
          } catch (err) {
            await conn.unsafe('rollback');
            throw err;
          }
          await conn.unsafe('commit');
          return result;
        } finally {
          conn.release();
        }
      },
    },
    async drop() {
      await database.close();
      await adminSql.end();
      await root.unsafe(`drop database if exists ${name} with (force)`);
      await root.end();
    },
  };
}

export interface Harness {
  app: App;
  url: string;
  db: TestDatabase;
  config: Config;
  /** Every log line the app wrote, as text. */
  logs: string[];
  gql<T = Record<string, any>>(auth: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResult<T>>;
  /** A new tenant through the platform API, with its admin key (all scopes). */
  tenant(name?: string): Promise<TestTenant>;
  close(): Promise<void>;
}

export interface TestTenant {
  id: string;
  key: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  /** Creates another key on this tenant with the given scopes. */
  keyWith(scopes: string[], extra?: { expiresAt?: string }): Promise<{ id: string; key: string }>;
}

export async function startHarness(opts: { clock?: Clock; env?: Record<string, string> } = {}): Promise<Harness> {
  const db = await freshDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  // Tenants without a subscription get the enterprise plan here, so suites about other modules meet no plan
  // limit; the billing suites choose their own plans and limits.
  const config = parseConfig({ NODE_ENV: 'test', PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '2000', BILLING_DEFAULT_PLAN: 'enterprise', ...opts.env });
  const logger = createLogger(config.LOG_LEVEL, sink);
  const pii = new PiiCipher({ id: 'test1', key: randomBytes(32) });
  const app = await buildApp({ config, database: db.database, logger, pii, clock: opts.clock });
  const url = await app.listen(0, '127.0.0.1');

  async function gql<T>(auth: string | null, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResult<T>> {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: GqlResult<T>['errors'] };
    return { status: res.status, data: body.data ?? null, errors: body.errors, headers: res.headers };
  }

  async function tenant(name = 'Tenant ' + randomBytes(3).toString('hex')): Promise<TestTenant> {
    const r = await gql<{ createTenant: { tenant: { id: string }; initialKey: { secret: string } } }>(
      PLATFORM_TOKEN,
      `mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } initialKey { secret } } }`,
      { input: { name } },
    );
    if (!r.data) throw new Error('createTenant failed: ' + JSON.stringify(r.errors));
    const key = r.data.createTenant.initialKey.secret;
    const t: TestTenant = {
      id: r.data.createTenant.tenant.id,
      key,
      gql: (q, v) => gql(key, q, v),
      async keyWith(scopes, extra = {}) {
        const k = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
          key,
          `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
          { input: { name: `key ${scopes.join('+')}`, scopes, ...extra } },
        );
        if (!k.data) throw new Error('createApiKey failed: ' + JSON.stringify(k.errors));
        return { id: k.data.createApiKey.apiKey.id, key: k.data.createApiKey.secret };
      },
    };
    return t;
  }

  return {
    app,
    url,
    db,
    config,
    logs,
    gql,
    tenant,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** The one error a result must carry, with its code. */
export function errorOf(r: GqlResult): { code: string; message: string; field?: string; ext: Record<string, any> } {
  const e = r.errors?.[0];
  if (!e) throw new Error('expected an error, got ' + JSON.stringify(r.data));
  return { code: e.extensions.code, message: e.message, field: e.extensions.field, ext: e.extensions };
}
