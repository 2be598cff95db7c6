/**
 * npm run bench:api — what the tenant transaction and the GraphQL layer cost, measured against bare
 * node:http + postgres.js handlers running the same SELECT, all in one run against the local PostgreSQL.
 *
 *   a  bare            node:http + postgres.js, one SELECT as the connecting superuser, no transaction
 *   b  bare tenant tx  node:http + postgres.js, sql.begin: BEGIN, set_config, SELECT, COMMIT, each awaited
 *   c  pipelined tx    node:http + Database.tenant() (src/db/client.ts) + debtorRepository.list (drizzle)
 *   d  GraphQL list    the real app: debtors(first: 20) { edges { node { id displayName } } } with an API key
 *   e  GraphQL by id   the real app: debtor(id) { id displayName }, rate limited per key: counted in PostgreSQL
 *                      by the key lookup's own statement (a limit set so high nothing is refused)
 *   e0                 e with RATE_LIMIT_STORE=off: the baseline for what limits and rate limiting cost
 *   e1                 e with the counters in Redis (skipped when Redis does not answer)
 *   c2                 c with DATABASE_PREPARED_STATEMENTS=false (unnamed statements: parse + describe first)
 *
 * Prints figures; asserts nothing about them. Each scenario gets 10 s measured at 32 connections, run as two
 * interleaved rounds of 5 s (after a warm-up) so that load from anything else on the machine hits all
 * scenarios alike; alongside req/s it prints the server's CPU time per response, which such load doesn't move.
 *
 * Process layout: every server under test runs in this process (one at a time is loaded) and autocannon
 * runs in a forked child (bench-load-worker.ts). A load generator sharing the server's event loop would
 * serialise client and server work on one core: throughput would be roughly halved and every latency
 * would include the generator's own queueing. As separate processes the OS can put them on the two cores
 * (PostgreSQL's backends compete for the same two, identically for every scenario, so the ratios stay
 * comparable). The servers stay in this process so one place owns the database's lifetime and drops it.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { tcpReachable } from '../src/shared/network.js';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/env.js';
import { openPostgres, type Database } from '../src/db/client.js';
import { APP_ROLE } from '../src/db/columns.js';
import { debtorRepository, type DebtorListFilter } from '../src/modules/debtors/debtor.repository.js';
import { debtors } from '../src/modules/debtors/debtor.table.js';
import { SCOPES, systemActor, type Actor } from '../src/modules/tenancy/principal.js';
import { createLogger } from '../src/shared/logger.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { DebtorGenerator } from './bench-data.js';
import { LoadWorker } from './bench-load-client.js';
import type { LoadRequest } from './bench-load-worker.js';
import { fmt, runBench, seconds, table } from './bench-util.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = 10; // measured per scenario, split over ROUNDS
const ROUNDS = 2;
const POOL = 10; // every postgres.js client below, the app's included
const DEBTORS = 1000;
const PAGE = 20;

/** Same statement as Database.tenant() sends (src/db/client.ts); not exported there. */
const CONTEXT_SQL = `select set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('app.agency_id', $3, true), set_config('app.portfolio_ids', $4, true)`;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    // Drain the request, then answer; a failure is a 500 (autocannon counts it as non-2xx).
    req.resume();
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

function sendPage(res: ServerResponse, nodes: { id: string; displayName: string }[]): void {
  // The shape the GraphQL list returns, so every handler serialises a comparable body.
  const body = JSON.stringify({ data: { debtors: { edges: nodes.map((node) => ({ node })) } } });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Busy and total jiffies of the whole machine (Linux), to show how much of it the run had. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((x, y) => x + y, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

await runBench('bench-api', 4 * 60_000, async (tdb) => {
  const started = performance.now();
  const closers: (() => Promise<unknown> | void)[] = [];
  try {
    // ---- database, app, tenant, debtors -----------------------------------------------------------------
    const appDb: Database = openPostgres({ url: tdb.url, poolSize: POOL });
    closers.push(() => appDb.close());
    await appDb.migrate();

    const platformToken = randomBytes(24).toString('base64url');
    // Rate limiting on, with a limit no run reaches: every request is counted (in the key lookup's statement on
    // PostgreSQL) and judged, none refused. The same app with RATE_LIMIT_STORE=off is e0's baseline, and with
    // Redis e1's (when Redis answers at REDIS_URL, default redis://127.0.0.1:6379).
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: tdb.url,
      LOG_LEVEL: 'warn',
      PLATFORM_ADMIN_TOKEN: platformToken,
      HOST: '127.0.0.1',
      BILLING_PLANS: JSON.stringify({ free: { limits: { apiRequestsPerMinute: 1_000_000_000 } } }),
    };
    const pii = new PiiCipher({ id: 'bench', key: randomBytes(32) });
    const config = parseConfig({ ...env, RATE_LIMIT_STORE: 'postgres' });
    const app = await buildApp({ config, database: appDb, logger: createLogger('warn'), pii });
    const appUrl = await app.listen(0, '127.0.0.1');
    closers.push(() => app.close());
    const startVariant = async (extra: Record<string, string>) => {
      const db = openPostgres({ url: tdb.url, poolSize: POOL });
      closers.push(() => db.close());
      const v = await buildApp({ config: parseConfig({ ...env, ...extra }), database: db, logger: createLogger('warn'), pii });
      const url = await v.listen(0, '127.0.0.1');
      closers.push(() => v.close());
      return url;
    };
    const offUrl = await startVariant({ RATE_LIMIT_STORE: 'off' });
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redisUp = await tcpReachable(new URL(redisUrl).hostname, Number(new URL(redisUrl).port || 6379));
    const redisAppUrl = redisUp ? await startVariant({ RATE_LIMIT_STORE: 'redis', REDIS_URL: redisUrl }) : null;

    const platform: Actor = { principal: { kind: 'platform', tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
    const { tenant, key } = await app.services.tenancy.createTenant(platform, { name: 'Bench Lending Co.', timeZone: 'Asia/Shanghai' });
    const tenantId = tenant.id;
    const actor = systemActor(tenantId, 'bench-seed');
    const gen = new DebtorGenerator(7);
    let claimed = 0;
    let rejected = 0;
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (claimed < DEBTORS) {
          claimed++;
          for (;;) {
            try {
              ids.push((await app.services.debtors.create(actor, gen.next().fields)).id);
              break;
            } catch {
              rejected++; // generated data the validator refuses (e.g. an implausible phone): draw another
            }
          }
        }
      }),
    );
    const seeded = performance.now();
    console.log(`setup: database ${tdb.name}, migrated, ${ids.length} debtors seeded through DebtorService.create (${rejected} generated rows refused by validation) in ${seconds(seeded - started)}`);

    // ---- the bare handlers' statement ------------------------------------------------------------------
    const filter: DebtorListFilter = { search: null, tags: [], flags: [], archived: false };
    // The exact statement debtorRepository.list issues for { archived: false }, created_desc, first 20 (+1).
    const listSql = drizzle.mock()
      .select()
      .from(debtors)
      .where(and(eq(debtors.tenantId, tenantId), isNull(debtors.archivedAt)))
      .orderBy(desc(debtors.id))
      .limit(PAGE + 1)
      .toSQL();
    const listParams = listSql.params as (string | number)[];

    // a: bare
    const sqlA = postgres(tdb.url, { max: POOL, onnotice: () => {} });
    closers.push(() => sqlA.end({ timeout: 5 }));
    type ListRow = { id: string; display_name: string };
    const a = await listen(async (_req, res) => {
      const rows = await sqlA.unsafe<ListRow[]>(listSql.sql, listParams);
      sendPage(res, rows.slice(0, PAGE).map((r) => ({ id: r.id, displayName: r.display_name })));
    });
    closers.push(() => new Promise((r) => a.server.close(r)));

    // b: bare tenant transaction, the naive way: four awaited round trips
    const sqlB = postgres(tdb.url, { max: POOL, onnotice: () => {} });
    closers.push(() => sqlB.end({ timeout: 5 }));
    const b = await listen(async (_req, res) => {
      const rows = await sqlB.begin(async (tx) => {
        await tx.unsafe(CONTEXT_SQL, [APP_ROLE, tenantId, '', '']);
        return tx.unsafe<ListRow[]>(listSql.sql, listParams);
      });
      sendPage(res, rows.slice(0, PAGE).map((r) => ({ id: r.id, displayName: r.display_name })));
    });
    closers.push(() => new Promise((r) => b.server.close(r)));

    // c: pipelined tenant transaction through our Database and the real repository call
    const dbC = openPostgres({ url: tdb.url, poolSize: POOL });
    closers.push(() => dbC.close());
    const c = await listen(async (_req, res) => {
      const rows = await dbC.tenant({ tenantId }, (tx) => debtorRepository.list(tx, tenantId, filter, 'created_desc', PAGE + 1, null));
      sendPage(res, rows.slice(0, PAGE).map((r) => ({ id: r.id, displayName: r.displayName })));
    });
    closers.push(() => new Promise((r) => c.server.close(r)));

    // c2: c without prepared statements (DATABASE_PREPARED_STATEMENTS=false, for poolers that cannot keep
    // them): every statement with parameters is sent as parse + describe, then bind + execute after the reply.
    const dbC2 = openPostgres({ url: tdb.url, poolSize: POOL, prepare: false });
    closers.push(() => dbC2.close());
    const c2 = await listen(async (_req, res) => {
      const rows = await dbC2.tenant({ tenantId }, (tx) => debtorRepository.list(tx, tenantId, filter, 'created_desc', PAGE + 1, null));
      sendPage(res, rows.slice(0, PAGE).map((r) => ({ id: r.id, displayName: r.displayName })));
    });
    closers.push(() => new Promise((r) => c2.server.close(r)));

    // d, e: the app
    const gqlHeaders = { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` };
    const listBody = JSON.stringify({ query: `{ debtors(first: ${PAGE}) { edges { node { id displayName } } } }` });
    const oneId = ids[Math.floor(ids.length / 2)]!;
    const oneBody = JSON.stringify({ query: 'query One($id: ID!) { debtor(id: $id) { id displayName } }', variables: { id: oneId } });
    const gqlUrl = `${appUrl}/graphql`;

    // ---- sanity: every target answers, and a–d return the same page -------------------------------------
    const pageIds = async (url: string, init?: RequestInit): Promise<string[]> => {
      const res = await fetch(url, init);
      const json = (await res.json()) as { data?: { debtors?: { edges: { node: { id: string } }[] } }; errors?: unknown };
      if (res.status !== 200 || !json.data?.debtors) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
      return json.data.debtors.edges.map((e) => e.node.id);
    };
    const pages = await Promise.all([
      pageIds(a.url),
      pageIds(b.url),
      pageIds(c.url),
      pageIds(c2.url),
      pageIds(gqlUrl, { method: 'POST', headers: gqlHeaders, body: listBody }),
    ]);
    const reference = JSON.stringify(pages[0]);
    if (pages[0]!.length !== PAGE || pages.some((p) => JSON.stringify(p) !== reference)) throw new Error(`handlers disagree on the page: ${JSON.stringify(pages.map((p) => p.length))}`);
    for (const u of [gqlUrl, `${offUrl}/graphql`, ...(redisAppUrl ? [`${redisAppUrl}/graphql`] : [])]) {
      const res = await fetch(u, { method: 'POST', headers: gqlHeaders, body: oneBody });
      const one = (await res.json()) as { data?: { debtor?: { id: string } } };
      if (one.data?.debtor?.id !== oneId) throw new Error(`debtor(id) at ${u} answered ${JSON.stringify(one).slice(0, 300)}`);
      const limited = res.headers.get('ratelimit-limit') !== null;
      if (limited !== (u !== `${offUrl}/graphql`)) throw new Error(`${u}: rate limiting ${limited ? 'on' : 'off'}, expected the opposite`);
    }
    console.log(`sanity: a, b, c, c2 and d return the same ${PAGE} debtors; e, e0${redisAppUrl ? ', e1' : ''} return debtor ${oneId}, with RateLimit headers except e0${redisAppUrl ? '' : ' (Redis not reachable: e1 skipped)'}`);

    // ---- load ---------------------------------------------------------------------------------------------
    const worker = new LoadWorker();
    closers.push(() => worker.stop());
    // BENCH_SCENARIOS=a,c,d runs a subset (the ratios needing a missing one print '-').
    const only = process.env.BENCH_SCENARIOS?.split(',').map((x) => x.trim());
    const target = (url: string, method: 'GET' | 'POST' = 'GET', body?: string) => ({ url, method, headers: method === 'POST' ? gqlHeaders : {}, body });
    const allScenarios = [
      { key: 'a', label: 'a bare SELECT (superuser, no tx)', ...target(a.url) },
      { key: 'b', label: 'b bare tenant tx (4 awaited trips)', ...target(b.url) },
      { key: 'c', label: 'c Database.tenant() + repository', ...target(c.url) },
      { key: 'd', label: 'd GraphQL debtors(first: 20)', limits: 'postgres', ...target(gqlUrl, 'POST', listBody) },
      { key: 'e', label: 'e GraphQL debtor(id)', limits: 'postgres', ...target(gqlUrl, 'POST', oneBody) },
      { key: 'e0', label: 'e0 e, rate limiting off', limits: 'off', ...target(`${offUrl}/graphql`, 'POST', oneBody) },
      ...(redisAppUrl ? [{ key: 'e1', label: 'e1 e, counters in Redis', limits: 'redis', ...target(`${redisAppUrl}/graphql`, 'POST', oneBody) }] : []),
      { key: 'c2', label: 'c2 c without prepared stmts', ...target(c2.url) },
    ];
    const scenarios = allScenarios.filter((x) => !only || only.includes(x.key));

    // The scenarios run interleaved, in ROUNDS rounds of DURATION_S / ROUNDS seconds each, and their samples
    // are pooled: on a machine where other work comes and goes, every scenario then sees a similar mix of it.
    interface Acc { completed: number; seconds: number; latencies: number[]; bad: number; serverCpu: number; loadgenCpu: number; machineBusy: number; machineTotal: number }
    const acc = new Map<string, Acc>(scenarios.map((x) => [x.key, { completed: 0, seconds: 0, latencies: [], bad: 0, serverCpu: 0, loadgenCpu: 0, machineBusy: 0, machineTotal: 0 }]));
    const cores = cpus().length;
    console.log(`load average before the runs: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cores} cores)`);
    for (let round = 0; round < ROUNDS; round++) {
      // Odd rounds run the scenarios in reverse, so none always runs first (cold) or right after a heavy one.
      for (const sc of round % 2 ? [...scenarios].reverse() : scenarios) {
        const warmupSeconds = round === 0 ? WARMUP_S : 1;
        const req: Omit<LoadRequest, 'id'> = { url: sc.url, method: sc.method, headers: sc.headers, body: sc.body, connections: CONNECTIONS, warmupSeconds, durationSeconds: DURATION_S / ROUNDS, returnLatencies: true };
        const m0 = machineCpu();
        const p0 = process.cpuUsage();
        const r = await worker.run(req);
        const p = process.cpuUsage(p0);
        const m1 = machineCpu();
        const x = acc.get(sc.key)!;
        x.completed += r.completed;
        x.seconds += r.seconds;
        for (const l of r.latencies ?? []) x.latencies.push(l);
        x.bad += r.non2xx + r.errors + r.timeouts;
        // This process serves only the scenario under load; its CPU over warm-up + run, pro-rated to the run.
        x.serverCpu += ((p.user + p.system) / 1e6) * (r.seconds / (r.seconds + warmupSeconds));
        x.loadgenCpu += r.cpuSeconds;
        x.machineBusy += m1.busy - m0.busy;
        x.machineTotal += m1.total - m0.total;
      }
      console.log(`  round ${round + 1}/${ROUNDS} done`);
    }
    const results = new Map(
      [...acc].map(([k, x]) => {
        const sorted = Float64Array.from(x.latencies).sort();
        const pct = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]! : NaN);
        return [k, { rps: x.completed / x.seconds, p50: pct(50), p90: pct(90), p99: pct(99), max: sorted[sorted.length - 1] ?? NaN, ...x }];
      }),
    );

    const rows = scenarios.map((sc) => {
      const r = results.get(sc.key)!;
      return [
        sc.label, 'limits' in sc ? String(sc.limits) : '-', fmt(r.rps, 0), fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.max), String(r.bad),
        fmt((1000 * r.serverCpu) / r.completed), `${fmt((100 * r.serverCpu) / r.seconds, 0)}%`, `${fmt((100 * r.loadgenCpu) / r.seconds, 0)}%`, `${fmt((100 * r.machineBusy) / r.machineTotal, 0)}%`,
      ];
    });
    console.log(`\n${CONNECTIONS} connections; ${ROUNDS} interleaved rounds of ${DURATION_S / ROUNDS} s measured per scenario (${DURATION_S} s in all, after ${WARMUP_S} s / 1 s warm-ups); postgres.js pools of ${POOL}; ${ids.length} debtors; node ${process.version}`);
    console.log(table(['scenario', 'rate limits', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx/err', 'server cpu ms/req', 'server cpu', 'loadgen cpu', 'machine busy'], rows));
    console.log(`(server cpu ms/req: CPU time this process spent per response, PostgreSQL's excluded; it doesn't depend on what else the machine runs, unlike req/s.\n server/loadgen cpu: share of one core; machine busy: share of all ${cores} cores, anything else running on the machine included)`);
    const rps = (k: string) => results.get(k)?.rps ?? NaN;
    const cpuPerReq = (k: string) => { const r = results.get(k); return r ? r.serverCpu / r.completed : NaN; };
    const ratio = (x: string, y: string, aim?: string) => [`${x}/${y}`, fmt(rps(x) / rps(y)), fmt(cpuPerReq(y) / cpuPerReq(x)), aim ?? ''];
    console.log(
      '\n' +
        table(
          ['ratio', 'req/s', 'cpu/req (inverse)', 'aim (req/s)'],
          [
            ratio('c', 'a', '>= 0.70'),
            ratio('b', 'a'),
            ratio('c', 'b'),
            ratio('d', 'c'),
            ratio('d', 'b', '>= 0.50'),
            ratio('e', 'c'),
            ratio('e', 'e0', '>= 0.90 (at most one round trip)'),
            ratio('e1', 'e0', '>= 0.90 (one round trip to Redis)'),
            ratio('c2', 'a'),
            ratio('c2', 'c'),
            ratio('d', 'c2'),
          ],
        ),
    );
    console.log(`p99 of d at ${CONNECTIONS} connections: ${fmt(results.get('d')?.p99 ?? NaN)} ms (aim < 50 ms)`);
    console.log(`\ntotal ${seconds(performance.now() - started)}`);
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        /* closing is best effort; the database is dropped regardless */
      }
    }
  }
});
