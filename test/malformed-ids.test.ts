import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

// 36 characters of hex digits and dashes that are still not a UUID: once answered INTERNAL (a database cast).
const NOT_A_UUID = '-'.repeat(36);

describe('ids inside inputs', () => {
  it('a malformed id is BAD_USER_INPUT naming the field, never a database error', async () => {
    const t = await h.tenant();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        `mutation($i: CreateAccountInput!) { createAccount(input: $i) { id } }`,
        { i: { debtorId: NOT_A_UUID, portfolioId: NOT_A_UUID, externalRef: 'X', productType: 'LOAN', currency: 'CNY', originalPrincipal: '100', openedOn: '2026-01-01', dueOn: '2026-02-01' } },
        'input.debtorId',
      ],
      [
        `mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed } }`,
        { i: { accountId: NOT_A_UUID, kind: 'PAYMENT', amount: '1', currency: 'CNY', effectiveOn: '2026-01-01', idempotencyKey: 'key-00000001' } },
        'input.accountId',
      ],
      [`mutation($i: ReverseLedgerEntryInput!) { reverseLedgerEntry(input: $i) { replayed } }`, { i: { entryId: 'abcdef', idempotencyKey: 'key-00000002' } }, 'input.entryId'],
      [`query($ids: [ID!]) { portfolioAnalytics(portfolioIds: $ids) { accounts } }`, { ids: [NOT_A_UUID] }, 'portfolioIds.0'],
      [`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, { i: { name: 'k', scopes: ['read'], portfolioIds: [NOT_A_UUID] } }, 'input.portfolioIds.0'],
    ];
    for (const [query, variables, field] of cases) {
      const e = errorOf(await t.gql(query, variables));
      expect({ code: e.code, field: e.field }).toEqual({ code: 'BAD_USER_INPUT', field });
    }
  });
});
