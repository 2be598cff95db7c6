import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgErrorOf } from '../src/shared/db-errors.js';
import { engine, errorOf, startHarness, type Harness, type TestTenant } from './harness.js';

/**
 * ARCHITECTURE.md §5: one event per mutation in the mutation's own transaction, append-only even for the
 * owner, hash-chained so verifyAuditLog names the first altered event, and no personal data in clear.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

interface EventRow {
  seq: number;
  action: string;
  entity_type: string;
  entity_id: string;
  actor_kind: string;
  actor_id: string;
  request_id: string | null;
  ip: string | null;
  before: string | null;
  after: string | null;
}

/** The tenant's events, read past the app (as the superuser), in chain order. */
async function events(tenantId: string): Promise<EventRow[]> {
  const rows = await h.db.admin.query<EventRow>(
    `select seq::int as seq, action, entity_type, entity_id, actor_kind, actor_id, request_id, ip, before::text as before, after::text as after
     from audit_events where tenant_id = $1 order by seq`,
    [tenantId],
  );
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

const requestId = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

async function adminKeyId(t: TestTenant): Promise<string> {
  const r = await t.gql(`{ viewer { actorId } }`);
  return r.data!.viewer.actorId;
}

async function verify(t: TestTenant): Promise<{ ok: boolean; checked: number; firstBrokenSeq: number | null; reason: string | null }> {
  const r = await t.gql(`{ verifyAuditLog { ok checked firstBrokenSeq reason } }`);
  expect(r.errors).toBeUndefined();
  return r.data!.verifyAuditLog;
}

describe('audit: one event per mutation', () => {
  it('each mutation writes exactly one event with its action, entity, actor and request id', async () => {
    const t = await h.tenant();
    const actorId = await adminKeyId(t);
    let seen = (await events(t.id)).length;
    expect(seen).toBe(1); // tenant.create

    /** Runs one mutation with its own request id; exactly one new event must follow, describing it. */
    async function expectOneEvent(label: string, query: string, variables: Record<string, unknown>, expected: { action: string; entityType: string; entityId?: string | ((data: any) => string) }) {
      const rid = requestId(label);
      const r = await h.gql(t.key, query, variables, { 'x-request-id': rid });
      expect(r.errors, label).toBeUndefined();
      expect(r.headers.get('x-request-id')).toBe(rid);
      const all = await events(t.id);
      expect(all.length, `${label}: events written`).toBe(seen + 1);
      seen = all.length;
      const e = all[all.length - 1]!;
      const entityId = typeof expected.entityId === 'function' ? expected.entityId(r.data) : expected.entityId;
      expect(e, label).toMatchObject({
        seq: all.length,
        action: expected.action,
        entity_type: expected.entityType,
        entity_id: entityId,
        actor_kind: 'api_key',
        actor_id: actorId,
        request_id: rid,
      });
      expect(e.ip, label).toBeTruthy();
      // Readable through the API too, by entity.
      const api = await t.gql(`query($f: AuditEventFilter) { auditEvents(first: 10, filter: $f) { edges { node { seq action requestId actorId } } } }`, {
        f: { entityId, action: expected.action },
      });
      expect(api.data!.auditEvents.edges.map((x: any) => x.node)).toContainEqual({ seq: e.seq, action: expected.action, requestId: rid, actorId });
      return { data: r.data as any, event: e };
    }

    const created = await expectOneEvent(
      'create',
      `mutation { createDebtor(input: { kind: PERSON, legalName: "Audit Trail", emails: [{ address: "trail@example.com" }] }) { id version } }`,
      {},
      { action: 'debtor.create', entityType: 'debtor', entityId: (d) => d.createDebtor.id },
    );
    const debtorId: string = created.data.createDebtor.id;
    expect(created.event.before).toBeNull();
    expect(JSON.parse(created.event.after!)).toMatchObject({ legalName: 'Audit Trail', version: 1 });

    const updated = await expectOneEvent(
      'update',
      `mutation($id: ID!) { updateDebtor(input: { id: $id, version: 1, legalName: "Audit Trail Renamed" }) { id version } }`,
      { id: debtorId },
      { action: 'debtor.update', entityType: 'debtor', entityId: debtorId },
    );
    // The diff names what changed and nothing else.
    const diffBefore = JSON.parse(updated.event.before!);
    const diffAfter = JSON.parse(updated.event.after!);
    expect(diffBefore).toMatchObject({ legalName: 'Audit Trail', version: 1 });
    expect(diffAfter).toMatchObject({ legalName: 'Audit Trail Renamed', version: 2 });
    expect(Object.keys(diffAfter).sort()).toEqual(Object.keys(diffBefore).sort());
    for (const unchanged of ['kind', 'emails', 'phones', 'tags', 'nationalId']) expect(diffAfter).not.toHaveProperty(unchanged);

    await expectOneEvent('reveal', `mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id: debtorId }, {
      action: 'debtor.reveal_national_id',
      entityType: 'debtor',
      entityId: debtorId,
    });

    const archived = await expectOneEvent('archive', `mutation($id: ID!) { archiveDebtor(id: $id, reason: "settled") { id archived } }`, { id: debtorId }, {
      action: 'debtor.archive',
      entityType: 'debtor',
      entityId: debtorId,
    });
    expect(JSON.parse(archived.event.after!)).toMatchObject({ archivedReason: 'settled', version: 3 });

    const key = await expectOneEvent(
      'create-key',
      `mutation { createApiKey(input: { name: "audited", scopes: ["read"] }) { secret apiKey { id } } }`,
      {},
      { action: 'api_key.create', entityType: 'api_key', entityId: (d) => d.createApiKey.apiKey.id },
    );
    const keyId: string = key.data.createApiKey.apiKey.id;

    await expectOneEvent('revoke-key', `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: keyId }, {
      action: 'api_key.revoke',
      entityType: 'api_key',
      entityId: keyId,
    });

    // Idempotent repeats write nothing.
    for (const [q, v] of [
      [`mutation($id: ID!) { archiveDebtor(id: $id) { id } }`, { id: debtorId }],
      [`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: keyId }],
    ] as const) {
      const r = await t.gql(q, v);
      expect(r.errors).toBeUndefined();
    }
    expect((await events(t.id)).length).toBe(seen);
    expect(await verify(t)).toEqual({ ok: true, checked: seen, firstBrokenSeq: null, reason: null });
  });

  it('an audit event that cannot be written (it is written with the COMMIT) rolls the change back', async () => {
    const t = await h.tenant();
    // A trigger refuses this one tenant's debtor.create events, as a full disk or a broken chain would.
    await h.db.admin.query(`create or replace function test_refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit refused'; end $$`);
    await h.db.admin.query(`create trigger test_refuse_audit before insert on audit_events for each row
      when (new.tenant_id = '${t.id}' and new.action = 'debtor.create') execute function test_refuse_audit()`);
    try {
      const before = (await events(t.id)).length;
      const r = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Never written", externalRef: "AUDIT-FAIL" }) { id } }`);
      expect(errorOf(r).code).toBe('INTERNAL');
      const [row] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from debtors where tenant_id = $1 and external_ref = 'AUDIT-FAIL'`, [t.id]);
      expect(Number(row!.n)).toBe(0);
      expect((await events(t.id)).length).toBe(before);
    } finally {
      await h.db.admin.query('drop trigger test_refuse_audit on audit_events');
    }
    // The chain is intact and the next mutation links to it.
    const next = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Written" }) { id } }`);
    expect(next.errors).toBeUndefined();
    expect(await verify(t)).toMatchObject({ ok: true });
  });

  it('a failed mutation writes no event', async () => {
    const t = await h.tenant();
    const d = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "Failing", externalRef: "REF-1" }) { id } }`);
    const id = d.data!.createDebtor.id;
    const before = (await events(t.id)).length;
    expect(before).toBe(2);

    const failures: [string, Record<string, unknown>, string][] = [
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "Bad", emails: [{ address: "not-an-email" }] }) { id } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "" }) { id } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "Bad", nationalId: "!!" }) { id } }`, {}, 'BAD_USER_INPUT'],
      // Fails inside the transaction, at the insert: the whole transaction rolls back.
      [`mutation { createDebtor(input: { kind: PERSON, legalName: "Duplicate", externalRef: "REF-1" }) { id } }`, {}, 'CONFLICT'],
      [`mutation($id: ID!) { updateDebtor(input: { id: $id, version: 7, legalName: "Stale" }) { id } }`, { id }, 'CONFLICT'],
      [`mutation($id: ID!) { updateDebtor(input: { id: $id, version: 1, phones: [{ number: "12" }] }) { id } }`, { id }, 'BAD_USER_INPUT'],
      [`mutation { updateDebtor(input: { id: "not-a-uuid", version: 1, legalName: "X" }) { id } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { archiveDebtor(id: "0190d5c4-0000-7000-8000-000000000000") { id } }`, {}, 'NOT_FOUND'],
      [`mutation { revealDebtorNationalId(id: "0190d5c4-0000-7000-8000-000000000000") { nationalId } }`, {}, 'NOT_FOUND'],
      [`mutation { createApiKey(input: { name: "bad", scopes: ["root"] }) { secret } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createApiKey(input: { name: "bad", scopes: ["read"], expiresAt: "2001-01-01T00:00:00Z" }) { secret } }`, {}, 'BAD_USER_INPUT'],
    ];
    for (const [q, v, code] of failures) {
      const r = await t.gql(q, v);
      expect(errorOf(r).code, q).toBe(code);
      expect((await events(t.id)).length, q).toBe(before);
    }
    // Refusing to revoke the last admin key is a failure too.
    const last = await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: await adminKeyId(t) });
    expect(errorOf(last).code).toBe('CONFLICT');
    expect((await events(t.id)).length).toBe(before);
    const n = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from debtors where tenant_id = $1`, [t.id]);
    expect(n[0]!.n).toBe(1);
    expect(await verify(t)).toMatchObject({ ok: true, checked: before });
  });
});

describe('audit: append-only', () => {
  it('UPDATE, DELETE and TRUNCATE on audit_events are refused even for the owner/superuser connection', async () => {
    const t = await h.tenant();
    const original = await events(t.id);
    expect(original).toHaveLength(1);
    const statements = [
      [`update audit_events set action = 'forged' where tenant_id = $1`, [t.id]],
      [`update audit_events set after = null where tenant_id = $1 and seq = 1`, [t.id]],
      [`delete from audit_events where tenant_id = $1`, [t.id]],
      [`truncate audit_events`, []],
      [`truncate audit_events cascade`, []],
    ] as const;
    for (const [stmt, params] of statements) {
      let error: unknown = null;
      await h.db.admin.query(stmt, [...params]).catch((e) => (error = e));
      expect(error, stmt).not.toBeNull();
      expect(pgErrorOf(error)?.code, stmt).toBe('42501');
      expect(String((error as Error).message) + String((error as { cause?: Error }).cause?.message ?? ''), stmt).toMatch(/append-only/);
    }
    // The superuser really is a superuser (the refusal is the trigger, not missing privileges).
    const [su] = await h.db.admin.query<{ s: string }>(`select current_setting('is_superuser') as s`);
    expect(su!.s).toBe('on');
    expect(await events(t.id)).toEqual(original);
    expect(await verify(t)).toMatchObject({ ok: true, checked: 1 });
  });
});

describe('audit: hash chain', () => {
  async function tenantWithEvents(n: number): Promise<TestTenant> {
    const t = await h.tenant();
    for (let i = 0; i < n; i++) {
      const r = await t.gql(`mutation($n: String!) { createDebtor(input: { kind: PERSON, legalName: $n }) { id } }`, { n: `Chain ${i}` });
      expect(r.errors).toBeUndefined();
    }
    return t;
  }

  /** Alters rows behind the trigger's back: what an attacker with superuser access could do. */
  async function tamper(stmt: string, params: unknown[]): Promise<void> {
    await h.db.admin.transaction(async (q) => {
      await q(`set local session_replication_role = replica`);
      await q(stmt, params);
    });
    // The setting was transaction-local: the trigger is back in force for the next statement.
    let error: unknown = null;
    await h.db.admin.query(`delete from audit_events where tenant_id = $1`, [params[0]]).catch((e) => (error = e));
    expect(pgErrorOf(error)?.code).toBe('42501');
  }

  it('an untouched log verifies ok, checking every event', async () => {
    const t = await tenantWithEvents(4);
    expect(await verify(t)).toEqual({ ok: true, checked: 5, firstBrokenSeq: null, reason: null });
  });

  it('names the exact seq of a row whose content a superuser altered', async () => {
    const t = await tenantWithEvents(5); // seq 1..6
    const other = await tenantWithEvents(1);
    await tamper(`update audit_events set after = jsonb_set(after, '{legalName}', '"Someone Else"') where tenant_id = $1 and seq = 4`, [t.id]);
    const [row] = await h.db.admin.query<{ n: string }>(`select after->>'legalName' as n from audit_events where tenant_id = $1 and seq = 4`, [t.id]);
    expect(row!.n).toBe('Someone Else');
    const result = await verify(t);
    expect(result).toMatchObject({ ok: false, firstBrokenSeq: 4 });
    expect(result.reason).toMatch(/hash/);
    // Another tenant's chain is unaffected.
    expect(await verify(other)).toMatchObject({ ok: true, checked: 2 });
  });

  it('names the exact seq when an actor, request id or timestamp is rewritten', async () => {
    for (const [column, value] of [
      ['actor_id', 'someone-else'],
      ['request_id', 'forged-request-id'],
      ['occurred_at', '2001-01-01T00:00:00Z'],
    ] as const) {
      const t = await tenantWithEvents(3); // seq 1..4
      await tamper(`update audit_events set ${column} = $2 where tenant_id = $1 and seq = 2`, [t.id, value]);
      expect(await verify(t), column).toMatchObject({ ok: false, firstBrokenSeq: 2 });
    }
  });

  it('names the seq of a deleted event, and of events missing at the end', async () => {
    const t = await tenantWithEvents(4); // seq 1..5
    await tamper(`delete from audit_events where tenant_id = $1 and seq = 3`, [t.id]);
    const gap = await verify(t);
    expect(gap).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    expect(gap.reason).toMatch(/gap/);

    const u = await tenantWithEvents(4); // seq 1..5
    await tamper(`delete from audit_events where tenant_id = $1 and seq = 5`, [u.id]);
    expect(await verify(u)).toMatchObject({ ok: false, firstBrokenSeq: 5 });
  });

  it('detects a re-hashed event: a forged row with a consistent own hash still breaks the next link', async () => {
    const t = await tenantWithEvents(3); // seq 1..4
    // Rewrite event 2 and its hash (a naive forger), without being able to rewrite event 3's prev_hash consistently.
    await tamper(`update audit_events set action = 'debtor.forged', hash = $2 where tenant_id = $1 and seq = 2`, [t.id, createHash('sha256').update('x').digest('hex')]);
    const r = await verify(t);
    expect(r.ok).toBe(false);
    expect(r.firstBrokenSeq).toBe(2);
  });
});

describe('audit: no personal data or secrets in clear', () => {
  it('before/after never contain the national id, full email or phone, or a key secret', async () => {
    const t = await h.tenant();
    const nationalId = '1101011990' + String(10_000_000 + Math.floor(Math.random() * 89_999_999));
    const newNationalId = 'G' + String(10_000_000 + Math.floor(Math.random() * 89_999_999));
    const email = `clear.${randomBytes(3).toString('hex')}@example.com`;
    const newEmail = `moved.${randomBytes(3).toString('hex')}@example.org`;
    const phone = '+8613912345678';
    const newPhone = '+447911123456';
    const dob = '1980-02-29';
    const c = await t.gql(`mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { id } }`, {
      input: { kind: 'PERSON', legalName: 'Private Person', nationalId, emails: [{ address: email }], phones: [{ number: phone }], dateOfBirth: dob, notes: 'owes for the car' },
    });
    expect(c.errors).toBeUndefined();
    const id = c.data!.createDebtor.id;
    const u = await t.gql(`mutation($input: UpdateDebtorInput!) { updateDebtor(input: $input) { id } }`, {
      input: { id, version: 1, nationalId: newNationalId, emails: [{ address: newEmail }], phones: [{ number: newPhone }], notes: 'paid half' },
    });
    expect(u.errors).toBeUndefined();
    const rev = await t.gql(`mutation($id: ID!) { revealDebtorNationalId(id: $id) { nationalId } }`, { id });
    expect(rev.data!.revealDebtorNationalId.nationalId).toBe(newNationalId);
    const k = await t.gql(`mutation { createApiKey(input: { name: "secret keeper", scopes: ["read", "admin"] }) { secret apiKey { id } } }`);
    const secret: string = k.data!.createApiKey.secret;
    await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: k.data!.createApiKey.apiKey.id });

    const rows = await h.db.admin.query<{ doc: string }>(`select row_to_json(e)::text as doc from audit_events e where tenant_id = $1 order by seq`, [t.id]);
    expect(rows.length).toBe(6);
    const text = rows.map((r) => r.doc).join('\n');
    const secretHash = createHash('sha256').update(secret).digest('hex');
    for (const forbidden of [
      nationalId,
      nationalId.slice(0, 12),
      newNationalId,
      email,
      email.split('@')[0]!,
      newEmail,
      newEmail.split('@')[0]!,
      phone,
      phone.slice(1),
      newPhone,
      newPhone.slice(1),
      dob,
      'owes for the car',
      'paid half',
      secret,
      secret.slice(-39), // the secret part with its checksum
      secretHash,
      t.key,
    ]) {
      expect(text, `audit log contains ${forbidden}`).not.toContain(forbidden);
    }
    // The events do say that these fields exist and changed, in redacted form.
    const update = JSON.parse(rows[2]!.doc);
    expect(update.action).toBe('debtor.update');
    expect(update.after).toMatchObject({ emails: [expect.stringMatching(/^m\*\*\*@example\.org$/)], phones: [expect.stringMatching(/3456$/)] });
    // Through the API the same holds (the admin-readable view is the stored one).
    const api = await t.gql(`{ auditEvents(first: 100) { edges { node { before after } } } }`);
    const apiText = JSON.stringify(api.data);
    for (const forbidden of [nationalId, newNationalId, email, newEmail, phone, newPhone, secret, secretHash]) expect(apiText).not.toContain(forbidden);
  });
});

describe('audit: concurrent writers keep one valid chain', () => {
  async function concurrentCreates(n: number): Promise<void> {
    const t = await h.tenant();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.gql(t.key, `mutation($n: String!) { createDebtor(input: { kind: PERSON, legalName: $n }) { id } }`, { n: `Concurrent ${i}` }, { 'x-request-id': `concurrent-${i}-${t.id}` }),
      ),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const all = await events(t.id);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    // Every request left exactly its own event.
    const rids = all.filter((e) => e.action === 'debtor.create').map((e) => e.request_id);
    expect(new Set(rids).size).toBe(n);
    const head = await h.db.admin.query<{ seq: number }>(`select seq::int as seq from audit_heads where tenant_id = $1`, [t.id]);
    expect(Number(head[0]!.seq)).toBe(n + 1);
    expect(await verify(t)).toEqual({ ok: true, checked: n + 1, firstBrokenSeq: null, reason: null });
  }

  it('20 concurrent createDebtor mutations in one tenant: seq 1..N without gaps, chain verifies', async () => {
    await concurrentCreates(20);
  });

  it.runIf(engine === 'postgres')('50 concurrent createDebtor mutations in one tenant (PostgreSQL only: PGlite has a single connection, so nothing contends)', async () => {
    await concurrentCreates(50);
  });
});
