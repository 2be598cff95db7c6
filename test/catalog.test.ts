import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

/**
 * ARCHITECTURE.md §3, layer 3, read from pg_catalog: a table added without the tenant_id-led key, RLS
 * (enabled and forced) or a policy fails here, whatever its migration says.
 */

/** Global tables: no tenant_id column of their own. Still under RLS (checked below). */
const GLOBAL_TABLES = new Set(['tenants']);
/**
 * Platform tables: not the app role's at all (no privilege, checked below); RLS forced, policies for the owner
 * (or the authentication functions' role: rate_limit_counters) only.
 */
const PLATFORM_TABLES = new Set(['signing_keys', 'stripe_events', 'rate_limit_counters']);
/** The tables the foundation ships with; the catalog must contain at least these (guards against a vacuous pass). */
const KNOWN_TABLES = ['tenants', 'api_keys', 'debtors', 'debtor_contact_points', 'audit_events', 'audit_heads'];

interface TableInfo {
  name: string;
  rls: boolean;
  force: boolean;
  owner: string;
  pk: string | null; // comma-separated columns in key order
  policies: number;
}

let h: Harness;
let tables: TableInfo[];

beforeAll(async () => {
  h = await startHarness();
  tables = await h.db.admin.query<TableInfo>(`
    select c.relname as name,
           c.relrowsecurity as rls,
           c.relforcerowsecurity as force,
           pg_get_userbyid(c.relowner) as owner,
           (select array_to_string(array(
              select a.attname from unnest(k.conkey) with ordinality as u(attnum, ord)
              join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
              order by u.ord), ',')
            from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') as pk,
           (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
    order by c.relname`);
});
afterAll(async () => h?.close());

describe('catalog: every table is tenant-isolated', () => {
  it('finds the known tables in the public schema', () => {
    const names = tables.map((t) => t.name);
    for (const t of KNOWN_TABLES) expect(names).toContain(t);
  });

  it('every tenant table has a primary key whose first column is tenant_id', () => {
    const bad = tables
      .filter((t) => !GLOBAL_TABLES.has(t.name) && !PLATFORM_TABLES.has(t.name))
      .filter((t) => !t.pk || t.pk.split(',')[0] !== 'tenant_id')
      .map((t) => `${t.name} (pk: ${t.pk ?? 'none'})`);
    expect(bad).toEqual([]);
  });

  it('every table (global ones included) has row-level security enabled and forced', () => {
    const bad = tables.filter((t) => !t.rls || !t.force).map((t) => `${t.name} (enabled ${t.rls}, forced ${t.force})`);
    expect(bad).toEqual([]);
  });

  it('platform tables grant the app role nothing', async () => {
    for (const t of PLATFORM_TABLES) {
      const [r] = await h.db.admin.query<{ any: boolean }>(
        `select has_table_privilege('arrears_app', $1, 'SELECT') or has_table_privilege('arrears_app', $1, 'INSERT')
             or has_table_privilege('arrears_app', $1, 'UPDATE') or has_table_privilege('arrears_app', $1, 'DELETE') as any`,
        [t],
      );
      expect(r!.any, t).toBe(false);
    }
  });

  it('every table (global ones included) has at least one policy', () => {
    const bad = tables.filter((t) => t.policies < 1).map((t) => t.name);
    expect(bad).toEqual([]);
    expect(tables.find((t) => t.name === 'tenants')!.policies).toBeGreaterThan(0);
  });

  it('every permissive policy that applies to the app role compares with app.tenant_id, both USING and WITH CHECK', async () => {
    const policies = await h.db.admin.query<{ tbl: string; name: string; cmd: string; qual: string | null; chk: string | null }>(`
      select c.relname as tbl, p.polname as name, p.polcmd::text as cmd,
             pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as chk
      from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public'
        -- Restrictive policies are ANDed with the permissive ones: they can only narrow what a tenant sees.
        and p.polpermissive
        and (0::oid = any(p.polroles) or (select oid from pg_roles where rolname = 'arrears_app') = any(p.polroles))`);
    // Every table has one such policy …
    const covered = new Set(policies.map((p) => p.tbl));
    expect(tables.map((t) => t.name).filter((n) => !covered.has(n) && !PLATFORM_TABLES.has(n))).toEqual([]);
    expect(policies.filter((p) => PLATFORM_TABLES.has(p.tbl))).toEqual([]);
    // … and none of them lets rows through without the tenant comparison.
    for (const p of policies) {
      const column = GLOBAL_TABLES.has(p.tbl) ? 'id' : 'tenant_id';
      const tenantCheck = new RegExp(`\\b${column}\\b.*current_setting\\('app\\.tenant_id'`, 's');
      expect(p.qual, `${p.tbl}.${p.name} USING`).toMatch(tenantCheck);
      // '*' = ALL, 'a' = INSERT, 'w' = UPDATE: these must also check new rows.
      if (p.cmd === '*' || p.cmd === 'a' || p.cmd === 'w') {
        expect(p.chk ?? p.qual, `${p.tbl}.${p.name} WITH CHECK`).toMatch(tenantCheck);
      }
    }
  });

  it('every foreign key on a tenant table includes tenant_id, matched to tenant_id (or to tenants.id)', async () => {
    const fks = await h.db.admin.query<{ tbl: string; name: string; cols: string; ref: string; refcols: string }>(`
      select c.relname as tbl, k.conname as name, r.relname as ref,
             array_to_string(array(select a.attname from unnest(k.conkey) with ordinality u(n, o)
               join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.o), ',') as cols,
             array_to_string(array(select a.attname from unnest(k.confkey) with ordinality u(n, o)
               join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.o), ',') as refcols
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class r on r.oid = k.confrelid
      where k.contype = 'f' and n.nspname = 'public'`);
    expect(fks.length).toBeGreaterThan(0);
    const bad: string[] = [];
    for (const fk of fks) {
      if (GLOBAL_TABLES.has(fk.tbl)) continue;
      const cols = fk.cols.split(',');
      const refcols = fk.refcols.split(',');
      const i = cols.indexOf('tenant_id');
      const target = i < 0 ? undefined : refcols[i];
      const ok = target === 'tenant_id' || (fk.ref === 'tenants' && target === 'id');
      if (!ok) bad.push(`${fk.tbl}.${fk.name} (${fk.cols}) → ${fk.ref}(${fk.refcols})`);
    }
    expect(bad).toEqual([]);
  });

  it('the app role (and every other arrears_* role) is not a superuser, cannot bypass RLS, and owns no table', async () => {
    const roles = await h.db.admin.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      `select rolname, rolsuper, rolbypassrls from pg_roles where rolname like 'arrears\\_%' order by rolname`,
    );
    const names = roles.map((r) => r.rolname);
    expect(names).toContain('arrears_app');
    expect(names).toContain('arrears_auth');
    for (const r of roles) expect(r, r.rolname).toEqual({ rolname: r.rolname, rolsuper: false, rolbypassrls: false });
    // An owner could ALTER TABLE … DISABLE ROW LEVEL SECURITY.
    expect(tables.filter((t) => names.includes(t.owner)).map((t) => `${t.name} (owner ${t.owner})`)).toEqual([]);
  });
});
