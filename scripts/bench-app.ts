import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../src/app.js';
import { parseConfig } from '../src/config/env.js';
import { openPostgres } from '../src/db/client.js';
import { SCOPES, systemActor, type Actor, type TenantActor } from '../src/modules/tenancy/principal.js';
import type { Services } from '../src/services.js';
import { createLogger } from '../src/shared/logger.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import type { LoadWorker } from './bench-load-client.js';
import type { LoadRequest } from './bench-load-worker.js';
import type { ThrowawayDatabase } from './bench-util.js';

export type Closers = (() => Promise<unknown> | void)[];

export interface BenchApp {
  app: App;
  url: string;
  services: Services;
  tenantId: string;
  /** The tenant's first admin key. */
  key: string;
  /** For seeding through the services. */
  actor: TenantActor;
}

/** The real app (production config) on the throwaway database, migrated, with one tenant. */
export async function startBenchApp(tdb: ThrowawayDatabase, closers: Closers, poolSize: number, tenantName: string): Promise<BenchApp> {
  const database = openPostgres({ url: tdb.url, poolSize });
  closers.push(() => database.close());
  await database.migrate();
  const config = parseConfig({ NODE_ENV: 'production', DATABASE_URL: tdb.url, LOG_LEVEL: 'warn', PLATFORM_ADMIN_TOKEN: randomBytes(24).toString('base64url'), HOST: '127.0.0.1', RATE_LIMIT_STORE: 'off' });
  const app = await buildApp({ config, database, logger: createLogger('warn'), pii: new PiiCipher({ id: 'bench', key: randomBytes(32) }) });
  const url = await app.listen(0, '127.0.0.1');
  closers.push(() => app.close());
  const platform: Actor = { principal: { kind: 'platform', tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
  const { tenant, key } = await app.services.tenancy.createTenant(platform, { name: tenantName, timeZone: 'Asia/Shanghai' });
  // Benchmarks measure the work, not the plan: no limit on what they create.
  await app.services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
  return { app, url, services: app.services, tenantId: tenant.id, key: key.secret, actor: systemActor(tenant.id, 'bench-seed') };
}

export interface Scenario {
  key: string;
  label: string;
  request: Omit<LoadRequest, 'id' | 'warmupSeconds' | 'durationSeconds' | 'returnLatencies'>;
}

export interface ScenarioResult {
  rps: number;
  p50: number;
  p99: number;
  /** non-2xx, socket errors, timeouts and (with varying bodies) 2xx carrying GraphQL errors */
  bad: number;
  /** CPU time of this process (the server) per response, ms */
  cpuMs: number;
}

/**
 * Runs the scenarios interleaved, in `rounds` rounds of durationS / rounds seconds each, and pools their
 * samples: on a machine where other work comes and goes, every scenario sees a similar mix of it.
 */
export async function runInterleaved(worker: LoadWorker, scenarios: Scenario[], opts: { rounds: number; durationS: number; warmupS: number }): Promise<Map<string, ScenarioResult>> {
  const acc = new Map(scenarios.map((x) => [x.key, { completed: 0, seconds: 0, bad: 0, latencies: [] as number[], cpu: 0 }]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const sc of scenarios) {
      const warmupSeconds = round === 0 ? opts.warmupS : 1;
      const c0 = process.cpuUsage();
      const r = await worker.run({ ...sc.request, warmupSeconds, durationSeconds: opts.durationS / opts.rounds, returnLatencies: true });
      const c = process.cpuUsage(c0);
      const x = acc.get(sc.key)!;
      x.completed += r.completed;
      x.seconds += r.seconds;
      x.bad += r.non2xx + r.errors + r.timeouts + (r.graphqlErrors ?? 0);
      for (const l of r.latencies ?? []) x.latencies.push(l);
      // This process serves only the scenario under load; its CPU over warm-up + run, pro-rated to the run.
      x.cpu += ((c.user + c.system) / 1e6) * (r.seconds / (r.seconds + warmupSeconds));
    }
    console.log(`  round ${round + 1}/${opts.rounds} done`);
  }
  return new Map(
    [...acc].map(([k, x]) => {
      const sorted = Float64Array.from(x.latencies).sort();
      const pct = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]! : NaN);
      return [k, { rps: x.completed / x.seconds, p50: pct(50), p99: pct(99), bad: x.bad, cpuMs: (1000 * x.cpu) / x.completed }];
    }),
  );
}

export async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch {
      /* best effort; the database is dropped regardless */
    }
  }
}
