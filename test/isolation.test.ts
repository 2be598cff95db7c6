import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, PLATFORM_TOKEN, startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';

/**
 * ARCHITECTURE.md §3 through the API: another tenant's id answers NOT_FOUND (never FORBIDDEN, which would
 * confirm it exists), lists and searches come back empty, and nothing of A's changes. The platform token and
 * under-scoped keys are refused before any data is touched.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const DEBTOR_FIELDS = `id version legalName displayName externalRef archived nationalIdMasked emails { address } phones { number } tags`;

interface Seeded {
  a: TestTenant;
  b: TestTenant;
  debtor: Record<string, any>;
  name: string;
  email: string;
  phone: string;
  ref: string;
  nationalId: string;
  aKeyIds: string[];
  aAuditCount: number;
}

/** Tenant A with one fully populated debtor; tenant B empty apart from its own initial key. */
async function seed(): Promise<Seeded> {
  const a = await h.tenant();
  const b = await h.tenant();
  const tag = randomBytes(4).toString('hex');
  const name = `Isolde Quarantine ${tag}`;
  const email = `isolde.${tag}@example.com`;
  const phone = '+86138' + String(Math.floor(1e7 + Math.random() * 9e7)).slice(0, 8);
  const ref = `A-REF-${tag}`;
  const nationalId = '1101011990' + String(Math.floor(1e7 + Math.random() * 9e7)).slice(0, 8);
  const r = await a.gql(
    `mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { ${DEBTOR_FIELDS} } }`,
    { input: { kind: 'PERSON', legalName: name, externalRef: ref, emails: [{ address: email }], phones: [{ number: phone }], nationalId, tags: ['vip'] } },
  );
  expect(r.errors).toBeUndefined();
  const keys = await a.gql<{ apiKeys: { id: string }[] }>(`{ apiKeys { id } }`);
  expect(keys.errors).toBeUndefined();
  const audit = await a.gql(`{ auditEvents(first: 100) { totalCount } }`);
  return {
    a,
    b,
    debtor: r.data!.createDebtor,
    name,
    email,
    phone,
    ref,
    nationalId,
    aKeyIds: keys.data!.apiKeys.map((k) => k.id),
    aAuditCount: audit.data!.auditEvents.totalCount,
  };
}

/** A's debtor, audit log and keys exactly as they were. */
async function expectAUnchanged(s: Seeded): Promise<void> {
  const d = await s.a.gql(`query($id: ID!) { debtor(id: $id) { ${DEBTOR_FIELDS} } }`, { id: s.debtor.id });
  expect(d.errors).toBeUndefined();
  expect(d.data!.debtor).toEqual(s.debtor);
  const audit = await s.a.gql(`{ auditEvents(first: 100) { totalCount edges { node { action actorId } } } verifyAuditLog { ok checked } }`);
  expect(audit.errors).toBeUndefined();
  expect(audit.data!.auditEvents.totalCount).toBe(s.aAuditCount);
  expect(audit.data!.verifyAuditLog).toEqual({ ok: true, checked: s.aAuditCount });
  const keys = await s.a.gql<{ apiKeys: { id: string; revokedAt: string | null }[] }>(`{ apiKeys(includeRevoked: true) { id revokedAt } }`);
  expect(keys.data!.apiKeys.map((k) => k.id).sort()).toEqual([...s.aKeyIds].sort());
  expect(keys.data!.apiKeys.every((k) => k.revokedAt === null)).toBe(true);
}

function expectNotFound(r: GqlResult, id: string): void {
  expect(r.status).toBe(200);
  expect(r.data).toBeNull();
  const e = errorOf(r);
  expect(e.code).toBe('NOT_FOUND');
  // Same answer as for an id that exists nowhere: nothing tells B that A's id is real.
  expect(e.message).toMatch(new RegExp(`${id} not found`, 'i'));
}

describe('cross-tenant: tenant B against tenant A’s data', () => {
  it('debtor(id) answers NOT_FOUND, exactly as for an id that does not exist', async () => {
    const s = await seed();
    const q = `query($id: ID!) { debtor(id: $id) { id legalName } }`;
    const theirs = await s.b.gql(q, { id: s.debtor.id });
    expectNotFound(theirs, s.debtor.id);
    const nowhere = randomUUID();
    const unknown = await s.b.gql(q, { id: nowhere });
    expectNotFound(unknown, nowhere);
    expect(errorOf(theirs).message.replace(s.debtor.id, 'ID')).toBe(errorOf(unknown).message.replace(nowhere, 'ID'));
    expect(Object.keys(errorOf(theirs).ext).sort()).toEqual(Object.keys(errorOf(unknown).ext).sort());
    // Upper-case spelling of the same uuid is no back door.
    expectNotFound(await s.b.gql(q, { id: s.debtor.id.toUpperCase() }), s.debtor.id);
    await expectAUnchanged(s);
  });

  it('debtors lists nothing of A’s, in any archived state or order', async () => {
    const s = await seed();
    for (const filter of [{}, { archived: null }, { archived: true }, { tags: ['vip'] }]) {
      for (const orderBy of ['CREATED_DESC', 'NAME_ASC']) {
        const r = await s.b.gql(`query($f: DebtorFilter, $o: DebtorOrder) { debtors(first: 100, filter: $f, orderBy: $o) { totalCount edges { node { id } } } }`, {
          f: filter,
          o: orderBy,
        });
        expect(r.errors).toBeUndefined();
        expect(r.data!.debtors).toEqual({ totalCount: 0, edges: [] });
      }
    }
    // The same query as A does find it (the query itself works).
    const mine = await s.a.gql(`{ debtors(first: 100) { totalCount edges { node { id } } } }`);
    expect(mine.data!.debtors.edges.map((e: any) => e.node.id)).toEqual([s.debtor.id]);
  });

  it('searching by A’s debtor’s name, email, phone or external reference finds nothing', async () => {
    const s = await seed();
    const q = `query($s: String!) { debtors(first: 100, filter: { search: $s, archived: null }) { totalCount edges { node { id } } } }`;
    const terms = [s.name, 'Isolde', 'Quarantine', s.email, s.email.split('@')[0]!, s.phone, s.phone.slice(-8), s.ref];
    for (const term of terms) {
      const theirs = await s.b.gql(q, { s: term });
      expect(theirs.errors, term).toBeUndefined();
      expect(theirs.data!.debtors, term).toEqual({ totalCount: 0, edges: [] });
      // Control: the same search as A finds the debtor, so the empty answer above is isolation, not a bad term.
      const mine = await s.a.gql(q, { s: term });
      expect(mine.data!.debtors.totalCount, `A searching ${term}`).toBe(1);
    }
  });

  it('updateDebtor on A’s debtor answers NOT_FOUND and changes nothing', async () => {
    const s = await seed();
    const r = await s.b.gql(`mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { id legalName } }`, {
      input: { id: s.debtor.id, version: s.debtor.version, legalName: 'Taken Over', emails: [{ address: 'attacker@example.com' }], nationalId: 'X1234567' },
    });
    expectNotFound(r, s.debtor.id);
    await expectAUnchanged(s);
  });

  it('archiveDebtor on A’s debtor answers NOT_FOUND and leaves it active', async () => {
    const s = await seed();
    const r = await s.b.gql(`mutation($id: ID!) { archiveDebtor(id: $id, reason: "mine now") { id archived } }`, { id: s.debtor.id });
    expectNotFound(r, s.debtor.id);
    await expectAUnchanged(s);
  });

  it('revealDebtorNationalId on A’s debtor answers NOT_FOUND, reveals nothing and is not audited in A', async () => {
    const s = await seed();
    const r = await s.b.gql(`mutation($id: ID!) { revealDebtorNationalId(id: $id) { debtorId nationalId } }`, { id: s.debtor.id });
    expectNotFound(r, s.debtor.id);
    expect(JSON.stringify(r)).not.toContain(s.nationalId);
    await expectAUnchanged(s);
    // Control: A's own reveal works (B's key has pii:reveal too, so only the tenant made the difference).
    const mine = await s.a.gql(`mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id: s.debtor.id });
    expect(mine.data!.revealDebtorNationalId.nationalId).toBe(s.nationalId);
  });

  it('auditEvents: B sees none of A’s events, filtered by A’s entity ids or not', async () => {
    const s = await seed();
    const q = `query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { totalCount edges { node { entityId entityType action actorId } } } }`;
    for (const f of [{ entityId: s.debtor.id }, { entityType: 'debtor', entityId: s.debtor.id }, { entityId: s.a.id }, { actorId: s.aKeyIds[0] }, { action: 'debtor.create' }]) {
      const r = await s.b.gql(q, { f });
      expect(r.errors, JSON.stringify(f)).toBeUndefined();
      expect(r.data!.auditEvents, JSON.stringify(f)).toEqual({ totalCount: 0, edges: [] });
    }
    // Unfiltered: only B's own tenant.create event.
    const all = await s.b.gql(q, { f: null });
    expect(all.data!.auditEvents.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ action: 'tenant.create', entityType: 'tenant', entityId: s.b.id }),
    ]);
    const verify = await s.b.gql(`{ verifyAuditLog { ok checked } }`);
    expect(verify.data!.verifyAuditLog).toEqual({ ok: true, checked: 1 });
    // Control: A does see its events with the same filter.
    const mine = await s.a.gql(q, { f: { entityId: s.debtor.id } });
    expect(mine.data!.auditEvents.totalCount).toBe(1);
  });

  it('apiKeys lists none of A’s keys, and revokeApiKey with A’s key id answers NOT_FOUND', async () => {
    const s = await seed();
    const list = await s.b.gql<{ apiKeys: { id: string; prefix: string }[] }>(`{ apiKeys(includeRevoked: true) { id prefix } }`);
    expect(list.errors).toBeUndefined();
    expect(list.data!.apiKeys).toHaveLength(1);
    for (const id of s.aKeyIds) expect(list.data!.apiKeys.map((k) => k.id)).not.toContain(id);
    // B's admin key is its tenant's last admin: if the lookup leaked, the answer would be CONFLICT or success.
    const extra = await s.a.keyWith(['admin']);
    for (const id of [...s.aKeyIds, extra.id]) {
      const r = await s.b.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id });
      expectNotFound(r, id);
    }
    s.aKeyIds.push(extra.id);
    s.aAuditCount += 1; // A's own api_key.create
    await expectAUnchanged(s);
    // A's keys still authenticate.
    const v = await h.gql(extra.key, `{ viewer { actorId } }`);
    expect(v.data!.viewer.actorId).toBe(extra.id);
  });

  it('B’s failed attempts leave no trace in B’s audit log either', async () => {
    const s = await seed();
    await s.b.gql(`mutation($id: ID!) { archiveDebtor(id: $id) { id } }`, { id: s.debtor.id });
    await s.b.gql(`mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id: s.debtor.id });
    await s.b.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: s.aKeyIds[0] });
    const r = await s.b.gql(`{ auditEvents(first: 100) { totalCount } }`);
    expect(r.data!.auditEvents.totalCount).toBe(1);
  });
});

describe('principals and scopes', () => {
  it('the platform token cannot read or write tenant data (FORBIDDEN)', async () => {
    const t = await h.tenant();
    const d = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Platform Probe" }) { id } }`);
    const id = d.data!.createDebtor.id;
    const attempts: [string, Record<string, unknown>?][] = [
      [`query($id: ID!) { debtor(id: $id) { id } }`, { id }],
      [`{ debtors(first: 10) { totalCount edges { node { id } } } }`],
      [`{ apiKeys { id } }`],
      [`{ auditEvents(first: 10) { totalCount } }`],
      [`{ verifyAuditLog { ok } }`],
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "Platform Write" }) { id } }`],
      [`mutation($id: ID!) { archiveDebtor(id: $id) { id } }`, { id }],
      [`mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id }],
      [`mutation { createApiKey(input: { name: "platform", scopes: ["admin"] }) { secret } }`],
    ];
    for (const [q, v] of attempts) {
      const r = await h.gql(PLATFORM_TOKEN, q, v);
      expect(r.data, q).toBeNull();
      expect(errorOf(r).code, q).toBe('FORBIDDEN');
    }
    // The platform viewer has no tenant.
    const viewer = await h.gql(PLATFORM_TOKEN, `{ viewer { kind tenant { id } } }`);
    expect(viewer.data!.viewer).toEqual({ kind: 'platform', tenant: null });
    // Nothing was written into the tenant.
    const list = await t.gql(`{ debtors(first: 10) { totalCount } auditEvents(first: 10) { totalCount } }`);
    expect(list.data!.debtors.totalCount).toBe(1);
    expect(list.data!.auditEvents.totalCount).toBe(2);
  });

  it('an API key, even with every scope, cannot call createTenant (FORBIDDEN)', async () => {
    const t = await h.tenant();
    const r = await t.gql(`mutation { createTenant(input: { name: "Rogue" }) { tenant { id } initialKey { secret } } }`);
    expect(r.data).toBeNull();
    expect(errorOf(r).code).toBe('FORBIDDEN');
    const n = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from tenants where name = 'Rogue'`);
    expect(n[0]!.n).toBe(0);
  });

  it('a read-only key can read but not createDebtor, updateDebtor or archiveDebtor (FORBIDDEN)', async () => {
    const t = await h.tenant();
    const d = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Scoped" }) { id version } }`);
    const { id, version } = d.data!.createDebtor;
    const ro = await t.keyWith(['read']);
    const read = await h.gql(ro.key, `{ debtors(first: 10) { totalCount } }`);
    expect(read.errors).toBeUndefined();
    expect(read.data!.debtors.totalCount).toBe(1);
    for (const [q, v] of [
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "Read Only Write" }) { id } }`, {}],
      [`mutation($id: ID!, $v: Int!) { updateDebtor(input: { id: $id, version: $v, legalName: "Changed" }) { id } }`, { id, v: version }],
      [`mutation($id: ID!) { archiveDebtor(id: $id) { id } }`, { id }],
    ] as const) {
      const r = await h.gql(ro.key, q, v);
      expect(r.data, q).toBeNull();
      const e = errorOf(r);
      expect(e.code, q).toBe('FORBIDDEN');
      expect(e.ext.missingScopes, q).toEqual(['write']);
    }
    const after = await t.gql(`query($id: ID!) { debtor(id: $id) { legalName archived version } debtors(first: 10) { totalCount } }`, { id });
    expect(after.data!.debtor).toEqual({ legalName: 'Scoped', archived: false, version: 1 });
    expect(after.data!.debtors.totalCount).toBe(1);
  });

  it('a key without pii:reveal cannot reveal a national id (FORBIDDEN), and the attempt is not audited', async () => {
    const t = await h.tenant();
    const d = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Secretive", nationalId: "110101199003074514" }) { id } }`);
    const id = d.data!.createDebtor.id;
    const rw = await t.keyWith(['read', 'write', 'admin']);
    const r = await h.gql(rw.key, `mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id });
    expect(r.data).toBeNull();
    expect(errorOf(r).code).toBe('FORBIDDEN');
    expect(errorOf(r).ext.missingScopes).toEqual(['pii:reveal']);
    expect(JSON.stringify(r)).not.toContain('110101199003074514');
    const events = await t.gql(`{ auditEvents(first: 100, filter: { action: "debtor.reveal_national_id" }) { totalCount } }`);
    expect(events.data!.auditEvents.totalCount).toBe(0);
  });

  it('a key without admin cannot list or manage apiKeys, nor read auditEvents or verifyAuditLog (FORBIDDEN)', async () => {
    const t = await h.tenant();
    const k = await t.keyWith(['read', 'write', 'pii:reveal']);
    const adminKeyId = (await t.gql(`{ viewer { actorId } }`)).data!.viewer.actorId;
    for (const [q, v] of [
      [`{ apiKeys { id } }`, {}],
      [`{ auditEvents(first: 10) { totalCount } }`, {}],
      [`{ verifyAuditLog { ok } }`, {}],
      [`mutation { createApiKey(input: { name: "escalate", scopes: ["admin"] }) { secret } }`, {}],
      [`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: adminKeyId }],
    ] as const) {
      const r = await h.gql(k.key, q, v);
      expect(r.data, q).toBeNull();
      expect(errorOf(r).code, q).toBe('FORBIDDEN');
    }
    // The key itself works for what it may do.
    const ok = await h.gql(k.key, `{ debtors(first: 1) { totalCount } }`);
    expect(ok.errors).toBeUndefined();
    // No key was created and the admin key was not revoked.
    const keys = await t.gql(`{ apiKeys(includeRevoked: true) { id revokedAt } }`);
    expect(keys.data!.apiKeys).toHaveLength(2);
    expect(keys.data!.apiKeys.every((x: any) => x.revokedAt === null)).toBe(true);
  });
});
