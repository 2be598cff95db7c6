/**
 * npm run bench:fees — late-fee accrual at scale, on a throwaway PostgreSQL database.
 *
 * 1. Creates arrears_bench_<random> (BENCH_DATABASE_URL overrides the server), migrates it, creates a UTC
 *    tenant and two CNY portfolios through the services, and two policies: a tenant default (monthly: tiered
 *    flat + tiered percentage of overdue principal + interest, per-assessment and cumulative caps, the CN legal
 *    cap) and a product-type policy for loans (daily penalty interest, tiered, ACT/365, posted monthly).
 * 2. Bulk-loads, as the owner, 100,000 debtors (1 % bankrupt, 0.5 % deceased) and BENCH_FEE_ACCOUNTS
 *    (1,000,000) accounts, all past due by 1–75 days (so each owes one or two periods), 2 % disputed, 3 % in
 *    a plan, with opening principal / interest entries and a partial payment for 30 % of them (some dated
 *    after the due date, so the engine must rebuild earlier balances), then VACUUM ANALYZE.
 * 3. Baseline, same run: an INSERT … SELECT of as many rows as the run will write into a scratch copy of
 *    late_fee_assessments, as the owner — raw write speed of this machine at this moment, for a ratio.
 * 4. Times LateFeeService.assess (the path the API and the scheduler use: batches of LATE_FEE_BATCH_SIZE in
 *    their own tenant transactions as the app role), sampling the process RSS every 50 ms; then a repeat run
 *    for the same date (nothing to do). Checks as the owner that fee entries = fees posted, that no
 *    (account, period) is assessed twice, and that every account's fee balance equals its ledger's fee sum.
 *
 * Environment: BENCH_FEE_ACCOUNTS (1000000), LATE_FEE_BATCH_SIZE (2000).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { openPostgres } from '../src/db/client.js';
import { SCOPES, systemActor } from '../src/modules/tenancy/principal.js';
import { buildServices } from '../src/services.js';
import { systemClock } from '../src/shared/clock.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { fmt, prepareBulkLoad, runBench, seconds, stepTimer } from './bench-util.js';

const N = Number(process.env.BENCH_FEE_ACCOUNTS ?? 1_000_000);
const BATCH = Number(process.env.LATE_FEE_BATCH_SIZE ?? 2000);
const CONCURRENCY = Number(process.env.LATE_FEE_CONCURRENCY ?? 2);
const DEBTORS = Math.min(100_000, Math.max(1, Math.floor(N / 10)));
const DEADLINE_MS = 20 * 60_000;

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

class RssSampler {
  peak = 0;
  samples: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  start(): void {
    this.peak = process.memoryUsage.rss();
    this.samples = [];
    this.timer = setInterval(() => {
      const r = process.memoryUsage.rss();
      this.samples.push(r);
      if (r > this.peak) this.peak = r;
    }, 50);
  }
  stop(): { start: number; peak: number; end: number; p50: number } {
    if (this.timer) clearInterval(this.timer);
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { start: this.samples[0] ?? 0, peak: this.peak, end: process.memoryUsage.rss(), p50: sorted[Math.floor(sorted.length / 2)] ?? 0 };
  }
}

async function loadData(owner: postgres.Sql, tenantId: string, cards: string, loans: string): Promise<string> {
  const conn = await owner.reserve();
  const { step, summary } = stepTimer();
  try {
    await prepareBulkLoad(conn);
    for (const tbl of ['accounts', 'ledger_entries', 'debtors']) await conn.unsafe(`alter table ${tbl} set (autovacuum_enabled = off)`);
    await conn.unsafe(`select setseed(0.17)`);
    await conn.unsafe(
      `insert into debtors (tenant_id, id, kind, legal_name, display_name, search_text, search_keys, bankrupt, deceased)
       select $1::uuid, ('00d00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'person', 'Debtor ' || i, 'Debtor ' || i, 'debtor ' || i, '{}'::text[],
              random() < 0.01, random() < 0.005
       from generate_series(1, $2::int) i`,
      [tenantId, DEBTORS],
    );
    step('debtors');
    await conn.unsafe(
      `create temp table bench_src as
       select i, x.*, current_date - x.dpd as due_on,
              case when x.has_pay then greatest(1, (x.original * (0.05 + x.r_amt * 0.5))::bigint) else 0 end as pay
       from generate_series(1, $1::int) i
       cross join lateral (
         select 1 + (random() * 74)::int as dpd, random() as r_status, random() < 0.3 as has_pay, random() as r_amt,
                50000 + (random() ^ 2 * 5000000)::bigint as original, random() < 0.4 as is_loan,
                case when random() < 0.5 then (random() * 20000)::bigint else 0 end as interest, random() as r_pay_day
         where i > 0
       ) x`,
      [N],
    );
    step('staging');
    await conn.unsafe(
      `insert into accounts (tenant_id, id, version, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on,
                             status, principal_balance, interest_balance, fee_balance, oldest_unpaid_due_on, fee_basis_due_on)
       select $1::uuid, ('00a00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 1,
              ('00d00000-0000-7000-8000-' || lpad(to_hex(1 + i % $4::int), 12, '0'))::uuid,
              case when is_loan then $3::uuid else $2::uuid end, 'F' || lpad(i::text, 8, '0'),
              case when is_loan then 'loan' else 'credit_card' end, 'CNY', original, due_on - 90, due_on,
              case when r_status < 0.02 then 'disputed' when r_status < 0.05 then 'in_plan' else 'delinquent' end,
              original - pay, interest, 0, due_on, due_on
       from bench_src order by i`,
      [tenantId, cards, loans, DEBTORS],
    );
    step('accounts');
    const uid = (k: number) => `('00a1000${k}-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid`;
    await conn.unsafe(
      `insert into ledger_entries (tenant_id, id, account_id, group_id, kind, component, amount, currency, effective_on, actor_kind, actor_id, memo)
       select $1::uuid, e.id, ('00a00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, e.group_id, e.kind, e.component, e.amount, 'CNY', e.effective_on, 'system', 'bench', e.memo
       from bench_src s
       cross join lateral (values
         (1, ${uid(1)}, ${uid(1)}, 'principal', 'principal', s.original, s.due_on, 'opening balance'),
         (2, ${uid(2)}, ${uid(1)}, 'interest', 'interest', s.interest, s.due_on, 'opening balance'),
         -- a partial payment, dated between 20 days before the due date and today
         (3, ${uid(3)}, ${uid(3)}, 'payment', 'principal', -s.pay, s.due_on - 20 + (s.r_pay_day * (s.dpd + 20))::int, 'payment')
       ) e(kind_order, id, group_id, kind, component, amount, effective_on, memo)
       where e.amount <> 0
       order by i, e.kind_order`,
      [tenantId],
    );
    step('ledger');
    await conn.unsafe(`set session_replication_role = origin`).catch(() => {});
    for (const tbl of ['accounts', 'ledger_entries', 'debtors']) await conn.unsafe(`vacuum analyze ${tbl}`);
    for (const tbl of ['accounts', 'ledger_entries', 'debtors']) await conn.unsafe(`alter table ${tbl} reset (autovacuum_enabled)`);
    step('vacuum analyze');
    return summary();
  } finally {
    await conn.unsafe(`drop table if exists bench_src`).catch(() => {});
    conn.release();
  }
}

await runBench('bench:fees', DEADLINE_MS, async (tdb) => {
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`database ${tdb.name}; ${N.toLocaleString('en')} past-due accounts, batches of ${BATCH}, ${CONCURRENCY} in flight; load average ${load()}`);
  if (process.env.BENCH_EXPLAIN) {
    // Plans of every slow statement (with row counts and buffers) go to the server log.
    const root = postgres(tdb.url, { max: 1, onnotice: () => {} });
    for (const [k, v] of [['session_preload_libraries', 'auto_explain'], ['auto_explain.log_min_duration', process.env.BENCH_EXPLAIN], ['auto_explain.log_analyze', 'on'], ['auto_explain.log_buffers', 'on'], ['auto_explain.log_nested_statements', 'off'], ['auto_explain.log_triggers', 'on']]) {
      await root.unsafe(`alter database ${tdb.name} set ${k} = '${v}'`);
    }
    await root.end();
  }
  const db = openPostgres({ url: tdb.url, poolSize: 4 });
  const owner = postgres(tdb.url, { max: 1, onnotice: () => {}, types: {} });
  try {
    await db.migrate();
    const pii = new PiiCipher({ id: 'bench', key: randomBytes(32) });
    const services = buildServices({ database: db, clock: systemClock, pii, platformAdminToken: undefined, lateFees: { previewHorizonDays: 366, batchSize: BATCH, concurrency: CONCURRENCY }, onBackgroundError: (e) => console.error(e) });
    const platform = { principal: { kind: 'platform' as const, tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
    const { tenant } = await services.tenancy.createTenant(platform, { name: 'Bench Fees', timeZone: 'UTC' });
    // Benchmarks measure the work, not the plan: no limit on what they create.
    await services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
    const actor = systemActor(tenant.id, 'bench-fees', 'bench');
    const cards = await services.portfolios.create(actor, { name: 'Cards', currency: 'CNY' });
    const loans = await services.portfolios.create(actor, { name: 'Loans', currency: 'CNY' });
    const monthly = await services.lateFees.createPolicy(actor, {
      name: 'Cards monthly',
      currency: 'CNY',
      graceDays: 5,
      frequency: 'monthly',
      flat: { tiers: [{ fromDay: 1, toDay: 30, amount: '2000' }, { fromDay: 31, amount: '5000' }] },
      percentage: { base: 'overdue_principal_and_interest', tiers: [{ fromDay: 1, toDay: 30, rateBps: '50' }, { fromDay: 31, rateBps: '100' }] },
      caps: { perAssessment: '20000', cumulativePercentOfPrincipalBps: '1000' },
      jurisdiction: 'CN',
    });
    const daily = await services.lateFees.createPolicy(actor, {
      name: 'Loans daily',
      currency: 'CNY',
      graceDays: 3,
      frequency: 'daily_accrual_posted_monthly',
      dailyInterest: { tiers: [{ fromDay: 1, toDay: 30, rateBps: '1000' }, { fromDay: 31, rateBps: '1200' }], dayCount: 'act_365' },
      caps: { cumulativeAmount: '500000' },
      jurisdiction: 'CN',
    });
    await services.lateFees.attach(actor, monthly.policy.id, {});
    await services.lateFees.attach(actor, daily.policy.id, { productType: 'loan' });

    let t = performance.now();
    const steps = await loadData(owner, tenant.id, cards.id, loans.id);
    console.log(`bulk load: ${seconds(performance.now() - t)} (${steps})`);
    const [size] = await owner.unsafe<{ acc: string; led: string }[]>(`select pg_size_pretty(pg_total_relation_size('accounts')) as acc, pg_size_pretty(pg_total_relation_size('ledger_entries')) as led`);
    console.log(`  accounts ${size!.acc}, ledger_entries ${size!.led} (with indexes)\n`);

    // ---- baseline: raw INSERT … SELECT of comparable rows, same machine, same minute ------------------------
    const estimate = Math.round(N * 1.1);
    await owner.unsafe(`create table bench_baseline (like late_fee_assessments including defaults including indexes)`);
    t = performance.now();
    await owner.unsafe(
      `insert into bench_baseline (tenant_id, id, account_id, period_key, policy_version_id, anchor_on, assessed_on, currency, uncapped, amount, capped_by, ledger_entry_id, explanation)
       select $1::uuid, gen_random_uuid(), gen_random_uuid(), 'k' || i, gen_random_uuid(), current_date, current_date, 'CNY', 100, 100, '{}', gen_random_uuid(),
              jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('kind', 'flat', 'description', repeat('x', 300), 'amount', '100')), 'i', i)
       from generate_series(1, $2::int) i`,
      [tenant.id, estimate],
    );
    const baselineMs = performance.now() - t;
    await owner.unsafe(`drop table bench_baseline`);
    console.log(`baseline: INSERT … SELECT of ${estimate.toLocaleString('en')} assessment-shaped rows as the owner: ${seconds(baselineMs)}`);

    // ---- the run ------------------------------------------------------------------------------------------
    const rss = new RssSampler();
    rss.start();
    t = performance.now();
    const cpu0 = process.cpuUsage();
    const run = await services.lateFees.assess(actor, null, 'cli');
    const runMs = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const mem = rss.stop();
    console.log(`\nrun #1 as of ${run.asOf}: ${seconds(runMs)} (aim < 60 s); ${fmt(runMs / baselineMs, 1)}× the baseline`);
    console.log(`  examined ${run.examined.toLocaleString('en')} accounts, ${run.assessed.toLocaleString('en')} periods assessed, ${run.feesPosted.toLocaleString('en')} fees posted, totals ${JSON.stringify(run.totals)}`);
    console.log(`  skipped ${JSON.stringify(run.skipped)}`);
    console.log(`  Node CPU ${seconds((cpu.user + cpu.system) / 1000)} (${fmt((cpu.user + cpu.system) / run.examined, 1)} µs an account); the rest of the wall time is the database`);
    console.log(`  ${Math.round(run.examined / (runMs / 1000)).toLocaleString('en')} accounts/s; RSS start ${mib(mem.start)}, median ${mib(mem.p50)}, peak ${mib(mem.peak)}, end ${mib(mem.end)}`);

    rss.start();
    t = performance.now();
    const again = await services.lateFees.assess(actor, run.asOf, 'cli');
    const againMs = performance.now() - t;
    const mem2 = rss.stop();
    console.log(`run #2, same date: ${seconds(againMs)} (aim < 5 s); examined ${again.examined}, assessed ${again.assessed}, fees posted ${again.feesPosted}; RSS peak ${mib(mem2.peak)}`);

    // ---- checks, as the owner -------------------------------------------------------------------------------
    const [c] = await owner.unsafe<{ fees: string; charged: string; dup: string; mismatched: string; total: string }[]>(
      `select (select count(*) from ledger_entries where tenant_id = $1 and kind = 'fee')::text as fees,
              (select count(*) from late_fee_assessments where tenant_id = $1 and amount > 0)::text as charged,
              (select count(*) from (select account_id, period_key from late_fee_assessments where tenant_id = $1 group by 1, 2 having count(*) > 1) d)::text as dup,
              (select count(*) from accounts a where a.tenant_id = $1 and a.fee_balance <>
                  coalesce((select sum(l.amount) from ledger_entries l where l.tenant_id = a.tenant_id and l.account_id = a.id and l.component = 'fee'), 0))::text as mismatched,
              (select coalesce(sum(amount), 0) from late_fee_assessments where tenant_id = $1)::text as total`,
      [tenant.id],
    );
    const ok = Number(c!.fees) === run.feesPosted && Number(c!.charged) === run.feesPosted && c!.dup === '0' && c!.mismatched === '0' && again.feesPosted === 0;
    console.log(`\nchecks: ${c!.fees} fee entries, ${c!.charged} charged assessments, ${c!.dup} duplicate periods, ${c!.mismatched} accounts whose fee balance differs from the ledger, total ${c!.total}: ${ok ? 'OK' : 'MISMATCH'}`);
    console.log(`load average at the end ${load()}`);
  } finally {
    await closeAll(db, owner);
  }
});

async function closeAll(db: { close(): Promise<void> }, owner: postgres.Sql): Promise<void> {
  await db.close();
  await owner.end({ timeout: 5 });
}
