/**
 * npm run bench:payments — payments through the whole GraphQL stack, and the nightly plan evaluation at scale,
 * in one run against the local PostgreSQL (a throwaway database, dropped at the end).
 *
 * Part 1, recordPayment under load (the real app, buildApp + Apollo, an API key, a 32-connection pool):
 *   - seeds BENCH_PAYMENT_DEBTORS debtors through DebtorService.create, BENCH_PAYMENT_ACCOUNTS past-due accounts
 *     with opening ledger entries (SQL, as the owner, like bench:fees), and puts half of the accounts into
 *     6-installment monthly plans through PlanService.propose (which activates them);
 *   - then drives, with the forked autocannon worker (bench-load-worker.ts) at 32 connections:
 *       pay      recordPayment, a fresh idempotency key each, small amounts on random accounts, 1 in 4 by planId
 *       debtor   the foundation's debtor(id) { id displayName } on random debtors, for comparison
 *     interleaved over two rounds (like bench:api) so that other load on the machine hits both alike;
 *   - and a short burst of retries: recordPayment replays (same key, same body) of already-recorded payments.
 *   GraphQL errors come back as HTTP 200: the worker reads each body and counts them as errors.
 *
 * Part 2, PlanService.evaluate (what the scheduler runs nightly) over BENCH_PLANS active plans of a second
 * tenant, bulk-loaded as the owner: one in_plan account each, 6 monthly installments from ~100–110 days ago
 * (so 3 are past due), 8 % with the latest past-due installment unpaid (→ missed), 2 % with one already missed
 * and the latest unpaid (→ the second miss breaks the plan). Baselines in the same run, as the owner: a count
 * of the open past-due installments, and an UPDATE of those rows (rolled back). Then a repeat evaluation,
 * which must find nothing.
 *
 * Environment: BENCH_PAYMENT_SECONDS (20, measured per scenario), BENCH_RETRY_SECONDS (5),
 * BENCH_PAYMENT_ACCOUNTS (2000), BENCH_PAYMENT_DEBTORS (500), BENCH_PLANS (100000), BENCH_PART (1, 2 or both).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/env.js';
import { openPostgres, type Database } from '../src/db/client.js';
import { PlanFrequencyEnum } from '../src/modules/plans/plan.type.js';
import type { ProposePlanInput } from '../src/modules/plans/plan.inputs.js';
import { SCOPES, systemActor, type Actor } from '../src/modules/tenancy/principal.js';
import { buildServices } from '../src/services.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { DebtorGenerator, Rng } from './bench-data.js';
import { LoadWorker } from './bench-load-client.js';
import { UNIQUE_TOKEN, type LoadRequest, type LoadResult } from './bench-load-worker.js';
import { fmt, percentile, prepareBulkLoad, runBench, seconds, stepTimer, table } from './bench-util.js';

const CONNECTIONS = 32;
const POOL = 32; // the app's postgres.js pool
const WARMUP_S = 2;
const ROUNDS = 2;
const DURATION_S = Number(process.env.BENCH_PAYMENT_SECONDS ?? 20);
const RETRY_S = Number(process.env.BENCH_RETRY_SECONDS ?? 5);
const ACCOUNTS = Number(process.env.BENCH_PAYMENT_ACCOUNTS ?? 2000);
const DEBTORS = Math.min(ACCOUNTS, Number(process.env.BENCH_PAYMENT_DEBTORS ?? 500));
const PLANS = Number(process.env.BENCH_PLANS ?? 100_000);
const PART = process.env.BENCH_PART ?? 'both';
const DEADLINE_MS = 20 * 60_000;

const platformActor: Actor = { principal: { kind: 'platform', tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
const uuidOf = (prefix: string, i: number) => `${prefix}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
const ms = (x: number) => `${fmt(x)} ms`;

interface Pooled { completed: number; seconds: number; latencies: number[]; bad: number; gqlErrors: number; samples: Set<string> }
const pooled = (): Pooled => ({ completed: 0, seconds: 0, latencies: [], bad: 0, gqlErrors: 0, samples: new Set() });
function add(acc: Pooled, r: LoadResult): void {
  acc.completed += r.completed;
  acc.seconds += r.seconds;
  for (const l of r.latencies ?? []) acc.latencies.push(l);
  acc.bad += r.non2xx + r.errors + r.timeouts;
  acc.gqlErrors += r.graphqlErrors ?? 0;
  for (const s of r.errorSamples ?? []) acc.samples.add(s);
}
function summary(acc: Pooled) {
  const sorted = [...acc.latencies].sort((a, b) => a - b);
  const ok = acc.completed - acc.gqlErrors;
  return { rps: ok / acc.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: acc.bad + acc.gqlErrors, ok, samples: [...acc.samples] };
}

// ---- part 1 --------------------------------------------------------------------------------------------------

async function seedAccounts(owner: postgres.Sql, tenantId: string, portfolioId: string, debtorIds: readonly string[]): Promise<string[]> {
  const conn = await owner.reserve();
  try {
    await prepareBulkLoad(conn);
    await conn.unsafe(`select setseed(0.29)`);
    await conn.unsafe(
      `create temp table bench_acc as
       select i, ($2::uuid[])[1 + (i - 1) % cardinality($2::uuid[])] as debtor_id,
              1000000 + (random() * 4000000)::bigint as original, (random() * 50000)::bigint as interest, current_date - 30 - (random() * 60)::int as due_on
       from generate_series(1, $1::int) i`,
      [ACCOUNTS, debtorIds as string[]],
    );
    await conn.unsafe(
      `insert into accounts (tenant_id, id, version, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on,
                             status, principal_balance, interest_balance, fee_balance, oldest_unpaid_due_on, fee_basis_due_on)
       select $1::uuid, ('00a00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 1, debtor_id, $2::uuid, 'P' || lpad(i::text, 8, '0'),
              'loan', 'CNY', original, due_on - 90, due_on, 'delinquent', original, interest, 0, due_on, due_on
       from bench_acc order by i`,
      [tenantId, portfolioId],
    );
    await conn.unsafe(
      `insert into ledger_entries (tenant_id, id, account_id, group_id, kind, component, amount, currency, effective_on, actor_kind, actor_id, memo)
       select $1::uuid, e.id, ('00a00000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, e.group_id, e.kind, e.component, e.amount, 'CNY', s.due_on, 'system', 'bench', 'opening balance'
       from bench_acc s
       cross join lateral (values
         (1, ('00a10001-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, ('00a10001-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'principal', 'principal', s.original),
         (2, ('00a10002-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, ('00a10001-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'interest', 'interest', s.interest)
       ) e(o, id, group_id, kind, component, amount)
       where e.amount <> 0
       order by i, e.o`,
      [tenantId],
    );
    await conn.unsafe(`set session_replication_role = origin`).catch(() => {});
    for (const t of ['accounts', 'ledger_entries', 'debtors']) await conn.unsafe(`vacuum analyze ${t}`);
    return Array.from({ length: ACCOUNTS }, (_, k) => uuidOf('00a00000', k + 1));
  } finally {
    await conn.unsafe(`drop table if exists bench_acc`).catch(() => {});
    conn.release();
  }
}

async function partPayments(tdb: { name: string; url: string }, owner: postgres.Sql, closers: (() => unknown)[]): Promise<void> {
  const t0 = performance.now();
  const { step, summary: steps } = stepTimer();
  const appDb: Database = openPostgres({ url: tdb.url, poolSize: POOL });
  closers.push(() => appDb.close());
  const platformToken = randomBytes(24).toString('base64url');
  const config = parseConfig({ NODE_ENV: 'production', DATABASE_URL: tdb.url, LOG_LEVEL: 'warn', PLATFORM_ADMIN_TOKEN: platformToken, HOST: '127.0.0.1', RATE_LIMIT_STORE: 'off' });
  const app = await buildApp({ config, database: appDb, logger: createLogger('warn'), pii: new PiiCipher({ id: 'bench', key: randomBytes(32) }) });
  const appUrl = await app.listen(0, '127.0.0.1');
  closers.push(() => app.close());
  const gqlUrl = `${appUrl}/graphql`;

  const { tenant, key } = await app.services.tenancy.createTenant(platformActor, { name: 'Bench Payments', timeZone: 'UTC' });
  // Benchmarks measure the work, not the plan: no limit on what they create.
  await app.services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
  const actor = systemActor(tenant.id, 'bench-seed', 'bench');
  const portfolio = await app.services.portfolios.create(actor, { name: 'Loans', currency: 'CNY' });
  const gen = new DebtorGenerator(11);
  const debtorIds: string[] = [];
  let refused = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (debtorIds.length < DEBTORS) {
        try {
          debtorIds.push((await app.services.debtors.create(actor, gen.next().fields)).id);
        } catch {
          refused++;
        }
      }
    }),
  );
  debtorIds.length = Math.min(debtorIds.length, DEBTORS);
  step(`${debtorIds.length} debtors (service)`);
  const accountIds = await seedAccounts(owner, tenant.id, portfolio.id, debtorIds);
  step(`${accountIds.length} accounts + ledger (SQL)`);

  // Half of the accounts into plans, through the service (propose activates a plan inside the rules).
  const today = new Date().toISOString().slice(0, 10);
  const planIds: string[] = [];
  const inPlan = accountIds.filter((_, k) => k % 2 === 0);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < inPlan.length) {
        const accountId = inPlan[next++]!;
        const input = { accountIds: [accountId], installmentCount: 6, frequency: PlanFrequencyEnum.MONTHLY, startOn: today } as ProposePlanInput;
        const plan = await app.services.plans.propose(actor, input);
        if (plan.status !== 'active') throw new Error(`plan for ${accountId} is ${plan.status}: ${JSON.stringify(plan.violations)}`);
        planIds.push(plan.id);
      }
    }),
  );
  step(`${planIds.length} plans (PlanService.propose, 8 at a time)`);
  console.log(`part 1 setup: ${steps()}; ${refused} generated debtors refused by validation; ${seconds(performance.now() - t0)}`);

  // ---- bodies ----------------------------------------------------------------------------------------------
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` };
  const payQuery = 'mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { replayed payment { id amount { minor } } } }';
  const rng = new Rng(5);
  const receivedAt = new Date(Date.now() - 60_000).toISOString();
  const payBody = (keyValue: string) => {
    const byPlan = rng.chance(0.25);
    const target = byPlan ? { planId: rng.pick(planIds) } : { accountId: rng.pick(accountIds) };
    return JSON.stringify({ query: payQuery, variables: { input: { idempotencyKey: keyValue, ...target, amount: String(rng.int(100, 5000)), currency: 'CNY', method: 'BANK_TRANSFER', receivedAt } } });
  };
  const payBodies = Array.from({ length: 5000 }, () => payBody(`bench-${UNIQUE_TOKEN}`));
  const debtorQuery = 'query One($id: ID!) { debtor(id: $id) { id displayName } }';
  const debtorBodies = Array.from({ length: 5000 }, () => JSON.stringify({ query: debtorQuery, variables: { id: rng.pick(debtorIds) } }));

  // ---- sanity ------------------------------------------------------------------------------------------------
  const post = async (body: string) => {
    const res = await fetch(gqlUrl, { method: 'POST', headers, body });
    const json = (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
    if (res.status !== 200 || json.errors) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(json).slice(0, 400)}`);
    return json.data!;
  };
  const sanityPlan = JSON.stringify({ query: payQuery, variables: { input: { idempotencyKey: 'sanity-plan', planId: planIds[0], amount: '1234', currency: 'CNY', method: 'CARD', receivedAt } } });
  const sanityAcc = JSON.stringify({ query: payQuery, variables: { input: { idempotencyKey: 'sanity-acc', accountId: accountIds[1], amount: '1234', currency: 'CNY', method: 'CARD', receivedAt } } });
  const first = (await post(sanityPlan)) as { recordPayment: { replayed: boolean; payment: { id: string } } };
  await post(sanityAcc);
  const again = (await post(sanityPlan)) as { recordPayment: { replayed: boolean; payment: { id: string } } };
  if (!again.recordPayment.replayed || again.recordPayment.payment.id !== first.recordPayment.payment.id) throw new Error('a retry with the same key did not replay the first payment');
  await post(debtorBodies[0]!);
  console.log('sanity: recordPayment by planId and by accountId, a replay, and debtor(id) all answer without errors');

  // Payments to replay in the retry burst: recorded once now, then sent again and again.
  const retryBodies: string[] = [];
  for (let k = 0; k < 200; k++) retryBodies.push(payBody(`retry-${k}`));
  for (let k = 0; k < retryBodies.length; k += 16) await Promise.all(retryBodies.slice(k, k + 16).map(post));

  // ---- load --------------------------------------------------------------------------------------------------
  const worker = new LoadWorker();
  closers.push(() => worker.stop());
  const req = (bodies: string[], durationSeconds: number, warmupSeconds: number): Omit<LoadRequest, 'id'> => ({ url: gqlUrl, method: 'POST', headers, bodies, connections: CONNECTIONS, warmupSeconds, durationSeconds, returnLatencies: true });
  const [before] = await owner.unsafe<{ n: string }[]>(`select count(*)::text as n from payments`);
  const pay = pooled();
  const debtor = pooled();
  console.log(`load average before the runs: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    const warm = round === 0 ? WARMUP_S : 1;
    add(pay, await worker.run(req(payBodies, DURATION_S / ROUNDS, warm)));
    add(debtor, await worker.run(req(debtorBodies, DURATION_S / ROUNDS, warm)));
    console.log(`  round ${round + 1}/${ROUNDS} done`);
  }
  const retry = pooled();
  add(retry, await worker.run(req(retryBodies, RETRY_S, 1)));
  const [after] = await owner.unsafe<{ n: string }[]>(`select count(*)::text as n from payments`);

  const p = summary(pay);
  const d = summary(debtor);
  const r = summary(retry);
  console.log(`\n${CONNECTIONS} connections, app pool ${POOL}; ${ROUNDS} interleaved rounds, ${DURATION_S} s measured per scenario (${RETRY_S} s for retries); ${accountIds.length} accounts, ${planIds.length} active plans, ${debtorIds.length} debtors`);
  console.log(
    table(
      ['scenario', 'ok req/s', 'p50 ms', 'p99 ms', 'errors'],
      [
        ['recordPayment (new key)', fmt(p.rps, 0), fmt(p.p50), fmt(p.p99), String(p.errors)],
        ['debtor(id)', fmt(d.rps, 0), fmt(d.p50), fmt(d.p99), String(d.errors)],
        ['recordPayment retry (same key+body)', fmt(r.rps, 0), fmt(r.p50), fmt(r.p99), String(r.errors)],
      ],
    ),
  );
  console.log(`recordPayment: ${fmt(p.rps, 0)} req/s, p50 ${ms(p.p50)}, p99 ${ms(p.p99)}, errors ${p.errors}`);
  console.log(`debtor(id): ${fmt(d.rps, 0)} req/s, p50 ${ms(d.p50)}, p99 ${ms(d.p99)}, errors ${d.errors}`);
  console.log(`ratio recordPayment/debtor(id): ${fmt(p.rps / d.rps)} of the req/s, ${fmt(p.p99 / d.p99, 1)}× the p99`);
  console.log(`retries (replays): ${fmt(r.rps, 0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, errors ${r.errors}; ${fmt(r.rps / p.rps, 1)}× new payments' req/s`);
  for (const [label, s] of [['recordPayment', p], ['debtor(id)', d], ['retries', r]] as const) if (s.samples.length) console.log(`  ${label} error samples: ${s.samples.join(' | ')}`);

  // ---- checks ------------------------------------------------------------------------------------------------
  const [c] = await owner.unsafe<{ mismatched: string; dupkeys: string; paid_mismatch: string }[]>(
    `select (select count(*) from accounts a where a.tenant_id = $1 and a.principal_balance + a.interest_balance + a.fee_balance <>
                coalesce((select sum(l.amount) from ledger_entries l where l.tenant_id = a.tenant_id and l.account_id = a.id), 0))::text as mismatched,
            (select count(*) from (select idempotency_key from payments where tenant_id = $1 group by 1 having count(*) > 1) x)::text as dupkeys,
            (select count(*) from plans p where p.tenant_id = $1 and p.paid <> coalesce((select sum(i.paid) from plan_installments i where i.tenant_id = p.tenant_id and i.plan_id = p.id), 0))::text as paid_mismatch`,
    [tenant.id],
  );
  const recorded = Number(after!.n) - Number(before!.n);
  console.log(
    `checks: ${recorded} payments recorded during the load (warm-ups included), ${c!.mismatched} accounts whose balance differs from the ledger, ${c!.dupkeys} duplicate keys, ${c!.paid_mismatch} plans whose paid differs from their installments: ${c!.mismatched === '0' && c!.dupkeys === '0' ? 'OK' : 'MISMATCH'}`,
  );
}

// ---- part 2 --------------------------------------------------------------------------------------------------

const TERMS = { graceDays: 5, missedToBreak: 2, freezeFeesWhileActive: true, waiveFeesOnCompletion: false, overpayment: 'hold_as_credit', waterfall: ['fee', 'interest', 'principal'], promiseGraceDays: 2 };

async function loadPlans(owner: postgres.Sql, tenantId: string, portfolioId: string): Promise<string> {
  const conn = await owner.reserve();
  const { step, summary: steps } = stepTimer();
  const tables = ['debtors', 'accounts', 'plans', 'plan_accounts', 'plan_installments'];
  try {
    await prepareBulkLoad(conn);
    for (const t of tables) await conn.unsafe(`alter table ${t} set (autovacuum_enabled = off)`);
    await conn.unsafe(`select setseed(0.41)`);
    // kind: 0 on track (3 paid), 1 latest past-due installment unpaid (→ missed), 2 one missed already and the latest unpaid (→ broken)
    await conn.unsafe(
      `create temp table bench_plans as
       select i, current_date - 100 - (i % 10) as start_on, 10000 + (random() * 90000)::bigint as amount,
              case when r < 0.02 then 2 when r < 0.10 then 1 else 0 end as kind
       from generate_series(1, $1::int) i, lateral (select random() as r where i > 0) x`,
      [PLANS],
    );
    await conn.unsafe(
      `insert into debtors (tenant_id, id, kind, legal_name, display_name, search_text, search_keys)
       select $1::uuid, ('00d20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'person', 'Plan debtor ' || i, 'Plan debtor ' || i, 'plan debtor ' || i, '{}'::text[]
       from bench_plans order by i`,
      [tenantId],
    );
    step('debtors');
    // What each installment is: seq 1..6, monthly from start_on; the first three are past due.
    await conn.unsafe(
      `create temp table bench_inst as
       select p.i, s.seq, (p.start_on + make_interval(months => s.seq))::date as due_on, p.amount,
              case when s.seq = 3 and p.kind >= 1 then 'open' when s.seq = 2 and p.kind = 2 then 'missed'
                   when (p.start_on + make_interval(months => s.seq))::date < current_date then 'paid' else 'open' end as status
       from bench_plans p cross join generate_series(1, 6) s(seq)`,
    );
    await conn.unsafe(
      `insert into accounts (tenant_id, id, version, debtor_id, portfolio_id, external_ref, product_type, currency, original_principal, opened_on, due_on,
                             status, principal_balance, interest_balance, fee_balance, oldest_unpaid_due_on, fee_basis_due_on, plan_freezes_fees)
       select $1::uuid, ('00a20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 1, ('00d20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, $2::uuid,
              'N' || lpad(i::text, 8, '0'), 'loan', 'CNY', amount * 6, start_on - 120, start_on - 30, 'in_plan',
              amount * 6 - amount * (3 - kind), 0, 0, start_on - 30, start_on - 30, true
       from bench_plans p order by i`,
      [tenantId, portfolioId],
    );
    step('accounts');
    await conn.unsafe(
      `insert into plans (tenant_id, id, version, debtor_id, portfolio_ids, currency, status, frequency, start_on, installment_count, down_payment, total, covers_fees,
                          terms, violations, paid, missed_count, proposed_by_kind, proposed_by_id, proposed_at, activated_at)
       select $1::uuid, ('00b20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 2, ('00d20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
              array[$3::uuid], 'CNY', 'active', 'monthly', start_on, 6, 0, amount * 6, false, $2::text::jsonb, '[]'::jsonb,
              amount * (3 - kind), case when kind = 2 then 1 else 0 end,
              'system', 'bench', start_on::timestamptz, start_on::timestamptz
       from bench_plans order by i`,
      [tenantId, JSON.stringify(TERMS), portfolioId],
    );
    await conn.unsafe(
      `insert into plan_accounts (tenant_id, plan_id, account_id, covered, prior_status, open)
       select $1::uuid, ('00b20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, ('00a20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, amount * 6, 'delinquent', true
       from bench_plans order by i`,
      [tenantId],
    );
    step('plans');
    await conn.unsafe(
      `insert into plan_installments (tenant_id, id, plan_id, seq, due_on, amount, paid, status, missed_at, paid_at)
       select $1::uuid, ('00c2000' || seq || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, ('00b20000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
              seq, due_on, amount, case when status = 'paid' then amount else 0 end, status,
              case when status = 'missed' then (due_on + 6)::timestamptz end, case when status = 'paid' then due_on::timestamptz end
       from bench_inst order by i, seq`,
      [tenantId],
    );
    step('installments');
    await conn.unsafe(`set session_replication_role = origin`).catch(() => {});
    for (const t of tables) await conn.unsafe(`vacuum analyze ${t}`);
    for (const t of tables) await conn.unsafe(`alter table ${t} reset (autovacuum_enabled)`);
    step('vacuum analyze');
    return steps();
  } finally {
    await conn.unsafe(`drop table if exists bench_plans, bench_inst`).catch(() => {});
    conn.release();
  }
}

async function partEvaluation(tdb: { url: string }, owner: postgres.Sql, closers: (() => unknown)[]): Promise<void> {
  const db = openPostgres({ url: tdb.url, poolSize: 4 });
  closers.push(() => db.close());
  const services = buildServices({ database: db, clock: systemClock, pii: new PiiCipher({ id: 'bench', key: randomBytes(32) }), platformAdminToken: undefined, lateFees: { previewHorizonDays: 366, batchSize: 2000, concurrency: 2 }, onBackgroundError: (e) => console.error(e) });
  const { tenant } = await services.tenancy.createTenant(platformActor, { name: 'Bench Plans', timeZone: 'UTC' });
  // Benchmarks measure the work, not the plan: no limit on what they create.
  await services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
  const actor = systemActor(tenant.id, 'bench');
  const portfolio = await services.portfolios.create(systemActor(tenant.id, 'bench-seed', 'bench'), { name: 'Plans', currency: 'CNY' });

  let t = performance.now();
  const steps = await loadPlans(owner, tenant.id, portfolio.id);
  console.log(`\npart 2 bulk load of ${PLANS.toLocaleString('en')} active plans (6 installments each): ${seconds(performance.now() - t)} (${steps})`);
  const [exp] = await owner.unsafe<{ due: string; breaking: string }[]>(
    `select (select count(*) from plan_installments where tenant_id = $1 and status = 'open' and due_on + 5 < current_date)::text as due,
            (select count(*) from plans where tenant_id = $1 and status = 'active' and missed_count = 1)::text as breaking`,
    [tenant.id],
  );
  console.log(`  expected: ${exp!.due} installments to mark missed, ${exp!.breaking} plans to break`);

  // ---- baselines, as the owner, same run ---------------------------------------------------------------------
  t = performance.now();
  await owner.unsafe(`select count(*) from plan_installments where tenant_id = $1 and status = 'open' and due_on < current_date`, [tenant.id]);
  const countMs = performance.now() - t;
  const conn = await owner.reserve();
  let updateMs: number;
  try {
    await conn.unsafe('begin');
    t = performance.now();
    await conn.unsafe(`update plan_installments set status = 'missed', missed_at = now() where tenant_id = $1 and status = 'open' and due_on + 5 < current_date`, [tenant.id]);
    updateMs = performance.now() - t;
  } finally {
    await conn.unsafe('rollback').catch(() => {});
    conn.release();
  }
  console.log(`baseline: count(*) of open past-due installments as the owner: ${ms(countMs)}`);
  console.log(`baseline: UPDATE of the same rows to missed as the owner (rolled back): ${ms(updateMs)}`);

  // ---- the evaluation ----------------------------------------------------------------------------------------
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const run = await services.plans.evaluate(actor);
  const runMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  console.log(`evaluate #1 of ${PLANS.toLocaleString('en')} active plans as of ${run.asOf}: ${seconds(runMs)} (aim < 30 s); ${fmt(runMs / updateMs, 1)}× the UPDATE baseline, ${fmt(runMs / countMs, 0)}× the count`);
  console.log(`  installments missed ${run.installmentsMissed} (expected ${exp!.due}), plans broken ${run.plansBroken} (expected ${exp!.breaking}); Node CPU ${seconds((cpu.user + cpu.system) / 1000)}`);
  t = performance.now();
  const again = await services.plans.evaluate(actor);
  const againMs = performance.now() - t;
  console.log(`evaluate #2 (repeat): ${seconds(againMs)}; installments missed ${again.installmentsMissed}, plans broken ${again.plansBroken} (expected 0 and 0)`);

  const [c] = await owner.unsafe<{ broken: string; missed: string; stuck: string; accounts: string; audit: string }[]>(
    `select (select count(*) from plans where tenant_id = $1 and status = 'broken')::text as broken,
            (select count(*) from plan_installments where tenant_id = $1 and status = 'missed' and missed_at > now() - interval '1 hour')::text as missed,
            (select count(*) from plans p where tenant_id = $1 and status = 'active' and missed_count >= 2)::text as stuck,
            (select count(*) from accounts a join plan_accounts x on x.tenant_id = a.tenant_id and x.account_id = a.id join plans p on p.tenant_id = x.tenant_id and p.id = x.plan_id
              where a.tenant_id = $1 and p.status = 'broken' and (a.status = 'in_plan' or x.open))::text as accounts,
            (select count(*) from audit_events where tenant_id = $1 and action in ('plan.installments_missed', 'plan.break'))::text as audit`,
    [tenant.id],
  );
  const ok = c!.broken === exp!.breaking && c!.missed === exp!.due && c!.stuck === '0' && c!.accounts === '0' && again.installmentsMissed === 0 && again.plansBroken === 0;
  console.log(`checks: ${c!.broken} plans broken, ${c!.missed} installments missed, ${c!.stuck} active plans at the break threshold, ${c!.accounts} accounts of broken plans still held, ${c!.audit} audit events: ${ok ? 'OK' : 'MISMATCH'}`);
}

await runBench('bench:payments', DEADLINE_MS, async (tdb) => {
  const started = performance.now();
  const closers: (() => unknown)[] = [];
  const owner = postgres(tdb.url, { max: 1, onnotice: () => {}, types: {} });
  closers.push(() => owner.end({ timeout: 5 }));
  try {
    const migrator = openPostgres({ url: tdb.url, poolSize: 1 });
    await migrator.migrate();
    await migrator.close();
    console.log(`database ${tdb.name}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}`);
    if (PART !== '2') await partPayments(tdb, owner, closers);
    if (PART !== '1') await partEvaluation(tdb, owner, closers);
    console.log(`\ntotal ${seconds(performance.now() - started)}`);
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        /* best effort; the database is dropped regardless */
      }
    }
  }
});
