import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { GqlResult, Harness, TestTenant } from './harness.js';

/**
 * Small builders shared by the accounts, accounts-security and import tests. Each one fails the test with the
 * GraphQL errors when the call it wraps does not succeed.
 */

export function ok<T = Record<string, any>>(r: GqlResult<T>): T {
  if (r.errors?.length || !r.data) throw new Error('unexpected GraphQL errors: ' + JSON.stringify(r.errors));
  return r.data;
}

/** A fresh idempotency key (8–128 of [A-Za-z0-9._:-]). */
export const idem = (prefix = 'k'): string => `${prefix}-${randomBytes(8).toString('hex')}`;

export const ACCOUNT = `id version status currency externalRef openedOn dueOn chargedOffOn oldestUnpaidDueOn
  portfolio { id } debtor { id }
  originalPrincipal { minor }
  balance { principal { minor } interest { minor } fees { minor } total { minor decimal } }`;

export const ENTRY = `id groupId kind component amount { minor currency } effectiveOn reversesEntryId memo`;

export interface Balance {
  principal: string;
  interest: string;
  fees: string;
  total: string;
}

/** An account's balance as four strings of minor units, for compact assertions. */
export function balanceOf(a: { balance: any }): Balance {
  return { principal: a.balance.principal.minor, interest: a.balance.interest.minor, fees: a.balance.fees.minor, total: a.balance.total.minor };
}

export async function createPortfolio(t: TestTenant, currency = 'CNY', name = `P ${randomBytes(3).toString('hex')}`): Promise<{ id: string; version: number; name: string; currency: string }> {
  return ok(await t.gql(`mutation($i: CreatePortfolioInput!) { createPortfolio(input: $i) { id version name currency } }`, { i: { name, currency } })).createPortfolio;
}

export async function createDebtor(t: TestTenant, legalName = '张三', externalRef?: string): Promise<string> {
  const r = await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: { kind: 'PERSON', legalName, ...(externalRef ? { externalRef } : {}) } });
  return ok(r).createDebtor.id;
}

export interface NewAccount {
  debtorId: string;
  portfolioId: string;
  externalRef?: string;
  productType?: string;
  currency?: string;
  originalPrincipal?: string;
  openingInterest?: string | null;
  openingFees?: string | null;
  openedOn?: string;
  dueOn?: string;
  chargedOffOn?: string | null;
}

export function accountInput(a: NewAccount): Record<string, unknown> {
  return {
    productType: 'LOAN',
    currency: 'CNY',
    originalPrincipal: '100000',
    openedOn: '2026-01-01',
    dueOn: '2026-03-01',
    externalRef: `ACC-${randomBytes(5).toString('hex')}`,
    ...a,
  };
}

export const CREATE_ACCOUNT = `mutation($i: CreateAccountInput!) { createAccount(input: $i) { ${ACCOUNT} } }`;

export async function createAccount(t: TestTenant, a: NewAccount): Promise<any> {
  return ok(await t.gql(CREATE_ACCOUNT, { i: accountInput(a) })).createAccount;
}

export const POST = `mutation($i: PostLedgerEntryInput!) { postLedgerEntry(input: $i) { replayed entries { ${ENTRY} } account { ${ACCOUNT} } } }`;
export const REVERSE = `mutation($i: ReverseLedgerEntryInput!) { reverseLedgerEntry(input: $i) { replayed entries { ${ENTRY} } account { ${ACCOUNT} } } }`;

export interface Posting {
  accountId: string;
  kind: string;
  amount: string;
  currency?: string;
  component?: string | null;
  effectiveOn?: string;
  memo?: string | null;
  idempotencyKey?: string;
}

export function postInput(p: Posting): Record<string, unknown> {
  return { currency: 'CNY', effectiveOn: '2026-03-05', idempotencyKey: idem('post'), ...p };
}

export function postRaw(t: TestTenant, p: Posting): Promise<GqlResult> {
  return t.gql(POST, { i: postInput(p) });
}

export async function post(t: TestTenant, p: Posting): Promise<{ replayed: boolean; entries: any[]; account: any }> {
  return ok(await postRaw(t, p)).postLedgerEntry;
}

export function reverseRaw(t: TestTenant, entryId: string, idempotencyKey = idem('rev'), memo?: string): Promise<GqlResult> {
  return t.gql(REVERSE, { i: { entryId, idempotencyKey, ...(memo ? { memo } : {}) } });
}

export async function reverse(t: TestTenant, entryId: string, idempotencyKey = idem('rev')): Promise<{ replayed: boolean; entries: any[]; account: any }> {
  return ok(await reverseRaw(t, entryId, idempotencyKey)).reverseLedgerEntry;
}

export async function getAccount(t: TestTenant, id: string): Promise<any> {
  return ok(await t.gql(`query($id: ID!) { account(id: $id) { ${ACCOUNT} } }`, { id })).account;
}

/** Every ledger entry of an account, oldest first. */
export async function ledgerOf(t: TestTenant, id: string): Promise<any[]> {
  const r = ok(await t.gql(`query($id: ID!) { account(id: $id) { ledger(first: 100) { edges { node { ${ENTRY} } } } } }`, { id }));
  return r.account.ledger.edges.map((e: any) => e.node).reverse();
}

/** The single error of a result: code, field and message. */
export function expectError(r: GqlResult, code: string, field?: string): { message: string; ext: Record<string, any> } {
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  const e = r.errors![0]!;
  expect(e.extensions.code, e.message).toBe(code);
  if (field !== undefined) expect(e.extensions.field, e.message).toBe(field);
  return { message: e.message, ext: e.extensions };
}

/** The text of an error and of its causes (drizzle wraps driver errors in "Failed query: …"). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: any = err, i = 0; e && i < 5; e = e.cause, i++) parts.push(String(e.message ?? e));
  return parts.join(' | ');
}

/**
 * Per account of a tenant: the materialised balances next to the ledger sums per component, straight from
 * the tables as the superuser (casts to text so both drivers answer the same).
 */
export async function balancesVsLedger(h: Harness, tenantId: string): Promise<{ id: string; p: string; i: string; f: string; lp: string; li: string; lf: string }[]> {
  return h.db.admin.query(
    `select a.id::text as id,
            a.principal_balance::text as p, a.interest_balance::text as i, a.fee_balance::text as f,
            coalesce(sum(l.amount) filter (where l.component = 'principal'), 0)::text as lp,
            coalesce(sum(l.amount) filter (where l.component = 'interest'), 0)::text as li,
            coalesce(sum(l.amount) filter (where l.component = 'fee'), 0)::text as lf
       from accounts a left join ledger_entries l on l.tenant_id = a.tenant_id and l.account_id = a.id
      where a.tenant_id = $1
      group by a.id, a.principal_balance, a.interest_balance, a.fee_balance
      order by a.id`,
    [tenantId],
  );
}

/** Row counts of a tenant's accounts-module tables, as the superuser. */
export async function tenantCounts(h: Harness, tenantId: string): Promise<{ accounts: number; debtors: number; entries: number; contacts: number }> {
  const [r] = await h.db.admin.query<{ accounts: number; debtors: number; entries: number; contacts: number }>(
    `select (select count(*) from accounts where tenant_id = $1)::int as accounts,
            (select count(*) from debtors where tenant_id = $1)::int as debtors,
            (select count(*) from ledger_entries where tenant_id = $1)::int as entries,
            (select count(*) from debtor_contact_points where tenant_id = $1)::int as contacts`,
    [tenantId],
  );
  return { accounts: Number(r!.accounts), debtors: Number(r!.debtors), entries: Number(r!.entries), contacts: Number(r!.contacts) };
}

/** Creates an API key on the tenant limited to some portfolios. */
export async function scopedKey(t: TestTenant, scopes: string[], portfolioIds: string[] | null): Promise<string> {
  const r = await t.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, {
    input: { name: `scoped ${scopes.join('+')}`, scopes, ...(portfolioIds ? { portfolioIds } : {}) },
  });
  return ok(r).createApiKey.secret;
}
