import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('smoke', () => {
  it('creates a tenant and a debtor and reads it back', async () => {
    const t = await h.tenant();
    const c = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "王小明", phones: [{ number: "+8613800138000" }], emails: [{address: "xm@example.cn"}], nationalId: "110101199003074514" }) { id version displayName nationalIdMasked phones { number } emails { address } } }`);
    expect(c.errors).toBeUndefined();
    expect(c.data!.createDebtor).toMatchObject({ version: 1, displayName: '王小明', nationalIdMasked: '••••4514' });
    const l = await t.gql(`{ debtors(first: 10, filter: { search: "小明" }) { totalCount edges { node { id phones { number } } } } }`);
    expect(l.errors).toBeUndefined();
    expect(l.data!.debtors.totalCount).toBe(1);
  });
});
