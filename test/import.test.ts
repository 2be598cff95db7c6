import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFileError, importCsv, type CsvImportOptions } from '../src/modules/accounts/csv-import.js';
import { systemActor } from '../src/modules/tenancy/principal.js';
import { startHarness, type Harness, type TestTenant } from './harness.js';
import { balanceOf, createPortfolio, ledgerOf, ok, tenantCounts } from './accounts-fixtures.js';

/**
 * Bulk placement of accounts: the GraphQL importAccounts mutation and the streaming CSV importer behind
 * `npm run import`. Bad rows are reported by line and column; valid rows land unless the import is atomic;
 * re-running the same rows changes nothing. The clock is fixed: today is 2026-06-15.
 */

const TODAY = '2026-06-15';
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
  dir = mkdtempSync(join(tmpdir(), 'arrears-import-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const IMPORT = `mutation($i: ImportAccountsInput!) { importAccounts(input: $i) {
  rows accountsCreated accountsUnchanged debtorsCreated debtorsUpdated failed written errors { line field message } } }`;

type Row = Record<string, string>;
const row = (accountExternalRef: string, extra: Row = {}): Row => ({
  debtorExternalRef: `D-${accountExternalRef}`,
  debtorName: '测试债务人',
  accountExternalRef,
  productType: 'loan',
  currency: 'CNY',
  principal: '100.00',
  openedOn: '2026-01-01',
  dueOn: '2026-02-01',
  ...extra,
});

async function importRows(t: TestTenant, portfolioId: string, rows: Row[], atomic = false) {
  return ok(await t.gql(IMPORT, { i: { portfolioId, rows, atomic } })).importAccounts;
}

async function accountByRef(t: TestTenant, ref: string): Promise<any> {
  const r = ok(
    await t.gql(`{ accounts(first: 100) { edges { node { id externalRef status chargedOffOn oldestUnpaidDueOn productType portfolio { id }
      debtor { id externalRef legalName kind emails { address } phones { number } }
      balance { principal { minor } interest { minor } fees { minor } total { minor } } } } } }`),
  );
  return r.accounts.edges.map((e: any) => e.node).find((a: any) => a.externalRef === ref);
}

async function auditImports(tenantId: string): Promise<{ after: any; actor_kind: string; actor_id: string; entity_id: string }[]> {
  return h.db.admin.query(`select after, actor_kind, actor_id, entity_id from audit_events where tenant_id = $1 and action = 'account.import' order by seq`, [tenantId]);
}

describe('importAccounts (GraphQL)', () => {
  it('creates debtors and accounts with opening entries and balances; a re-run changes nothing', async () => {
    const t = await h.tenant();
    const P = (await createPortfolio(t, 'CNY')).id;
    const rows: Row[] = [
      row('A-100', { debtorExternalRef: 'D-100', debtorName: '李雷', debtorEmail: 'LiLei@Example.com', debtorPhone: '+8613800138000', interest: '10.00', fees: '5', principal: '1234.56' }),
      row('A-101', { debtorExternalRef: 'D-100', debtorName: '李雷', productType: 'CREDIT_CARD', principal: '200', dueOn: '2026-03-01', openedOn: '2026-01-15' }),
      row('A-200', { debtorExternalRef: 'D-200', debtorName: '韩梅梅', debtorKind: 'business', productType: 'invoice', principal: '0.01', openedOn: '2026-02-01', dueOn: '2026-02-01', chargedOffOn: '2026-05-01' }),
    ];
    const first = await importRows(t, P, rows);
    expect(first).toEqual({ rows: 3, accountsCreated: 3, accountsUnchanged: 0, debtorsCreated: 2, debtorsUpdated: 0, failed: 0, written: true, errors: [] });

    // 1,234.56 + 10.00 + 5 CNY = 123,456 + 1,000 + 500 fen.
    const a100 = await accountByRef(t, 'A-100');
    expect(balanceOf(a100)).toEqual({ principal: '123456', interest: '1000', fees: '500', total: '124956' });
    expect(a100).toMatchObject({ status: 'CURRENT', productType: 'LOAN', oldestUnpaidDueOn: '2026-02-01', portfolio: { id: P } });
    expect(a100.debtor).toMatchObject({ externalRef: 'D-100', legalName: '李雷', kind: 'PERSON', phones: [{ number: '+8613800138000' }] });
    expect(a100.debtor.emails.map((e: any) => e.address.toLowerCase())).toEqual(['lilei@example.com']);
    expect((await ledgerOf(t, a100.id)).map((e) => [e.kind, e.amount.minor, e.effectiveOn, e.memo]).sort()).toEqual([
      ['FEE', '500', '2026-02-01', 'opening balance'],
      ['INTEREST', '1000', '2026-02-01', 'opening balance'],
      ['PRINCIPAL', '123456', '2026-02-01', 'opening balance'],
    ]);
    const a101 = await accountByRef(t, 'A-101');
    expect(a101).toMatchObject({ productType: 'CREDIT_CARD', balance: { total: { minor: '20000' } }, debtor: { id: a100.debtor.id } });
    const a200 = await accountByRef(t, 'A-200');
    expect(a200).toMatchObject({ status: 'CHARGED_OFF', chargedOffOn: '2026-05-01', balance: { total: { minor: '1' } }, debtor: { kind: 'BUSINESS', legalName: '韩梅梅' } });
    const counts = await tenantCounts(h, t.id);
    expect(counts).toEqual({ accounts: 3, debtors: 2, entries: 5, contacts: 2 });

    // The same rows again: nothing new, nothing changed.
    const again = await importRows(t, P, rows);
    expect(again).toEqual({ rows: 3, accountsCreated: 0, accountsUnchanged: 3, debtorsCreated: 0, debtorsUpdated: 0, failed: 0, written: true, errors: [] });
    expect(await tenantCounts(h, t.id)).toEqual(counts);
    expect(balanceOf(await accountByRef(t, 'A-100'))).toEqual(balanceOf(a100));

    // A changed name and a new email update the debtor by its reference; the old email stays, the account is unchanged.
    const renamed = await importRows(t, P, [{ ...rows[0]!, debtorName: '李雷雷', debtorEmail: 'lilei2@example.com' }]);
    expect(renamed).toMatchObject({ accountsCreated: 0, accountsUnchanged: 1, debtorsCreated: 0, debtorsUpdated: 1, failed: 0 });
    const d = (await accountByRef(t, 'A-100')).debtor;
    expect(d.legalName).toBe('李雷雷');
    expect(d.emails.map((e: any) => e.address.toLowerCase()).sort()).toEqual(['lilei2@example.com', 'lilei@example.com']);
    expect(await tenantCounts(h, t.id)).toEqual({ ...counts, contacts: 3 });

    // One audit event per call.
    const audit = await auditImports(t.id);
    expect(audit).toHaveLength(3);
    expect(audit[0]!.after).toMatchObject({ source: 'graphql', rows: 3, accountsCreated: 3, debtorsCreated: 2, failed: 0 });
    expect(audit[0]!.entity_id).toBe(P);
  });

  const BAD: [Row, { field: string; message: RegExp }[]][] = [
    [row('V-1'), []],
    [row('B-2', { principal: '-5' }), [{ field: 'principal', message: /negative/ }]],
    [row('B-3', { principal: '12,50' }), [{ field: 'principal', message: /decimal number/ }]],
    [row('B-4', { principal: '92233720368547758.08' }), [{ field: 'principal', message: /range/ }]],
    [row('B-5', { currency: 'XYZ' }), [{ field: 'currency', message: /CNY/ }]],
    [row('B-6', { currency: 'EUR' }), [{ field: 'currency', message: /portfolio's currency CNY/ }]],
    [row('B-7', { principal: '1.234' }), [{ field: 'principal', message: /CNY has 2 decimal places; got 3/ }]],
    [row('B-8', { openedOn: '2026-02-30' }), [{ field: 'opened_on', message: /real date/ }]],
    [row('B-9', { openedOn: '2026-01-01', dueOn: '2025-12-31' }), [{ field: 'due_on', message: /before opened_on/ }]],
    [row('V-10'), []],
    [row('V-10', { debtorExternalRef: 'D-other' }), [{ field: 'account_external_ref', message: /^duplicates line 10$/ }]],
    [row('B-12', { debtorName: '', accountExternalRef: '  ' }), [{ field: 'debtor_name', message: /required/ }, { field: 'account_external_ref', message: /required/ }]],
    [row('B-13', { openedOn: '2026-07-01', dueOn: '2026-08-01' }), [{ field: 'opened_on', message: /after today \(2026-06-15\)/ }]],
    [row('B-14', { fees: '-1', interest: 'x' }), [{ field: 'interest', message: /decimal/ }, { field: 'fees', message: /negative/ }]],
    [row('B-15', { productType: 'mortgage' }), [{ field: 'product_type', message: /one of/ }]],
    [row('B-16', { debtorEmail: 'not-an-email' }), [{ field: 'debtor_email', message: /email/ }]],
    // Each amount fits; together they exceed what a balance can hold.
    [row('B-17', { principal: '92233720368547758.07', fees: '0.01' }), [{ field: 'principal', message: /together exceed/ }]],
    [row('B-18', { chargedOffOn: '2025-12-01' }), [{ field: 'charged_off_on', message: /before opened_on/ }]],
  ];

  it('reports every bad row with its line and field, and still writes the valid rows', async () => {
    const t = await h.tenant();
    const P = (await createPortfolio(t, 'CNY')).id;
    const r = await importRows(
      t,
      P,
      BAD.map(([x]) => x),
    );
    const expected = BAD.flatMap(([, errs], i) => errs.map((e) => ({ line: i + 1, field: e.field })));
    expect(r.errors.map((e: any) => ({ line: e.line, field: e.field }))).toEqual(expected);
    BAD.forEach(([, errs], i) =>
      errs.forEach((e) => {
        const got = r.errors.find((x: any) => x.line === i + 1 && x.field === e.field);
        expect(got?.message, `line ${i + 1} ${e.field}`).toMatch(e.message);
      }),
    );
    expect(r).toMatchObject({ rows: 18, accountsCreated: 2, accountsUnchanged: 0, debtorsCreated: 2, failed: 16, written: true });
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 2, debtors: 2, entries: 2, contacts: 0 });
    expect((await accountByRef(t, 'V-10')).debtor.externalRef).toBe('D-V-10');
  });

  it('atomic: any bad row and nothing is written', async () => {
    const t = await h.tenant();
    const P = (await createPortfolio(t, 'CNY')).id;
    const r = await importRows(
      t,
      P,
      BAD.map(([x]) => x),
      true,
    );
    expect(r).toMatchObject({ rows: 18, accountsCreated: 0, debtorsCreated: 0, failed: 16, written: false });
    expect(r.errors).toHaveLength(18);
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 0, debtors: 0, entries: 0, contacts: 0 });
    expect(await auditImports(t.id)).toEqual([]);
    // All good: all written.
    const good = await importRows(t, P, [row('G-1'), row('G-2')], true);
    expect(good).toMatchObject({ accountsCreated: 2, failed: 0, written: true });
    expect(await tenantCounts(h, t.id)).toMatchObject({ accounts: 2, debtors: 2, entries: 2 });
  });

  it('a row refused for its account reference writes nothing, not even its debtor', async () => {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t, 'CNY')).id;
    const P2 = (await createPortfolio(t, 'CNY')).id;
    await importRows(t, P1, [row('Y-1', { debtorName: '原名' })]);
    const before = await tenantCounts(h, t.id);
    // Same debtor reference with a new name, but its account reference is already a debt in P1.
    const r = await importRows(t, P2, [row('Y-1', { debtorName: '新名字' }), row('Y-9', { debtorExternalRef: 'D-brand-new' })]);
    expect(r.errors).toEqual([{ line: 1, field: 'account_external_ref', message: 'already exists in another portfolio' }]);
    expect(r).toMatchObject({ accountsCreated: 1, debtorsCreated: 1, debtorsUpdated: 0, failed: 1 });
    expect((await accountByRef(t, 'Y-1')).debtor).toMatchObject({ externalRef: 'D-Y-1', legalName: '原名' });
    expect(await tenantCounts(h, t.id)).toMatchObject({ accounts: before.accounts + 1, debtors: before.debtors + 1 });
  });

  it('amounts follow the currency exponent: 100.5 is refused for JPY, 100 is 100 yen', async () => {
    const t = await h.tenant();
    const J = (await createPortfolio(t, 'JPY')).id;
    const r = await importRows(t, J, [row('J-1', { currency: 'JPY', principal: '100.5' }), row('J-2', { currency: 'jpy', principal: '100' }), row('J-3', { currency: 'JPY', principal: '100.0' })]);
    expect(r.errors.map((e: any) => [e.line, e.field, e.message])).toEqual([
      [1, 'principal', 'JPY has no minor unit: no decimals allowed'],
      [3, 'principal', 'JPY has no minor unit: no decimals allowed'],
    ]);
    expect((await accountByRef(t, 'J-2')).balance.total.minor).toBe('100');
  });

  it('an account reference already used in another portfolio, or for another debtor, is an error row', async () => {
    const t = await h.tenant();
    const P1 = (await createPortfolio(t, 'CNY')).id;
    const P2 = (await createPortfolio(t, 'CNY')).id;
    await importRows(t, P1, [row('X-1'), row('X-2')]);
    const before = await tenantCounts(h, t.id);

    const r = await importRows(t, P2, [row('N-1'), row('X-1'), row('X-2', { debtorExternalRef: 'D-someone-else' })]);
    expect(r.errors).toEqual([{ line: 2, field: 'account_external_ref', message: 'already exists in another portfolio' }, { line: 3, field: 'account_external_ref', message: 'already exists in another portfolio' }]);
    expect(r).toMatchObject({ accountsCreated: 1, accountsUnchanged: 0, failed: 2, written: true });
    expect((await accountByRef(t, 'X-1')).portfolio.id).toBe(P1);

    const same = await importRows(t, P1, [row('X-2', { debtorExternalRef: 'D-someone-else' })]);
    expect(same.errors).toEqual([{ line: 1, field: 'account_external_ref', message: 'already exists for another debtor' }]);
    expect((await accountByRef(t, 'X-2')).debtor.externalRef).toBe('D-X-2');

    // Atomic: the database-level refusal undoes the whole call, debtors included.
    const mid = await tenantCounts(h, t.id);
    const atomic = await importRows(t, P2, [row('N-2', { debtorExternalRef: 'D-new' }), row('X-1')], true);
    expect(atomic).toMatchObject({ accountsCreated: 0, written: false, failed: 1, errors: [{ line: 2, field: 'account_external_ref', message: 'already exists in another portfolio' }] });
    expect(await tenantCounts(h, t.id)).toEqual(mid);
    expect(mid.accounts).toBe(before.accounts + 1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// CSV importer

const HEADER = 'debtor_external_ref,debtor_name,account_external_ref,product_type,currency,principal,interest,fees,opened_on,due_on,debtor_email';
let fileNo = 0;
function file(content: string | Buffer, ext = 'csv'): string {
  const path = join(dir, `f${++fileNo}.${ext}`);
  writeFileSync(path, content);
  return path;
}
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

async function csvSetup(currency = 'CNY') {
  const t = await h.tenant();
  const portfolioId = (await createPortfolio(t, currency)).id;
  const actor = systemActor(t.id, 'csv-test', `csv-${fileNo}`);
  const run = (path: string, opts: Partial<CsvImportOptions> = {}) =>
    importCsv(h.db.database, h.app.services.accountImport, actor, { file: path, portfolioId, atomic: false, encoding: null, delimiter: null, ...opts });
  return { t, portfolioId, run };
}

async function legalNames(tenantId: string): Promise<string[]> {
  const rows = await h.db.admin.query<{ legal_name: string }>(`select legal_name from debtors where tenant_id = $1 order by external_ref`, [tenantId]);
  return rows.map((r) => r.legal_name);
}

describe('CSV importer', () => {
  it('UTF-8 with a BOM and CRLF; empty lines skipped; quoted commas and newlines; errors at the line the record starts on', async () => {
    const { t, run } = await csvSetup();
    const lines = [
      HEADER, //                                                                                   1
      'C-1,"张, 三",CSV-1,loan,CNY,1000.00,,,2026-01-01,2026-02-01,zhang@example.com', //          2
      '', //                                                                                       3
      'C-2,"李四', //                                                     (a trailing newline)     4
      '",CSV-2,credit_card,CNY,250.50,10,0.5,2026-01-01,2026-03-01,', //                           5
      'C-3,"王', //                                                       (a newline inside)       6
      '五",CSV-3,loan,CNY,10,,,2026-01-01,2026-02-01,', //                                         7
      'C-4,赵六,CSV-4,loan,CNY,1.234,,,2026-01-01,2026-02-01,', //                                 8
      '', //                                                                                       9
      '', //                                                                                      10
      'C-5,"钱 ""七""",CSV-5,loan,CNY,7,,,2026-01-01,2026-02-30,', //                             11
      'C-6,"孙八",CSV-6,loan,CNY,8,,,2026-01-01,2026-02-01,sun@example.com', //                   12
      'C-7,周九,CSV-1,loan,CNY,9,,,2026-01-01,2026-02-01,', //                                    13
      'C-8,吴十,CSV-8,loan,CNY,1,,', //                           (too few fields)                14
      '',
    ];
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'), 'utf8')]);
    const r = await run(file(bytes));
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [14, '(row)'],
      [6, 'debtor_name'],
      [8, 'principal'],
      [11, 'due_on'],
      [13, 'account_external_ref'],
    ]);
    expect(r.errors.find((e) => e.line === 13)!.message).toBe('duplicates line 2');
    expect(r).toMatchObject({ rows: 8, accountsCreated: 3, debtorsCreated: 3, failed: 5, written: true, encoding: 'utf-8', delimiter: ',', fileSha256: sha256(bytes) });
    expect(await legalNames(t.id)).toEqual(['张, 三', '李四', '孙八']);
    // 250.50 + 10 + 0.5 CNY.
    expect(balanceOf(await accountByRef(t, 'CSV-2'))).toEqual({ principal: '25050', interest: '1000', fees: '50', total: '26100' });
  });

  it('the same lines with LF endings report the same line numbers', async () => {
    const { run } = await csvSetup();
    const content = [HEADER, 'C-1,A,R-1,loan,CNY,1,,,2026-01-01,2026-02-01,', '"C-2","B', '',
      'C",R-2,loan,CNY,-1,,,2026-01-01,2026-02-01,', '', 'C-3,D,R-3,loan,CNY,x,,,2026-01-01,2026-02-01,'].join('\n');
    const r = await run(file(content));
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'debtor_name'],
      [3, 'principal'],
      [7, 'principal'],
    ]);
  });

  it('GB18030 (what Chinese Excel writes) is detected, or can be named; naming the wrong encoding is a file error', async () => {
    const { t, run } = await csvSetup();
    const text = [HEADER, 'G-1,张三丰,GB-1,loan,CNY,88.88,,,2026-01-01,2026-02-01,', 'G-2,欧阳娜娜,GB-2,loan,CNY,1,,,2026-01-01,2026-02-01,', 'G-3,𠀀字,GB-3,loan,CNY,2,,,2026-01-01,2026-02-01,', ''].join('\r\n');
    const bytes = iconv.encode(text, 'gb18030');
    // Not UTF-8: 张 is D5 C5 in GB18030.
    expect(bytes.includes(Buffer.from([0xd5, 0xc5]))).toBe(true);
    const path = file(bytes);
    await expect(run(path, { encoding: 'utf-8' })).rejects.toThrow(CsvFileError);
    expect(await tenantCounts(h, t.id)).toMatchObject({ accounts: 0, debtors: 0 });

    const r = await run(path);
    expect(r).toMatchObject({ rows: 3, accountsCreated: 3, failed: 0, encoding: 'gb18030', fileSha256: sha256(bytes) });
    expect(await legalNames(t.id)).toEqual(['张三丰', '欧阳娜娜', '𠀀字']);
    expect((await accountByRef(t, 'GB-1')).balance.total.minor).toBe('8888');
    // Named explicitly: the same result (and, the rows being there already, nothing new).
    expect(await run(path, { encoding: 'gb18030' })).toMatchObject({ accountsCreated: 0, accountsUnchanged: 3, encoding: 'gb18030' });
  });

  it('sniffs semicolon and tab delimiters', async () => {
    const { t, run } = await csvSetup();
    const semi = [HEADER.replaceAll(',', ';'), 'S-1;Smith, John;SEMI-1;loan;CNY;12.34;;;2026-01-01;2026-02-01;', ''].join('\n');
    const r1 = await run(file(semi));
    expect(r1).toMatchObject({ delimiter: ';', accountsCreated: 1, failed: 0 });
    const tab = [HEADER.replaceAll(',', '\t'), 'T-1\tDoe, Jane\tTAB-1\tloan\tCNY\t5\t\t\t2026-01-01\t2026-02-01\t', ''].join('\n');
    const r2 = await run(file(tab, 'tsv'));
    expect(r2).toMatchObject({ delimiter: '\t', accountsCreated: 1, failed: 0 });
    expect(await legalNames(t.id)).toEqual(['Smith, John', 'Doe, Jane']);
    expect((await accountByRef(t, 'SEMI-1')).balance.total.minor).toBe('1234');
  });

  it('a wrong header (columns or delimiter) is a file error naming what is missing; nothing is written', async () => {
    const { t, run } = await csvSetup();
    const wrongColumns = ['debtor_external_ref,debtor_name,account_external_ref,product_type,currency,amount,opened_on', 'D,N,A,loan,CNY,1,2026-01-01', ''].join('\n');
    const e1 = await run(file(wrongColumns)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(e1).toBeInstanceOf(CsvFileError);
    expect((e1 as Error).message).toContain('missing column(s): principal, due_on');
    expect((e1 as Error).message).toContain('unknown column(s): "amount"');

    const semi = [HEADER.replaceAll(',', ';'), 'S-1;N;A-1;loan;CNY;1;;;2026-01-01;2026-02-01;', ''].join('\n');
    const e2 = await run(file(semi), { delimiter: ',' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(e2).toBeInstanceOf(CsvFileError);
    expect((e2 as Error).message).toContain('missing column(s): debtor_external_ref, debtor_name');
    expect((e2 as Error).message).toContain('did not split on ","');

    await expect(run(file(''))).rejects.toThrow(/empty/);
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 0, debtors: 0, entries: 0, contacts: 0 });
  });

  it('atomic: one bad row anywhere and nothing is written; all good and everything is, with one audit event', async () => {
    const { t, portfolioId, run } = await csvSetup();
    const good = Array.from({ length: 9 }, (_, i) => `AT-${i},债务人${i},ATOM-${i},loan,CNY,${i + 1}.00,,,2026-01-01,2026-02-01,`);
    const bad = [HEADER, ...good.slice(0, 7), 'AT-X,坏,ATOM-X,loan,CNY,1.001,,,2026-01-01,2026-02-01,', ...good.slice(7), ''].join('\n');
    // Small batches: the bad row is in the last one, after earlier batches validated fine.
    const r = await run(file(bad), { atomic: true, batchSize: 3 });
    expect(r).toMatchObject({ written: false, accountsCreated: 0, rows: 10, errors: [{ line: 9, field: 'principal' }] });
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 0, debtors: 0, entries: 0, contacts: 0 });
    expect(await auditImports(t.id)).toEqual([]);

    const okContent = [HEADER, ...good, ''].join('\n');
    const path = file(okContent);
    const r2 = await run(path, { atomic: true, batchSize: 3 });
    expect(r2).toMatchObject({ written: true, rows: 9, accountsCreated: 9, debtorsCreated: 9, failed: 0 });
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 9, debtors: 9, entries: 9, contacts: 0 });
    const audit = await auditImports(t.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_kind: 'system', actor_id: 'csv-test', entity_id: portfolioId });
    expect(audit[0]!.after).toMatchObject({ source: 'csv', fileSha256: sha256(okContent), rows: 9, accountsCreated: 9 });

    // A row the database refuses (its reference is in another portfolio) also undoes an atomic file.
    const other = await createPortfolio(t, 'CNY');
    const clash = [HEADER, 'N-1,新,NEW-1,loan,CNY,1,,,2026-01-01,2026-02-01,', 'AT-0,债务人0,ATOM-0,loan,CNY,1.00,,,2026-01-01,2026-02-01,', ''].join('\n');
    const r3 = await importCsv(h.db.database, h.app.services.accountImport, systemActor(t.id, 'csv-test'), {
      file: file(clash),
      portfolioId: other.id,
      atomic: true,
      encoding: null,
      delimiter: null,
    });
    expect(r3).toMatchObject({ written: false, accountsCreated: 0, errors: [{ line: 3, field: 'account_external_ref', message: 'already exists in another portfolio' }] });
    expect(await tenantCounts(h, t.id)).toEqual({ accounts: 9, debtors: 9, entries: 9, contacts: 0 });
  });

  it('a re-run of the same file changes nothing; each batch writes one audit event carrying the file hash', async () => {
    const { t, portfolioId, run } = await csvSetup();
    const content = [
      HEADER,
      'R-1,甲,RR-1,loan,CNY,1,,,2026-01-01,2026-02-01,a@example.com',
      'R-2,乙,RR-2,loan,CNY,2,,,2026-01-01,2026-02-01,b@example.com',
      'R-1,甲,RR-3,loan,CNY,3,,,2026-01-01,2026-02-01,a@example.com',
      'R-3,丙,RR-4,loan,CNY,-4,,,2026-01-01,2026-02-01,',
      'R-4,丁,RR-5,loan,CNY,5,,,2026-01-01,2026-02-01,',
      'R-5,戊,RR-6,loan,CNY,6,,,2026-01-01,2026-02-01,',
      '',
    ].join('\n');
    const path = file(content);
    const first = await run(path, { batchSize: 2 });
    expect(first).toMatchObject({ rows: 6, accountsCreated: 5, accountsUnchanged: 0, debtorsCreated: 4, failed: 1, written: true });
    expect(first.errors).toEqual([{ line: 5, field: 'principal', message: 'must not be negative' }]);
    const counts = await tenantCounts(h, t.id);
    expect(counts).toEqual({ accounts: 5, debtors: 4, entries: 5, contacts: 2 });

    const again = await run(path, { batchSize: 2 });
    expect(again).toMatchObject({ rows: 6, accountsCreated: 0, accountsUnchanged: 5, debtorsCreated: 0, debtorsUpdated: 0, failed: 1 });
    expect(await tenantCounts(h, t.id)).toEqual(counts);

    // Batches of 2 rows: [1,2] [3,4] [5,6] per run; each batch with a valid row writes one event.
    const audit = await auditImports(t.id);
    expect(audit.map((a) => a.after.batch)).toEqual([1, 2, 3, 1, 2, 3]);
    for (const a of audit) {
      expect(a.after).toMatchObject({ source: 'csv', fileSha256: sha256(content) });
      expect(a).toMatchObject({ actor_kind: 'system', actor_id: 'csv-test', entity_id: portfolioId });
    }
    expect(audit.slice(0, 3).map((a) => [a.after.rows, a.after.accountsCreated, a.after.debtorsCreated])).toEqual([
      [2, 2, 2],
      [1, 1, 0],
      [2, 2, 2],
    ]);
  });
});
