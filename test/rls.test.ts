import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AdminQuery, type Harness, type TestTenant } from './harness.js';
import { asApp as asAppIn, count, failure } from './sql-fixtures.js';

/**
 * ARCHITECTURE.md §3, layer 3, on its own: raw SQL as the app role, bypassing every repository filter.
 * Each check runs in its own admin transaction on one connection (on PGlite that transaction also holds the
 * database's queue, so no request interleaves with it); role and tenant are set transaction-locally, as the
 * app does.
 */

/** Tables tenant A is given rows in below; the zero-row checks also cover every other table the catalog lists. */
const SEEDED_TABLES = ['tenants', 'api_keys', 'debtors', 'debtor_contact_points', 'audit_events', 'audit_heads'];
/** Every table in public that the app role can read: `tenants` plus each table with a tenant_id column. */
let ALL_TABLES: string[] = [];

let h: Harness;
let a: TestTenant;
let b: TestTenant;
let aDebtorId: string;

beforeAll(async () => {
  h = await startHarness();
  // Tenant A with a row in every tenant table (a debtor with contact points, its audit event and head).
  a = await h.tenant();
  b = await h.tenant();
  for (const t of [a, b]) {
    const r = await t.gql<{ createDebtor: { id: string } }>(
      `mutation { createDebtor(input: { kind: PERSON, legalName: "RLS Probe", emails: [{ address: "probe@example.com" }], phones: [{ number: "+8613800138000" }] }) { id } }`,
    );
    expect(r.errors).toBeUndefined();
    if (t === a) aDebtorId = r.data!.createDebtor.id;
  }
  const tables = await h.db.admin.query<{ name: string }>(`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and has_table_privilege('arrears_app', c.oid, 'select')
      and (c.relname = 'tenants' or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))
    order by 1`);
  ALL_TABLES = tables.map((t) => t.name);
  for (const t of SEEDED_TABLES) expect(ALL_TABLES).toContain(t);
});
afterAll(async () => h?.close());

const tenantColumn = (table: string) => (table === 'tenants' ? 'id' : 'tenant_id');

const asApp = <T>(tenant: string | null, fn: (q: AdminQuery) => Promise<T>) => asAppIn(h, tenant, fn);

describe('RLS as the app role, by raw SQL', () => {
  it('the superuser sees tenant A’s rows in every seeded table (so the checks below are not vacuous)', async () => {
    for (const table of SEEDED_TABLES) {
      const n = await count(h.db.admin.query, `select count(*)::int as n from ${table} where ${tenantColumn(table)} = $1`, [a.id]);
      expect(n, table).toBeGreaterThan(0);
    }
  });

  it('with no tenant set, the app role sees zero rows of every tenant table', async () => {
    await asApp(null, async (q) => {
      const [setting] = await q<{ v: string | null }>(`select nullif(current_setting('app.tenant_id', true), '') as v`);
      expect(setting!.v).toBeNull();
      for (const table of ALL_TABLES) {
        expect(await count(q, `select count(*)::int as n from ${table}`), table).toBe(0);
      }
    });
  });

  it('with the tenant set to the empty string (what a finished transaction leaves behind), it sees zero rows too', async () => {
    await asApp('', async (q) => {
      for (const table of ALL_TABLES) expect(await count(q, `select count(*)::int as n from ${table}`), table).toBe(0);
    });
  });

  it('with tenant B set, it sees B’s rows and none of A’s', async () => {
    await asApp(b.id, async (q) => {
      for (const table of ALL_TABLES) {
        const col = tenantColumn(table);
        expect(await count(q, `select count(*)::int as n from ${table} where ${col} = $1`, [a.id]), `${table}: A's rows`).toBe(0);
        if (SEEDED_TABLES.includes(table)) {
          expect(await count(q, `select count(*)::int as n from ${table} where ${col} = $1`, [b.id]), `${table}: B's rows`).toBeGreaterThan(0);
        }
        expect(await count(q, `select count(*)::int as n from ${table} where ${col} <> $1`, [b.id]), `${table}: other rows`).toBe(0);
      }
      // Not even by primary key.
      expect(await count(q, `select count(*)::int as n from debtors where tenant_id = $1 and id = $2`, [a.id, aDebtorId])).toBe(0);
    });
  });

  it('with tenant B set, UPDATE of A’s rows touches nothing', async () => {
    await asApp(b.id, async (q) => {
      const updated = await q(`update debtors set legal_name = 'pwned' where tenant_id = $1 returning id`, [a.id]);
      expect(updated).toEqual([]);
      const keys = await q(`update api_keys set revoked_at = now() where tenant_id = $1 returning id`, [a.id]);
      expect(keys).toEqual([]);
    });
    const [row] = await h.db.admin.query<{ legal_name: string }>(`select legal_name from debtors where tenant_id = $1 and id = $2`, [a.id, aDebtorId]);
    expect(row!.legal_name).toBe('RLS Probe');
  });

  it('with tenant B set, inserting a debtor row for tenant A is refused by the WITH CHECK policy (42501)', async () => {
    const err = await failure(
      asApp(b.id, (q) =>
        q(
          `insert into debtors (tenant_id, id, kind, legal_name, display_name, search_text, search_keys)
           values ($1, $2, 'person', 'Planted', 'Planted', 'planted', '{}')`,
          [a.id, randomUUID()],
        ),
      ),
    );
    expect(err.code).toBe('42501');
    expect(err.message).toMatch(/row-level security/);
    expect(await count(h.db.admin.query, `select count(*)::int as n from debtors where tenant_id = $1 and legal_name = 'Planted'`, [a.id])).toBe(0);
  });

  it('with tenant B set, moving B’s own row to tenant A is refused (42501)', async () => {
    const err = await failure(asApp(b.id, (q) => q(`update debtors set tenant_id = $1 where tenant_id = $2`, [a.id, b.id])));
    expect(err.code).toBe('42501');
  });

  it('with no tenant set, inserting anything is refused (42501)', async () => {
    const err = await failure(
      asApp(null, (q) =>
        q(
          `insert into debtors (tenant_id, id, kind, legal_name, display_name, search_text, search_keys)
           values ($1, $2, 'person', 'Planted', 'Planted', 'planted', '{}')`,
          [a.id, randomUUID()],
        ),
      ),
    );
    expect(err.code).toBe('42501');
  });

  it('the app role cannot UPDATE or DELETE audit_events, even its own tenant’s (permission denied)', async () => {
    for (const stmt of [
      `update audit_events set action = 'forged' where tenant_id = $1`,
      `delete from audit_events where tenant_id = $1`,
    ]) {
      const err = await failure(asApp(b.id, (q) => q(stmt, [b.id])));
      expect(err.code, stmt).toBe('42501');
      expect(err.message, stmt).toMatch(/permission denied/);
    }
    const err = await failure(asApp(b.id, (q) => q(`truncate audit_events`)));
    expect(err.code).toBe('42501');
    expect(await count(h.db.admin.query, `select count(*)::int as n from audit_events where tenant_id = $1 and action = 'forged'`, [b.id])).toBe(0);
  });

  it('the app role cannot DELETE debtors, api_keys, tenants or audit_heads (permission denied)', async () => {
    for (const table of ['debtors', 'api_keys', 'tenants', 'audit_heads']) {
      const err = await failure(asApp(b.id, (q) => q(`delete from ${table} where ${tenantColumn(table)} = $1`, [b.id])));
      expect(err.code, table).toBe('42501');
      expect(err.message, table).toMatch(/permission denied/);
    }
    expect(await count(h.db.admin.query, `select count(*)::int as n from debtors where tenant_id = $1`, [b.id])).toBeGreaterThan(0);
  });

  it('the app role cannot turn RLS off or raise its own privileges', async () => {
    const alter = await failure(asApp(b.id, (q) => q(`alter table debtors disable row level security`)));
    expect(alter.code).toBe('42501');
    const bypass = await failure(asApp(b.id, (q) => q(`set local row_security = off`).then(() => q(`select * from debtors`))));
    // With row_security off, a role subject to RLS gets an error rather than unfiltered rows.
    expect(bypass.code).toBe('42501');
  });
});
