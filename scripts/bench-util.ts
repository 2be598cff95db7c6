import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** Where the benchmarks create their throwaway databases (a PostgreSQL server on this machine by default). */
export function serverUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `arrears_bench_<random>`; `drop()` is idempotent and also runs on SIGINT/SIGTERM. */
export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const base = serverUrl();
  const name = `arrears_bench_${randomBytes(5).toString('hex')}`;
  const root = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  await root.unsafe(`create database ${name}`);
  await root.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const r = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      await r.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await r.end({ timeout: 5 });
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: dropping ${name}`);
    void drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { name, url: url.toString(), drop };
}

/**
 * Runs `main` with a hard deadline: past it, the database is dropped and the process exits non-zero, so a
 * wedged benchmark never leaves a database (or this machine's CPUs) behind.
 */
export async function runBench(label: string, deadlineMs: number, main: (db: ThrowawayDatabase) => Promise<void>): Promise<void> {
  const db = await createThrowawayDatabase();
  const timer = setTimeout(() => {
    console.error(`${label}: exceeded ${Math.round(deadlineMs / 1000)} s; dropping ${db.name} and giving up`);
    void db.drop().finally(() => process.exit(3));
  }, deadlineMs);
  let failed = false;
  try {
    await main(db);
  } catch (err) {
    failed = true;
    console.error(`${label} failed:`, err);
  } finally {
    clearTimeout(timer);
    try {
      await db.drop();
      console.log(`dropped database ${db.name}`);
    } catch (err) {
      failed = true;
      console.error(`could not drop ${db.name}:`, err);
    }
  }
  // Pools, trackers and sockets may keep the loop alive; the figures are printed, so leave now.
  process.exit(failed ? 1 : 0);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** A plain-text table with right-aligned numeric columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Labelled lap times for a multi-step load: `step('accounts')` records the time since the previous step. */
export function stepTimer(): { step: (label: string) => void; note: (text: string) => void; summary: () => string } {
  const steps: string[] = [];
  let t = performance.now();
  return {
    step(label) {
      const now = performance.now();
      steps.push(`${label} ${seconds(now - t)}`);
      t = now;
    },
    note: (text) => void steps.push(text),
    summary: () => steps.join(', '),
  };
}

/**
 * Session settings for a bulk load as the owner: more memory for sorts and index builds, and (superuser only)
 * no per-row foreign-key triggers — the generated rows are consistent by construction.
 */
export async function prepareBulkLoad(conn: { unsafe(q: string): PromiseLike<unknown> }): Promise<void> {
  await conn.unsafe(`set maintenance_work_mem = '256MB'`);
  await conn.unsafe(`set work_mem = '64MB'`);
  await Promise.resolve(conn.unsafe(`set session_replication_role = replica`)).catch(() => console.log('  (not superuser: foreign keys checked during the load)'));
}
