import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../src/shared/network.js';
import { ok } from './accounts-fixtures.js';
import { json, startFakeBureau, type FakeBureau } from './fake-bureau.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Bureau URLs cannot reach this machine or its network when private addresses are not allowed (the default):
 * names that say so are refused when the bureau is configured, and a name that merely resolves to a private
 * address is refused when the connection is made (the fake bureau never hears from us).
 */
let h: Harness;
let fake: FakeBureau;
let machineIsPrivate = false;
beforeAll(async () => {
  h = await startHarness(); // CREDIT_BUREAU_ALLOW_PRIVATE_URLS is false by default
  fake = await startFakeBureau();
  fake.always(json({ score: { value: 720 } }));
  // This machine's own name: on these machines /etc/hosts maps it to 127.0.0.1, and no URL check knows that.
  machineIsPrivate = await lookup(hostname(), { all: true }).then((a) => a.length > 0 && a.every((x) => isPrivateAddress(x.address)), () => false);
});
afterAll(async () => {
  await fake?.close();
  await h?.close();
});

async function debtor(t: Awaited<ReturnType<Harness['tenant']>>): Promise<string> {
  const i = { kind: 'PERSON', legalName: 'Ines Varga', dateOfBirth: '1979-03-02', nationalId: 'HU12345678', addresses: [{ line1: 'Andrássy út 1', city: 'Budapest', country: 'HU' }] };
  return ok(await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i })).createDebtor.id;
}

describe('bureau URLs and private addresses', () => {
  it('refuses loopback, private, link-local and local names when the bureau is configured', async () => {
    const t = await h.tenant();
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost./x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/x', 'http://printer.local/x']) {
      const r = await t.gql(`mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { id } }`, { i: { name: `B ${url}`, provider: 'HTTP_JSON', baseUrl: url } });
      expect(r.errors?.[0]?.extensions.code, url).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.extensions.field, url).toBe('input.baseUrl');
    }
  });

  it('a public-looking name that resolves to a private address is refused at connection time; the bureau hears nothing', async () => {
    expect(machineIsPrivate, `this test needs ${hostname()} to resolve to a private address (it does on these machines)`).toBe(true);
    const t = await h.tenant();
    const url = fake.url.replace('127.0.0.1', hostname());
    const b = ok(await t.gql(`mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { id } }`, { i: { name: 'Sneaky', provider: 'HTTP_JSON', baseUrl: url, maxRetries: 2 } })).createCreditBureau;
    const before = fake.requests.length;
    const c = ok(
      await t.gql(`mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { status failureCode failureReason attempts report { id } } }`, {
        i: { debtorId: await debtor(t), purpose: 'COLLECTION', pullType: 'SOFT', bureauId: b.id },
      }),
    ).requestCreditCheck;
    expect(c).toMatchObject({ status: 'FAILED', failureCode: 'bureau_error', attempts: 1, report: null });
    expect(c.failureReason).toMatch(/private address/);
    expect(fake.requests.length).toBe(before);
  });
});
