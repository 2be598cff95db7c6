/**
 * npm run bench:search — debtor search on one tenant with 1,000,000 debtors and ~1.5M contact points.
 *
 * Load: the tenant is created through TenancyService; its debtors and contact points are bulk-loaded as the
 * owner with COPY ... FREEZE (search_text / search_keys computed with the app's own foldText/searchKeys,
 * contact search values the way validation computes them). Secondary indexes and foreign keys are dropped
 * first and re-created from their own catalog definitions afterwards (a bulk build beats a million
 * incremental GIN inserts), then VACUUM ANALYZE.
 *
 * Measure: a few hundred searches of each kind through DebtorService.list (so through Database.tenant(),
 * as the app role, under RLS), one at a time, shuffled; p50/p95/p99 per kind and overall; then EXPLAIN
 * (ANALYZE, BUFFERS) of one query per kind, run in the same tenant context with the exact SQL the
 * repository produced. Prints figures; asserts nothing about them.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openPostgres, type Tx } from '../src/db/client.js';
import { APP_ROLE } from '../src/db/columns.js';
import { debtorRepository, type DebtorListFilter } from '../src/modules/debtors/debtor.repository.js';
import { foldText, planSearch, searchKeys } from '../src/modules/debtors/debtor.search.js';
import { SCOPES, systemActor, type Actor } from '../src/modules/tenancy/principal.js';
import { buildServices } from '../src/services.js';
import { systemClock } from '../src/shared/clock.js';
import { uuidv7 } from '../src/shared/ids.js';
import { PiiCipher } from '../src/shared/pii-crypto.js';
import { DebtorGenerator, emailSearchValue, phoneSearchValue, Rng, type GeneratedDebtor } from './bench-data.js';
import { fmt, percentile, runBench, seconds, table } from './bench-util.js';

const DEBTORS = Number(process.env.BENCH_DEBTORS ?? 1_000_000);
const PER_KIND = Number(process.env.BENCH_SEARCHES_PER_KIND ?? 300);
const WARMUP = 100;
const CHUNK = 2_000; // debtors per COPY write

// ---- COPY text format ----------------------------------------------------------------------------------

function esc(v: string): string {
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
function text(v: string | null | undefined): string {
  return v == null ? '\\N' : esc(v);
}
function textArray(values: readonly string[]): string {
  return esc(`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => '\\' + c)}"`).join(',')}}`);
}
const bool = (b: boolean | null | undefined) => (b ? 't' : 'f');

const DEBTOR_COLUMNS = [
  'tenant_id', 'id', 'kind', 'legal_name', 'display_name', 'external_ref', 'addresses', 'preferred_language', 'time_zone',
  'date_of_birth', 'deceased', 'bankrupt', 'cease_communication', 'vulnerable', 'tags', 'notes', 'risk_rating',
  'search_text', 'search_keys', 'created_at', 'updated_at',
];
const CONTACT_COLUMNS = ['tenant_id', 'id', 'debtor_id', 'kind', 'position', 'value', 'search_value', 'label', 'created_at'];

/** What DebtorService stores in search_text / search_keys (searchColumns in debtor.service.ts, not exported). */
function searchColumns(legalName: string, displayName: string): { searchText: string; keys: string[] } {
  const searchText = foldText([legalName, displayName === legalName ? '' : displayName].filter(Boolean).join(' '));
  return { searchText, keys: searchKeys(searchText) };
}

// ---- query samples -------------------------------------------------------------------------------------

type Kind = 'rare latin substring' | 'cjk surname+given (2)' | 'cjk single char' | 'email prefix (with @)' | 'email local part (no @)' | 'phone full' | 'phone last 4' | 'external ref';
const KINDS: Kind[] = ['rare latin substring', 'cjk surname+given (2)', 'cjk single char', 'email prefix (with @)', 'email local part (no @)', 'phone full', 'phone last 4', 'external ref'];

/** Keeps a uniform sample of `size` items from a stream of unknown length (reservoir sampling). */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(private readonly size: number) {}
  offer(rng: Rng, item: () => T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item());
    else {
      const j = Math.floor(rng.next() * this.seen);
      if (j < this.size) this.items[j] = item();
    }
  }
}

/** What the searches look for: drawn uniformly from all loaded rows, so old and new rows alike. */
class Samples {
  private readonly r = {
    tails: new Reservoir<string>(4000),
    cjkNames: new Reservoir<string>(4000),
    emails: new Reservoir<string>(4000),
    phones: new Reservoir<{ e164: string; country: string }>(4000),
    refs: new Reservoir<string>(4000),
  };
  get tails() { return this.r.tails.items; }
  get cjkNames() { return this.r.cjkNames.items; }
  get emails() { return this.r.emails.items; }
  get phones() { return this.r.phones.items; }
  get refs() { return this.r.refs.items; }
  add(d: GeneratedDebtor, rng: Rng): void {
    const f = d.fields;
    const tail = d.tail;
    if (tail) this.r.tails.offer(rng, () => tail);
    if (d.script === 'chinese' && f.kind === 'person') this.r.cjkNames.offer(rng, () => f.legalName);
    const email = f.emails?.[0]?.value;
    if (email) this.r.emails.offer(rng, () => email);
    const phone = f.phones?.[0]?.value;
    if (phone) this.r.phones.offer(rng, () => ({ e164: phone, country: f.addresses?.[0]?.country ?? '' }));
    const ref = f.externalRef;
    if (ref) this.r.refs.offer(rng, () => ref);
  }
  queries(rng: Rng, n: number): { kind: Kind; q: string }[] {
    const out: { kind: Kind; q: string }[] = [];
    for (let i = 0; i < n; i++) {
      // A rare surname as typed (accents and all), or its first 5–7 letters unaccented, as people type them.
      const tail = rng.pick(this.tails);
      const folded = foldText(tail);
      out.push({ kind: 'rare latin substring', q: rng.chance(0.5) ? tail : folded.slice(0, Math.min(folded.length, rng.int(5, 7))) });
      // Surname + first given character of a real (sampled, so frequency-weighted) name: 王伟, 李娜 …
      const name = rng.pick(this.cjkNames.filter((s) => s.length >= 2));
      out.push({ kind: 'cjk surname+given (2)', q: [...name].slice(0, 2).join('') });
      const chars = [...rng.pick(this.cjkNames)];
      out.push({ kind: 'cjk single char', q: rng.pick(chars) });
      const email = rng.pick(this.emails);
      const at = email.indexOf('@');
      out.push({ kind: 'email prefix (with @)', q: email.slice(0, at + 1 + rng.int(0, 4)) });
      out.push({ kind: 'email local part (no @)', q: email.slice(0, Math.max(4, at - rng.int(0, 3))) });
      const p = rng.pick(this.phones);
      const national = p.country === 'CN' ? p.e164.slice(3) : p.e164.slice(-9);
      out.push({ kind: 'phone full', q: rng.chance(0.5) ? p.e164 : national.replace(/^(\d{3})(\d{3,4})(\d+)$/, '$1 $2 $3') });
      out.push({ kind: 'phone last 4', q: rng.pick(this.phones).e164.slice(-4) });
      const ref = rng.pick(this.refs);
      out.push({ kind: 'external ref', q: rng.chance(0.5) ? ref : ref.toLowerCase() });
    }
    return out;
  }
}

// ---- bulk load -----------------------------------------------------------------------------------------

interface LoadStats {
  debtors: number;
  contacts: number;
  samples: Samples;
}

async function bulkLoad(owner: postgres.Sql, tenantId: string, n: number): Promise<LoadStats> {
  const gen = new DebtorGenerator(20240601);
  const sampleRng = new Rng(99);
  const samples = new Samples();
  let contacts = 0;
  // Creation times spread over the last three years, strictly increasing, so ids (UUIDv7) follow them.
  const end = Date.now() - 60_000;
  const start = end - 3 * 365 * 86_400_000;
  const step = Math.floor((end - start) / n);

  const debtorChunks: string[] = [];
  const contactChunks: string[] = [];
  let produced = 0;
  /** Generates the next CHUNK debtors into both queues. */
  function produce(): boolean {
    if (produced >= n) return false;
    let dRows = '';
    let cRows = '';
    const upto = Math.min(n, produced + CHUNK);
    for (; produced < upto; produced++) {
      const g = gen.next();
      samples.add(g, sampleRng);
      const f = g.fields;
      const ts = start + produced * step;
      const id = uuidv7(ts);
      const created = new Date(ts).toISOString();
      const legalName = f.legalName.normalize('NFC');
      const displayName = (f.displayName ?? legalName).normalize('NFC');
      const { searchText, keys } = searchColumns(legalName, displayName);
      const addresses = (f.addresses ?? []).map((a) => ({ label: a.label ?? null, line1: a.line1, line2: a.line2 ?? null, city: a.city, region: a.region ?? null, postalCode: a.postalCode ?? null, country: a.country }));
      dRows +=
        [
          tenantId, id, f.kind, text(legalName), text(displayName), text(f.externalRef), text(JSON.stringify(addresses)), text(f.preferredLanguage),
          text(f.timeZone), text(f.dateOfBirth), bool(f.deceased), bool(f.bankrupt), bool(f.ceaseCommunication), bool(f.vulnerable),
          textArray(f.tags ?? []), text(f.notes), text(f.riskRating), text(searchText), textArray(keys), created, created,
        ].join('\t') + '\n';
      (f.emails ?? []).forEach((e, position) => {
        cRows += [tenantId, uuidv7(ts), id, 'email', String(position), text(e.value), text(emailSearchValue(e.value)), text(e.label), created].join('\t') + '\n';
        contacts++;
      });
      (f.phones ?? []).forEach((p, position) => {
        cRows += [tenantId, uuidv7(ts), id, 'phone', String(position), text(p.value), text(phoneSearchValue(p.value)), text(p.label), created].join('\t') + '\n';
        contacts++;
      });
    }
    debtorChunks.push(dRows);
    contactChunks.push(cRows);
    return true;
  }
  // Both streams are fed from one generator. A stream whose queue is empty generates the next chunk unless
  // the other stream is already QUEUE_LIMIT chunks behind; then it waits for that one to catch up.
  const QUEUE_LIMIT = 8;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  async function* source(mine: string[], other: string[]): AsyncGenerator<string> {
    for (;;) {
      const next = mine.shift();
      if (next !== undefined) {
        wake();
        yield next;
        continue;
      }
      if (other.length < QUEUE_LIMIT) {
        if (!produce()) return;
        continue;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  // Two COPYs on two connections (the foreign keys are dropped for the load, so their order doesn't matter).
  const copy = (table: string, columns: string[], mine: string[], other: string[]) =>
    owner.begin(async (tx) => {
      await tx.unsafe(`truncate ${table}`); // same transaction as the COPY, so FREEZE applies
      const sink = await tx.unsafe(`copy ${table} (${columns.join(', ')}) from stdin with (freeze)`).writable();
      await pipeline(Readable.from(source(mine, other)), sink);
    });
  await Promise.all([
    copy('debtors', DEBTOR_COLUMNS, debtorChunks, contactChunks),
    copy('debtor_contact_points', CONTACT_COLUMNS, contactChunks, debtorChunks),
  ]);
  return { debtors: produced, contacts, samples };
}

// ---- main ----------------------------------------------------------------------------------------------

await runBench('bench-search', 20 * 60_000, async (tdb) => {
  const t0 = performance.now();
  const db = openPostgres({ url: tdb.url, poolSize: 4 });
  const owner = postgres(tdb.url, { max: 3, onnotice: () => {} });
  try {
    await db.migrate();
    const services = buildServices({ database: db, clock: systemClock, pii: new PiiCipher({ id: 'bench', key: randomBytes(32) }), platformAdminToken: undefined, onBackgroundError: (e) => console.error(e) });
    const platform: Actor = { principal: { kind: 'platform', tenantId: null, actorId: 'bench', scopes: new Set(SCOPES) }, requestId: 'bench', ip: null, userAgent: null };
    const { tenant } = await services.tenancy.createTenant(platform, { name: 'Search Bench Lending', timeZone: 'Asia/Shanghai' });
    // Benchmarks measure the work, not the plan: no limit on what they create.
    await services.billing.assignPlan(tenant.id, 'enterprise', 'benchmark');
    const tenantId = tenant.id;
    const actor = systemActor(tenantId, 'bench-search');

    // Secondary indexes of the two tables and every foreign key from or to them, as the migrations made them.
    const indexes = await owner<{ name: string; def: string }[]>`
      select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i
      where i.indrelid in ('debtors'::regclass, 'debtor_contact_points'::regclass)
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))`;
    const fks = await owner<{ name: string; tbl: string; def: string }[]>`
      select conname as name, conrelid::regclass::text as tbl, pg_get_constraintdef(oid) as def
      from pg_constraint where contype = 'f'
        and (conrelid in ('debtors'::regclass, 'debtor_contact_points'::regclass) or confrelid in ('debtors'::regclass, 'debtor_contact_points'::regclass))`;
    for (const f of fks) await owner.unsafe(`alter table ${f.tbl} drop constraint ${f.name}`);
    for (const i of indexes) await owner.unsafe(`drop index ${i.name}`);

    const t1 = performance.now();
    const loaded = await bulkLoad(owner, tenantId, DEBTORS);
    const t2 = performance.now();

    // Rebuild: two sessions in parallel (2 cores), the biggest GIN first.
    const queue = [...indexes].sort((x, y) => Number(y.def.includes('gin_trgm_ops')) - Number(x.def.includes('gin_trgm_ops')));
    const buildTimes: string[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        const conn = await owner.reserve();
        try {
          await conn.unsafe(`set maintenance_work_mem = '1GB'`);
          for (let i = queue.shift(); i; i = queue.shift()) {
            const s = performance.now();
            await conn.unsafe(i.def);
            buildTimes.push(`${i.name} ${seconds(performance.now() - s)}`);
          }
        } finally {
          conn.release();
        }
      }),
    );
    const t3 = performance.now();
    for (const f of fks) await owner.unsafe(`alter table ${f.tbl} add constraint ${f.name} ${f.def}`);
    const t4 = performance.now();
    await owner.unsafe('vacuum (analyze) debtors, debtor_contact_points');
    const t5 = performance.now();
    const [sizes] = await owner<{ debtors: string; contacts: string }[]>`
      select pg_size_pretty(pg_total_relation_size('debtors')) as debtors, pg_size_pretty(pg_total_relation_size('debtor_contact_points')) as contacts`;
    console.log(`loaded ${loaded.debtors.toLocaleString('en')} debtors and ${loaded.contacts.toLocaleString('en')} contact points into tenant ${tenantId}`);
    console.log(
      table(
        ['load step', 'time'],
        [
          ['migrate + tenant + drop indexes/FKs', seconds(t1 - t0)],
          ['generate + COPY FREEZE (2 streams)', seconds(t2 - t1)],
          ['re-create indexes (2 sessions)', seconds(t3 - t2)],
          ['re-add foreign keys (validate)', seconds(t4 - t3)],
          ['VACUUM ANALYZE', seconds(t5 - t4)],
          ['total', seconds(t5 - t0)],
        ],
      ),
    );
    console.log(`index builds: ${buildTimes.join(', ')}`);
    console.log(`sizes (with indexes): debtors ${sizes?.debtors}, debtor_contact_points ${sizes?.contacts}\n`);

    // ---- searches through the service ------------------------------------------------------------------
    const rng = new Rng(4242);
    const all = loaded.samples.queries(rng, PER_KIND);
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    const warm = loaded.samples.queries(new Rng(7), Math.ceil(WARMUP / KINDS.length));
    const filterFor = (q: string): DebtorListFilter => ({ search: planSearch(q), tags: [], flags: [], archived: false });
    for (const w of warm) await services.debtors.list(actor, filterFor(w.q), 'created_desc', 20, null);

    const times = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const hits = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const slowest = new Map<Kind, { ms: number; q: string }>();
    const tSearch = performance.now();
    for (const { kind, q } of all) {
      const s = performance.now();
      const page = await services.debtors.list(actor, filterFor(q), 'created_desc', 20, null);
      const ms = performance.now() - s;
      times.get(kind)!.push(ms);
      hits.get(kind)!.push(page.rows.length);
      if (ms > (slowest.get(kind)?.ms ?? -1)) slowest.set(kind, { ms, q });
    }
    const searchWall = performance.now() - tSearch;
    const rowFor = (label: string, ms: number[], h: number[] | null, slow: { ms: number; q: string } | null) => {
      const sorted = [...ms].sort((x, y) => x - y);
      return [
        label,
        String(ms.length),
        fmt(percentile(sorted, 50)),
        fmt(percentile(sorted, 95)),
        fmt(percentile(sorted, 99)),
        fmt(sorted[sorted.length - 1] ?? NaN),
        h ? fmt(h.reduce((x, y) => x + y, 0) / h.length, 1) : '',
        h ? `${Math.round((100 * h.filter((x) => x > 0).length) / h.length)}%` : '',
        slow ? JSON.stringify(slow.q) : '',
      ];
    };
    const rows = KINDS.map((k) => rowFor(k, times.get(k)!, hits.get(k)!, slowest.get(k) ?? null));
    rows.push(rowFor('overall', [...times.values()].flat(), [...hits.values()].flat(), null));
    console.log(`${all.length} searches (${PER_KIND} per kind, shuffled, one at a time, after ${warm.length} warm-up) through DebtorService.list (tenant transaction, RLS), first: 20, created_desc; ${seconds(searchWall)}`);
    console.log(table(['kind', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'avg rows', 'found', 'slowest query'], rows));
    const overall = [...times.values()].flat().sort((x, y) => x - y);
    console.log(`\noverall p50 ${fmt(percentile(overall, 50))} ms (aim < 20 ms)\n`);

    // ---- EXPLAIN one query per kind, exact SQL, same tenant context ------------------------------------
    let captured: { query: string; params: unknown[] } | null = null;
    const capture: DrizzleLogger = { logQuery: (query, params) => void (captured = { query, params }) };
    // Only used to render the statement: drizzle's logger sees the SQL and parameters before execution.
    const renderDb = drizzle(owner, { logger: capture }) as unknown as Tx;
    // Statements run inside a function (the search's branches) don't appear in EXPLAIN's output; auto_explain
    // logs their plans, and client_min_messages = log sends those log lines here as notices.
    const notices: string[] = [];
    const explainer = postgres(tdb.url, { max: 1, onnotice: (n) => void notices.push(String(n.message)) });
    const examples = loaded.samples.queries(new Rng(11), 1);
    const conn = await explainer.reserve();
    try {
      await conn.unsafe(`load 'auto_explain'`);
      await conn.unsafe(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on; set auto_explain.log_nested_statements = on; set client_min_messages = log`);
      for (const kind of KINDS) {
        const q = examples.find((e) => e.kind === kind)!.q;
        captured = null;
        await debtorRepository.list(renderDb, tenantId, filterFor(q), 'created_desc', 21, null);
        const stmt = captured as { query: string; params: unknown[] } | null;
        if (!stmt) throw new Error('no statement captured');
        await conn.unsafe('begin');
        await conn.unsafe(`select set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('app.agency_id', '', true), set_config('app.portfolio_ids', '', true)`, [APP_ROLE, tenantId]);
        notices.length = 0;
        // Unnamed statement, as drizzle sends it, so the plan is made with the parameter values.
        const plan = await conn.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${stmt.query}`, stmt.params as postgres.ParameterOrJSON<never>[], { prepare: false });
        await conn.unsafe('rollback');
        console.log(`--- EXPLAIN (ANALYZE, BUFFERS) ${kind}: ${JSON.stringify(q)} -> ${JSON.stringify(planSearch(q))}`);
        console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
        const nested = notices.filter((n) => !/explain \(analyze|set_config\(/i.test(n));
        for (const n of nested) console.log(`  [auto_explain, inside the function]\n${n.replace(/^/gm, '    ')}`);
        console.log('');
      }
    } finally {
      conn.release();
      await explainer.end({ timeout: 5 });
    }
    console.log(`total ${seconds(performance.now() - t0)}`);
  } finally {
    await db.close();
    await owner.end({ timeout: 5 });
  }
});
