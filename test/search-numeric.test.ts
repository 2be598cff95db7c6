import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const SEARCH = `query($q: String!) { debtors(filter: { search: $q }) { edges { node { legalName } } } }`;

describe('digit-only searches', () => {
  it('find phones by their end, and also numeric email local parts and numeric external references', async () => {
    const t = await h.tenant();
    const create = `mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`;
    for (const i of [
      { kind: 'PERSON', legalName: '马小云', emails: [{ address: '813572468@qq.com' }] },
      { kind: 'PERSON', legalName: '周大福', externalRef: '20260001' },
      { kind: 'PERSON', legalName: '钱多多', phones: [{ number: '+8613912345678' }] },
    ]) {
      const r = await t.gql(create, { i });
      expect(r.errors).toBeUndefined();
    }
    const names = async (q: string) => ((await t.gql(SEARCH, { q })).data!.debtors.edges as { node: { legalName: string } }[]).map((e) => e.node.legalName);
    expect(await names('8135724')).toEqual(['马小云']);
    expect(await names('20260001')).toEqual(['周大福']);
    expect(await names('5678')).toEqual(['钱多多']);
    expect(await names('139 1234 5678')).toEqual(['钱多多']);
    // Another tenant's numbers are never found.
    const other = await h.tenant();
    expect(((await other.gql(SEARCH, { q: '20260001' })).data!.debtors.edges as unknown[]).length).toBe(0);
  });
});
