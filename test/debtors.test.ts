import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness, type TestTenant } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const DEBTOR = `
  id version kind legalName displayName externalRef
  emails { address label } phones { number label }
  addresses { label line1 line2 city region postalCode country }
  preferredLanguage timeZone dateOfBirth nationalIdMasked
  flags { deceased bankrupt ceaseCommunication vulnerable }
  tags notes riskRating archived archivedAt archivedReason createdAt updatedAt`;

const CREATE = `mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { ${DEBTOR} } }`;
const UPDATE = `mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { ${DEBTOR} } }`;
const ARCHIVE = `mutation($id: ID!, $reason: String) { archiveDebtor(id: $id, reason: $reason) { ${DEBTOR} } }`;
const GET = `query($id: ID!) { debtor(id: $id) { ${DEBTOR} } }`;
const REVEAL = `mutation($id: ID!) { revealDebtorNationalId(id: $id) { debtorId nationalId } }`;
const LIST = `query($first: Int, $after: String, $filter: DebtorFilter, $orderBy: DebtorOrder) {
  debtors(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id legalName displayName createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

type Debtor = Record<string, any> & { id: string; version: number };

async function create(t: TestTenant, input: Record<string, unknown>): Promise<Debtor> {
  const r = await t.gql<{ createDebtor: Debtor }>(CREATE, { input: { kind: 'PERSON', ...input } });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.createDebtor;
}

async function update(t: TestTenant, input: Record<string, unknown>): Promise<Debtor> {
  const r = await t.gql<{ updateDebtor: Debtor }>(UPDATE, { input });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.updateDebtor;
}

async function get(t: TestTenant, id: string): Promise<Debtor> {
  const r = await t.gql<{ debtor: Debtor }>(GET, { id });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.debtor;
}

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string; legalName: string; displayName: string; createdAt: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

async function list(t: TestTenant, vars: Record<string, unknown> = {}): Promise<Page> {
  const r = await t.gql<{ debtors: Page }>(LIST, vars);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.debtors;
}

/** Ids of the debtors a search finds (both archived and active). */
async function search(t: TestTenant, q: string): Promise<string[]> {
  const p = await list(t, { first: 100, filter: { search: q, archived: null } });
  expect(p.totalCount).toBe(p.edges.length);
  return p.edges.map((e) => e.node.id).sort();
}

async function auditCount(t: TestTenant): Promise<number> {
  const rows = await h.db.admin.query<{ n: number }>('select count(*)::int as n from audit_events where tenant_id = $1', [t.id]);
  return Number(rows[0]!.n);
}

const NATIONAL_ID = '110101199003074514';
const LONG_NOTES = (() => {
  // Exactly 10,000 code points, with newlines, tabs, CJK and an emoji (two UTF-16 units, one character).
  const block = '第一行：债务人承诺于月底还款。\nLine two\twith a tab.\r\n😀 end.\n';
  let s = '';
  while ([...s].length + [...block].length <= 10_000) s += block;
  while ([...s].length < 10_000) s += 'x';
  return s;
})();

describe('createDebtor', () => {
  it('stores and returns every field of a person, the national id only masked', async () => {
    const t = await h.tenant();
    const input = {
      kind: 'PERSON',
      legalName: '王小明',
      displayName: '小明',
      externalRef: 'ACC-2026-0001',
      emails: [
        { address: 'xm@example.cn', label: 'work' },
        { address: 'Wang.XM@Example.com', label: null },
      ],
      phones: [
        { number: '+8613800138000', label: 'mobile' },
        { number: '+14155552671' },
      ],
      addresses: [
        { label: 'home', line1: '朝阳区建国路88号', line2: '3单元 1201', city: '北京', region: '北京市', postalCode: '100022', country: 'cn' },
        { line1: '1 Market St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      ],
      preferredLanguage: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      dateOfBirth: '1990-03-07',
      nationalId: NATIONAL_ID,
      deceased: false,
      bankrupt: true,
      ceaseCommunication: true,
      vulnerable: true,
      tags: ['vip', '分期', 'region:north'],
      notes: LONG_NOTES,
      riskRating: 'HIGH',
    };
    const r = await t.gql<{ createDebtor: Debtor }>(CREATE, { input });
    expect(r.errors).toBeUndefined();
    const d = r.data!.createDebtor;
    expect(d.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(d).toMatchObject({
      version: 1,
      kind: 'PERSON',
      legalName: '王小明',
      displayName: '小明',
      externalRef: 'ACC-2026-0001',
      emails: [
        { address: 'xm@example.cn', label: 'work' },
        { address: 'Wang.XM@Example.com', label: null },
      ],
      phones: [
        { number: '+8613800138000', label: 'mobile' },
        { number: '+14155552671', label: null },
      ],
      addresses: [
        { label: 'home', line1: '朝阳区建国路88号', line2: '3单元 1201', city: '北京', region: '北京市', postalCode: '100022', country: 'CN' },
        { label: null, line1: '1 Market St', line2: null, city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      ],
      preferredLanguage: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      dateOfBirth: '1990-03-07',
      nationalIdMasked: '••••4514',
      flags: { deceased: false, bankrupt: true, ceaseCommunication: true, vulnerable: true },
      tags: ['vip', '分期', 'region:north'],
      riskRating: 'HIGH',
      archived: false,
      archivedAt: null,
      archivedReason: null,
    });
    expect(d.notes).toBe(LONG_NOTES);
    expect([...d.notes].length).toBe(10_000);
    expect(new Date(d.createdAt).getTime()).not.toBeNaN();
    // The national id never comes back in clear, anywhere in the answer.
    expect(JSON.stringify(r.data)).not.toContain(NATIONAL_ID);

    // And it reads back the same.
    const again = await get(t, d.id);
    expect(again).toEqual(d);
    expect(JSON.stringify(again)).not.toContain(NATIONAL_ID);
  });

  it('stores the national id encrypted, not in clear', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Cipher Test', nationalId: NATIONAL_ID });
    const rows = await h.db.admin.query<Record<string, unknown>>('select * from debtors where tenant_id = $1 and id = $2', [t.id, d.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.national_id_last4).toBe('4514');
    expect(row.national_id_key_id).toBe('test1');
    const cipher = Buffer.from(row.national_id_ciphertext as Uint8Array);
    expect(cipher.length).toBeGreaterThan(28);
    expect(cipher.toString('latin1')).not.toContain(NATIONAL_ID);
    expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(NATIONAL_ID);
  });

  it('canonicalises time zone, language, country and phone', async () => {
    const t = await h.tenant();
    const d = await create(t, {
      legalName: 'Canon',
      timeZone: 'asia/shanghai',
      preferredLanguage: 'zh-cn',
      addresses: [{ line1: 'x', city: 'y', country: ' de ' }],
      phones: [{ number: ' +8613800138000 ' }],
      emails: [{ address: '  spaced@example.com ' }],
    });
    expect(d).toMatchObject({
      timeZone: 'Asia/Shanghai',
      preferredLanguage: 'zh-CN',
      addresses: [{ country: 'DE' }],
      phones: [{ number: '+8613800138000' }],
      emails: [{ address: 'spaced@example.com' }],
    });
  });

  it('creates a business debtor', async () => {
    const t = await h.tenant();
    const d = await create(t, {
      kind: 'BUSINESS',
      legalName: '北京某某科技有限公司',
      displayName: '某某科技',
      externalRef: 'B-1',
      emails: [{ address: 'finance@company.cn' }],
      phones: [{ number: '+861065529988' }],
      addresses: [{ line1: '海淀区中关村大街1号', city: '北京', country: 'CN' }],
      riskRating: 'MEDIUM',
    });
    expect(d).toMatchObject({
      kind: 'BUSINESS',
      legalName: '北京某某科技有限公司',
      displayName: '某某科技',
      dateOfBirth: null,
      nationalIdMasked: null,
      riskRating: 'MEDIUM',
      flags: { deceased: false, bankrupt: false, ceaseCommunication: false, vulnerable: false },
    });
  });

  it('defaults displayName to the legal name and optional fields to empty', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: '  José Álvarez  ' });
    expect(d).toMatchObject({
      legalName: 'José Álvarez',
      displayName: 'José Álvarez',
      externalRef: null,
      emails: [],
      phones: [],
      addresses: [],
      preferredLanguage: null,
      timeZone: null,
      dateOfBirth: null,
      nationalIdMasked: null,
      tags: [],
      notes: null,
      riskRating: null,
      archived: false,
    });
    const blank = await create(t, { legalName: 'Blank Display', displayName: '   ' });
    expect(blank.displayName).toBe('Blank Display');
  });

  it('normalises the national id (spaces, dashes, case) and masks its last four', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Mask', nationalId: '110101 1990-0307 451x' });
    expect(d.nationalIdMasked).toBe('••••451X');
  });

  it('writes one audit event, with the national id redacted', async () => {
    const t = await h.tenant();
    const before = await auditCount(t);
    const d = await create(t, { legalName: 'Audited', nationalId: NATIONAL_ID, emails: [{ address: 'audited@example.com' }] });
    expect(await auditCount(t)).toBe(before + 1);
    const rows = await h.db.admin.query<{ action: string; entity_id: string; after: unknown }>(
      `select action, entity_id, after from audit_events where tenant_id = $1 order by seq desc limit 1`,
      [t.id],
    );
    expect(rows[0]).toMatchObject({ action: 'debtor.create', entity_id: d.id });
    expect(JSON.stringify(rows[0]!.after)).not.toContain(NATIONAL_ID);
    expect(JSON.stringify(rows[0]!.after)).not.toContain('audited@example.com');
  });
});

describe('updateDebtor', () => {
  it('increments the version; a stale version is CONFLICT on input.version and changes nothing', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Version One', notes: 'n1' });
    const u1 = await update(t, { id: d.id, version: 1, notes: 'n2' });
    expect(u1.version).toBe(2);
    expect(u1.notes).toBe('n2');
    expect(new Date(u1.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(d.updatedAt).getTime());
    const u2 = await update(t, { id: d.id, version: 2, notes: 'n3' });
    expect(u2.version).toBe(3);

    const audits = await auditCount(t);
    const stale = await t.gql(UPDATE, { input: { id: d.id, version: 2, notes: 'lost update' } });
    const e = errorOf(stale);
    expect(e.code).toBe('CONFLICT');
    expect(e.field).toBe('input.version');
    expect(e.ext.currentVersion).toBe(3);
    expect(stale.data).toBeNull();
    const ahead = await t.gql(UPDATE, { input: { id: d.id, version: 9, notes: 'from the future' } });
    expect(errorOf(ahead)).toMatchObject({ code: 'CONFLICT', field: 'input.version' });

    const now = await get(t, d.id);
    expect(now.version).toBe(3);
    expect(now.notes).toBe('n3');
    expect(await auditCount(t)).toBe(audits);
  });

  it('leaves omitted fields unchanged, clears optional fields given null, and replaces lists', async () => {
    const t = await h.tenant();
    const d = await create(t, {
      legalName: 'Patch Me',
      displayName: 'Patchy',
      externalRef: 'P-1',
      emails: [{ address: 'one@example.com' }, { address: 'two@example.com', label: 'old' }],
      phones: [{ number: '+8613800138000' }],
      addresses: [{ line1: 'a', city: 'b', country: 'CN' }],
      preferredLanguage: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      dateOfBirth: '1980-01-02',
      nationalId: NATIONAL_ID,
      vulnerable: true,
      tags: ['a', 'b'],
      notes: 'keep?',
      riskRating: 'LOW',
    });

    // Only emails given: the list is replaced, everything else stays.
    const u = await update(t, { id: d.id, version: d.version, emails: [{ address: 'three@example.com', label: 'new' }] });
    expect(u.emails).toEqual([{ address: 'three@example.com', label: 'new' }]);
    const { version: _v1, emails: _e1, updatedAt: _u1, ...restBefore } = d;
    const { version: _v2, emails: _e2, updatedAt: _u2, ...restAfter } = u;
    expect(restAfter).toEqual(restBefore);
    expect(u.version).toBe(d.version + 1);

    // null clears every optional field; displayName falls back to the legal name.
    const cleared = await update(t, {
      id: d.id,
      version: u.version,
      displayName: null,
      externalRef: null,
      emails: null,
      phones: null,
      addresses: null,
      preferredLanguage: null,
      timeZone: null,
      dateOfBirth: null,
      nationalId: null,
      tags: null,
      notes: null,
      riskRating: null,
    });
    expect(cleared).toMatchObject({
      legalName: 'Patch Me',
      displayName: 'Patch Me',
      externalRef: null,
      emails: [],
      phones: [],
      addresses: [],
      preferredLanguage: null,
      timeZone: null,
      dateOfBirth: null,
      nationalIdMasked: null,
      tags: [],
      notes: null,
      riskRating: null,
      flags: { vulnerable: true },
    });
    const revealed = await t.gql(REVEAL, { id: d.id });
    expect(revealed.data!.revealDebtorNationalId.nationalId).toBeNull();

    // Fresh read agrees with the mutation's answer.
    expect(await get(t, d.id)).toEqual(cleared);
  });

  it('refuses null for required fields', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Required' });
    for (const field of ['legalName', 'kind']) {
      const r = await t.gql(UPDATE, { input: { id: d.id, version: 1, [field]: null } });
      expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    }
    expect((await get(t, d.id)).version).toBe(1);
  });

  it('changes flags, kind and name; search follows the new name', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Old Name Person' });
    const u = await update(t, { id: d.id, version: 1, legalName: 'Fresh Label Ltd', kind: 'BUSINESS', deceased: true, ceaseCommunication: true });
    expect(u).toMatchObject({ kind: 'BUSINESS', legalName: 'Fresh Label Ltd', displayName: 'Fresh Label Ltd', flags: { deceased: true, ceaseCommunication: true, bankrupt: false, vulnerable: false } });
    expect(await search(t, 'fresh label')).toEqual([d.id]);
    expect(await search(t, 'old name')).toEqual([]);
  });

  it('keeps a display name that was set on purpose when the legal name changes', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Legal Before', displayName: 'Chosen Display' });
    const u = await update(t, { id: d.id, version: 1, legalName: 'Legal After' });
    expect(u).toMatchObject({ legalName: 'Legal After', displayName: 'Chosen Display' });
    expect(await search(t, 'chosen display')).toEqual([d.id]);
    expect(await search(t, 'legal after')).toEqual([d.id]);
    expect(await search(t, 'legal before')).toEqual([]);
  });

  it('re-validates the merged debtor: a person with a birth date cannot become a business', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Born', dateOfBirth: '1970-05-05' });
    const r = await t.gql(UPDATE, { input: { id: d.id, version: 1, kind: 'BUSINESS' } });
    expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.dateOfBirth' });
    const ok = await update(t, { id: d.id, version: 1, kind: 'BUSINESS', dateOfBirth: null });
    expect(ok).toMatchObject({ kind: 'BUSINESS', dateOfBirth: null, version: 2 });
  });

  it('replaces the national id and reveals the new one', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'New Id', nationalId: NATIONAL_ID });
    const u = await update(t, { id: d.id, version: 1, nationalId: 'G12345678' });
    expect(u.nationalIdMasked).toBe('••••5678');
    const r = await t.gql(REVEAL, { id: d.id });
    expect(r.data!.revealDebtorNationalId).toEqual({ debtorId: d.id, nationalId: 'G12345678' });
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    const t = await h.tenant();
    const r = await t.gql(UPDATE, { input: { id: '0190aaaa-0000-7000-8000-000000000000', version: 1, notes: 'x' } });
    expect(errorOf(r).code).toBe('NOT_FOUND');
  });
});

describe('archiveDebtor', () => {
  it('hides the debtor from the default list; filter archived:true / null shows it', async () => {
    const t = await h.tenant();
    const keep = await create(t, { legalName: 'Active One' });
    const gone = await create(t, { legalName: 'Archived One' });
    const a = await t.gql<{ archiveDebtor: Debtor }>(ARCHIVE, { id: gone.id, reason: 'Paid in full' });
    expect(a.errors).toBeUndefined();
    expect(a.data!.archiveDebtor).toMatchObject({ id: gone.id, archived: true, archivedReason: 'Paid in full', version: 2 });
    expect(a.data!.archiveDebtor.archivedAt).not.toBeNull();

    const ids = (p: Page) => p.edges.map((e) => e.node.id).sort();
    const dflt = await list(t);
    expect(ids(dflt)).toEqual([keep.id]);
    expect(dflt.totalCount).toBe(1);
    expect(ids(await list(t, { filter: {} }))).toEqual([keep.id]);
    expect(ids(await list(t, { filter: { archived: false } }))).toEqual([keep.id]);
    const archived = await list(t, { filter: { archived: true } });
    expect(ids(archived)).toEqual([gone.id]);
    expect(archived.totalCount).toBe(1);
    const both = await list(t, { filter: { archived: null } });
    expect(ids(both)).toEqual([keep.id, gone.id].sort());
    expect(both.totalCount).toBe(2);
    // Literal null too (not only through a variable).
    const lit = await t.gql<{ debtors: Page }>(`{ debtors(filter: { archived: null }) { totalCount } }`);
    expect(lit.data!.debtors.totalCount).toBe(2);

    // Still readable by id: nothing is deleted.
    expect((await get(t, gone.id)).archived).toBe(true);
  });

  it('refuses updates to an archived debtor with CONFLICT', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Frozen' });
    await t.gql(ARCHIVE, { id: d.id });
    const r = await t.gql(UPDATE, { input: { id: d.id, version: 2, notes: 'too late' } });
    expect(errorOf(r).code).toBe('CONFLICT');
    expect(errorOf(r).message).toMatch(/archived/);
    expect((await get(t, d.id)).notes).toBeNull();
  });

  it('is idempotent: archiving twice changes nothing and writes no second event', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Twice' });
    const first = await t.gql<{ archiveDebtor: Debtor }>(ARCHIVE, { id: d.id, reason: 'first' });
    const audits = await auditCount(t);
    const second = await t.gql<{ archiveDebtor: Debtor }>(ARCHIVE, { id: d.id, reason: 'second' });
    expect(second.errors).toBeUndefined();
    expect(second.data!.archiveDebtor).toEqual(first.data!.archiveDebtor);
    expect(second.data!.archiveDebtor).toMatchObject({ version: 2, archivedReason: 'first' });
    expect(await auditCount(t)).toBe(audits);
  });

  it('answers NOT_FOUND for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    const t = await h.tenant();
    expect(errorOf(await t.gql(ARCHIVE, { id: '0190aaaa-0000-7000-8000-000000000000' })).code).toBe('NOT_FOUND');
    expect(errorOf(await t.gql(ARCHIVE, { id: 'nope' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('revealDebtorNationalId', () => {
  it('returns the normalised value and audits the reveal', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Reveal', nationalId: '  1101-0119 9003 07451x ' });
    const before = await auditCount(t);
    const r = await t.gql(REVEAL, { id: d.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.revealDebtorNationalId).toEqual({ debtorId: d.id, nationalId: '11010119900307451X' });
    expect(await auditCount(t)).toBe(before + 1);
    const ev = await h.db.admin.query<{ action: string; after: unknown }>('select action, after from audit_events where tenant_id = $1 order by seq desc limit 1', [t.id]);
    expect(ev[0]!.action).toBe('debtor.reveal_national_id');
    expect(JSON.stringify(ev[0]!.after)).not.toContain('11010119900307451X');
  });

  it('answers null when no national id is on file', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'No Id' });
    const r = await t.gql(REVEAL, { id: d.id });
    expect(r.data!.revealDebtorNationalId).toEqual({ debtorId: d.id, nationalId: null });
  });

  it('needs the pii:reveal scope', async () => {
    const t = await h.tenant();
    const d = await create(t, { legalName: 'Guarded', nationalId: NATIONAL_ID });
    const { key } = await t.keyWith(['read', 'write']);
    const r = await h.gql(key, REVEAL, { id: d.id });
    expect(errorOf(r).code).toBe('FORBIDDEN');
    expect(JSON.stringify(r)).not.toContain(NATIONAL_ID);
  });
});

describe('externalRef', () => {
  it('is unique per tenant: a duplicate is CONFLICT on input.externalRef and writes nothing', async () => {
    const t = await h.tenant();
    const first = await create(t, { legalName: 'First', externalRef: 'DUP-1' });
    const audits = await auditCount(t);
    const dup = await t.gql(CREATE, { input: { kind: 'PERSON', legalName: 'Second', externalRef: 'DUP-1', emails: [{ address: 'second@example.com' }] } });
    expect(errorOf(dup)).toMatchObject({ code: 'CONFLICT', field: 'input.externalRef' });
    expect((await list(t, { filter: { archived: null } })).totalCount).toBe(1);
    expect(await auditCount(t)).toBe(audits);
    const cps = await h.db.admin.query<{ n: number }>('select count(*)::int as n from debtor_contact_points where tenant_id = $1', [t.id]);
    expect(Number(cps[0]!.n)).toBe(0);

    // Updating another debtor onto the same reference is refused the same way.
    const other = await create(t, { legalName: 'Other', externalRef: 'DUP-2' });
    const clash = await t.gql(UPDATE, { input: { id: other.id, version: 1, externalRef: 'DUP-1' } });
    expect(errorOf(clash)).toMatchObject({ code: 'CONFLICT', field: 'input.externalRef' });
    expect((await get(t, other.id)).externalRef).toBe('DUP-2');
    // Updating a debtor to its own reference is fine.
    expect((await update(t, { id: first.id, version: 1, externalRef: 'DUP-1', notes: 'same ref' })).externalRef).toBe('DUP-1');
  });

  it('the same reference in another tenant is fine', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const da = await create(a, { legalName: 'In A', externalRef: 'SHARED-REF' });
    const db = await create(b, { legalName: 'In B', externalRef: 'SHARED-REF' });
    expect(da.id).not.toBe(db.id);
    expect(await search(a, 'SHARED-REF')).toEqual([da.id]);
    expect(await search(b, 'shared-ref')).toEqual([db.id]);
  });

  it('several debtors may have no reference', async () => {
    const t = await h.tenant();
    await create(t, { legalName: 'No Ref 1' });
    await create(t, { legalName: 'No Ref 2', externalRef: '  ' });
    expect((await list(t)).totalCount).toBe(2);
  });
});

describe('pagination', () => {
  // Names chosen so name order differs from creation order, with ties that straddle page boundaries.
  const NAMES = ['Mia', 'alice', 'Zoe', 'Bob', 'Mia', '王五', 'Émile', 'Mia', 'bob', 'Aaron'];

  /** Code-point order, what `collate "C"` gives for UTF-8. */
  const byCodePoint = (a: string, b: string) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };

  async function seed(): Promise<{ t: TestTenant; created: Debtor[] }> {
    const t = await h.tenant();
    const created: Debtor[] = [];
    for (const name of NAMES) {
      created.push(await create(t, { legalName: name }));
      // Ids are UUIDv7 (millisecond time + random): keep creations in distinct milliseconds so creation order
      // is well defined. This spaces the writes; it asserts nothing about speed.
      await new Promise((r) => setTimeout(r, 2));
    }
    return { t, created };
  }

  async function walk(t: TestTenant, orderBy: string | undefined, first: number, filter?: unknown): Promise<{ pages: Page[]; ids: string[] }> {
    const pages: Page[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const p = await list(t, { first, after, orderBy, filter });
      pages.push(p);
      expect(p.pageInfo.hasPreviousPage).toBe(false);
      if (p.edges.length) {
        expect(p.pageInfo.startCursor).toBe(p.edges[0]!.cursor);
        expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1]!.cursor);
      }
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    return { pages, ids: pages.flatMap((p) => p.edges.map((e) => e.node.id)) };
  }

  it('walks CREATED_DESC (the default) across pages: newest first, no duplicates or gaps', async () => {
    const { t, created } = await seed();
    const { pages, ids } = await walk(t, undefined, 4);
    expect(pages.map((p) => p.edges.length)).toEqual([4, 4, 2]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
    expect(pages.every((p) => p.totalCount === 10)).toBe(true);
    expect(ids).toEqual(created.map((d) => d.id).reverse());
    expect(new Set(ids).size).toBe(10);
    const explicit = await walk(t, 'CREATED_DESC', 4);
    expect(explicit.ids).toEqual(ids);
  });

  it('walks CREATED_ASC: oldest first', async () => {
    const { t, created } = await seed();
    const { pages, ids } = await walk(t, 'CREATED_ASC', 4);
    expect(pages).toHaveLength(3);
    expect(ids).toEqual(created.map((d) => d.id));
  });

  it('walks NAME_ASC and NAME_DESC by code point, ties broken by id, across page boundaries', async () => {
    const { t, created } = await seed();
    const expectedAsc = [...created].sort((a, b) => byCodePoint(a.displayName, b.displayName) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const asc = await walk(t, 'NAME_ASC', 3);
    expect(asc.pages.map((p) => p.edges.length)).toEqual([3, 3, 3, 1]);
    expect(asc.pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, false]);
    expect(asc.ids).toEqual(expectedAsc.map((d) => d.id));
    expect(asc.pages.flatMap((p) => p.edges.map((e) => e.node.displayName))).toEqual(['Aaron', 'Bob', 'Mia', 'Mia', 'Mia', 'Zoe', 'alice', 'bob', 'Émile', '王五']);

    const desc = await walk(t, 'NAME_DESC', 3);
    expect(desc.ids).toEqual([...expectedAsc].reverse().map((d) => d.id));
  });

  it('a page size that divides the total exactly ends with hasNextPage false and no empty page', async () => {
    const { t } = await seed();
    const { pages, ids } = await walk(t, 'NAME_ASC', 5);
    expect(pages.map((p) => [p.edges.length, p.pageInfo.hasNextPage])).toEqual([
      [5, true],
      [5, false],
    ]);
    expect(new Set(ids).size).toBe(10);
  });

  it('paginates a filtered list, with totalCount counting only matches', async () => {
    const { t } = await seed();
    const { pages, ids } = await walk(t, 'CREATED_ASC', 2, { search: 'mia' });
    expect(ids).toHaveLength(3);
    expect(pages.map((p) => p.edges.length)).toEqual([2, 1]);
    expect(pages.every((p) => p.totalCount === 3)).toBe(true);
  });

  it('defaults to 20 per page and allows 100', async () => {
    const t = await h.tenant();
    for (let i = 0; i < 22; i++) await create(t, { legalName: `Bulk ${i}` });
    const dflt = await list(t);
    expect(dflt.edges).toHaveLength(20);
    expect(dflt.pageInfo.hasNextPage).toBe(true);
    expect(dflt.totalCount).toBe(22);
    const max = await list(t, { first: 100 });
    expect(max.edges).toHaveLength(22);
    expect(max.pageInfo.hasNextPage).toBe(false);
  });

  it('an empty list has null cursors', async () => {
    const t = await h.tenant();
    const p = await list(t, { first: 5 });
    expect(p).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it('refuses a cursor from another ordering', async () => {
    const { t } = await seed();
    const p = await list(t, { first: 2, orderBy: 'NAME_ASC' });
    const r = await t.gql(LIST, { first: 2, after: p.pageInfo.endCursor, orderBy: 'CREATED_DESC' });
    expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('search', () => {
  let t: TestTenant;
  const d: Record<string, Debtor> = {};

  beforeAll(async () => {
    t = await h.tenant();
    d.wang = await create(t, { legalName: 'Wang Lei', emails: [{ address: 'lei.wang@example.com' }], phones: [{ number: '+8613912345678' }] });
    d.jose = await create(t, { legalName: 'José Álvarez', externalRef: 'CRM-77-AB' });
    d.xm = await create(t, { legalName: '王小明', emails: [{ address: 'xiaoming@example.cn' }], phones: [{ number: '+8613800138000' }] });
    d.li = await create(t, { legalName: '李小红', displayName: '小红' });
    d.wide = await create(t, { legalName: 'ＡＢＣ Ｔｒａｄｉｎｇ' });
    d.us = await create(t, { legalName: 'Lee Brown', phones: [{ number: '+14155552671' }], emails: [{ address: 'lee@brown.us' }] });
    d.kana = await create(t, { legalName: 'やまだ たろう' });
  });

  it.each([
    ['WANG', ['wang']],
    ['wang', ['wang']],
    ['wAnG lEi', ['wang']],
    ['jose alvarez', ['jose']],
    ['JOSÉ', ['jose']],
    ['álvarez', ['jose']],
    ['alva', ['jose']],
  ])('is case- and accent-insensitive: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it.each([
    ['abc trading', ['wide']],
    ['ＷＡＮＧ', ['wang']],
    ['ｗａｎｇ ｌｅｉ', ['wang']],
    ['Ａｂｃ', ['wide']],
  ])('folds full-width forms: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it.each([
    ['王', ['xm']],
    ['小', ['xm', 'li']],
    ['明', ['xm']],
    ['小明', ['xm']],
    ['王小', ['xm']],
    ['小红', ['li']],
    ['王小明', ['xm']],
    ['李小红', ['li']],
    ['やまだ', ['kana']],
    ['た', ['kana']],
  ])('finds CJK substrings: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it('does not match CJK characters that are not adjacent', async () => {
    expect(await search(t, '王明')).toEqual([]);
    expect(await search(t, '小王')).toEqual([]);
  });

  it.each([
    ['w', ['wang']],
    ['wa', ['wang']],
    ['l', ['wang', 'us']],
    ['le', ['wang', 'us']],
    ['j', ['jose']],
    ['b', ['us']],
    ['w l', ['wang']],
  ])('matches 1–2 letter word prefixes: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it('does not match 1–2 letters in the middle of a word', async () => {
    expect(await search(t, 'ng')).toEqual([]);
    expect(await search(t, 'z')).toEqual([]);
  });

  it.each([
    ['xiaoming@example.cn', ['xm']],
    ['XIAOMING@EXAMPLE.CN', ['xm']],
    ['xiaoming@', ['xm']],
    ['xiaoming@exa', ['xm']],
    ['xiaom', ['xm']],
    ['lei.wang', ['wang']],
    ['lee@brown.us', ['us']],
    ['nobody@example.com', []],
  ])('finds by email, full or prefix: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it.each([
    ['+8613800138000', ['xm']],
    ['8613800138000', ['xm']],
    ['13800138000', ['xm']],
    ['138 0013 8000', ['xm']],
    ['138-0013-8000', ['xm']],
    ['8000', ['xm']],
    ['38000', ['xm']],
    ['5678', ['wang']],
    ['+14155552671', ['us']],
    ['(415) 555-2671', ['us']],
    ['2671', ['us']],
    ['9999', []],
  ])('finds by phone (E.164, national digits, last 4+ digits): %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it.each([
    ['CRM-77-AB', ['jose']],
    ['crm-77-ab', ['jose']],
    ['CRM-77', []], // references match exactly, not by prefix
  ])('finds by external reference: %j', async (q, keys) => {
    expect(await search(t, q)).toEqual(keys.map((k) => d[k]!.id).sort());
  });

  it('treats LIKE metacharacters literally', async () => {
    expect(await search(t, '%')).toEqual([]);
    expect(await search(t, '___')).toEqual([]);
    expect(await search(t, 'w%g')).toEqual([]);
  });

  it('a blank search matches everything', async () => {
    expect(await search(t, '   ')).toHaveLength(Object.keys(d).length);
  });

  it('searches the display name too', async () => {
    const x = await h.tenant();
    const a = await create(x, { legalName: 'Legal Person Corp', displayName: 'Brandname' });
    expect(await search(x, 'brandname')).toEqual([a.id]);
    expect(await search(x, 'legal person')).toEqual([a.id]);
  });

  it('stays inside the tenant', async () => {
    const other = await h.tenant();
    await create(other, { legalName: 'Wang Lei', emails: [{ address: 'lei.wang@example.com' }] });
    expect(await search(t, 'wang')).toEqual([d.wang!.id]);
    expect(await search(t, 'lei.wang@example.com')).toEqual([d.wang!.id]);
  });
});

describe('filters', () => {
  it('tags: all given tags must match', async () => {
    const t = await h.tenant();
    const a = await create(t, { legalName: 'A', tags: ['vip', 'north', '分期'] });
    const b = await create(t, { legalName: 'B', tags: ['vip'] });
    const c = await create(t, { legalName: 'C', tags: ['north'] });
    await create(t, { legalName: 'D' });
    const ids = async (filter: unknown) => (await list(t, { filter })).edges.map((e) => e.node.id).sort();
    expect(await ids({ tags: ['vip'] })).toEqual([a.id, b.id].sort());
    expect(await ids({ tags: ['north'] })).toEqual([a.id, c.id].sort());
    expect(await ids({ tags: ['vip', 'north'] })).toEqual([a.id]);
    expect(await ids({ tags: ['分期'] })).toEqual([a.id]);
    expect(await ids({ tags: ['vip', 'missing'] })).toEqual([]);
    expect(await ids({ tags: ['VIP'] })).toEqual([]);
    expect(await ids({ tags: [] })).toHaveLength(4);
    expect((await list(t, { filter: { tags: ['vip', 'north'] } })).totalCount).toBe(1);
  });

  it('flags: all given flags must be set', async () => {
    const t = await h.tenant();
    const dec = await create(t, { legalName: 'Dec', deceased: true });
    const decBank = await create(t, { legalName: 'DecBank', deceased: true, bankrupt: true });
    const cease = await create(t, { legalName: 'Cease', ceaseCommunication: true });
    const vuln = await create(t, { legalName: 'Vuln', vulnerable: true, tags: ['x'] });
    await create(t, { legalName: 'Plain' });
    const ids = async (filter: unknown) => (await list(t, { filter })).edges.map((e) => e.node.id).sort();
    expect(await ids({ flags: ['DECEASED'] })).toEqual([dec.id, decBank.id].sort());
    expect(await ids({ flags: ['DECEASED', 'BANKRUPT'] })).toEqual([decBank.id]);
    expect(await ids({ flags: ['CEASE_COMMUNICATION'] })).toEqual([cease.id]);
    expect(await ids({ flags: ['VULNERABLE'] })).toEqual([vuln.id]);
    expect(await ids({ flags: ['VULNERABLE'], tags: ['x'] })).toEqual([vuln.id]);
    expect(await ids({ flags: ['VULNERABLE'], tags: ['y'] })).toEqual([]);
    expect(await ids({ flags: ['BANKRUPT'], search: 'dec' })).toEqual([decBank.id]);
  });

  it('combines archived with the other filters', async () => {
    const t = await h.tenant();
    const a = await create(t, { legalName: 'Tagged Archived', tags: ['t'] });
    const b = await create(t, { legalName: 'Tagged Active', tags: ['t'] });
    await t.gql(ARCHIVE, { id: a.id });
    const ids = async (filter: unknown) => (await list(t, { filter })).edges.map((e) => e.node.id).sort();
    expect(await ids({ tags: ['t'] })).toEqual([b.id]);
    expect(await ids({ tags: ['t'], archived: true })).toEqual([a.id]);
    expect(await ids({ tags: ['t'], archived: null })).toEqual([a.id, b.id].sort());
    expect(await ids({ search: 'tagged', archived: true })).toEqual([a.id]);
  });
});
