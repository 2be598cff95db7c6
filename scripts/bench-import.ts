/**
 * npm run bench:import — the CSV importer and the aging report at scale, on a throwaway PostgreSQL database.
 *
 * 1. Creates arrears_bench_<random> on the local server (BENCH_DATABASE_URL overrides), migrates it, builds
 *    the services (random PII key), creates a tenant through TenancyService and a CNY portfolio through
 *    PortfolioService.
 * 2. Generates a CSV of 100,000 accounts for ~70,000 debtors (some with 2–3 accounts, spread through the
 *    file), mixed Chinese / Latin names (some businesses whose names need CSV quoting), E.164 phones checked
 *    with libphonenumber, some emails, 2-decimal amounts, dates.
 * 3. Times importCsv (what `npm run import` runs) on it twice: the first run creates everything, the second
 *    must find all 100,000 accounts unchanged. Then, time permitting, an atomic run of a 20,000-row file
 *    (fresh references) into a second portfolio.
 * 4. Bulk-loads 1,000,000 more accounts as the owner (INSERT … SELECT generate_series, one ledger entry per
 *    opening component, a payment for 30 % of them, a few reversals) into a third portfolio of the same
 *    tenant, VACUUM ANALYZE, then times PortfolioService.analytics (tenant transaction as the app role;
 *    portfolioRepository.report: one statement over the accounts for the aging and the totals, one over the
 *    ledger for the collections) several times, checks its figures against a reference computed
 *    independently as the owner, and prints EXPLAIN (ANALYZE, BUFFERS) of each statement, rendered by the
 *    repository itself and run in the same tenant context.
 *
 * The machine's load average is printed at the start and the end: timings on a shared 2-core box move with it.
 * 5. Drops the database at the end, on failure, on SIGINT/SIGTERM and past a hard deadline (runBench).
 *
 * Environment: BENCH_IMPORT_ROWS (100000), BENCH_AGING_ACCOUNTS (1000000), BENCH_ANALYTICS_RUNS (7).
 */
import 'reflect-metadata';
import { Rng } from './bench-data.js';
import { randomBytes } from 'node:crypto';
import { createWriteStream, statSync, unlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { isValidPhoneNumber } from 'libphonenumber-js';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { openPostgres, type Tx } from '../src/db/client.js';
import { APP_ROLE } from '../src/db/columns.js';
import { IMPORT_COLUMNS } from '../src/modules/accounts/account-import.service.js';
import { PRODUCT_TYPES } from '../src/modules/accounts/account.table.js';
import { importCsv, type CsvImportResult } from '../src/modules/accounts/csv-import.js';
import { DEFAULT_BUCKETS } from '../src/modules/accounts/delinquency.logic.js';
import { portfolioRepository } from '../src/modules/accounts/portfolio.repository.js';
import type { PortfolioAnalytics } from '../src/modules/accounts/portfolio.service.js';
import { SCOPES, systemActor } from '../src/modules/tenancy/principal.js';
import { buildServices } from '../src/services.js';
import { systemClock } from '../src/shared/clock.js';
import { localDate } from '../src/shared/dates.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { fmt, percentile, prepareBulkLoad, runBench, seconds, stepTimer } from './bench-util.js';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
const ATOMIC_ROWS = Math.min(20_000, ROWS);
const BULK = Number(process.env.BENCH_AGING_ACCOUNTS ?? 1_000_000);
const ANALYTICS_RUNS = Number(process.env.BENCH_ANALYTICS_RUNS ?? 7);
const TIME_ZONE = 'Asia/Shanghai';
const DEADLINE_MS = 12 * 60_000;
/** Past this, optional phases (the atomic run) are skipped so the whole run stays within a few minutes. */
const SOFT_BUDGET_MS = 150_000;

// ---- deterministic data ------------------------------------------------------------------------------

const CN_SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'].concat(['欧阳', '司马', '诸葛', '上官']);
const CN_GIVEN = [...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍鹏辉晶慧斌宇浩凯秀梅琳婷雪峰鑫文博思佳欣怡子轩梓涵一诺浩然雨泽'];
const LATIN_FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'Wei', 'Mei', 'Mohammed', 'Fatima', 'José', 'María', 'François', 'Zoë', 'Søren', 'Åsa', 'Chloé', 'Nguyen Van', 'Olga', 'Dmitri', 'Aiko', 'Kenji'];
const LATIN_LAST = ['Smith', 'Johnson', 'Williams', 'Müller', 'García', 'Fernández', 'Nguyen', "O'Brien", 'Kowalski', 'Dubois', 'Rossi', 'Tan', 'Wong', 'Lee', 'Schmidt', 'Novak', 'Ivanova', 'Sato', 'Okafor', 'da Silva'];
const CN_CITIES = ['深圳市', '上海', '北京', '广州市', '杭州', '成都', '武汉', '南京'];
const CN_BIZ_WORDS = ['华盛', '宏达', '鑫源', '恒通', '天和', '万家', '金鼎', '瑞丰', '东方', '长城'];
const CN_BIZ_KINDS = ['科技有限公司', '贸易有限公司', '物流有限公司', '餐饮管理有限公司', '建材有限公司'];
const LATIN_BIZ = ['Golden Dragon', 'Pacific Rim', 'Blue Harbour', 'Northwind', 'Silk Road', 'Jade Garden', 'Summit', 'Red Lantern'];
const LATIN_BIZ_KINDS = ['Trading Ltd', 'Logistics Co., Ltd', 'Imports, Inc.', '& Sons', 'Holdings (HK) Limited'];
/** Chinese mobile prefixes; every generated number is still checked with libphonenumber below. */
const CN_MOBILE = ['138', '139', '150', '186', '137', '158', '188', '135'];
const EMAIL_DOMAINS = ['qq.com', '163.com', '126.com', 'gmail.com', 'outlook.com', 'example.cn', 'sina.com'];
const PINYIN = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo', 'lin', 'luo'];

interface Debtor {
  ref: string;
  kind: 'person' | 'business';
  name: string;
  email: string;
  phone: string;
}

function makeDebtor(rng: Rng, ref: string, n: number, phoneOffset: number): Debtor {
  const business = rng.chance(0.08);
  const chinese = rng.chance(0.7);
  let name: string;
  if (business) {
    name = chinese
      ? `${rng.pick(CN_CITIES)}${rng.pick(CN_BIZ_WORDS)}${rng.pick(CN_BIZ_WORDS)}${rng.pick(CN_BIZ_KINDS)}`
      : rng.chance(0.1)
        ? `The "${rng.pick(LATIN_BIZ)}" ${rng.pick(LATIN_BIZ_KINDS)}`
        : `${rng.pick(LATIN_BIZ)} ${rng.pick(LATIN_BIZ_KINDS)}`;
  } else if (chinese) {
    name = rng.pick(CN_SURNAMES) + rng.pick(CN_GIVEN) + (rng.chance(0.6) ? rng.pick(CN_GIVEN) : '');
  } else {
    name = `${rng.pick(LATIN_FIRST)} ${rng.pick(LATIN_LAST)}`;
  }
  // +86 1xx then 8 digits: distinct per debtor, every one valid for the Chinese numbering plan.
  const phone = rng.chance(0.85) ? `+86${CN_MOBILE[n % CN_MOBILE.length]}${String((phoneOffset + n) % 100_000_000).padStart(8, '0')}` : '';
  const email = rng.chance(0.4) ? `${rng.pick(PINYIN)}.${rng.pick(PINYIN)}${n}@${rng.pick(EMAIL_DOMAINS)}` : '';
  return { ref, kind: business ? 'business' : 'person', name, email, phone };
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const money = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Writes `rows` accounts for ~0.7 × rows debtors (20 % of debtors with two accounts, 5 % with three), the
 * accounts of one debtor scattered through the file (so they land in different batches). Returns the
 * number of distinct debtors and phones checked.
 */
async function writeCsv(file: string, rows: number, prefix: string, seed: number, phoneOffset: number): Promise<{ debtors: number }> {
  const rng = new Rng(seed);
  const debtorCount = Math.round(rows * 0.7);
  const triples = Math.round(rows * 0.05);
  const doubles = Math.round(rows * 0.2);
  const slots: number[] = [];
  for (let d = 0; d < debtorCount; d++) {
    const k = d < triples ? 3 : d < triples + doubles ? 2 : 1;
    for (let j = 0; j < k; j++) slots.push(d);
  }
  slots.length = Math.min(slots.length, rows);
  while (slots.length < rows) slots.push(slots.length % debtorCount);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const debtors = Array.from({ length: debtorCount }, (_, d) => makeDebtor(rng, `${prefix}D${String(d + 1).padStart(7, '0')}`, d, phoneOffset));
  for (const d of debtors) if (d.phone && !isValidPhoneNumber(d.phone)) throw new Error(`generated an invalid phone number: ${d.phone}`);

  const today = Date.now();
  const out = createWriteStream(file, { encoding: 'utf8' });
  let buf = IMPORT_COLUMNS.join(',') + '\n';
  for (let i = 0; i < rows; i++) {
    const d = debtors[slots[i]!]!;
    const opened = today - rng.int(45, 2500) * DAY_MS;
    const due = Math.min(opened + rng.int(30, 720) * DAY_MS, today + 365 * DAY_MS);
    const chargedOff = rng.chance(0.15) && due + 180 * DAY_MS < today ? isoDay(due + 180 * DAY_MS) : '';
    const principal = 50_000 + Math.floor(rng.next() ** 2 * 20_000_000);
    const interest = rng.chance(0.6) ? Math.floor(principal * rng.next() * 0.2) : 0;
    const fees = rng.chance(0.3) ? rng.int(1_000, 30_000) : 0;
    buf +=
      [
        d.ref,
        d.kind,
        csvField(d.name),
        d.email,
        d.phone,
        `${prefix}A${String(i + 1).padStart(8, '0')}`,
        rng.pick(PRODUCT_TYPES),
        'CNY',
        money(principal),
        interest ? money(interest) : rng.chance(0.5) ? '0.00' : '',
        fees ? money(fees) : '',
        isoDay(opened),
        isoDay(due),
        chargedOff,
      ].join(',') + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return { debtors: debtorCount };
}

// ---- printing ----------------------------------------------------------------------------------------

function describe(r: CsvImportResult): string {
  return `rows ${r.rows}, accounts created ${r.accountsCreated}, unchanged ${r.accountsUnchanged}, debtors created ${r.debtorsCreated}, updated ${r.debtorsUpdated}, failed rows ${r.failed}, errors ${r.errorCount}, written ${r.written}`;
}

function check(label: string, ok: boolean): string {
  return `${label}: ${ok ? 'OK' : 'MISMATCH'}`;
}

const yuan = (minor: bigint) => {
  const neg = minor < 0n;
  const a = neg ? -minor : minor;
  return `${neg ? '-' : ''}${(a / 100n).toLocaleString('en')}.${String(a % 100n).padStart(2, '0')}`;
};

/** The figures analytics returns, as one canonical string per portfolio (for comparing with the reference). */
function canonical(a: PortfolioAnalytics[]): string {
  return a
    .map((p) => [p.portfolio.id, p.accounts, p.placed, p.outstanding, p.collectedInPeriod, p.collectedToDate, ...p.buckets.map((b) => `${b.accounts}/${b.outstanding}`)].join(' '))
    .sort()
    .join('\n');
}

// ---- main --------------------------------------------------------------------------------------------

await runBench('bench:import', DEADLINE_MS, async (tdb) => {
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`database ${tdb.name}; ${ROWS.toLocaleString('en')} CSV rows, ${BULK.toLocaleString('en')} bulk accounts; load average ${load()}`);
  const db = openPostgres({ url: tdb.url, poolSize: 4 });
  const owner = postgres(tdb.url, { max: 1, onnotice: () => {}, types: {} });
  const files: string[] = [];
  let stopTracker: (() => Promise<void>) | null = null;
  try {
    await db.migrate();
    const pii = new PiiCipher({ id: 'bench', key: randomBytes(32) });
    const services = buildServices({ database: db, clock: systemClock, pii, platformAdminToken: undefined, onBackgroundError: (e) => console.error(e) });
    stopTracker = () => services.lastUsed.stop();
    const platform = { principal: { kind: 'platform' as const, tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
    const { tenant } = await services.tenancy.createTenant(platform, { name: 'Bench Lending', timeZone: TIME_ZONE });
    // Benchmarks measure the work, not the plan: no limit on what they create.
    await services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
    const actor = systemActor(tenant.id, 'bench-import', 'bench');
    const portfolio = await services.portfolios.create(actor, { name: 'Imported', currency: 'CNY' });
    console.log(`tenant ${tenant.id} (${TIME_ZONE}), portfolio ${portfolio.id} (CNY); setup ${seconds(elapsed())}\n`);

    // ---- CSV -----------------------------------------------------------------------------------------
    const tag = randomBytes(4).toString('hex');
    const file = join(tmpdir(), `arrears-bench-import-${tag}.csv`);
    files.push(file);
    let t = performance.now();
    const gen = await writeCsv(file, ROWS, '', 1, 0);
    const size = statSync(file).size;
    console.log(`CSV ${file}: ${ROWS.toLocaleString('en')} accounts, ${gen.debtors.toLocaleString('en')} debtors, ${(size / 1024 / 1024).toFixed(1)} MiB (${size.toLocaleString('en')} bytes); generated in ${seconds(performance.now() - t)}`);

    // ---- import, twice -------------------------------------------------------------------------------
    const opts = { file, portfolioId: portfolio.id, atomic: false, encoding: null, delimiter: null };
    t = performance.now();
    const first = await importCsv(db, services.accountImport, actor, opts);
    const firstMs = performance.now() - t;
    console.log(`\nimport #1: ${seconds(firstMs)}, ${Math.round(ROWS / (firstMs / 1000)).toLocaleString('en')} rows/s (aim < 60 s)`);
    console.log(`  ${describe(first)}`);
    for (const e of first.errors.slice(0, 5)) console.log(`  line ${e.line}: ${e.field}: ${e.message}`);
    console.log(`  ${check('expected created ' + ROWS + ', debtors created ' + gen.debtors + ', 0 failed', first.accountsCreated === ROWS && first.debtorsCreated === gen.debtors && first.failed === 0)}`);

    t = performance.now();
    const second = await importCsv(db, services.accountImport, actor, opts);
    const secondMs = performance.now() - t;
    console.log(`import #2 (same file): ${seconds(secondMs)}, ${Math.round(ROWS / (secondMs / 1000)).toLocaleString('en')} rows/s (aim < 20 s)`);
    console.log(`  ${describe(second)}`);
    for (const e of second.errors.slice(0, 5)) console.log(`  line ${e.line}: ${e.field}: ${e.message}`);
    console.log(`  ${check(`expected unchanged ${ROWS}, created 0, debtors created/updated 0`, second.accountsUnchanged === ROWS && second.accountsCreated === 0 && second.debtorsCreated === 0 && second.debtorsUpdated === 0 && second.failed === 0)}`);

    const [counts] = await owner.unsafe<{ accounts: string; debtors: string; contacts: string; ledger: string; audit: string }[]>(
      `select (select count(*) from accounts where tenant_id = $1)::text as accounts, (select count(*) from debtors where tenant_id = $1)::text as debtors,
              (select count(*) from debtor_contact_points where tenant_id = $1)::text as contacts, (select count(*) from ledger_entries where tenant_id = $1)::text as ledger,
              (select count(*) from audit_events where tenant_id = $1 and action = 'account.import')::text as audit`,
      [tenant.id],
    );
    console.log(`  in the database: ${counts!.accounts} accounts, ${counts!.debtors} debtors, ${counts!.contacts} contact points, ${counts!.ledger} ledger entries, ${counts!.audit} import audit events`);

    // ---- atomic ---------------------------------------------------------------------------------------
    if (elapsed() < SOFT_BUDGET_MS) {
      const atomicPortfolio = await services.portfolios.create(actor, { name: 'Atomic slice', currency: 'CNY' });
      const atomicFile = join(tmpdir(), `arrears-bench-import-${tag}-atomic.csv`);
      files.push(atomicFile);
      const g = await writeCsv(atomicFile, ATOMIC_ROWS, 'T', 2, 50_000_000);
      t = performance.now();
      const r = await importCsv(db, services.accountImport, actor, { file: atomicFile, portfolioId: atomicPortfolio.id, atomic: true, encoding: null, delimiter: null });
      const ms = performance.now() - t;
      console.log(`\nimport --atomic, ${ATOMIC_ROWS.toLocaleString('en')} rows (fresh references, fresh portfolio, ${(statSync(atomicFile).size / 1024 / 1024).toFixed(1)} MiB): ${seconds(ms)}, ${Math.round(ATOMIC_ROWS / (ms / 1000)).toLocaleString('en')} rows/s`);
      console.log(`  ${describe(r)}`);
      console.log(`  ${check(`expected created ${ATOMIC_ROWS}, debtors created ${g.debtors}, written`, r.written && r.accountsCreated === ATOMIC_ROWS && r.debtorsCreated === g.debtors)}`);
    } else {
      console.log(`\nimport --atomic: skipped (${seconds(elapsed())} elapsed)`);
    }

    // ---- 1,000,000 accounts ------------------------------------------------------------------------------
    const bulkPortfolio = await services.portfolios.create(actor, { name: 'Bulk 1M', currency: 'CNY' });
    t = performance.now();
    const loadSteps = await loadBulk(owner, tenant.id, bulkPortfolio.id, BULK);
    const loadMs = performance.now() - t;
    const [sizes] = await owner.unsafe<{ accounts: string; ledger: string; acc_size: string; led_size: string }[]>(
      `select (select count(*) from accounts where tenant_id = $1)::text as accounts, (select count(*) from ledger_entries where tenant_id = $1)::text as ledger,
              pg_size_pretty(pg_total_relation_size('accounts')) as acc_size, pg_size_pretty(pg_total_relation_size('ledger_entries')) as led_size`,
      [tenant.id],
    );
    console.log(`\nbulk load: ${BULK.toLocaleString('en')} accounts into portfolio ${bulkPortfolio.id} + ledger, VACUUM ANALYZE: ${seconds(loadMs)} (${loadSteps})`);
    console.log(`  tenant now has ${Number(sizes!.accounts).toLocaleString('en')} accounts (accounts ${sizes!.acc_size} with indexes), ${Number(sizes!.ledger).toLocaleString('en')} ledger entries (${sizes!.led_size})`);

    // ---- analytics ---------------------------------------------------------------------------------------
    const times: number[] = [];
    let result: PortfolioAnalytics[] = [];
    for (let i = 0; i <= ANALYTICS_RUNS; i++) {
      const s = performance.now();
      result = await services.portfolios.analytics(actor, {});
      const ms = performance.now() - s;
      if (i > 0) times.push(ms); // the first run warms the cache and is reported apart
      else console.log(`\nanalytics (all ${result.length} portfolios), cold first run: ${fmt(ms, 0)} ms`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`analytics x${times.length}: ${times.map((x) => fmt(x, 0)).join(', ')} ms`);
    console.log(`  min ${fmt(sorted[0]!, 0)} ms, median ${fmt(percentile(sorted, 50), 0)} ms, max ${fmt(sorted[sorted.length - 1]!, 0)} ms (aim < 1000 ms)`);
    for (const p of result) {
      console.log(
        `  ${p.portfolio.name.padEnd(12)} accounts ${p.accounts.toLocaleString('en').padStart(9)}  placed ${yuan(p.placed).padStart(20)}  outstanding ${yuan(p.outstanding).padStart(20)}  ` +
          `collected ${p.from}..${p.to} ${yuan(p.collectedInPeriod)}, to date ${yuan(p.collectedToDate)}, recovery ${p.recoveryRateBp === null ? '-' : (p.recoveryRateBp / 100).toFixed(2) + ' %'}`,
      );
      console.log(`    ${p.buckets.map((b) => `${b.label}: ${b.accounts.toLocaleString('en')}`).join('  ')}`);
    }
    const asOf = result[0]!.asOf;
    const from = result[0]!.from;
    const to = result[0]!.to;
    const reference = await referenceFigures(owner, tenant.id, asOf, from, to);
    console.log(`  ${check('figures equal an independent owner-side computation', reference === canonical(result))}`);
    if (reference !== canonical(result)) console.log(`  reference:\n${reference}\n  service:\n${canonical(result)}`);

    // ---- EXPLAIN -----------------------------------------------------------------------------------------
    const dialect = new PgDialect();
    const captured: { sql: string; params: unknown[] }[] = [];
    // A stand-in for a transaction that only renders: every statement the repository sends, not run.
    const render = { execute: async (q: SQL) => (captured.push(dialect.sqlToQuery(q)), []) } as unknown as Tx;
    await portfolioRepository.report(render, tenant.id, null, result.map((p) => p.portfolio.id), asOf, DEFAULT_BUCKETS, from, to);
    const conn = await owner.reserve();
    try {
      await conn.unsafe('begin');
      await conn.unsafe(`select set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('app.agency_id', '', true), set_config('app.portfolio_ids', '', true)`, [APP_ROLE, tenant.id]);
      for (const st of captured) {
        const text = st.sql.replace(/\s+/g, ' ').trim();
        const params = st.params as postgres.ParameterOrJSON<never>[];
        if (/^set /i.test(text)) {
          // Transaction-local settings the repository makes before its statements: applied the same way.
          await conn.unsafe(st.sql, params, { prepare: false });
          console.log(`\n${text};`);
          continue;
        }
        const plan = await conn.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${st.sql}`, params, { prepare: false });
        console.log(`\n--- EXPLAIN (ANALYZE, BUFFERS), as ${APP_ROLE} in the tenant's context; params ${JSON.stringify(st.params)}`);
        console.log(text);
        console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
      }
      await conn.unsafe('rollback');
    } finally {
      conn.release();
    }
    console.log(`\ntotal ${seconds(elapsed())}; load average ${load()}`);
  } finally {
    for (const f of files) {
      try {
        unlinkSync(f);
      } catch {
        /* already gone */
      }
    }
    await stopTracker?.();
    await db.close();
    await owner.end({ timeout: 5 });
  }
});

/**
 * 1,000,000 accounts in one portfolio, as the owner: a staging table of per-account random figures
 * (setseed: the same every run), then accounts and their ledger entries from it. Balances equal the ledger:
 * opening principal / interest / fee entries, a principal payment for 30 % of accounts (2 % of those
 * reversed). Debtors are the imported ones (accounts are spread over them).
 */
async function loadBulk(owner: postgres.Sql, tenantId: string, portfolioId: string, n: number): Promise<string> {
  const conn = await owner.reserve();
  const { step, note, summary } = stepTimer();
  try {
    await prepareBulkLoad(conn);
    // Autovacuum waits until the load is done (and its VACUUM below), so the tables end up as a steady state
    // would have them: analysed, all-visible. (Commits stay synchronous: VACUUM cannot set all-visible on
    // pages whose inserting transaction's commit record is not flushed yet.)
    await conn.unsafe(`alter table accounts set (autovacuum_enabled = off)`);
    await conn.unsafe(`alter table ledger_entries set (autovacuum_enabled = off)`);
    await conn.unsafe(`select setseed(0.42)`);
    await conn.unsafe(`create temp table bench_debtors as select row_number() over (order by id) - 1 as rn, id from debtors where tenant_id = $1`, [tenantId]);
    await conn.unsafe(`create unique index on bench_debtors (rn)`);
    // dpd 0–400 days (oldest unpaid due date that many days ago), a few accounts paid off / closed / charged off.
    await conn.unsafe(
      `create temp table bench_src as
       select i, d.id as debtor_id, x.*,
              case when x.has_pay then greatest(1, least(x.original, (x.original * (case when x.r_full < 0.1 then 1 else 0.05 + x.r_amt * 0.9 end))::bigint)) else 0 end as pay
       from generate_series(1, $1::int) i
       cross join lateral (
         select (random() * 400)::int as dpd, random() as r_status, random() < 0.3 as has_pay, random() as r_full, random() as r_amt,
                random() < 0.02 as reversed, (random() * 400)::int as pay_ago,
                50000 + (random() ^ 2 * 20000000)::bigint as original,
                (array['loan','credit_card','invoice','utility','telecom','other'])[1 + floor(random() * 6)::int] as product_type,
                30 + (random() * 700)::int as term, random() as r_int, random() as r_fee, random() as r_int_amt, random() as r_fee_amt
         where i > 0
       ) x0
       cross join lateral (select x0.*, case when x0.r_int < 0.6 then (x0.original * x0.r_int_amt * 0.2)::bigint else 0 end as interest,
                                  case when x0.r_fee < 0.3 then 1000 + (x0.r_fee_amt * 29000)::bigint else 0 end as fee) x
       join bench_debtors d on d.rn = i % (select count(*) from bench_debtors)`,
      [n],
    );
    step('staging');
    await conn.unsafe(
      `insert into accounts (tenant_id, id, version, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on, charged_off_on,
                             status, principal_balance, interest_balance, fee_balance, oldest_unpaid_due_on)
       select $1::uuid, ('00b00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 1, debtor_id, $2::uuid, 'B' || lpad(i::text, 8, '0'), product_type, 'CNY', original,
              due_on - term, due_on, case when status = 'charged_off' then least(current_date, due_on + 180) end,
              status, principal_balance, interest, fee, case when principal_balance + interest + fee > 0 then due_on end
       from (select s.*, current_date - s.dpd as due_on, s.original - case when s.reversed then 0 else s.pay end as principal_balance,
                    case when s.original - case when s.reversed then 0 else s.pay end + s.interest + s.fee = 0 then 'paid_off'
                         when s.r_status < 0.03 then 'closed'
                         when s.dpd > 180 and s.r_status < 0.15 then 'charged_off'
                         when s.dpd > 0 then 'delinquent' else 'current' end as status
             from bench_src s) a
       order by i`,
      [tenantId, portfolioId],
    );
    step('accounts');
    const uid = (k: number) => `('00b1000${k}-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid`;
    await conn.unsafe(
      `insert into ledger_entries (tenant_id, id, account_id, group_id, kind, component, amount, currency, effective_on, actor_kind, actor_id, memo, reverses_entry_id)
       select $1::uuid, e.id, ('00b00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, e.group_id, e.kind, e.component, e.amount, 'CNY', e.effective_on, 'system', 'bench', e.memo, e.reverses
       from (select s.*, current_date - s.dpd as due_on from bench_src s) s
       cross join lateral (values
         (1, ${uid(1)}, ${uid(1)}, 'principal', 'principal', s.original, s.due_on, 'opening balance', null::uuid),
         (2, ${uid(2)}, ${uid(1)}, 'interest', 'interest', s.interest, s.due_on, 'opening balance', null::uuid),
         (3, ${uid(3)}, ${uid(1)}, 'fee', 'fee', s.fee, s.due_on, 'opening balance', null::uuid),
         (4, ${uid(4)}, ${uid(4)}, 'payment', 'principal', -s.pay, greatest(s.due_on - s.term, current_date - s.pay_ago), 'payment', null::uuid),
         (5, ${uid(5)}, ${uid(5)}, 'reversal', 'principal', case when s.reversed then s.pay else 0 end, least(current_date, greatest(s.due_on - s.term, current_date - s.pay_ago) + 3), 'reversal', ${uid(4)})
       ) e(kind_order, id, group_id, kind, component, amount, effective_on, memo, reverses)
       where e.amount <> 0
       order by i, e.kind_order`,
      [tenantId],
    );
    step('ledger');
    await conn.unsafe(`set session_replication_role = origin`).catch(() => {});
    await conn.unsafe(`vacuum analyze accounts`);
    await conn.unsafe(`vacuum analyze ledger_entries`);
    const vm = await conn.unsafe<{ relname: string; relpages: number; relallvisible: number }[]>(
      `select relname, relpages, relallvisible from pg_class where relname in ('accounts', 'ledger_entries') order by relname`,
    );
    note(`all-visible pages: ${vm.map((r) => `${r.relname} ${r.relallvisible}/${r.relpages}`).join(', ')}`);
    await conn.unsafe(`alter table accounts reset (autovacuum_enabled)`);
    await conn.unsafe(`alter table ledger_entries reset (autovacuum_enabled)`);
    step('vacuum analyze');
    return summary();
  } finally {
    await conn.unsafe(`drop table if exists bench_src, bench_debtors`).catch(() => {});
    conn.release();
  }
}

/** The same figures as analytics, computed directly as the owner with plainly written SQL. */
async function referenceFigures(owner: postgres.Sql, tenantId: string, asOf: string, from: string, to: string): Promise<string> {
  const bucketCase = DEFAULT_BUCKETS.map((b, i) => (b.maxDays === null ? `when d >= ${b.minDays} then ${i}` : `when d between ${b.minDays} and ${b.maxDays} then ${i}`)).join(' ');
  const totals = await owner.unsafe<{ portfolio_id: string; accounts: string; placed: string; outstanding: string }[]>(
    `select portfolio_id, count(*)::text as accounts, sum(original_principal)::text as placed, sum(principal_balance + interest_balance + fee_balance)::text as outstanding
     from accounts where tenant_id = $1 group by portfolio_id`,
    [tenantId],
  );
  const paid = await owner.unsafe<{ portfolio_id: string; in_period: string; to_date: string }[]>(
    `select a.portfolio_id, (-coalesce(sum(l.amount) filter (where l.effective_on between $2::date and $3::date), 0))::text as in_period, (-sum(l.amount))::text as to_date
     from ledger_entries l
     join accounts a on a.tenant_id = l.tenant_id and a.id = l.account_id
     left join ledger_entries p on p.tenant_id = l.tenant_id and p.id = l.reverses_entry_id
     where l.tenant_id = $1 and (l.kind = 'payment' or (l.kind = 'reversal' and p.kind = 'payment'))
     group by a.portfolio_id`,
    [tenantId, from, to],
  );
  const buckets = await owner.unsafe<{ portfolio_id: string; b: number; accounts: string; outstanding: string }[]>(
    `select portfolio_id, case ${bucketCase} end as b, count(*)::text as accounts, sum(o)::text as outstanding
     from (select portfolio_id, principal_balance + interest_balance + fee_balance as o,
                  greatest(0, $2::date - coalesce(oldest_unpaid_due_on, $2::date)) as d
           from accounts where tenant_id = $1 and status <> 'closed') x
     group by 1, 2`,
    [tenantId, asOf],
  );
  const ids = (await owner.unsafe<{ id: string }[]>(`select id from portfolios where tenant_id = $1`, [tenantId])).map((r) => r.id);
  return ids
    .map((id) => {
      const t = totals.find((x) => x.portfolio_id === id);
      const p = paid.find((x) => x.portfolio_id === id);
      return [
        id,
        Number(t?.accounts ?? 0),
        BigInt(t?.placed ?? 0),
        BigInt(t?.outstanding ?? 0),
        BigInt(p?.in_period ?? 0),
        BigInt(p?.to_date ?? 0),
        ...DEFAULT_BUCKETS.map((_, i) => {
          const b = buckets.find((x) => x.portfolio_id === id && Number(x.b) === i);
          return `${Number(b?.accounts ?? 0)}/${BigInt(b?.outstanding ?? 0)}`;
        }),
      ].join(' ');
    })
    .sort()
    .join('\n');
}
