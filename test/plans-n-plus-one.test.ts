import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestTenant } from './harness.js';
import { createAccount, createDebtor, createPortfolio } from './accounts-fixtures.js';
import { pay, propose } from './plans-fixtures.js';

/** Lists of plans and payments with their nested fields cost the same number of statements for 2 rows as for 8. */
const clock = { now: () => new Date('2026-06-15T12:00:00Z') };
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await startHarness({ clock });
  await h.app.services.lastUsed.stop();
  t = await h.tenant();
  const p = await createPortfolio(t, 'CNY');
  for (let i = 0; i < 8; i++) {
    const did = await createDebtor(t, `Debtor ${i}`);
    const a = await createAccount(t, { debtorId: did, portfolioId: p.id, originalPrincipal: '90000', dueOn: '2026-03-01' });
    const plan = await propose(t, { accountIds: [a.id], startOn: '2026-06-15', installmentCount: 3, frequency: 'MONTHLY' });
    await pay(t, { planId: plan.id, amount: '45000' });
  }
});
afterAll(async () => h?.close());

async function statementsFor(query: string, first: number): Promise<{ n: number; data: any }> {
  const before = h.db.database.stats.statements;
  const r = await t.gql(query, { first });
  expect(r.errors).toBeUndefined();
  return { n: h.db.database.stats.statements - before, data: r.data };
}

describe('N+1 (plans and payments)', () => {
  it('plans with installments and accounts', async () => {
    const q = `query($first: Int!) { plans(first: $first) { edges { node { id installments { seq status paid { minor } } accounts { accountId covered { minor } } } } } }`;
    const small = await statementsFor(q, 2);
    const large = await statementsFor(q, 8);
    expect(large.data.plans.edges).toHaveLength(8);
    // 90000 / 3 = 30000 each; 45000 pays the first and half the second.
    for (const e of large.data.plans.edges) expect(e.node.installments.map((i: any) => [i.seq, i.status, i.paid.minor])).toEqual([[1, 'PAID', '30000'], [2, 'OPEN', '15000'], [3, 'OPEN', '0']]);
    expect(large.n).toBe(small.n);
  });

  it('payments with their ledger entries and installment shares', async () => {
    const q = `query($first: Int!) { payments(first: $first) { edges { node { id entries { component amount { minor } } installments { amount { minor } } } } } }`;
    const small = await statementsFor(q, 2);
    const large = await statementsFor(q, 8);
    expect(large.data.payments.edges).toHaveLength(8);
    for (const e of large.data.payments.edges) {
      expect(e.node.entries).toEqual([{ component: 'PRINCIPAL', amount: { minor: '-45000' } }]);
      expect(e.node.installments.map((x: any) => x.amount.minor)).toEqual(['30000', '15000']);
    }
    expect(large.n).toBe(small.n);
  });
});
