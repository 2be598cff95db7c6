import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql as dsql, type Logger, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePostgres, PostgresJsDatabase, PostgresJsSession } from 'drizzle-orm/postgres-js';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { isUuid } from '../shared/ids.js';
import { APP_ROLE } from './columns.js';
import { migrationsFolder } from './paths.js';

/** A drizzle handle bound to one open transaction. Repositories receive this, never a pool. */
export type Tx = PgDatabase<PgQueryResultHKT>;

export interface TenantScope {
  tenantId: string;
  /** Set for agency sessions: policies on portfolio-scoped tables admit only granted portfolios. */
  agencyId?: string | null;
  /** Set for portfolio-scoped principals: a restrictive policy hides every other portfolio's accounts. */
  portfolioIds?: readonly string[] | null;
}

function portfolioSetting(scope: TenantScope): string {
  return scope.portfolioIds == null ? '' : `{${scope.portfolioIds.join(',')}}`;
}

export type Row = Record<string, unknown>;

/** Statements a transaction runs last, sent with its COMMIT (see atCommit). */
const finalStatements = new WeakMap<object, SQL[]>();

/**
 * Runs `statement` as the last statement of the transaction `tx` (opened by Database.tenant), sent together
 * with COMMIT so that any lock it takes is held only while the server runs the two. Its failure rolls the
 * transaction back (COMMIT in a failed transaction is a rollback) and is thrown by Database.tenant.
 */
export function atCommit(tx: Tx, statement: SQL): void {
  const list = finalStatements.get(tx);
  if (!list) throw new Error('atCommit needs a transaction opened by Database.tenant');
  list.push(statement);
}

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction as the app role with the tenant context set. The role and settings are
   * transaction-local (set_config(..., true)), so a pooled connection carries nothing to the next request.
   */
  tenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** One statement as the connecting role, outside any tenant context: key lookup, health, migrations. */
  query<T extends Row = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** Statements executed since open (tests assert on deltas; no per-query cost beyond an increment). */
  readonly stats: { statements: number };
  /** Applies pending migrations as the connecting role. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}


/**
 * BEGIN and the context as one simple-protocol message. Without parameters postgres.js sends it at once
 * (a parameterised statement would first wait for a Describe round trip), so it travels in the same
 * packet as the transaction's first real statement. The values are inlined, so they are checked to be
 * UUIDs (they come from authentication, never from a client's text) and the role is a constant.
 */
export function contextPrelude(scope: TenantScope): string {
  const ids = [scope.tenantId, ...(scope.agencyId ? [scope.agencyId] : []), ...(scope.portfolioIds ?? [])];
  for (const id of ids) if (!isUuid(id)) throw new Error('tenant context ids must be UUIDs');
  return (
    `begin; select set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', '${scope.tenantId}', true), ` +
    `set_config('app.agency_id', '${scope.agencyId ?? ''}', true), set_config('app.portfolio_ids', '${portfolioSetting(scope)}', true), ` +
    // Prepared statements save the parse round trip, not the planning: a generic plan chosen once for every
    // tenant's parameters could suit one tenant's data and not another's.
    `set_config('plan_cache_mode', 'force_custom_plan', true)`
  );
}

function countingLogger(stats: { statements: number }): Logger {
  return {
    logQuery() {
      stats.statements++;
    },
  };
}

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** Named prepared statements (default true); see DATABASE_PREPARED_STATEMENTS. */
  prepare?: boolean;
}

/**
 * drizzle runs unnamed statements (it asks postgres.js for `prepare: false` unless a query is given a name),
 * and postgres.js sends an unnamed statement with parameters as parse + describe, waits for the reply, then
 * binds and executes: two round trips per statement, and nothing can be pipelined behind it. A named prepared
 * statement is described once per connection and then costs one round trip. The statements are the
 * application's own SQL texts, so each connection keeps a bounded set.
 */
function preparing(client: postgres.Sql, prepare: boolean): postgres.Sql {
  if (!prepare) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'unsafe') return Reflect.get(target, prop, receiver);
      return (text: string, params?: unknown[], options?: Record<string, unknown>) =>
        target.unsafe(text, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
    },
  });
}

export function openPostgres(opts: PostgresOptions): Database {
  const client = postgres(opts.url, {
    max: opts.poolSize,
    // Keep numeric/bigint as strings; money never passes through a JS number.
    types: {},
    onnotice: () => {},
    connection: { application_name: 'arrears' },
  });
  // Registers drizzle's type parsers on the shared client options (reserved connections share them).
  const ownerDb = drizzlePostgres(client);
  const dialect = new PgDialect();
  const stats = { statements: 0 };
  const logger = countingLogger(stats);

  return {
    kind: 'postgres',
    stats,
    async tenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
      const reserved = preparing(await client.reserve(), opts.prepare ?? true) as postgres.ReservedSql;
      // BEGIN and the context are sent without waiting for their replies: postgres.js pipelines them with
      // the first statement of `fn`, so a tenant transaction costs one round trip more than a bare query
      // (the COMMIT), not three. Should either fail, every later statement on this connection fails with
      // "current transaction is aborted" and the commit below becomes a rollback: nothing runs unscoped.
      let prelude: Promise<unknown>;
      try {
        prelude = Promise.resolve(reserved.unsafe(contextPrelude(scope)).execute());
      } catch (err) {
        reserved.release();
        throw err;
      }
      stats.statements += 2;
      prelude.catch(() => {}); // observed below; avoid an unhandled rejection in the meantime
      try {
        const tx = new PostgresJsDatabase(dialect, new PostgresJsSession(reserved, dialect, undefined, { logger }), undefined) as unknown as Tx;
        const finals: SQL[] = [];
        finalStatements.set(tx, finals);
        let result: T;
        try {
          result = await fn(tx);
          await prelude;
        } catch (err) {
          await reserved.unsafe('rollback').catch(() => {});
          stats.statements++;
          throw err;
        }
        // The final statements and COMMIT leave in one write: postgres.js queues them on this connection in
        // order and does not wait for one reply before sending the next.
        const sent = finals.map((q) => {
          const { sql: text, params } = dialect.sqlToQuery(q);
          return reserved.unsafe(text, params as postgres.ParameterOrJSON<never>[]).execute();
        });
        const commit = reserved.unsafe('commit').execute();
        stats.statements += finals.length + 1;
        const outcomes = await Promise.allSettled([...sent, commit]);
        const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failed) throw failed.reason;
        return result;
      } finally {
        reserved.release();
      }
    },
    async query(text, params = []) {
      stats.statements++;
      // postgres.js types its parameter list narrowly; these are plain JSON-able values.
      return (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: opts.prepare ?? true })) as unknown as never;
    },
    async migrate() {
      await migratePostgres(ownerDb, { migrationsFolder: migrationsFolder() });
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * PGlite is one connection in-process: transactions must not interleave, so they go through a queue.
 * `dataDir` undefined means in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir, extensions: { pg_trgm, btree_gin } });
  const stats = { statements: 0 };
  const db = drizzlePglite(client, { logger: countingLogger(stats) });
  let queue: Promise<unknown> = Promise.resolve();
  function serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  }

  return {
    kind: 'pglite',
    stats,
    tenant(scope, fn) {
      return serialize(() =>
        db.transaction(async (tx) => {
          await tx.execute(
            dsql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${scope.tenantId}, true), set_config('app.agency_id', ${scope.agencyId ?? ''}, true), set_config('app.portfolio_ids', ${portfolioSetting(scope)}, true)`,
          );
          const finals: SQL[] = [];
          finalStatements.set(tx, finals);
          const result = await fn(tx as unknown as Tx);
          // One connection, nothing to pipeline with: the final statements simply run last.
          for (const q of finals) await tx.execute(q);
          return result;
        }),
      );
    },
    query(text, params = []) {
      return serialize(async () => {
        stats.statements++;
        const res = await client.query(text, params);
        return res.rows as never;
      });
    },
    migrate() {
      return serialize(() => migratePglite(db, { migrationsFolder: migrationsFolder() }));
    },
    async close() {
      await queue;
      await client.close();
    },
  };
}

/** `tx.execute` returns a RowList on postgres.js and `{ rows }` on PGlite; this gives the rows either way. */
export function rowsOf<T>(result: unknown): T[] {
  const r = result as { rows?: T[] } | T[];
  return Array.isArray(r) ? r : (r.rows ?? []);
}
