/**
 * npm run bench:agency — the same GraphQL list through an agency token and through creditor API keys, in one
 * run against the local PostgreSQL, in a tenant with 100 portfolios and 20 open agency grants.
 *
 *   c  creditor key       accounts(first: 20, filter: { portfolioId: <one of the agency's portfolios> }) with a
 *                         tenant-wide API key
 *   p  portfolio key      the same with an API key scoped to the agency's 5 portfolios (app.portfolio_ids)
 *   g  agency token       the same with the agency's EdDSA token: JWT verification, the per-request grant check
 *                         (arrears_agency_session), and arrears_scope_portfolios() re-reading the grants in
 *                         every statement's policy
 *   t  creditor, tenant   accounts(first: 20) with no filter, for reference (its page spans 20 portfolios)
 *
 * The aim (issue 6): g ≥ 0.80 × c in req/s. c, p and g return the very same 20 accounts.
 *
 * Prints figures; asserts nothing about them. Scenarios run interleaved in two rounds (after a warm-up) so
 * load from anything else on the machine hits all alike. Load comes from a forked autocannon worker.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import type { RawImportRow } from '../src/modules/accounts/account-import.service.js';
import { closeAll, runInterleaved, startBenchApp, type Closers, type Scenario } from './bench-app.js';
import { LoadWorker } from './bench-load-client.js';
import { fmt, runBench, seconds, table } from './bench-util.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = 10;
const ROUNDS = 2;
const POOL = 10;
const PORTFOLIOS = 100;
const ACCOUNTS_PER_PORTFOLIO = Number(process.env.BENCH_AGENCY_ACCOUNTS_PER_PORTFOLIO ?? 100);
const AGENCIES = 16; // 20 grants: the measured agency holds 5 portfolios, 15 others one each
const MEASURED_PORTFOLIOS = 5;
const PAGE = 20;

await runBench('bench-agency', 5 * 60_000, async (tdb) => {
  const started = performance.now();
  const closers: Closers = [];
  try {
    const { url: appUrl, services: s, actor, key } = await startBenchApp(tdb, closers, POOL, 'Bench Agency Co.');

    const portfolios: string[] = [];
    for (let i = 0; i < PORTFOLIOS; i++) portfolios.push((await s.portfolios.create(actor, { name: `Portfolio ${String(i).padStart(3, '0')}`, currency: 'CNY' })).id);
    let line = 0;
    for (const [pi, portfolioId] of portfolios.entries()) {
      const rows: RawImportRow[] = Array.from({ length: ACCOUNTS_PER_PORTFOLIO }, (_, j) => ({
        line: ++line,
        values: {
          debtor_external_ref: `D-${pi}-${j}`,
          debtor_name: `Debtor ${pi}-${j}`,
          account_external_ref: `A-${pi}-${j}`,
          product_type: 'loan',
          currency: 'CNY',
          principal: String(100_000 + ((pi * 7919 + j * 104729) % 900_000)),
          opened_on: '2025-01-01',
          due_on: '2026-01-01',
        },
      }));
      const r = await s.accountImport.importRows(actor, portfolioId, rows, true);
      if (r.failed) throw new Error(`seed import failed: ${JSON.stringify(r.errors.slice(0, 3))}`);
    }
    const seeded = performance.now();

    // 16 agencies, 20 grants: the measured agency holds portfolios 0–4, fifteen others one each (5..19).
    const agencies: string[] = [];
    for (let i = 0; i < AGENCIES; i++) agencies.push((await s.agencies.create(actor, { name: `Agency ${i}`, commission: { rateBps: 1500 }, dataProtectionRef: `DPA-${i}` })).id);
    const scopes = ['debtors:read', 'accounts:read', 'payments:record'];
    await s.agencies.grant(actor, { agencyId: agencies[0]!, portfolioIds: portfolios.slice(0, MEASURED_PORTFOLIOS), scopes });
    for (let i = 1; i < AGENCIES; i++) await s.agencies.grant(actor, { agencyId: agencies[i]!, portfolioIds: [portfolios[MEASURED_PORTFOLIOS + i - 1]!], scopes });
    const cred = await s.agencies.createCredential(actor, agencies[0]!, 'bench');
    const tokenRes = await fetch(`${appUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: cred.clientId, client_secret: cred.clientSecret }).toString(),
    });
    const tokenBody = (await tokenRes.json()) as { access_token?: string };
    if (!tokenBody.access_token) throw new Error(`token endpoint answered ${tokenRes.status}: ${JSON.stringify(tokenBody)}`);
    const scoped = await s.tenancy.createApiKey(actor, { name: 'bench scoped', scopes: ['read'], portfolioIds: portfolios.slice(0, MEASURED_PORTFOLIOS) });
    const grantsOpen = (await s.agencies.grants(actor, { activeOnly: true })).length;
    console.log(
      `setup: database ${tdb.name}; ${PORTFOLIOS} portfolios × ${ACCOUNTS_PER_PORTFOLIO} accounts imported in ${seconds(seeded - started)}; ${AGENCIES} agencies, ${grantsOpen} open grants; ` +
        `the measured agency holds ${MEASURED_PORTFOLIOS} portfolios (${MEASURED_PORTFOLIOS * ACCOUNTS_PER_PORTFOLIO} accounts)`,
    );

    const fields = `edges { node { id status portfolio { id } balance { total { minor } } } }`;
    const body = JSON.stringify({ query: `query($p: ID!) { accounts(first: ${PAGE}, filter: { portfolioId: $p }) { ${fields} } }`, variables: { p: portfolios[0] } });
    const tenantBody = JSON.stringify({ query: `{ accounts(first: ${PAGE}) { ${fields} } }` });
    const gqlUrl = `${appUrl}/graphql`;
    const headers = (auth: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${auth}` });
    const scenarios = [
      { key: 'c', label: 'c creditor key', auth: key, body },
      { key: 'p', label: 'p key scoped to 5 portfolios', auth: scoped.secret, body },
      { key: 'g', label: 'g agency token (5 granted)', auth: tokenBody.access_token, body },
      { key: 't', label: 't creditor key, no filter', auth: key, body: tenantBody },
    ];

    // Sanity: each answers 20 accounts; p and g see the same ones, all in the granted portfolios.
    const page = async (auth: string, b: string): Promise<{ id: string; portfolio: string }[]> => {
      const res = await fetch(gqlUrl, { method: 'POST', headers: headers(auth), body: b });
      const json = (await res.json()) as { data?: { accounts?: { edges: { node: { id: string; portfolio: { id: string } } }[] } }; errors?: unknown };
      if (res.status !== 200 || !json.data?.accounts) throw new Error(`answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
      return json.data.accounts.edges.map((e) => ({ id: e.node.id, portfolio: e.node.portfolio.id }));
    };
    const [pc, pp, pg, pt] = await Promise.all(scenarios.map((x) => page(x.auth, x.body)));
    if (pc!.length !== PAGE || JSON.stringify(pc) !== JSON.stringify(pp) || JSON.stringify(pc) !== JSON.stringify(pg) || pg!.some((a) => a.portfolio !== portfolios[0])) {
      throw new Error(`pages disagree: ${pc!.length} / ${pp!.length} / ${pg!.length}`);
    }
    if (pt!.length !== PAGE) throw new Error(`the unfiltered page has ${pt!.length} accounts`);
    console.log(`sanity: c, p and g return the same ${PAGE} accounts of the agency's first portfolio; t returns ${PAGE} of the tenant's`);

    const worker = new LoadWorker();
    closers.push(() => worker.stop());
    console.log(`load average before the runs: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const runs: Scenario[] = scenarios.map((sc) => ({ key: sc.key, label: sc.label, request: { url: gqlUrl, method: 'POST', headers: headers(sc.auth), body: sc.body, connections: CONNECTIONS } }));
    const res = await runInterleaved(worker, runs, { rounds: ROUNDS, durationS: DURATION_S, warmupS: WARMUP_S });
    console.log(`\n${CONNECTIONS} connections; ${ROUNDS} interleaved rounds of ${DURATION_S / ROUNDS} s per scenario; pool ${POOL}; node ${process.version}`);
    console.log(
      table(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/err', 'server cpu ms/req'],
        scenarios.map((sc) => {
          const r = res.get(sc.key)!;
          return [sc.label, fmt(r.rps, 0), fmt(r.p50), fmt(r.p99), String(r.bad), fmt(r.cpuMs)];
        }),
      ),
    );
    const rps = (k: string) => res.get(k)!.rps;
    console.log(
      '\n' +
        table(
          ['ratio', 'req/s', 'aim'],
          [
            ['g/c', fmt(rps('g') / rps('c')), '>= 0.80'],
            ['p/c', fmt(rps('p') / rps('c')), ''],
            ['g/p', fmt(rps('g') / rps('p')), ''],
            ['t/c', fmt(rps('t') / rps('c')), ''],
          ],
        ),
    );
    console.log(`\ntotal ${seconds(performance.now() - started)}`);
  } finally {
    await closeAll(closers);
  }
});
