import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestTenant } from './harness.js';

let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  // The last-used tracker flushes on a timer; stopping it keeps background statements out of the counts.
  await h.app.services.lastUsed.stop();
  t = await h.tenant();
  for (let i = 0; i < 60; i++) {
    const r = await t.gql(`mutation($input: CreateDebtorInput!) { createDebtor(input: $input) { id } }`, {
      input: {
        kind: 'PERSON',
        legalName: `Debtor ${String(i).padStart(2, '0')}`,
        emails: [{ address: `d${i}@example.com` }, { address: `d${i}.alt@example.org` }],
        phones: [{ number: `+86138001380${String(i).padStart(2, '0')}` }],
        nationalId: `11010119900307${String(1000 + i)}`,
        deceased: i % 7 === 0,
      },
    });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  }
});
afterAll(async () => h?.close());

const PAGE = `query($first: Int!) {
  debtors(first: $first) {
    edges { node { id emails { address } phones { number } flags { deceased } nationalIdMasked } }
    totalCount
  }
}`;

/** Statements the database ran to answer one request. */
async function statementsFor(query: string, variables: Record<string, unknown>): Promise<{ n: number; data: any }> {
  const before = h.db.database.stats.statements;
  const r = await t.gql(query, variables);
  const n = h.db.database.stats.statements - before;
  expect(r.errors).toBeUndefined();
  return { n, data: r.data };
}

describe('N+1', () => {
  it('a page of debtors with contact points costs the same number of statements for 5 and for 50', async () => {
    const small = await statementsFor(PAGE, { first: 5 });
    const large = await statementsFor(PAGE, { first: 50 });
    expect(small.data.debtors.edges).toHaveLength(5);
    expect(large.data.debtors.edges).toHaveLength(50);
    expect(large.data.debtors.totalCount).toBe(60);
    // Every node really did resolve its contact points.
    for (const e of large.data.debtors.edges) {
      expect(e.node.emails).toHaveLength(2);
      expect(e.node.phones).toHaveLength(1);
      expect(e.node.nationalIdMasked).toMatch(/^••••\d{4}$/);
    }
    expect(large.n).toBe(small.n);
    // And that constant is small: auth lookup, list, count, one batched contact-point load (plus transaction
    // framing), nowhere near one per debtor.
    expect(small.n).toBeGreaterThan(0);
    expect(small.n).toBeLessThan(15);
  });

  it('is stable: the same request costs the same again, and 100 costs what 1 costs', async () => {
    const a = await statementsFor(PAGE, { first: 50 });
    const b = await statementsFor(PAGE, { first: 50 });
    expect(b.n).toBe(a.n);
    const one = await statementsFor(PAGE, { first: 1 });
    const all = await statementsFor(PAGE, { first: 100 });
    expect(all.data.debtors.edges).toHaveLength(60);
    expect(all.n).toBe(one.n);
  });

  it('without contact points selected, no contact-point statement runs at all', async () => {
    const bare = await statementsFor(`query($first: Int!) { debtors(first: $first) { edges { node { id flags { deceased } } } totalCount } }`, { first: 50 });
    const full = await statementsFor(PAGE, { first: 50 });
    expect(bare.n).toBeLessThan(full.n);
  });

  it('the second page costs what the first does', async () => {
    const first = await t.gql(`{ debtors(first: 20) { pageInfo { endCursor } } }`);
    const after = first.data!.debtors.pageInfo.endCursor as string;
    const p1 = await statementsFor(`query($after: String) { debtors(first: 20, after: $after) { edges { node { id emails { address } phones { number } } } totalCount } }`, { after: null });
    const p2 = await statementsFor(`query($after: String) { debtors(first: 20, after: $after) { edges { node { id emails { address } phones { number } } } totalCount } }`, { after });
    expect(p2.data.debtors.edges).toHaveLength(20);
    expect(p2.n).toBe(p1.n);
  });
});
