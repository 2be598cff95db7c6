import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestTenant } from './harness.js';
import {
  accountInput,
  balanceOf,
  balancesVsLedger,
  CREATE_ACCOUNT,
  createAccount,
  createDebtor,
  createPortfolio,
  errorText,
  expectError,
  getAccount,
  idem,
  ledgerOf,
  ok,
  post,
  postInput,
  postRaw,
  POST,
  reverse,
  reverseRaw,
  tenantCounts,
} from './accounts-fixtures.js';

/**
 * Accounts and their ledger: portfolios, accounts, status changes, moves, postings and reversals, idempotency,
 * materialised balances against the ledger, aging (days past due, buckets, time zones, history), filters,
 * analytics and alert rules. Every expected figure below is worked out by hand in the comments.
 *
 * The clock is fixed at 2026-06-15T12:00:00Z: "today" is 2026-06-15 for a UTC tenant.
 */

const TODAY = '2026-06-15';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
});
afterAll(async () => h?.close());

/** A tenant with one CNY portfolio and one debtor: what most tests start from. */
async function setup(): Promise<{ t: TestTenant; pid: string; did: string }> {
  const t = await h.tenant();
  const p = await createPortfolio(t, 'CNY');
  const did = await createDebtor(t);
  return { t, pid: p.id, did };
}

const refs = (conn: { edges: { node: { externalRef: string } }[] }) => conn.edges.map((e) => e.node.externalRef).sort();

describe('portfolios', () => {
  const UPDATE = `mutation($i: UpdatePortfolioInput!) { updatePortfolio(input: $i) { id version name description currency status } }`;

  it('creates and updates with optimistic versions; names are unique per tenant; currencies must be ISO 4217', async () => {
    const t = await h.tenant();
    const c = ok(await t.gql(`mutation { createPortfolio(input: { name: "Cards", currency: "eur", description: "credit cards" }) { id version name description currency status } }`)).createPortfolio;
    expect(c).toMatchObject({ version: 1, name: 'Cards', description: 'credit cards', currency: 'EUR', status: 'ACTIVE' });

    const u = ok(await t.gql(UPDATE, { i: { id: c.id, version: 1, name: 'Cards 2026', description: null } })).updatePortfolio;
    expect(u).toMatchObject({ id: c.id, version: 2, name: 'Cards 2026', description: null, currency: 'EUR', status: 'ACTIVE' });

    // The version read before the update is stale now.
    const stale = await t.gql(UPDATE, { i: { id: c.id, version: 1, name: 'Lost update' } });
    expectError(stale, 'CONFLICT', 'input.version');
    expect(ok(await t.gql(`query($id: ID!) { portfolio(id: $id) { name version } }`, { id: c.id })).portfolio).toEqual({ name: 'Cards 2026', version: 2 });

    // Duplicate names: on create and on rename.
    expectError(await t.gql(`mutation { createPortfolio(input: { name: "Cards 2026", currency: "EUR" }) { id } }`), 'CONFLICT', 'input.name');
    const other = await createPortfolio(t, 'CNY', 'Loans');
    expectError(await t.gql(UPDATE, { i: { id: other.id, version: 1, name: 'Cards 2026' } }), 'CONFLICT', 'input.name');
    // Another tenant may use the same name.
    const t2 = await h.tenant();
    expect((await createPortfolio(t2, 'EUR', 'Cards 2026')).name).toBe('Cards 2026');

    // Bad currencies.
    expectError(await t.gql(`mutation { createPortfolio(input: { name: "X1", currency: "ABC" }) { id } }`), 'BAD_USER_INPUT', 'input.currency');
    expectError(await t.gql(`mutation { createPortfolio(input: { name: "X2", currency: "12" }) { id } }`), 'BAD_USER_INPUT', 'input.currency');
    expectError(await t.gql(`mutation { createPortfolio(input: { name: "X3", currency: "EURO" }) { id } }`), 'BAD_USER_INPUT', 'input.currency');
    // Nothing was created by the refused calls; the list is by name.
    expect(ok(await t.gql(`{ portfolios { name currency } }`)).portfolios).toEqual([
      { name: 'Cards 2026', currency: 'EUR' },
      { name: 'Loans', currency: 'CNY' },
    ]);
    expectError(await t.gql(`query($id: ID!) { portfolio(id: $id) { id } }`, { id: '00000000-0000-7000-8000-000000000000' }), 'NOT_FOUND');
    expectError(await t.gql(`{ portfolio(id: "not-a-uuid") { id } }`), 'BAD_USER_INPUT', 'id');
  });

  it('a closed portfolio takes no new accounts', async () => {
    const { t, pid, did } = await setup();
    ok(await t.gql(UPDATE, { i: { id: pid, version: 1, status: 'CLOSED' } }));
    expectError(await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: did, portfolioId: pid }) }), 'CONFLICT', 'input.portfolioId');
  });
});

describe('createAccount', () => {
  it('posts the opening entries, effective on the due date, and materialises the balance', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, {
      debtorId: did,
      portfolioId: pid,
      externalRef: 'ACC-OPEN-1',
      productType: 'CREDIT_CARD',
      originalPrincipal: '1000000',
      openingInterest: '25000',
      openingFees: '5000',
      openedOn: '2025-12-01',
      dueOn: '2026-03-01',
    });
    expect(a).toMatchObject({
      version: 1,
      status: 'CURRENT',
      currency: 'CNY',
      externalRef: 'ACC-OPEN-1',
      openedOn: '2025-12-01',
      dueOn: '2026-03-01',
      chargedOffOn: null,
      oldestUnpaidDueOn: '2026-03-01',
      portfolio: { id: pid },
      debtor: { id: did },
      originalPrincipal: { minor: '1000000' },
    });
    // 1,000,000 + 25,000 + 5,000 fen = 1,030,000 = 10,300.00 CNY
    expect(balanceOf(a)).toEqual({ principal: '1000000', interest: '25000', fees: '5000', total: '1030000' });
    expect(a.balance.total.decimal).toBe('10300.00');

    const ledger = await ledgerOf(t, a.id);
    expect(ledger.map((e) => [e.kind, e.component, e.amount.minor, e.effectiveOn, e.memo, e.reversesEntryId]).sort()).toEqual(
      [
        ['FEE', 'FEE', '5000', '2026-03-01', 'opening balance', null],
        ['INTEREST', 'INTEREST', '25000', '2026-03-01', 'opening balance', null],
        ['PRINCIPAL', 'PRINCIPAL', '1000000', '2026-03-01', 'opening balance', null],
      ].sort(),
    );
    expect(new Set(ledger.map((e) => e.groupId)).size).toBe(1);

    // No interest or fees: a single principal entry. A zero principal: no entry and nothing owed.
    const b = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '700' });
    expect((await ledgerOf(t, b.id)).map((e) => [e.kind, e.amount.minor])).toEqual([['PRINCIPAL', '700']]);
    const z = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '0' });
    expect(await ledgerOf(t, z.id)).toEqual([]);
    expect(z).toMatchObject({ oldestUnpaidDueOn: null, balance: { total: { minor: '0' } } });

    // A charge-off date on creation: the account starts charged off.
    const c = await createAccount(t, { debtorId: did, portfolioId: pid, openedOn: '2025-01-01', dueOn: '2025-02-01', chargedOffOn: '2025-08-01' });
    expect(c).toMatchObject({ status: 'CHARGED_OFF', chargedOffOn: '2025-08-01' });
  });

  it('refuses bad input, naming the field; refused calls write nothing', async () => {
    const { t, pid, did } = await setup();
    const eur = await createPortfolio(t, 'EUR');
    const create = (a: Record<string, unknown>) => t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: did, portfolioId: pid, ...a }) });

    // The currency must be the portfolio's, and a real one.
    const mismatch = expectError(await create({ currency: 'EUR' }), 'BAD_USER_INPUT', 'input.currency');
    expect(mismatch.message).toContain('CNY');
    expectError(await create({ currency: 'ZZZ' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await create({ portfolioId: eur.id, currency: 'CNY' }), 'BAD_USER_INPUT', 'input.currency');

    // Dates: due before opened, charged off before opened, impossible calendar dates.
    expectError(await create({ openedOn: '2026-03-02', dueOn: '2026-03-01' }), 'BAD_USER_INPUT', 'input.dueOn');
    expectError(await create({ openedOn: '2026-03-02', dueOn: '2026-04-01', chargedOffOn: '2026-03-01' }), 'BAD_USER_INPUT', 'input.chargedOffOn');
    expectError(await create({ openedOn: '2026-02-30' }), 'BAD_USER_INPUT', 'input.openedOn');
    expectError(await create({ dueOn: '2026-02-30' }), 'BAD_USER_INPUT', 'input.dueOn');
    expectError(await create({ dueOn: '2026-3-1' }), 'BAD_USER_INPUT', 'input.dueOn');

    // Amounts: integer minor units, not negative, within bigint.
    for (const bad of ['-1', '10.5', '1e3', '9223372036854775808', '99999999999999999999999', 'abc']) {
      expectError(await create({ originalPrincipal: bad }), 'BAD_USER_INPUT', 'input.originalPrincipal');
    }
    const neg = expectError(await create({ originalPrincipal: '-1' }), 'BAD_USER_INPUT', 'input.originalPrincipal');
    expect(neg.message).toContain('negative');
    const big = expectError(await create({ originalPrincipal: '9223372036854775808' }), 'BAD_USER_INPUT', 'input.originalPrincipal');
    expect(big.message).toContain('range');
    expectError(await create({ openingFees: '-5' }), 'BAD_USER_INPUT', 'input.openingFees');
    expectError(await create({ openingInterest: '0.5' }), 'BAD_USER_INPUT', 'input.openingInterest');

    // Unknown debtor or portfolio: NOT_FOUND; malformed ids: BAD_USER_INPUT.
    expectError(await create({ debtorId: '00000000-0000-7000-8000-000000000001' }), 'NOT_FOUND');
    expectError(await create({ portfolioId: '00000000-0000-7000-8000-000000000001' }), 'NOT_FOUND');
    expectError(await create({ debtorId: 'nope' }), 'BAD_USER_INPUT', 'input.debtorId');

    expect((await tenantCounts(h, t.id)).accounts).toBe(0);

    // The largest amount bigint holds is accepted.
    const max = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '9223372036854775807' });
    expect(max.balance.principal.minor).toBe('9223372036854775807');

    // External references are unique in the tenant, across portfolios.
    await createAccount(t, { debtorId: did, portfolioId: pid, externalRef: 'DUP-1' });
    const other = await createPortfolio(t, 'CNY');
    const dup = expectError(await create({ portfolioId: other.id, externalRef: 'DUP-1' }), 'CONFLICT', 'input.externalRef');
    expect(dup.message).toContain('DUP-1');
    expect((await tenantCounts(h, t.id)).accounts).toBe(2);
  });
});

describe('amounts near the bigint limit', () => {
  it('keeps each balance and the total owed within bigint, so analytics and alert evaluation keep working', async () => {
    const { t, pid, did } = await setup();
    const MAX = 9223372036854775807n;
    // Principal at the limit plus 1 fee: each amount fits, the total owed does not.
    const r = await t.gql(CREATE_ACCOUNT, { i: accountInput({ debtorId: did, portfolioId: pid, originalPrincipal: String(MAX), openingFees: '1' }) });
    expectError(r, 'BAD_USER_INPUT', 'input.originalPrincipal');
    expect((await tenantCounts(h, t.id)).accounts).toBe(0);

    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: String(MAX - 1n), dueOn: '2026-03-01' });
    expectError(await postRaw(t, { accountId: a.id, kind: 'FEE', amount: '2' }), 'BAD_USER_INPUT', 'input.amount');
    const full = await post(t, { accountId: a.id, kind: 'FEE', amount: '1' });
    expect(full.account.balance.total.minor).toBe(String(MAX));
    // A payment, a charge back to the limit, then reversing the payment would overflow: refused.
    const pay = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1', effectiveOn: '2026-06-01' });
    await post(t, { accountId: a.id, kind: 'INTEREST', amount: '1' });
    expectError(await reverseRaw(t, pay.entries[0].id), 'BAD_USER_INPUT', 'input.entryId');

    // 10^15 owed: 10^15 × 10,000 overflows bigint; the ratio is still 10,000 bp (all overdue).
    await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '1000000000000000', dueOn: '2026-03-01' });
    ok(await t.gql(`mutation { createAlertRule(input: { name: "all overdue", metric: OVERDUE_RATIO, threshold: "10000" }) { id } }`));
    expect(ok(await t.gql(`mutation { evaluateAlerts { raised holding } }`)).evaluateAlerts).toEqual({ raised: 2, holding: 2 });
    const values = ok(await t.gql(`{ alerts { edges { node { value } } } }`)).alerts.edges.map((e: any) => e.node.value);
    expect(values).toEqual(['10000', '10000']);

    // Portfolio totals may exceed bigint (they are sums): (2^63 − 1) + 10^15.
    const an = ok(await t.gql(`{ portfolioAnalytics { placed { minor } outstanding { minor } buckets { label accounts } } }`)).portfolioAnalytics[0];
    expect(an.placed.minor).toBe(String(MAX - 1n + 10n ** 15n));
    expect(an.outstanding.minor).toBe(String(MAX + 10n ** 15n));
    expect(an.buckets.find((b: any) => b.label === '91-120').accounts).toBe(2);

    const mismatches = (await balancesVsLedger(h, t.id)).filter((x) => x.p !== x.lp || x.i !== x.li || x.f !== x.lf);
    expect(mismatches).toEqual([]);
  });
});

describe('status transitions', () => {
  const CHANGE = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id version status statusChangedAt chargedOffOn } }`;

  it('allows the listed moves, refuses the rest listing what is allowed, and keeps closed final', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000' });
    const change = (version: number, status: string, id = a.id) => t.gql(CHANGE, { i: { id, version, status, reason: 'test' } });

    const d = ok(await change(1, 'DELINQUENT')).changeAccountStatus;
    expect(d).toMatchObject({ version: 2, status: 'DELINQUENT', statusChangedAt: `${TODAY}T12:00:00.000Z`, chargedOffOn: null });

    // The same status again changes nothing (no new version).
    expect(ok(await change(2, 'DELINQUENT')).changeAccountStatus.version).toBe(2);

    // delinquent → closed is not a transition; the error lists the allowed ones.
    const illegal = expectError(await change(2, 'CLOSED'), 'BAD_USER_INPUT', 'input.status');
    expect(illegal.ext.allowed).toEqual(['CURRENT', 'IN_PLAN', 'DISPUTED', 'SETTLED', 'PAID_OFF', 'CHARGED_OFF', 'RECALLED']);

    // A stale version is CONFLICT, whatever the target.
    expectError(await change(1, 'CURRENT'), 'CONFLICT', 'input.version');

    // paid_off needs a zero balance.
    const owed = expectError(await change(2, 'PAID_OFF'), 'BAD_USER_INPUT', 'input.status');
    expect(owed.message).toContain('100000');

    // Charging off stamps today's date (tenant zone).
    const co = ok(await change(2, 'CHARGED_OFF')).changeAccountStatus;
    expect(co).toMatchObject({ version: 3, status: 'CHARGED_OFF', chargedOffOn: TODAY });
    // written_off may close with a balance left; closed is final.
    expect(ok(await change(3, 'WRITTEN_OFF')).changeAccountStatus.status).toBe('WRITTEN_OFF');
    expect(ok(await change(4, 'CLOSED')).changeAccountStatus).toMatchObject({ version: 5, status: 'CLOSED' });
    const final = expectError(await change(5, 'CURRENT'), 'BAD_USER_INPUT', 'input.status');
    expect(final.ext.allowed).toEqual([]);
    expect(final.message).toContain('closed is final');
    // A closed account takes no postings.
    expectError(await postRaw(t, { accountId: a.id, kind: 'FEE', amount: '100' }), 'CONFLICT');

    // current → closed needs a zero balance too; paying in full makes paid_off (then closed) possible.
    const b = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '5000' });
    expectError(await change(1, 'CLOSED', b.id), 'BAD_USER_INPUT', 'input.status');
    await post(t, { accountId: b.id, kind: 'PAYMENT', amount: '5000' });
    expect(ok(await change(1, 'PAID_OFF', b.id)).changeAccountStatus.status).toBe('PAID_OFF');
    const po = expectError(await change(2, 'CURRENT', b.id), 'BAD_USER_INPUT', 'input.status');
    expect(po.ext.allowed).toEqual(['CLOSED']);
    expect(ok(await change(2, 'CLOSED', b.id)).changeAccountStatus.status).toBe('CLOSED');

    expectError(await change(1, 'CURRENT', '00000000-0000-7000-8000-000000000002'), 'NOT_FOUND');
  });
});

describe('moveAccount', () => {
  const MOVE = `mutation($i: MoveAccountInput!) { moveAccount(input: $i) { id version portfolio { id } } }`;

  it('moves between portfolios of the same currency, audited; other currencies and stale versions refused', async () => {
    const { t, pid, did } = await setup();
    const p2 = await createPortfolio(t, 'CNY');
    const eur = await createPortfolio(t, 'EUR');
    const a = await createAccount(t, { debtorId: did, portfolioId: pid });

    const cur = expectError(await t.gql(MOVE, { i: { id: a.id, version: 1, portfolioId: eur.id } }), 'BAD_USER_INPUT', 'input.portfolioId');
    expect(cur.message).toContain('EUR');
    expectError(await t.gql(MOVE, { i: { id: a.id, version: 1, portfolioId: '00000000-0000-7000-8000-000000000003' } }), 'NOT_FOUND');

    const moved = ok(await t.gql(MOVE, { i: { id: a.id, version: 1, portfolioId: p2.id } })).moveAccount;
    expect(moved).toEqual({ id: a.id, version: 2, portfolio: { id: p2.id } });
    expectError(await t.gql(MOVE, { i: { id: a.id, version: 1, portfolioId: pid } }), 'CONFLICT', 'input.version');
    // Moving to where it already is changes nothing.
    expect(ok(await t.gql(MOVE, { i: { id: a.id, version: 2, portfolioId: p2.id } })).moveAccount.version).toBe(2);

    const inP2 = ok(await t.gql(`query($p: ID!) { accounts(filter: { portfolioId: $p }) { edges { node { id } } } }`, { p: p2.id })).accounts.edges;
    expect(inP2.map((e: any) => e.node.id)).toEqual([a.id]);
    const inP1 = ok(await t.gql(`query($p: ID!) { accounts(filter: { portfolioId: $p }) { edges { node { id } } } }`, { p: pid })).accounts.edges;
    expect(inP1).toEqual([]);

    const audit = ok(
      await t.gql(`query($id: String!) { auditEvents(filter: { action: "account.move", entityId: $id }) { edges { node { entityType before after } } } }`, { id: a.id }),
    ).auditEvents.edges.map((e: any) => e.node);
    expect(audit).toEqual([{ entityType: 'account', before: { portfolioId: pid }, after: { portfolioId: p2.id } }]);

    // A closed portfolio takes no moved accounts either.
    ok(await t.gql(`mutation($i: UpdatePortfolioInput!) { updatePortfolio(input: $i) { id } }`, { i: { id: pid, version: 1, status: 'CLOSED' } }));
    expectError(await t.gql(MOVE, { i: { id: a.id, version: 2, portfolioId: pid } }), 'CONFLICT', 'input.portfolioId');
  });
});

describe('ledger postings', () => {
  it('posts every kind of entry; credits follow the waterfall fees → interest → principal', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-03-01' });
    const id = a.id;
    const lines = (r: { entries: any[] }) => r.entries.map((e) => [e.kind, e.component, e.amount.minor]);

    // Charges: one entry on their own component.
    let r = await post(t, { accountId: id, kind: 'PRINCIPAL', amount: '5000', effectiveOn: '2026-03-10' });
    expect(lines(r)).toEqual([['PRINCIPAL', 'PRINCIPAL', '5000']]);
    r = await post(t, { accountId: id, kind: 'INTEREST', amount: '3000', effectiveOn: '2026-04-01', memo: 'April interest' });
    expect(lines(r)).toEqual([['INTEREST', 'INTEREST', '3000']]);
    expect(r.entries[0]).toMatchObject({ memo: 'April interest', effectiveOn: '2026-04-01', amount: { currency: 'CNY' } });
    r = await post(t, { accountId: id, kind: 'FEE', component: 'FEE', amount: '2000', effectiveOn: '2026-04-01' });
    expect(lines(r)).toEqual([['FEE', 'FEE', '2000']]);
    expect(balanceOf(r.account)).toEqual({ principal: '105000', interest: '3000', fees: '2000', total: '110000' });

    // Payment of 4,000: fees 2,000 first, then 2,000 of the 3,000 interest; principal untouched.
    r = await post(t, { accountId: id, kind: 'PAYMENT', amount: '4000', effectiveOn: '2026-04-10' });
    expect(lines(r)).toEqual([
      ['PAYMENT', 'FEE', '-2000'],
      ['PAYMENT', 'INTEREST', '-2000'],
    ]);
    expect(new Set(r.entries.map((e) => e.groupId)).size).toBe(1);
    expect(balanceOf(r.account)).toEqual({ principal: '105000', interest: '1000', fees: '0', total: '106000' });

    // A waiver on a named component.
    r = await post(t, { accountId: id, kind: 'WAIVER', component: 'INTEREST', amount: '1000', effectiveOn: '2026-04-11' });
    expect(lines(r)).toEqual([['WAIVER', 'INTEREST', '-1000']]);
    // Adjustments are signed and name their component.
    r = await post(t, { accountId: id, kind: 'ADJUSTMENT', component: 'PRINCIPAL', amount: '-500', effectiveOn: '2026-04-12' });
    expect(lines(r)).toEqual([['ADJUSTMENT', 'PRINCIPAL', '-500']]);
    r = await post(t, { accountId: id, kind: 'ADJUSTMENT', component: 'FEE', amount: '200', effectiveOn: '2026-04-12' });
    expect(balanceOf(r.account)).toEqual({ principal: '104500', interest: '0', fees: '200', total: '104700' });

    // Payment of 10,000: fee 200, no interest owed, principal 9,800.
    r = await post(t, { accountId: id, kind: 'PAYMENT', amount: '10000', effectiveOn: '2026-05-01' });
    expect(lines(r)).toEqual([
      ['PAYMENT', 'FEE', '-200'],
      ['PAYMENT', 'PRINCIPAL', '-9800'],
    ]);
    // A payment on a named component takes only that component.
    r = await post(t, { accountId: id, kind: 'PAYMENT', component: 'PRINCIPAL', amount: '1000', effectiveOn: '2026-05-02' });
    expect(lines(r)).toEqual([['PAYMENT', 'PRINCIPAL', '-1000']]);
    expect(balanceOf(r.account)).toEqual({ principal: '93700', interest: '0', fees: '0', total: '93700' });

    const before = (await ledgerOf(t, id)).length;
    // 1 opening + 3 charges + 2 payment lines + 1 waiver + 2 adjustments + 2 payment lines + 1 payment line = 12
    expect(before).toBe(12);

    // Refusals, each naming its field, none writing anything.
    const bad = (p: Record<string, unknown>) => t.gql(POST, { i: postInput({ accountId: id, kind: 'PAYMENT', amount: '100', ...p } as never) });
    expectError(await bad({ kind: 'REVERSAL' }), 'BAD_USER_INPUT', 'input.kind');
    expectError(await bad({ kind: 'INTEREST', component: 'FEE' }), 'BAD_USER_INPUT', 'input.component');
    expectError(await bad({ kind: 'ADJUSTMENT', amount: '-100' }), 'BAD_USER_INPUT', 'input.component');
    expectError(await bad({ kind: 'ADJUSTMENT', component: 'FEE', amount: '0' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await bad({ amount: '-100' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await bad({ amount: '0' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await bad({ amount: '1.5' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await bad({ kind: 'FEE', amount: '9223372036854775808' }), 'BAD_USER_INPUT', 'input.amount');
    // Overpayment: 93,701 against 93,700 owed; a component payment beyond that component.
    const over = expectError(await bad({ amount: '93701' }), 'BAD_USER_INPUT', 'input.amount');
    expect(over.message).toContain('93700');
    expectError(await bad({ component: 'FEE', amount: '1' }), 'BAD_USER_INPUT', 'input.amount');
    expectError(await bad({ kind: 'WAIVER', amount: '93701' }), 'BAD_USER_INPUT', 'input.amount');
    // Credits cannot be dated after today (2026-06-15); charges can (they fall due later).
    const future = expectError(await bad({ effectiveOn: '2026-06-16' }), 'BAD_USER_INPUT', 'input.effectiveOn');
    expect(future.message).toContain(TODAY);
    expectError(await bad({ kind: 'WAIVER', effectiveOn: '2026-07-01' }), 'BAD_USER_INPUT', 'input.effectiveOn');
    expectError(await bad({ effectiveOn: '2026-02-30' }), 'BAD_USER_INPUT', 'input.effectiveOn');
    expectError(await bad({ currency: 'EUR' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await bad({ idempotencyKey: 'short' }), 'BAD_USER_INPUT', 'input.idempotencyKey');
    expectError(await bad({ accountId: '00000000-0000-7000-8000-000000000004' }), 'NOT_FOUND');
    expect((await ledgerOf(t, id)).length).toBe(before);

    // Paying exactly what is owed, dated today, clears the account.
    r = await post(t, { accountId: id, kind: 'PAYMENT', amount: '93700', effectiveOn: TODAY });
    expect(r.account).toMatchObject({ oldestUnpaidDueOn: null, balance: { total: { minor: '0' } } });
    // A charge dated in the future is fine.
    r = await post(t, { accountId: id, kind: 'FEE', amount: '300', effectiveOn: '2026-07-01' });
    expect(r.account).toMatchObject({ oldestUnpaidDueOn: '2026-07-01', balance: { fees: { minor: '300' } } });
  });

  it('reversals restore the balance exactly, once; a reversal cannot be reversed', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', dueOn: '2026-03-01' });
    await post(t, { accountId: a.id, kind: 'FEE', amount: '5000', effectiveOn: '2026-04-01' });
    const beforePayment = balanceOf(await getAccount(t, a.id));
    expect(beforePayment).toEqual({ principal: '100000', interest: '0', fees: '5000', total: '105000' });

    // 30,000: fee 5,000 then principal 25,000.
    const pay = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '30000', effectiveOn: '2026-05-01' });
    expect(balanceOf(pay.account)).toEqual({ principal: '75000', interest: '0', fees: '0', total: '75000' });
    const feeLine = pay.entries.find((e) => e.component === 'FEE')!;
    const principalLine = pay.entries.find((e) => e.component === 'PRINCIPAL')!;

    const r1 = await reverse(t, feeLine.id);
    expect(r1.replayed).toBe(false);
    // The exact opposite, pointing at the original, effective today (the original is in the past).
    expect(r1.entries).toEqual([
      expect.objectContaining({ kind: 'REVERSAL', component: 'FEE', amount: { minor: '5000', currency: 'CNY' }, reversesEntryId: feeLine.id, effectiveOn: TODAY }),
    ]);
    expect(balanceOf(r1.account)).toEqual({ principal: '75000', interest: '0', fees: '5000', total: '80000' });
    const r2 = await reverse(t, principalLine.id);
    expect(balanceOf(r2.account)).toEqual(beforePayment);
    // With the payment undone, the oldest unpaid charge is the original principal again.
    expect(r2.account.oldestUnpaidDueOn).toBe('2026-03-01');

    // Twice: CONFLICT. A reversal itself: BAD_USER_INPUT. Unknown: NOT_FOUND.
    expectError(await reverseRaw(t, feeLine.id), 'CONFLICT', 'input.entryId');
    expectError(await reverseRaw(t, r1.entries[0].id), 'BAD_USER_INPUT', 'input.entryId');
    expectError(await reverseRaw(t, '00000000-0000-7000-8000-000000000005'), 'NOT_FOUND');
    expectError(await reverseRaw(t, feeLine.id, 'x'), 'BAD_USER_INPUT', 'input.idempotencyKey');

    // Reversing a charge dated in the future takes the charge's date, not today.
    const fut = await post(t, { accountId: a.id, kind: 'FEE', amount: '1000', effectiveOn: '2026-07-01' });
    const rf = await reverse(t, fut.entries[0].id);
    expect(rf.entries[0]).toMatchObject({ effectiveOn: '2026-07-01', amount: { minor: '-1000' } });
    expect(balanceOf(rf.account)).toEqual(beforePayment);

    // Reversing the opening principal: the account owes only the fee, due 2026-04-01.
    const opening = (await ledgerOf(t, a.id)).find((e) => e.kind === 'PRINCIPAL')!;
    const ro = await reverse(t, opening.id);
    expect(ro.account).toMatchObject({ oldestUnpaidDueOn: '2026-04-01', balance: { principal: { minor: '0' }, total: { minor: '5000' } } });

    // Reversal is idempotent on its key too: a replay returns the same entry; another entry with that key is CONFLICT.
    const key = idem('rev');
    const fee2 = await post(t, { accountId: a.id, kind: 'FEE', amount: '700', effectiveOn: '2026-05-05' });
    const first = await reverse(t, fee2.entries[0].id, key);
    const again = await reverse(t, fee2.entries[0].id, key);
    expect(again.replayed).toBe(true);
    expect(again.entries.map((e) => e.id)).toEqual(first.entries.map((e) => e.id));
    expectError(await reverseRaw(t, fut.entries[0].id, key), 'CONFLICT', 'input.idempotencyKey');

    const mismatches = (await balancesVsLedger(h, t.id)).filter((x) => x.p !== x.lp || x.i !== x.li || x.f !== x.lf);
    expect(mismatches).toEqual([]);
  });
});

describe('idempotency', () => {
  it('a retry with the same key replays the first result and writes nothing; a different request with it is CONFLICT', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000' });
    const key = idem('pay');
    const input = postInput({ accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01', memo: 'bank transfer', idempotencyKey: key });
    const first = ok(await t.gql(POST, { i: input })).postLedgerEntry;
    expect(first.replayed).toBe(false);
    const entriesAfterFirst = await tenantCounts(h, t.id);

    const again = ok(await t.gql(POST, { i: input })).postLedgerEntry;
    expect(again.replayed).toBe(true);
    expect(again.entries.map((e: any) => e.id)).toEqual(first.entries.map((e: any) => e.id));
    expect(again.account.balance.total.minor).toBe('99000');
    expect(await tenantCounts(h, t.id)).toEqual(entriesAfterFirst);

    // Same key, anything different: amount, memo, date, account.
    expectError(await t.gql(POST, { i: { ...input, amount: '2000' } }), 'CONFLICT', 'input.idempotencyKey');
    expectError(await t.gql(POST, { i: { ...input, memo: 'cash' } }), 'CONFLICT', 'input.idempotencyKey');
    expectError(await t.gql(POST, { i: { ...input, effectiveOn: '2026-05-02' } }), 'CONFLICT', 'input.idempotencyKey');
    const b = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000' });
    expectError(await t.gql(POST, { i: { ...input, accountId: b.id } }), 'CONFLICT', 'input.idempotencyKey');
    expect((await getAccount(t, a.id)).balance.total.minor).toBe('99000');

    // A refused request does not use up its key.
    const k2 = idem('pay');
    expectError(await t.gql(POST, { i: { ...input, amount: '999999', idempotencyKey: k2 } }), 'BAD_USER_INPUT', 'input.amount');
    const retried = ok(await t.gql(POST, { i: { ...input, amount: '500', idempotencyKey: k2 } })).postLedgerEntry;
    expect(retried).toMatchObject({ replayed: false, account: { balance: { total: { minor: '98500' } } } });

    // Keys are per tenant: another tenant may use the same one.
    const o = await setup();
    const oa = await createAccount(o.t, { debtorId: o.did, portfolioId: o.pid, originalPrincipal: '100000' });
    expect(ok(await o.t.gql(POST, { i: { ...input, accountId: oa.id } })).postLedgerEntry.replayed).toBe(false);
  });

  it('concurrent identical requests write one set of entries', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000', openingFees: '3000' });
    const input = postInput({ accountId: a.id, kind: 'PAYMENT', amount: '5000', effectiveOn: '2026-05-01', idempotencyKey: idem('conc') });
    // PGlite serialises the transactions; PostgreSQL runs them at once (the account row lock orders them).
    const results = await Promise.all([1, 2, 3, 4].map(() => t.gql(POST, { i: input })));
    const posted = results.map((r) => ok(r).postLedgerEntry);
    expect(posted.filter((p) => !p.replayed)).toHaveLength(1);
    expect(posted.filter((p) => p.replayed)).toHaveLength(3);
    const ids = posted.map((p) => p.entries.map((e: any) => e.id).sort().join(','));
    expect(new Set(ids).size).toBe(1);

    const ledger = await ledgerOf(t, a.id);
    // 2 opening entries + one payment split fee 3,000 / principal 2,000.
    expect(ledger.filter((e) => e.kind === 'PAYMENT').map((e) => [e.component, e.amount.minor]).sort()).toEqual([
      ['FEE', '-3000'],
      ['PRINCIPAL', '-2000'],
    ]);
    expect(ledger).toHaveLength(4);
    expect(balanceOf(await getAccount(t, a.id))).toEqual({ principal: '98000', interest: '0', fees: '0', total: '98000' });

    // Concurrent distinct payments all land, none lost: 98,000 − 4 × 1,000.
    await Promise.all([1, 2, 3, 4].map(() => post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-02' })));
    expect((await getAccount(t, a.id)).balance.total.minor).toBe('94000');

    // Two concurrent reversals of one entry under different keys: one wins, the other is CONFLICT.
    const pay = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-03' });
    const [r1, r2] = await Promise.all([reverseRaw(t, pay.entries[0].id), reverseRaw(t, pay.entries[0].id)]);
    const outcomes = [r1, r2].map((r) => (r.errors ? r.errors[0]!.extensions.code : 'OK')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'OK']);
    expect((await getAccount(t, a.id)).balance.total.minor).toBe('94000');
  });
});

describe('materialised balances', () => {
  it('equal the ledger sums after a random sequence of postings and reversals', async () => {
    const { t, pid, did } = await setup();
    const accounts = [
      await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '500000', openingInterest: '20000', openingFees: '3000' }),
      await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '80000' }),
    ];
    // Deterministic pseudo-random sequence (mulberry32), so a failure reproduces.
    let seed = 0x5eed1234;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const upTo = (n: bigint): bigint => 1n + BigInt(Math.floor(rnd() * Number(n)));
    const day = () => `2026-0${1 + Math.floor(rnd() * 5)}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
    type Comp = 'principal' | 'interest' | 'fee';
    // The test's own model: balances per component, and every entry that can still be reversed.
    const model = accounts.map((a) => ({
      id: a.id,
      bal: { principal: BigInt(a.balance.principal.minor), interest: BigInt(a.balance.interest.minor), fee: BigInt(a.balance.fees.minor) } as Record<Comp, bigint>,
      reversible: [] as { id: string; component: Comp; amount: bigint }[],
    }));
    const apply = (m: (typeof model)[number], entries: any[]) => {
      for (const e of entries) {
        const c = e.component.toLowerCase() as Comp;
        m.bal[c] += BigInt(e.amount.minor);
        if (e.kind !== 'REVERSAL') m.reversible.push({ id: e.id, component: c, amount: BigInt(e.amount.minor) });
      }
    };
    const check = async () => {
      for (const m of model) {
        const a = await getAccount(t, m.id);
        expect(balanceOf(a)).toEqual({
          principal: String(m.bal.principal),
          interest: String(m.bal.interest),
          fees: String(m.bal.fee),
          total: String(m.bal.principal + m.bal.interest + m.bal.fee),
        });
      }
      const rows = await balancesVsLedger(h, t.id);
      expect(rows).toHaveLength(2);
      for (const r of rows) expect([r.p, r.i, r.f]).toEqual([r.lp, r.li, r.lf]);
    };

    for (let step = 0; step < 60; step++) {
      const m = pick(model);
      const owed = m.bal.principal + m.bal.interest + m.bal.fee;
      const op = pick(['charge', 'charge', 'payment', 'payment', 'waiver', 'adjustment', 'reversal', 'reversal']);
      if (op === 'charge') {
        const kind = pick(['PRINCIPAL', 'INTEREST', 'FEE']);
        const amount = upTo(50000n);
        const r = await post(t, { accountId: m.id, kind, amount: String(amount), effectiveOn: day() });
        expect(r.entries.map((e) => e.amount.minor)).toEqual([String(amount)]);
        apply(m, r.entries);
      } else if (op === 'payment' && owed > 0n) {
        const amount = upTo(owed);
        const r = await post(t, { accountId: m.id, kind: 'PAYMENT', amount: String(amount), effectiveOn: day() });
        // The split adds up to the payment and follows the waterfall.
        expect(r.entries.reduce((s, e) => s + BigInt(e.amount.minor), 0n)).toBe(-amount);
        let left = amount;
        const expected: [string, string][] = [];
        for (const c of ['fee', 'interest', 'principal'] as const) {
          const take = m.bal[c] > 0n ? (m.bal[c] < left ? m.bal[c] : left) : 0n;
          if (take > 0n) expected.push([c.toUpperCase(), String(-take)]);
          left -= take;
        }
        expect(r.entries.map((e) => [e.component, e.amount.minor])).toEqual(expected);
        apply(m, r.entries);
      } else if (op === 'waiver') {
        const c = pick(['principal', 'interest', 'fee'] as const);
        if (m.bal[c] <= 0n) continue;
        const r = await post(t, { accountId: m.id, kind: 'WAIVER', component: c.toUpperCase(), amount: String(upTo(m.bal[c])), effectiveOn: day() });
        apply(m, r.entries);
      } else if (op === 'adjustment') {
        const c = pick(['principal', 'interest', 'fee'] as const);
        // Downwards only as far as the component goes, so balances never turn negative.
        const down = m.bal[c] > 0n && rnd() < 0.5;
        const amount = down ? -upTo(m.bal[c] < 10000n ? m.bal[c] : 10000n) : upTo(10000n);
        const r = await post(t, { accountId: m.id, kind: 'ADJUSTMENT', component: c.toUpperCase(), amount: String(amount), effectiveOn: day() });
        apply(m, r.entries);
      } else if (op === 'reversal' && m.reversible.length) {
        // Reverse a credit (always possible) or a charge the component can give back.
        const candidates = m.reversible.filter((e) => e.amount < 0n || m.bal[e.component] >= e.amount);
        if (!candidates.length) continue;
        const e = pick(candidates);
        const r = await reverse(t, e.id);
        expect(r.entries.map((x) => [x.reversesEntryId, x.amount.minor])).toEqual([[e.id, String(-e.amount)]]);
        m.reversible.splice(m.reversible.indexOf(e), 1);
        apply(m, r.entries);
      }
      if (step % 15 === 14) await check();
    }
    await check();
    const entries = Number((await h.db.admin.query<{ n: number }>(`select count(*)::int as n from ledger_entries where tenant_id = $1`, [t.id]))[0]!.n);
    expect(entries).toBeGreaterThan(40);
  });
});

describe('append-only ledger', () => {
  it('refuses UPDATE, DELETE and TRUNCATE even for the superuser; the app role has no UPDATE or DELETE grant', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '100000' });
    await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-05-01' });

    await expect(h.db.admin.query(`update ledger_entries set amount = 1 where tenant_id = $1`, [t.id])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(h.db.admin.query(`delete from ledger_entries where tenant_id = $1`, [t.id])).rejects.toThrow(/append-only: DELETE refused/);
    // CASCADE: fee waivers reference ledger entries, and without it the foreign key refuses first.
    await expect(h.db.admin.query(`truncate ledger_entries cascade`)).rejects.toThrow(/append-only: TRUNCATE refused/);

    const grants = await h.db.admin.query<Record<string, boolean>>(
      `select has_table_privilege('arrears_app', 'ledger_entries', 'SELECT') as sel,
              has_table_privilege('arrears_app', 'ledger_entries', 'INSERT') as ins,
              has_table_privilege('arrears_app', 'ledger_entries', 'UPDATE') as upd,
              has_table_privilege('arrears_app', 'ledger_entries', 'DELETE') as del`,
    );
    expect(grants[0]).toEqual({ sel: true, ins: true, upd: false, del: false });

    // As the app role, with the tenant set: permission denied before any trigger runs.
    for (const stmt of [`update ledger_entries set memo = 'x' where tenant_id = $1`, `delete from ledger_entries where tenant_id = $1`]) {
      const err = await h.db.admin
        .transaction(async (q) => {
          await q(`select set_config('role', 'arrears_app', true), set_config('app.tenant_id', $1, true)`, [t.id]);
          await q(stmt, [t.id]);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(errorText(err)).toMatch(/permission denied/);
    }

    const ledger = await ledgerOf(t, a.id);
    expect(ledger.map((e) => [e.kind, e.amount.minor, e.memo])).toEqual([
      ['PRINCIPAL', '100000', 'opening balance'],
      ['PAYMENT', '-1000', null],
    ]);
  });
});

describe('days past due and buckets', () => {
  it('counts from the day after the oldest unpaid due date, at the bucket boundaries', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '1000', dueOn: '2026-03-01', openedOn: '2026-01-01' });
    // Days from 2026-03-01: Apr 1 = 31, May 1 = 61, Jun 1 = 92, Jun 15 = 106, Jul 1 = 122, Aug 1 = 153, Aug 28 = 180.
    const cases: [string, number, string][] = [
      ['2026-02-15', 0, 'Current'],
      ['2026-03-01', 0, 'Current'],
      ['2026-03-02', 1, '1-30'],
      ['2026-03-31', 30, '1-30'],
      ['2026-04-01', 31, '31-60'],
      ['2026-04-30', 60, '31-60'],
      ['2026-05-01', 61, '61-90'],
      ['2026-05-30', 90, '61-90'],
      ['2026-05-31', 91, '91-120'],
      ['2026-06-29', 120, '91-120'],
      ['2026-06-30', 121, '121-180'],
      ['2026-08-28', 180, '121-180'],
      ['2026-08-29', 181, '181+'],
      ['2027-03-01', 365, '181+'],
    ];
    // At most 30 aliases per request: ask in chunks.
    for (let from = 0; from < cases.length; from += 7) {
      const chunk = cases.slice(from, from + 7);
      const q = `query($id: ID!) { account(id: $id) { ${chunk.map(([asOf], i) => `d${i}: daysPastDue(asOf: "${asOf}") b${i}: delinquencyBucket(asOf: "${asOf}")`).join(' ')} } }`;
      const r = ok(await t.gql(q, { id: a.id })).account;
      chunk.forEach(([asOf, dpd, bucket], i) => expect([asOf, r[`d${i}`], r[`b${i}`]]).toEqual([asOf, dpd, bucket]));
    }
    // Without asOf: today, 2026-06-15, 106 days.
    const r = ok(await t.gql(`query($id: ID!) { account(id: $id) { today: daysPastDue todayBucket: delinquencyBucket } }`, { id: a.id })).account;
    expect([r.today, r.todayBucket]).toEqual([106, '91-120']);

    expectError(await t.gql(`query($id: ID!) { account(id: $id) { daysPastDue(asOf: "2026-02-30") } }`, { id: a.id }), 'BAD_USER_INPUT');

    // Nothing owed: 0 days whatever the date.
    await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-03-05' });
    const paid = ok(await t.gql(`query($id: ID!) { account(id: $id) { daysPastDue(asOf: "2027-01-01") delinquencyBucket(asOf: "2027-01-01") oldestUnpaidDueOn } }`, { id: a.id })).account;
    expect(paid).toEqual({ daysPastDue: 0, delinquencyBucket: 'Current', oldestUnpaidDueOn: null });
  });

  it('payments settle the oldest charges first (FIFO), and a reversed payment restores the original due date', async () => {
    const { t, pid, did } = await setup();
    const a = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '1000', dueOn: '2026-03-01', openedOn: '2026-01-01' });
    await post(t, { accountId: a.id, kind: 'FEE', amount: '500', effectiveOn: '2026-04-01' });
    // 1,000 paid: by amount it covers the 1,000 due on 03-01; the 500 due on 04-01 is now the oldest unpaid.
    const pay = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '1000', effectiveOn: '2026-04-10' });
    expect(pay.account.oldestUnpaidDueOn).toBe('2026-04-01');
    expect(ok(await t.gql(`query($id: ID!) { account(id: $id) { daysPastDue(asOf: "2026-04-10") } }`, { id: a.id })).account.daysPastDue).toBe(9);
    // 400 more leaves 100 of the 04-01 charge: still 04-01.
    const pay2 = await post(t, { accountId: a.id, kind: 'PAYMENT', amount: '400', effectiveOn: '2026-04-11' });
    expect(pay2.account.oldestUnpaidDueOn).toBe('2026-04-01');
    // Undo the first payment (both lines): the 03-01 charge is unpaid again.
    for (const e of pay.entries) await reverse(t, e.id);
    const after = await getAccount(t, a.id);
    expect(after.oldestUnpaidDueOn).toBe('2026-03-01');
    expect(after.balance.total.minor).toBe('1100');
  });
});

describe('custom delinquency buckets', () => {
  const SET = `mutation($b: [DelinquencyBucketInput!]!) { setDelinquencyBuckets(buckets: $b) { version buckets { label minDays maxDays } } }`;

  it('refuses overlaps, gaps and a closed end with field paths; custom buckets drive delinquencyBucket and the bucket filter', async () => {
    const { t, pid, did } = await setup();
    const dflt = ok(await t.gql(`{ delinquencyBuckets { version buckets { label minDays maxDays } } }`)).delinquencyBuckets;
    expect(dflt.version).toBe(0);
    expect(dflt.buckets.map((b: any) => b.label)).toEqual(['Current', '1-30', '31-60', '61-90', '91-120', '121-180', '181+']);

    const refused: [unknown[], string, RegExp][] = [
      [[{ label: 'Current', minDays: 0, maxDays: 0 }, { label: 'A', minDays: 1, maxDays: 10 }, { label: 'B', minDays: 5, maxDays: null }], 'buckets.2.minDays', /overlaps/],
      [[{ label: 'Current', minDays: 0, maxDays: 0 }, { label: 'A', minDays: 1, maxDays: 10 }, { label: 'B', minDays: 12 }], 'buckets.2.minDays', /gap/],
      [[{ label: 'Current', minDays: 0, maxDays: 0 }, { label: 'A', minDays: 1, maxDays: 10 }], 'buckets.1.maxDays', /open-ended/],
      [[{ label: 'A', minDays: 1, maxDays: null }], 'buckets.0.minDays', /start at 0/],
      [[{ label: 'A', minDays: 0, maxDays: null }, { label: 'B', minDays: 1, maxDays: null }], 'buckets.0.maxDays', /only the last/],
      [[{ label: 'A', minDays: 0, maxDays: 0 }, { label: 'A', minDays: 1, maxDays: null }], 'buckets.1.label', /duplicates/],
      [[], 'buckets', /at least one/],
    ];
    for (const [buckets, field, message] of refused) {
      const e = expectError(await t.gql(SET, { b: buckets }), 'BAD_USER_INPUT', field);
      expect(e.message).toMatch(message);
    }
    expect(ok(await t.gql(`{ delinquencyBuckets { version } }`)).delinquencyBuckets.version).toBe(0);

    // Given out of order: stored sorted, version 1.
    const set = ok(await t.gql(SET, { b: [{ label: 'Late', minDays: 16 }, { label: 'Current', minDays: 0, maxDays: 0 }, { label: 'Early', minDays: 1, maxDays: 15 }] })).setDelinquencyBuckets;
    expect(set).toEqual({
      version: 1,
      buckets: [
        { label: 'Current', minDays: 0, maxDays: 0 },
        { label: 'Early', minDays: 1, maxDays: 15 },
        { label: 'Late', minDays: 16, maxDays: null },
      ],
    });

    // Today 2026-06-15: A due today (0), B due 06-05 (10), C due 05-01 (45).
    const A = await createAccount(t, { debtorId: did, portfolioId: pid, externalRef: 'A', openedOn: '2026-01-01', dueOn: '2026-06-15' });
    const B = await createAccount(t, { debtorId: did, portfolioId: pid, externalRef: 'B', openedOn: '2026-01-01', dueOn: '2026-06-05' });
    const C = await createAccount(t, { debtorId: did, portfolioId: pid, externalRef: 'C', openedOn: '2026-01-01', dueOn: '2026-05-01' });
    const bucketOf = async (id: string, asOf?: string) =>
      ok(await t.gql(`query($id: ID!, $d: LocalDate) { account(id: $id) { delinquencyBucket(asOf: $d) } }`, { id, d: asOf ?? null })).account.delinquencyBucket;
    expect([await bucketOf(A.id), await bucketOf(B.id), await bucketOf(C.id)]).toEqual(['Current', 'Early', 'Late']);
    // C: 15 days on 05-16 (Early), 16 on 05-17 (Late).
    expect([await bucketOf(C.id, '2026-05-16'), await bucketOf(C.id, '2026-05-17')]).toEqual(['Early', 'Late']);

    const list = async (filter: Record<string, unknown>) => refs(ok(await t.gql(`query($f: AccountFilterInput) { accounts(filter: $f) { edges { node { externalRef } } } }`, { f: filter })).accounts);
    expect(await list({ bucket: 'Current' })).toEqual(['A']);
    expect(await list({ bucket: 'Early' })).toEqual(['B']);
    expect(await list({ bucket: 'Late' })).toEqual(['C']);
    expect(await list({ bucket: 'Early', minDaysPastDue: 10 })).toEqual(['B']);
    expect(await list({ bucket: 'Early', minDaysPastDue: 11 })).toEqual([]);
    expect(await list({ bucket: 'Late', minDaysPastDue: 46 })).toEqual([]);
    // The default labels are gone for this tenant.
    const unknown = expectError(await t.gql(`{ accounts(filter: { bucket: "1-30" }) { edges { node { id } } } }`), 'BAD_USER_INPUT', 'filter.bucket');
    expect(unknown.message).toContain('"Early"');

    // Analytics age by the tenant's buckets.
    const an = ok(await t.gql(`{ portfolioAnalytics { buckets { label minDays maxDays accounts outstanding { minor } } } }`)).portfolioAnalytics[0];
    expect(an.buckets).toEqual([
      { label: 'Current', minDays: 0, maxDays: 0, accounts: 1, outstanding: { minor: '100000' } },
      { label: 'Early', minDays: 1, maxDays: 15, accounts: 1, outstanding: { minor: '100000' } },
      { label: 'Late', minDays: 16, maxDays: null, accounts: 1, outstanding: { minor: '100000' } },
    ]);

    // Each change is a new version; other tenants keep the default.
    expect(ok(await t.gql(SET, { b: [{ label: 'All', minDays: 0 }] })).setDelinquencyBuckets.version).toBe(2);
    expect(await bucketOf(C.id)).toBe('All');
    const other = await h.tenant();
    expect(ok(await other.gql(`{ delinquencyBuckets { version } }`)).delinquencyBuckets.version).toBe(0);
  });
});

describe('refreshDelinquency', () => {
  const REFRESH = `mutation($d: LocalDate) { refreshDelinquency(asOf: $d) { asOf changed } }`;
  const HISTORY = `query($id: ID!) { account(id: $id) { bucketHistory { bucket daysPastDue changedOn bucketSetVersion } } }`;

  it('records a dated history row once per bucket change; a re-run records nothing', async () => {
    const { t, pid, did } = await setup();
    const A = await createAccount(t, { debtorId: did, portfolioId: pid, openedOn: '2026-01-01', dueOn: '2026-06-15' });
    const B = await createAccount(t, { debtorId: did, portfolioId: pid, openedOn: '2026-01-01', dueOn: '2026-06-05' });
    const C = await createAccount(t, { debtorId: did, portfolioId: pid, openedOn: '2026-01-01', dueOn: '2026-05-01' });
    // A closed account is left out.
    const D = await createAccount(t, { debtorId: did, portfolioId: pid, originalPrincipal: '0' });
    ok(await t.gql(`mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { status } }`, { i: { id: D.id, version: 1, status: 'CLOSED' } }));

    // 06-01: A 0 (Current), B 0 (Current), C 31 (31-60); nothing recorded before, so 3 changes.
    expect(ok(await t.gql(REFRESH, { d: '2026-06-01' })).refreshDelinquency).toEqual({ asOf: '2026-06-01', changed: 3 });
    expect(ok(await t.gql(REFRESH, { d: '2026-06-01' })).refreshDelinquency.changed).toBe(0);
    // 06-10: B is 5 days past due (1-30); C 40 is still 31-60.
    expect(ok(await t.gql(REFRESH, { d: '2026-06-10' })).refreshDelinquency.changed).toBe(1);
    expect(ok(await t.gql(REFRESH, { d: '2026-06-10' })).refreshDelinquency.changed).toBe(0);
    // Default date: today (06-15); A 0, B 10, C 45 → no change.
    expect(ok(await t.gql(REFRESH, {})).refreshDelinquency).toEqual({ asOf: TODAY, changed: 0 });

    const hist = async (id: string) => ok(await t.gql(HISTORY, { id })).account.bucketHistory;
    expect(await hist(A.id)).toEqual([{ bucket: 'Current', daysPastDue: 0, changedOn: '2026-06-01', bucketSetVersion: 0 }]);
    expect(await hist(B.id)).toEqual([
      { bucket: 'Current', daysPastDue: 0, changedOn: '2026-06-01', bucketSetVersion: 0 },
      { bucket: '1-30', daysPastDue: 5, changedOn: '2026-06-10', bucketSetVersion: 0 },
    ]);
    expect(await hist(C.id)).toEqual([{ bucket: '31-60', daysPastDue: 31, changedOn: '2026-06-01', bucketSetVersion: 0 }]);
    expect(await hist(D.id)).toEqual([]);

    // Paying C in full brings it back to Current: one change, recorded today.
    await post(t, { accountId: C.id, kind: 'PAYMENT', amount: '100000', effectiveOn: TODAY });
    expect(ok(await t.gql(REFRESH, {})).refreshDelinquency.changed).toBe(1);
    expect((await hist(C.id)).at(-1)).toEqual({ bucket: 'Current', daysPastDue: 0, changedOn: TODAY, bucketSetVersion: 0 });

    // New buckets: the next refresh relabels and records the set's version.
    ok(await t.gql(`mutation { setDelinquencyBuckets(buckets: [{ label: "OK", minDays: 0, maxDays: 0 }, { label: "Late", minDays: 1 }]) { version } }`));
    expect(ok(await t.gql(REFRESH, {})).refreshDelinquency.changed).toBe(3);
    expect((await hist(B.id)).at(-1)).toEqual({ bucket: 'Late', daysPastDue: 10, changedOn: TODAY, bucketSetVersion: 1 });

    expectError(await t.gql(REFRESH, { d: '2026-06-16' }), 'BAD_USER_INPUT', 'asOf');
    const rows = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from account_bucket_history where tenant_id = $1`, [t.id]);
    expect(Number(rows[0]!.n)).toBe(3 + 1 + 1 + 3);
  });
});

describe('accounts(filter)', () => {
  it('filters by portfolio, debtor, statuses, bucket and minimum days past due; pages newest first', async () => {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t, 'CNY')).id;
    const P2 = (await createPortfolio(t, 'CNY')).id;
    const D1 = await createDebtor(t, '王五');
    const D2 = await createDebtor(t, '赵六');
    const CHANGE = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { status } }`;
    // Today 2026-06-15. a1 due today (0); a2 due 06-05 (10); a3 due 05-01 (45);
    // a4 due 2025-12-01: Jan 1 = 31, …, Jun 1 = 182, Jun 15 = 196 (181+), charged off; a5 owes nothing, closed.
    const a1 = await createAccount(t, { debtorId: D1, portfolioId: P1, externalRef: 'a1', openedOn: '2025-01-01', dueOn: '2026-06-15' });
    const a2 = await createAccount(t, { debtorId: D2, portfolioId: P1, externalRef: 'a2', openedOn: '2025-01-01', dueOn: '2026-06-05' });
    ok(await t.gql(CHANGE, { i: { id: a2.id, version: 1, status: 'DELINQUENT' } }));
    const a3 = await createAccount(t, { debtorId: D1, portfolioId: P2, externalRef: 'a3', openedOn: '2025-01-01', dueOn: '2026-05-01' });
    ok(await t.gql(CHANGE, { i: { id: a3.id, version: 1, status: 'DELINQUENT' } }));
    const a4 = await createAccount(t, { debtorId: D2, portfolioId: P2, externalRef: 'a4', openedOn: '2025-01-01', dueOn: '2025-12-01', chargedOffOn: '2026-01-15' });
    const a5 = await createAccount(t, { debtorId: D1, portfolioId: P1, externalRef: 'a5', originalPrincipal: '0' });
    ok(await t.gql(CHANGE, { i: { id: a5.id, version: 1, status: 'CLOSED' } }));
    expect(a4.status).toBe('CHARGED_OFF');

    const Q = `query($f: AccountFilterInput, $first: Int, $after: String) { accounts(filter: $f, first: $first, after: $after) { totalCount edges { node { externalRef daysPastDue } } pageInfo { hasNextPage endCursor } } }`;
    const list = async (f: Record<string, unknown>) => {
      const c = ok(await t.gql(Q, { f })).accounts;
      expect(c.totalCount).toBe(c.edges.length);
      return refs(c);
    };
    expect(await list({})).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(await list({ portfolioId: P1 })).toEqual(['a1', 'a2', 'a5']);
    expect(await list({ debtorId: D1 })).toEqual(['a1', 'a3', 'a5']);
    expect(await list({ portfolioId: P2, debtorId: D1 })).toEqual(['a3']);
    expect(await list({ statuses: ['DELINQUENT'] })).toEqual(['a2', 'a3']);
    expect(await list({ statuses: ['CURRENT', 'CHARGED_OFF'] })).toEqual(['a1', 'a4']);
    expect(await list({ statuses: [] })).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(await list({ bucket: 'Current' })).toEqual(['a1', 'a5']);
    expect(await list({ bucket: '1-30' })).toEqual(['a2']);
    expect(await list({ bucket: '31-60' })).toEqual(['a3']);
    expect(await list({ bucket: '61-90' })).toEqual([]);
    expect(await list({ bucket: '181+' })).toEqual(['a4']);
    expect(await list({ minDaysPastDue: 0 })).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(await list({ minDaysPastDue: 10 })).toEqual(['a2', 'a3', 'a4']);
    expect(await list({ minDaysPastDue: 11 })).toEqual(['a3', 'a4']);
    expect(await list({ minDaysPastDue: 196 })).toEqual(['a4']);
    expect(await list({ minDaysPastDue: 197 })).toEqual([]);
    expect(await list({ portfolioId: P1, minDaysPastDue: 1 })).toEqual(['a2']);
    expect(await list({ debtorId: D2, statuses: ['CHARGED_OFF'], bucket: '181+', portfolioId: P2 })).toEqual(['a4']);
    const dpd = ok(await t.gql(Q, { f: { portfolioId: P2 } })).accounts.edges.map((e: any) => [e.node.externalRef, e.node.daysPastDue]);
    expect(dpd.sort()).toEqual([
      ['a3', 45],
      ['a4', 196],
    ]);

    expectError(await t.gql(Q, { f: { minDaysPastDue: -1 } }), 'BAD_USER_INPUT', 'filter.minDaysPastDue');
    expectError(await t.gql(Q, { f: { bucket: 'nope' } }), 'BAD_USER_INPUT', 'filter.bucket');
    expectError(await t.gql(Q, { f: { portfolioId: 'nope' } }), 'BAD_USER_INPUT', 'filter.portfolioId');

    // Pages of two, newest first, no overlaps or gaps.
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const c: any = ok(await t.gql(Q, { f: {}, first: 2, after })).accounts;
      seen.push(...c.edges.map((e: any) => e.node.externalRef));
      expect(c.pageInfo.hasNextPage).toBe(page < 2);
      after = c.pageInfo.endCursor;
    }
    expect(seen).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);

    // The debtor's accounts, nested, newest first.
    const nested = ok(await t.gql(`query($id: ID!) { debtor(id: $id) { accounts { externalRef portfolio { id } debtor { id } } } }`, { id: D1 })).debtor.accounts;
    expect(nested).toEqual([
      { externalRef: 'a5', portfolio: { id: P1 }, debtor: { id: D1 } },
      { externalRef: 'a3', portfolio: { id: P2 }, debtor: { id: D1 } },
      { externalRef: 'a1', portfolio: { id: P1 }, debtor: { id: D1 } },
    ]);
    const viaList = ok(await t.gql(`{ debtors(filter: { search: "赵六" }) { edges { node { id accounts { externalRef status } } } } }`)).debtors.edges;
    expect(viaList).toEqual([
      {
        node: {
          id: D2,
          accounts: [
            { externalRef: 'a4', status: 'CHARGED_OFF' },
            { externalRef: 'a2', status: 'DELINQUENT' },
          ],
        },
      },
    ]);
    void a1;
  });
});

describe('portfolioAnalytics', () => {
  const Q = `query($ids: [ID!], $from: LocalDate, $to: LocalDate, $asOf: LocalDate) {
    portfolioAnalytics(portfolioIds: $ids, from: $from, to: $to, asOf: $asOf) {
      portfolio { id name } asOf from to accounts placed { minor currency } outstanding { minor } collectedInPeriod { minor } collectedToDate { minor }
      recoveryRateBasisPoints buckets { label accounts outstanding { minor } } } }`;

  it('placed, outstanding, collected in a period and to date (net of reversed payments), recovery rate and aging, by hand', async () => {
    const t = await h.tenant();
    const P = await createPortfolio(t, 'CNY', 'A cards');
    const E = await createPortfolio(t, 'EUR', 'B euro');
    const empty = await createPortfolio(t, 'JPY', 'C empty');
    const did = await createDebtor(t);

    // A1: 100,000 principal + 5,000 fees due 03-01. Pays 20,000 on 03-10 (fee 5,000 + principal 15,000),
    //     10,000 on 04-05 which bounces (reversed today, 06-15). Owes 85,000; oldest unpaid 03-01 → 106 days (91-120).
    const A1 = await createAccount(t, { debtorId: did, portfolioId: P.id, originalPrincipal: '100000', openingFees: '5000', dueOn: '2026-03-01' });
    await post(t, { accountId: A1.id, kind: 'PAYMENT', amount: '20000', effectiveOn: '2026-03-10' });
    const bounced = await post(t, { accountId: A1.id, kind: 'PAYMENT', amount: '10000', effectiveOn: '2026-04-05' });
    for (const e of bounced.entries) await reverse(t, e.id);
    // A2: 50,000 due 05-01, paid in full on 05-20. Owes 0 (Current).
    const A2 = await createAccount(t, { debtorId: did, portfolioId: P.id, originalPrincipal: '50000', dueOn: '2026-05-01' });
    await post(t, { accountId: A2.id, kind: 'PAYMENT', amount: '50000', effectiveOn: '2026-05-20' });
    // A3: 200,000 + 10,000 interest due 06-10; the interest is waived (not a collection). Owes 200,000; 5 days (1-30).
    const A3 = await createAccount(t, { debtorId: did, portfolioId: P.id, originalPrincipal: '200000', openingInterest: '10000', dueOn: '2026-06-10' });
    await post(t, { accountId: A3.id, kind: 'WAIVER', component: 'INTEREST', amount: '10000', effectiveOn: '2026-06-12' });
    // EUR portfolio: one account of 5,000 cents, nothing paid, due 2026-06-20 (not yet due).
    await createAccount(t, { debtorId: did, portfolioId: E.id, currency: 'EUR', originalPrincipal: '5000', dueOn: '2026-06-20' });

    const all = ok(await t.gql(Q, { from: '2026-03-01', to: '2026-06-30' })).portfolioAnalytics;
    expect(all.map((x: any) => x.portfolio.name)).toEqual(['A cards', 'B euro', 'C empty']);
    const [p, e, z] = all;
    // Placed 100,000 + 50,000 + 200,000 = 350,000; outstanding 85,000 + 0 + 200,000 = 285,000;
    // collected 20,000 + 10,000 − 10,000 + 50,000 = 70,000; 70,000 × 10,000 / 350,000 = 2,000 bp (20%).
    expect(p).toMatchObject({
      asOf: TODAY,
      from: '2026-03-01',
      to: '2026-06-30',
      accounts: 3,
      placed: { minor: '350000', currency: 'CNY' },
      outstanding: { minor: '285000' },
      collectedInPeriod: { minor: '70000' },
      collectedToDate: { minor: '70000' },
      recoveryRateBasisPoints: 2000,
    });
    expect(p.buckets).toEqual([
      { label: 'Current', accounts: 1, outstanding: { minor: '0' } },
      { label: '1-30', accounts: 1, outstanding: { minor: '200000' } },
      { label: '31-60', accounts: 0, outstanding: { minor: '0' } },
      { label: '61-90', accounts: 0, outstanding: { minor: '0' } },
      { label: '91-120', accounts: 1, outstanding: { minor: '85000' } },
      { label: '121-180', accounts: 0, outstanding: { minor: '0' } },
      { label: '181+', accounts: 0, outstanding: { minor: '0' } },
    ]);
    expect(e).toMatchObject({ accounts: 1, placed: { minor: '5000', currency: 'EUR' }, outstanding: { minor: '5000' }, collectedInPeriod: { minor: '0' }, collectedToDate: { minor: '0' }, recoveryRateBasisPoints: 0 });
    expect(e.buckets[0]).toEqual({ label: 'Current', accounts: 1, outstanding: { minor: '5000' } });
    expect(z).toMatchObject({ accounts: 0, placed: { minor: '0', currency: 'JPY' }, outstanding: { minor: '0' }, recoveryRateBasisPoints: null });
    expect(z.buckets.every((b: any) => b.accounts === 0)).toBe(true);

    // Periods: March holds the 20,000; May the 50,000; nothing before March; to date is unaffected by the period.
    const one = async (vars: Record<string, unknown>) => ok(await t.gql(Q, { ids: [P.id], ...vars })).portfolioAnalytics;
    const march = await one({ from: '2026-03-01', to: '2026-03-31' });
    expect(march).toHaveLength(1);
    expect(march[0]).toMatchObject({ collectedInPeriod: { minor: '20000' }, collectedToDate: { minor: '70000' } });
    expect((await one({ from: '2026-05-01', to: '2026-05-31' }))[0].collectedInPeriod.minor).toBe('50000');
    expect((await one({ from: '2026-05-20', to: '2026-05-20' }))[0].collectedInPeriod.minor).toBe('50000');
    expect((await one({ from: '2026-05-21', to: '2026-05-31' }))[0].collectedInPeriod.minor).toBe('0');
    expect((await one({ from: '2026-01-01', to: '2026-02-28' }))[0].collectedInPeriod.minor).toBe('0');
    // Defaults: to = asOf = today, from = the first of that month.
    expect((await one({}))[0]).toMatchObject({ asOf: TODAY, from: '2026-06-01', to: TODAY });

    // Aging as of another date: on 2026-04-01 A1 is 31 days (31-60) and A3 not yet due (Current).
    const april = (await one({ asOf: '2026-04-01' }))[0];
    expect(april.buckets.filter((b: any) => b.accounts > 0)).toEqual([
      { label: 'Current', accounts: 2, outstanding: { minor: '200000' } },
      { label: '31-60', accounts: 1, outstanding: { minor: '85000' } },
    ]);

    expectError(await t.gql(Q, { from: '2026-04-01', to: '2026-03-01' }), 'BAD_USER_INPUT', 'from');
    expectError(await t.gql(Q, { ids: ['00000000-0000-7000-8000-000000000006'] }), 'NOT_FOUND');
    expectError(await t.gql(Q, { ids: ['x'] }), 'BAD_USER_INPUT', 'portfolioIds.0');
  });
});

describe('alerts', () => {
  const RULE = `mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id name metric threshold currency active } }`;
  const EVAL = `mutation($d: LocalDate) { evaluateAlerts(asOf: $d) { asOf raised cleared holding } }`;
  const LIST = `query($f: AlertFilterInput) { alerts(filter: $f, first: 100) { edges { node { id ruleId accountId value raisedAt clearedAt acknowledgedAt acknowledgedById } } } }`;

  it('raise once per breach, do not duplicate, clear when the condition stops holding, and can be acknowledged', async () => {
    const t = await h.tenant();
    const cny = (await createPortfolio(t, 'CNY')).id;
    const eur = (await createPortfolio(t, 'EUR')).id;
    const did = await createDebtor(t);
    // Today 2026-06-15.
    // X: 100,000 CNY due 06-01 → 14 days past due; all of it overdue.
    const X = await createAccount(t, { debtorId: did, portfolioId: cny, originalPrincipal: '100000', dueOn: '2026-06-01' });
    // Y: 20,000 CNY due 06-14 (1 day) plus a fee of 5,000 falling due 07-01: owes 25,000, overdue 20,000 → 8,000 bp.
    const Y = await createAccount(t, { debtorId: did, portfolioId: cny, originalPrincipal: '20000', dueOn: '2026-06-14' });
    await post(t, { accountId: Y.id, kind: 'FEE', amount: '5000', effectiveOn: '2026-07-01' });
    // Z: 500,000 EUR due today: 0 days, nothing overdue yet; large, but in another currency than the balance rule.
    const Z = await createAccount(t, { debtorId: did, portfolioId: eur, currency: 'EUR', originalPrincipal: '500000', dueOn: TODAY });

    const dpd = ok(await t.gql(RULE, { i: { name: '10+ days', metric: 'DAYS_PAST_DUE', threshold: '10' } })).createAlertRule;
    const bal = ok(await t.gql(RULE, { i: { name: 'Big CNY', metric: 'OUTSTANDING_BALANCE', threshold: '100000', currency: 'cny' } })).createAlertRule;
    const ratio = ok(await t.gql(RULE, { i: { name: '80% overdue', metric: 'OVERDUE_RATIO', threshold: '8000' } })).createAlertRule;
    expect(bal).toMatchObject({ metric: 'OUTSTANDING_BALANCE', threshold: '100000', currency: 'CNY', active: true });
    expect(ok(await t.gql(`{ alertRules { name } }`)).alertRules.map((r: any) => r.name)).toEqual(['10+ days', 'Big CNY', '80% overdue']);

    // Breaches: dpd X (14 ≥ 10); balance X (100,000 ≥ 100,000); ratio X (10,000) and Y (8,000 ≥ 8,000). Z: none.
    expect(ok(await t.gql(EVAL, {})).evaluateAlerts).toEqual({ asOf: TODAY, raised: 4, cleared: 0, holding: 4 });
    expect(ok(await t.gql(EVAL, {})).evaluateAlerts).toEqual({ asOf: TODAY, raised: 0, cleared: 0, holding: 4 });
    const open = async () => ok(await t.gql(LIST, { f: { open: true } })).alerts.edges.map((e: any) => e.node);
    const key = (a: any) => `${a.ruleId === dpd.id ? 'dpd' : a.ruleId === bal.id ? 'bal' : 'ratio'}:${a.accountId === X.id ? 'X' : a.accountId === Y.id ? 'Y' : 'Z'}=${a.value}`;
    expect((await open()).map(key).sort()).toEqual(['bal:X=100000', 'dpd:X=14', 'ratio:X=10000', 'ratio:Y=8000']);

    // X pays 1,000: owes 99,000 < 100,000 → the balance alert clears; X stays 14 days past due and fully overdue.
    const xPay = await post(t, { accountId: X.id, kind: 'PAYMENT', amount: '1000', effectiveOn: TODAY });
    expect(ok(await t.gql(EVAL, {})).evaluateAlerts).toMatchObject({ raised: 0, cleared: 1, holding: 3 });
    // Y pays 2,000: owes 23,000, overdue 18,000 → 18,000 × 10,000 / 23,000 = 7,826 bp < 8,000 → clears.
    await post(t, { accountId: Y.id, kind: 'PAYMENT', amount: '2000', effectiveOn: TODAY });
    expect(ok(await t.gql(EVAL, {})).evaluateAlerts).toMatchObject({ raised: 0, cleared: 1, holding: 2 });
    expect((await open()).map(key).sort()).toEqual(['dpd:X=14', 'ratio:X=10000']);

    // X's payment bounces: the balance rule breaches again and a new alert is raised beside the cleared one.
    await reverse(t, xPay.entries[0].id);
    expect(ok(await t.gql(EVAL, {})).evaluateAlerts).toMatchObject({ raised: 1, cleared: 0, holding: 3 });
    const balAlerts = ok(await t.gql(LIST, { f: { ruleId: bal.id } })).alerts.edges.map((e: any) => e.node);
    expect(balAlerts).toHaveLength(2);
    expect(balAlerts.filter((a: any) => a.clearedAt === null)).toHaveLength(1);
    expect(ok(await t.gql(LIST, { f: { open: false } })).alerts.edges).toHaveLength(2);
    expect(ok(await t.gql(LIST, { f: { accountId: Y.id } })).alerts.edges).toHaveLength(1);

    // Evaluating as of an earlier date: on 06-05 X is 4 days past due → the dpd alert clears.
    expect(ok(await t.gql(EVAL, { d: '2026-06-05' })).evaluateAlerts).toMatchObject({ asOf: '2026-06-05', cleared: 1 });
    expectError(await t.gql(EVAL, { d: '2026-06-16' }), 'BAD_USER_INPUT', 'asOf');

    // Acknowledge: stamped once; acknowledging again changes nothing.
    const target = (await open()).find((a: any) => a.ruleId === ratio.id)!;
    const ack = ok(await t.gql(`mutation($id: ID!) { acknowledgeAlert(id: $id) { id acknowledgedAt acknowledgedById } }`, { id: target.id })).acknowledgeAlert;
    expect(ack.acknowledgedAt).toBe(`${TODAY}T12:00:00.000Z`);
    expect(ack.acknowledgedById).toBeTruthy();
    const ack2 = ok(await t.gql(`mutation($id: ID!) { acknowledgeAlert(id: $id) { acknowledgedAt } }`, { id: target.id })).acknowledgeAlert;
    expect(ack2.acknowledgedAt).toBe(ack.acknowledgedAt);
    expect(ok(await t.gql(LIST, { f: { acknowledged: true } })).alerts.edges.map((e: any) => e.node.id)).toEqual([target.id]);
    expectError(await t.gql(`mutation { acknowledgeAlert(id: "00000000-0000-7000-8000-000000000007") { id } }`), 'NOT_FOUND');

    // An inactive rule's alerts clear at the next evaluation.
    ok(await t.gql(`mutation($id: ID!) { setAlertRuleActive(id: $id, active: false) { active } }`, { id: ratio.id }));
    const ev = ok(await t.gql(EVAL, {})).evaluateAlerts;
    // Today: dpd X re-raised (14 again), ratio X cleared (inactive), balance X holds.
    expect(ev).toMatchObject({ raised: 1, cleared: 1, holding: 2 });
    expect((await open()).map(key).sort()).toEqual(['bal:X=100000', 'dpd:X=14']);
    void Z;
  });

  it('refuses bad rules: ratio above 10,000 bp, balance rule without a currency, currency on other metrics', async () => {
    const t = await h.tenant();
    const rule = (i: Record<string, unknown>) => t.gql(RULE, { i: { name: 'r', ...i } });
    const over = expectError(await rule({ metric: 'OVERDUE_RATIO', threshold: '10001' }), 'BAD_USER_INPUT', 'input.threshold');
    expect(over.message).toContain('10000');
    expect(ok(await rule({ metric: 'OVERDUE_RATIO', threshold: '10000' })).createAlertRule.threshold).toBe('10000');
    expectError(await rule({ metric: 'OUTSTANDING_BALANCE', threshold: '100' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await rule({ metric: 'OUTSTANDING_BALANCE', threshold: '100', currency: 'XYZ' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await rule({ metric: 'DAYS_PAST_DUE', threshold: '30', currency: 'CNY' }), 'BAD_USER_INPUT', 'input.currency');
    expectError(await rule({ metric: 'DAYS_PAST_DUE', threshold: '-1' }), 'BAD_USER_INPUT', 'input.threshold');
    expectError(await rule({ metric: 'DAYS_PAST_DUE', threshold: '36501' }), 'BAD_USER_INPUT', 'input.threshold');
    expectError(await rule({ metric: 'DAYS_PAST_DUE', threshold: '1.5' }), 'BAD_USER_INPUT', 'input.threshold');
    expectError(await rule({ metric: 'DAYS_PAST_DUE', threshold: '5', name: '   ' }), 'BAD_USER_INPUT', 'input.name');
    expect(ok(await t.gql(`{ alertRules { metric threshold } }`)).alertRules).toEqual([{ metric: 'OVERDUE_RATIO', threshold: '10000' }]);
  });
});

describe('tenant time zones', () => {
  // 2026-03-01T16:30Z is 2026-03-02 00:30 in Shanghai (UTC+8) and 2026-03-01 08:30 in Los Angeles (UTC−8).
  let tz: Harness;
  beforeAll(async () => {
    tz = await startHarness({ clock: { now: () => new Date('2026-03-01T16:30:00Z') } });
  });
  afterAll(async () => tz?.close());

  async function zoned(zone: string) {
    const t = await tz.tenant();
    await tz.db.admin.query(`update tenants set time_zone = $1 where id = $2`, [zone, t.id]);
    const p = await createPortfolio(t, 'CNY');
    const did = await createDebtor(t);
    const a = await createAccount(t, { debtorId: did, portfolioId: p.id, externalRef: 'TZ-1', openedOn: '2026-01-01', dueOn: '2026-03-01' });
    return { t, a };
  }

  it("today is the tenant's local date: an account due 2026-03-01 is 1 day past due in Shanghai and 0 in Los Angeles", async () => {
    const sh = await zoned('Asia/Shanghai');
    const la = await zoned('America/Los_Angeles');
    const utc = await zoned('UTC');
    const Q = `query($id: ID!) { account(id: $id) { daysPastDue delinquencyBucket } }`;
    expect(ok(await sh.t.gql(Q, { id: sh.a.id })).account).toEqual({ daysPastDue: 1, delinquencyBucket: '1-30' });
    expect(ok(await la.t.gql(Q, { id: la.a.id })).account).toEqual({ daysPastDue: 0, delinquencyBucket: 'Current' });
    expect(ok(await utc.t.gql(Q, { id: utc.a.id })).account).toEqual({ daysPastDue: 0, delinquencyBucket: 'Current' });

    // Filters that depend on today.
    const count = async (t: TestTenant, f: Record<string, unknown>) => ok(await t.gql(`query($f: AccountFilterInput) { accounts(filter: $f) { totalCount } }`, { f })).accounts.totalCount;
    expect([await count(sh.t, { minDaysPastDue: 1 }), await count(la.t, { minDaysPastDue: 1 })]).toEqual([1, 0]);
    expect([await count(sh.t, { bucket: 'Current' }), await count(la.t, { bucket: 'Current' })]).toEqual([0, 1]);

    // Analytics, refresh and alert evaluation default to the local date too.
    const an = async (t: TestTenant) => ok(await t.gql(`{ portfolioAnalytics { asOf buckets { label accounts } } }`)).portfolioAnalytics[0];
    const shA = await an(sh.t);
    const laA = await an(la.t);
    expect(shA.asOf).toBe('2026-03-02');
    expect(shA.buckets.find((b: any) => b.label === '1-30').accounts).toBe(1);
    expect(laA.asOf).toBe('2026-03-01');
    expect(laA.buckets.find((b: any) => b.label === 'Current').accounts).toBe(1);
    expect(ok(await sh.t.gql(`mutation { refreshDelinquency { asOf changed } }`)).refreshDelinquency).toEqual({ asOf: '2026-03-02', changed: 1 });
    expect(ok(await la.t.gql(`mutation { refreshDelinquency { asOf changed } }`)).refreshDelinquency).toEqual({ asOf: '2026-03-01', changed: 1 });
    expectError(await la.t.gql(`mutation { refreshDelinquency(asOf: "2026-03-02") { asOf } }`), 'BAD_USER_INPUT', 'asOf');
    expect(ok(await sh.t.gql(`mutation { evaluateAlerts { asOf } }`)).evaluateAlerts.asOf).toBe('2026-03-02');
    expect(ok(await la.t.gql(`mutation { evaluateAlerts { asOf } }`)).evaluateAlerts.asOf).toBe('2026-03-01');

    // A payment dated 2026-03-02 is today in Shanghai and tomorrow in Los Angeles.
    const pay = { kind: 'PAYMENT', amount: '100', effectiveOn: '2026-03-02' };
    expect((await post(sh.t, { accountId: sh.a.id, ...pay })).account.balance.total.minor).toBe('99900');
    const refused = expectError(await postRaw(la.t, { accountId: la.a.id, ...pay }), 'BAD_USER_INPUT', 'input.effectiveOn');
    expect(refused.message).toContain('2026-03-01');

    // Charging off stamps the local date.
    const CHANGE = `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { chargedOffOn } }`;
    ok(await sh.t.gql(CHANGE, { i: { id: sh.a.id, version: 1, status: 'DELINQUENT' } }));
    ok(await la.t.gql(CHANGE, { i: { id: la.a.id, version: 1, status: 'DELINQUENT' } }));
    expect(ok(await sh.t.gql(CHANGE, { i: { id: sh.a.id, version: 2, status: 'CHARGED_OFF' } })).changeAccountStatus.chargedOffOn).toBe('2026-03-02');
    expect(ok(await la.t.gql(CHANGE, { i: { id: la.a.id, version: 2, status: 'CHARGED_OFF' } })).changeAccountStatus.chargedOffOn).toBe('2026-03-01');
  });
});
