/**
 * npm run bench:webhooks — outbound webhook delivery throughput, and what the outbox adds to recordPayment, in one
 * run against the local PostgreSQL (a throwaway database, dropped at the end).
 *
 * Part 1, throughput: BENCH_WEBHOOK_DELIVERIES deliveries (20,000) queued across BENCH_WEBHOOK_TENANTS tenants (10)
 * with BENCH_WEBHOOK_ENDPOINTS endpoints each (2), all pointing at one receiver on 127.0.0.1 (a worker thread
 * answering 204 at once, which checks per endpoint that each event arrives once and in order). Two WebhookWorker
 * instances (separate worker ids, WEBHOOK_CONCURRENCY endpoints in flight each) then drain the outbox; the
 * figure is deliveries recorded as delivered per second, from the workers' start to the last one.
 *
 * Part 2, recordPayment with the outbox: PaymentService.record, one call at a time, on three tenants — with no
 * endpoint subscribed to payment.recorded (nothing is written to the outbox), with 1 and with 3 subscribed (one
 * event row and 1 or 3 delivery rows in the payment's transaction) — interleaved call by call, so that other work
 * on the machine hits the three alike. p50/p95 and the ratios to the no-endpoint case. No worker runs meanwhile.
 *
 * Prints figures; asserts nothing about them (a wrong count of deliveries, a duplicate or an out-of-order
 * delivery is reported as a failure of the run, since those are correctness, not speed).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import postgres from 'postgres';
import { webhookEventRepository } from '../src/modules/webhooks/webhook-event.repository.js';
import { WebhookService } from '../src/modules/webhooks/webhook.service.js';
import { WebhookWorker } from '../src/modules/webhooks/webhook.worker.js';
import { SCOPES, systemActor, type Actor, type TenantActor } from '../src/modules/tenancy/principal.js';
import type { Services } from '../src/services.js';
import { createLogger } from '../src/shared/logger.js';
import { closeAll, startBenchApp, type Closers } from './bench-app.js';
import { fmt, percentile, runBench, seconds, table } from './bench-util.js';

const TENANTS = Number(process.env.BENCH_WEBHOOK_TENANTS ?? 10);
const ENDPOINTS_PER_TENANT = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 2);
const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 20_000);
const CONCURRENCY = Number(process.env.WEBHOOK_CONCURRENCY ?? 16);
const PAYMENTS = Number(process.env.BENCH_WEBHOOK_PAYMENTS ?? 1500);
const WARMUP_PAYMENTS = 200;
const ACCOUNTS = 50;
const POOL = 20;
const EMIT_CHUNK = 500;

const platform: Actor = { principal: { kind: 'platform', tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };

/** The receiver, in its own thread (its own event loop): 204 at once; per endpoint path, the last sequence number seen. */
const RECEIVER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const last = new Map();
let total = 0, repeats = 0, outOfOrder = 0;
const server = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    total++;
    const n = JSON.parse(Buffer.concat(chunks).toString('utf8')).data.n;
    const prev = last.has(req.url) ? last.get(req.url) : -1;
    if (n === prev) repeats++;
    else if (n < prev) outOfOrder++;
    else last.set(req.url, n);
    res.writeHead(204);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ total, repeats, outOfOrder, endpoints: last.size });
  if (m === 'close') { server.closeAllConnections(); server.close(() => process.exit(0)); }
});
`;

interface ReceiverStats {
  total: number;
  repeats: number;
  outOfOrder: number;
  endpoints: number;
}

async function startReceiver(closers: Closers): Promise<{ url: (path: string) => string; stats: () => Promise<ReceiverStats> }> {
  const thread = new Worker(RECEIVER, { eval: true });
  closers.push(() => thread.terminate());
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', (m: { port: number }) => resolve(m.port));
    thread.once('error', reject);
  });
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stats: () =>
      new Promise((resolve) => {
        thread.once('message', (m: ReceiverStats) => resolve(m));
        thread.postMessage('stats');
      }),
  };
}

async function newTenant(s: Services, name: string): Promise<TenantActor> {
  const { tenant } = await s.tenancy.createTenant(platform, { name, timeZone: 'Asia/Shanghai' });
  // Benchmarks measure the work, not the plan: no limit on what they create.
  await s.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
  return systemActor(tenant.id, 'bench-seed');
}

/** 50 accounts with a large principal, so small payments never overpay. */
async function seedAccounts(s: Services, owner: postgres.Sql, actor: TenantActor): Promise<string[]> {
  const portfolio = await s.portfolios.create(actor, { name: 'Bench', currency: 'CNY' });
  const rows = Array.from({ length: ACCOUNTS }, (_, j) => ({
    line: j + 1,
    values: { debtor_external_ref: `D-${j}`, debtor_name: `Debtor ${j}`, account_external_ref: `A-${j}`, product_type: 'loan', currency: 'CNY', principal: '1000000', opened_on: '2025-01-01', due_on: '2026-01-01' },
  }));
  const r = await s.accountImport.importRows(actor, portfolio.id, rows, true);
  if (r.failed) throw new Error(`seed import failed: ${JSON.stringify(r.errors.slice(0, 3))}`);
  return (await owner.unsafe<{ id: string }[]>(`select id::text as id from accounts where tenant_id = $1 order by id`, [actor.principal.tenantId])).map((x) => x.id);
}

await runBench('bench-webhooks', 15 * 60_000, async (tdb) => {
  const started = performance.now();
  const closers: Closers = [];
  try {
    const { services: s, actor: firstActor } = await startBenchApp(tdb, closers, POOL, 'Bench Webhooks 0');
    const owner = postgres(tdb.url, { max: 2, onnotice: () => {} });
    closers.push(() => owner.end({ timeout: 5 }));
    const receiver = await startReceiver(closers);
    // The app runs in production mode (https only, no private addresses); the receiver is plain http on 127.0.0.1.
    const hooks = new WebhookService(s.webhooks.db, s.webhooks.clock, s.webhooks.audit, s.webhooks.pii, { ...s.webhooks.options, allowPrivateUrls: true, requireHttps: false }, s.webhooks.entitlements);

    // ---- part 1: throughput ------------------------------------------------------------------------------------
    const tenants: TenantActor[] = [firstActor];
    for (let i = 1; i < TENANTS; i++) tenants.push(await newTenant(s, `Bench Webhooks ${i}`));
    for (const [ti, a] of tenants.entries()) {
      for (let e = 0; e < ENDPOINTS_PER_TENANT; e++) await hooks.createEndpoint(a, { url: receiver.url(`/t${ti}/e${e}`), eventTypes: ['payment.recorded'] });
    }
    const eventsPerTenant = Math.ceil(DELIVERIES / (TENANTS * ENDPOINTS_PER_TENANT));
    const queuedAt = performance.now();
    let queued = 0;
    for (const a of tenants) {
      const tenantId = a.principal.tenantId;
      for (let from = 0; from < eventsPerTenant; from += EMIT_CHUNK) {
        const items = Array.from({ length: Math.min(EMIT_CHUNK, eventsPerTenant - from) }, (_, k) => ({ object: 'payment', id: randomUUID(), n: from + k }));
        queued += await s.webhooks.db.tenant({ tenantId }, (tx) => webhookEventRepository.emit(tx, tenantId, 'payment.recorded', items));
      }
    }
    const queueMs = performance.now() - queuedAt;
    console.log(
      `setup: database ${tdb.name}; ${TENANTS} tenants × ${ENDPOINTS_PER_TENANT} endpoints; ${queued} deliveries queued (${eventsPerTenant} events per tenant) in ${seconds(queueMs)} ` +
        `(${fmt(queued / (queueMs / 1000), 0)} deliveries/s through arrears_webhook_emit); ${availableParallelism()} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    );

    const log = createLogger('warn');
    const workers = [1, 2].map((n) => new WebhookWorker(hooks, log, { workerId: `bench-worker-${n}`, concurrency: CONCURRENCY, pollMs: 50 }));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const w of workers) w.start();
    const delivered = () => workers.reduce((n, w) => n + w.totals.delivered, 0);
    while (delivered() < queued) {
      if (performance.now() - t0 > 5 * 60_000) throw new Error(`only ${delivered()} of ${queued} delivered after 5 minutes`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await Promise.all(workers.map((w) => w.stop()));
    const rx = await receiver.stats();
    const [db] = await owner.unsafe<{ succeeded: string; pending: string; attempts: string }[]>(
      `select (select count(*) from webhook_deliveries where status = 'succeeded')::text as succeeded, (select count(*) from webhook_deliveries where status <> 'succeeded')::text as pending,
              (select count(*) from webhook_attempts)::text as attempts`,
    );
    console.log('\npart 1: delivery throughput, two workers');
    console.log(
      table(
        ['worker', 'leases', 'delivered', 'failed attempts'],
        [...workers.map((w) => [w.id, String(w.totals.leases), String(w.totals.delivered), String(w.totals.failedAttempts)]), ['total', '', String(delivered()), '']],
      ),
    );
    console.log(
      `\n  ${queued} deliveries in ${seconds(elapsed)}: ${fmt(queued / (elapsed / 1000), 0)} deliveries/s ` +
        `(worker process CPU ${fmt(((cpu.user + cpu.system) / 1000) / queued, 3)} ms per delivery, both workers and the receiver thread)`,
    );
    console.log(`  receiver: ${rx.total} requests, ${rx.endpoints} endpoints, ${rx.repeats} repeats, ${rx.outOfOrder} out of order`);
    console.log(`  database: ${db!.succeeded} deliveries succeeded, ${db!.pending} not, ${db!.attempts} attempts logged`);
    if (rx.total !== queued || rx.repeats || rx.outOfOrder || Number(db!.succeeded) !== queued || Number(db!.attempts) !== queued) {
      throw new Error('delivery was not exactly once and in order: see the figures above');
    }

    // ---- part 2: recordPayment with and without outbox rows ---------------------------------------------------
    const cases: { label: string; actor: TenantActor; endpoints: number; accounts: string[]; ms: number[] }[] = [];
    for (const endpoints of [0, 1, 3]) {
      const actor = await newTenant(s, `Bench Payments ${endpoints}`);
      for (let e = 0; e < endpoints; e++) await hooks.createEndpoint(actor, { url: receiver.url(`/pay${endpoints}/e${e}`), eventTypes: ['payment.recorded', 'plan.completed'] });
      cases.push({ label: endpoints === 0 ? 'no endpoint subscribed' : `${endpoints} endpoint${endpoints > 1 ? 's' : ''} subscribed`, actor, endpoints, accounts: await seedAccounts(s, owner, actor), ms: [] });
    }
    const receivedAt = new Date();
    let k = 0;
    const payOnce = async (c: (typeof cases)[number], record: boolean) => {
      const t = performance.now();
      await s.payments.record(c.actor, { idempotencyKey: `bench-${++k}`, accountId: c.accounts[k % ACCOUNTS]!, amount: '100', currency: 'CNY', method: 'bank_transfer', receivedAt });
      if (record) c.ms.push(performance.now() - t);
    };
    for (let i = 0; i < WARMUP_PAYMENTS; i++) for (const c of cases) await payOnce(c, false);
    for (let i = 0; i < PAYMENTS; i++) {
      // Rotate who goes first, so no case always follows the same one.
      for (let j = 0; j < cases.length; j++) await payOnce(cases[(i + j) % cases.length]!, true);
    }
    const queuedRows = await owner.unsafe<{ tenant_id: string; events: string; deliveries: string }[]>(
      `select e.tenant_id::text, count(distinct e.id)::text as events, count(d.id)::text as deliveries from webhook_events e left join webhook_deliveries d on d.tenant_id = e.tenant_id and d.event_id = e.id
        where e.tenant_id = any($1::uuid[]) group by e.tenant_id`,
      [`{${cases.map((c) => c.actor.principal.tenantId).join(',')}}`],
    );
    const outbox = new Map(queuedRows.map((r) => [r.tenant_id, r]));
    const base = (() => {
      const sorted = [...cases[0]!.ms].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
    })();
    console.log(`\npart 2: PaymentService.record, one call at a time, ${PAYMENTS} calls per case interleaved (after ${WARMUP_PAYMENTS} each to warm up)`);
    console.log(
      table(
        ['case', 'outbox rows per payment', 'p50', 'p95', 'p50 ratio', 'p95 ratio', 'p50 added'],
        cases.map((c) => {
          const sorted = [...c.ms].sort((a, b) => a - b);
          const p50 = percentile(sorted, 50);
          const p95 = percentile(sorted, 95);
          const o = outbox.get(c.actor.principal.tenantId);
          const perPayment = o ? `${fmt(Number(o.events) / (PAYMENTS + WARMUP_PAYMENTS), 2)} + ${fmt(Number(o.deliveries) / (PAYMENTS + WARMUP_PAYMENTS), 2)}` : '0';
          return [c.label, perPayment, `${fmt(p50)} ms`, `${fmt(p95)} ms`, fmt(p50 / base.p50), fmt(p95 / base.p95), `${fmt(p50 - base.p50)} ms`];
        }),
      ),
    );
    console.log(`\ntotal ${seconds(performance.now() - started)}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await closeAll(closers);
  }
});
