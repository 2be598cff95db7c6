import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('accounts smoke', () => {
  it('portfolio, account, ledger, aging, alerts, import', async () => {
    const t = await h.tenant();
    const p = await t.gql(`mutation { createPortfolio(input: { name: "Cards 2026", currency: "CNY" }) { id currency } }`);
    expect(p.errors).toBeUndefined();
    const pid = p.data!.createPortfolio.id;
    const d = await t.gql(`mutation { createDebtor(input: { kind: PERSON, legalName: "张三" }) { id } }`);
    const did = d.data!.createDebtor.id;
    const a = await t.gql(`mutation($i: CreateAccountInput!) { createAccount(input: $i) { id status balance { total { minor decimal } } daysPastDue(asOf: "2026-03-10") delinquencyBucket(asOf: "2026-03-10") ledger { edges { node { kind amount { minor } } } } } }`, {
      i: { debtorId: did, portfolioId: pid, externalRef: 'ACC-1', productType: 'CREDIT_CARD', currency: 'CNY', originalPrincipal: '1000000', openingFees: '5000', openedOn: '2025-01-01', dueOn: '2026-03-01' },
    });
    expect(a.errors).toBeUndefined();
    expect(a.data!.createAccount).toMatchObject({ status: 'CURRENT', balance: { total: { minor: '1005000', decimal: '10050.00' } }, daysPastDue: 9, delinquencyBucket: '1-30' });
    const aid = a.data!.createAccount.id;
    const pay = await t.gql(`mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed entries { component amount { minor } } account { balance { principal { minor } fees { minor } } } } }`, {
      i: { accountId: aid, kind: 'PAYMENT', amount: '6000', currency: 'CNY', effectiveOn: '2026-03-05', idempotencyKey: 'pay-000001' },
    });
    expect(pay.errors).toBeUndefined();
    expect(pay.data!.postLedgerEntry.entries).toEqual([{ component: 'FEE', amount: { minor: '-5000' } }, { component: 'PRINCIPAL', amount: { minor: '-1000' } }]);
    const again = await t.gql(`mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed entries { id } } }`, {
      i: { accountId: aid, kind: 'PAYMENT', amount: '6000', currency: 'CNY', effectiveOn: '2026-03-05', idempotencyKey: 'pay-000001' },
    });
    expect(again.data!.postLedgerEntry.replayed).toBe(true);
    const an = await t.gql(`{ portfolioAnalytics(asOf: "2026-04-15", from: "2026-03-01", to: "2026-03-31") { accounts placed { minor } outstanding { minor } collectedInPeriod { minor } recoveryRateBasisPoints buckets { label accounts outstanding { minor } } } }`);
    expect(an.errors).toBeUndefined();
    expect(an.data!.portfolioAnalytics[0]).toMatchObject({ accounts: 1, placed: { minor: '1000000' }, outstanding: { minor: '999000' }, collectedInPeriod: { minor: '6000' }, recoveryRateBasisPoints: 60 });
    const r = await t.gql(`mutation { createAlertRule(input: { name: "30+", metric: DAYS_PAST_DUE, threshold: "1" }) { id } }`);
    expect(r.errors).toBeUndefined();
    const ev = await t.gql(`mutation { evaluateAlerts { raised holding } }`);
    expect(ev.errors).toBeUndefined();
    const ev2 = await t.gql(`mutation { evaluateAlerts { raised holding } }`);
    expect(ev2.data!.evaluateAlerts.raised).toBe(0);
    const imp = await t.gql(`mutation($i: ImportAccountsInput!) { importAccounts(input: $i) { rows accountsCreated accountsUnchanged debtorsCreated failed errors { line field message } } }`, {
      i: {
        portfolioId: pid,
        atomic: false,
        rows: [
          { debtorExternalRef: 'D1', debtorName: '李四', accountExternalRef: 'IMP-1', productType: 'loan', currency: 'CNY', principal: '100.50', openedOn: '2025-01-01', dueOn: '2025-02-01', debtorPhone: '+8613800138000' },
          { debtorExternalRef: 'D1', debtorName: '李四', accountExternalRef: 'IMP-2', productType: 'loan', currency: 'CNY', principal: '1.234', openedOn: '2025-01-01', dueOn: '2025-02-01' },
        ],
      },
    });
    expect(imp.errors).toBeUndefined();
    expect(imp.data!.importAccounts).toMatchObject({ rows: 2, accountsCreated: 1, debtorsCreated: 1, failed: 1 });
    const d2 = await t.gql(`{ debtors(filter: { search: "李四" }) { edges { node { accounts { externalRef balance { total { decimal } } } } } } }`);
    expect(d2.data!.debtors.edges[0].node.accounts).toEqual([{ externalRef: 'IMP-1', balance: { total: { decimal: '100.50' } } }]);
  });
});
