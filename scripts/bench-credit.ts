/**
 * npm run bench:credit — a credit check answered from the reuse window, through GraphQL, beside debtor(id), in
 * one run against the local PostgreSQL.
 *
 *   e  debtor(id)                      the cheapest read of the API: the baseline
 *   r  requestCreditCheck (reused)     a soft COLLECTION check for a debtor whose report is inside the reuse
 *                                      window: the reuse lookup (one probe of credit_reports_reuse_idx, whose
 *                                      plan is printed), plus recording the REUSED check and its audit event
 *
 * Requests rotate over 1,000 debtors, each with one report pulled from the sandbox bureau beforehand. First one
 * request at a time (the p50 the issue asks for, without queueing), then 16 connections. Prints figures;
 * asserts nothing about them.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { closeAll, runInterleaved, startBenchApp, type Closers, type Scenario } from './bench-app.js';
import { LoadWorker } from './bench-load-client.js';
import { fmt, runBench, seconds, table } from './bench-util.js';

const CONNECTIONS = 16;
const WARMUP_S = 2;
const DURATION_S = 10;
const ROUNDS = 2;
const POOL = 10;
const DEBTORS = 1000;

await runBench('bench-credit', 5 * 60_000, async (tdb) => {
  const started = performance.now();
  const closers: Closers = [];
  try {
    const { url: appUrl, services: s, actor, key, tenantId } = await startBenchApp(tdb, closers, POOL, 'Bench Credit Co.');
    await s.creditChecks.createBureau(actor, { name: 'Sandbox', provider: 'sandbox', costPerPull: '150', costCurrency: 'USD' });
    const ids: string[] = [];
    for (let i = 0; i < DEBTORS; i++) {
      const d = await s.debtors.create(actor, { kind: 'person', legalName: `Debtor ${i}`, nationalId: `BENCH${String(100000 + i * 7)}` } as never);
      ids.push(d.id);
      const c = await s.creditChecks.request(actor, { debtorId: d.id, purpose: 'collection', pullType: 'soft' });
      if (c.status !== 'completed') throw new Error(`seed pull ${i} ended ${c.status}: ${c.failureReason}`);
    }
    console.log(`setup: database ${tdb.name}; ${DEBTORS} debtors, each with one sandbox report, in ${seconds(performance.now() - started)}`);

    // The reuse lookup's plan, as the app role inside a tenant transaction.
    const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
    closers.push(() => sql.end({ timeout: 5 }));
    const plan = await sql.begin(async (tx) => {
      await tx.unsafe(`select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true)`, [tenantId]);
      return tx.unsafe(
        `explain (analyze, costs off, timing off, summary off) select * from credit_reports where tenant_id = $1 and debtor_id = $2 and bureau_id = (select id from credit_bureaus limit 1)
           and pulled_at > now() - interval '30 days' and expires_at > now() and purpose = 'collection' order by pulled_at desc limit 1`,
        [tenantId, ids[0]!],
      );
    });
    console.log('reuse lookup plan:\n  ' + plan.map((r) => String((r as Record<string, unknown>)['QUERY PLAN'])).join('\n  '));

    const gqlUrl = `${appUrl}/graphql`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const reuseBodies = ids.map((id) =>
      JSON.stringify({ query: `mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { id status report { id scoreBand } } }`, variables: { i: { debtorId: id, purpose: 'COLLECTION', pullType: 'SOFT' } } }),
    );
    const debtorBodies = ids.map((id) => JSON.stringify({ query: 'query One($id: ID!) { debtor(id: $id) { id displayName } }', variables: { id } }));
    const probe = (await (await fetch(gqlUrl, { method: 'POST', headers, body: reuseBodies[0] })).json()) as { data?: { requestCreditCheck?: { status: string } } };
    if (probe.data?.requestCreditCheck?.status !== 'REUSED') throw new Error(`a reuse-window check answered ${JSON.stringify(probe).slice(0, 300)}`);
    console.log('sanity: a repeated check answers REUSED');

    // One request at a time first: the latency of the work itself, without queueing behind other requests.
    const sequential = async (bodies: string[]): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 400; i++) {
        const t0 = performance.now();
        const res = await fetch(gqlUrl, { method: 'POST', headers, body: bodies[i % bodies.length] });
        await res.text();
        if (i >= 50) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length / 2)]!;
    };
    const seqE = await sequential(debtorBodies);
    const seqR = await sequential(reuseBodies);
    const seqE2 = await sequential(debtorBodies);
    const seqR2 = await sequential(reuseBodies);
    console.log(
      `one request at a time (350 each, twice, interleaved): p50 debtor(id) ${fmt((seqE + seqE2) / 2)} ms, reused check ${fmt((seqR + seqR2) / 2)} ms, ratio ${fmt((seqR + seqR2) / (seqE + seqE2))}`,
    );

    const scenarios = [
      { key: 'e', label: 'e debtor(id)', bodies: debtorBodies },
      { key: 'r', label: 'r requestCreditCheck, reused', bodies: reuseBodies },
    ];
    const worker = new LoadWorker();
    closers.push(() => worker.stop());
    console.log(`load average before the runs: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const runs: Scenario[] = scenarios.map((sc) => ({ key: sc.key, label: sc.label, request: { url: gqlUrl, method: 'POST', headers, bodies: sc.bodies, connections: CONNECTIONS } }));
    const res = await runInterleaved(worker, runs, { rounds: ROUNDS, durationS: DURATION_S, warmupS: WARMUP_S });
    console.log(`\n${CONNECTIONS} connections; ${ROUNDS} interleaved rounds of ${DURATION_S / ROUNDS} s per scenario; pool ${POOL}; node ${process.version}`);
    console.log(
      table(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
        scenarios.map((sc) => {
          const r = res.get(sc.key)!;
          return [sc.label, fmt(r.rps, 0), fmt(r.p50), fmt(r.p99), String(r.bad)];
        }),
      ),
    );
    const e = res.get('e')!;
    const r = res.get('r')!;
    console.log(`\nunder load, p50 ratio r/e: ${fmt(r.p50 / e.p50)} (reused check vs debtor(id)); req/s ratio r/e: ${fmt(r.rps / e.rps)}. A reused check is a write (the REUSED check and its audit event): a tenant's writes queue on its audit chain.`);
    console.log(`\ntotal ${seconds(performance.now() - started)}`);
  } finally {
    await closeAll(closers);
  }
});
