import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createPortfolio, expectError, ok, scopedKey } from './accounts-fixtures.js';
import {
  cutMidBody,
  deadUrl,
  gzipBomb,
  delayed,
  hang,
  html,
  huge,
  json,
  jsonFrom,
  sleep,
  stallMidBody,
  startFakeBureau,
  status,
  type BureauRequest,
  type FakeBureau,
  type Reply,
} from './fake-bureau.js';

/**
 * Credit checks against bureaus: the generic http_json provider played by a fake bureau on 127.0.0.1 (request
 * shape, field mapping, every fault, retries, the circuit breaker), the reuse window, single-flight pulls, bad
 * input, secrets, and the sandbox's documented test subjects. Retries are fast (base 5 ms, cap 200 ms), the
 * breaker opens after 3 failed checks for 1 s. Each test takes a fresh tenant (the breaker is per tenant and
 * bureau).
 */
const ENV = {
  CREDIT_BUREAU_ALLOW_PRIVATE_URLS: 'true',
  CREDIT_RETRY_BASE_MS: '5',
  CREDIT_RETRY_MAX_DELAY_MS: '200',
  CREDIT_BREAKER_THRESHOLD: '3',
  CREDIT_BREAKER_OPEN_SECONDS: '1',
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: ENV });
});
afterAll(async () => h?.close());

const fakes: FakeBureau[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fakeBureau(path?: string): Promise<FakeBureau> {
  const f = await startFakeBureau(path);
  fakes.push(f);
  return f;
}

/** Every national id and bureau credential this file hands the API: none may ever show in a log line. */
const SECRETS = { nationalIds: [] as string[], credentials: [] as string[] };

function credential(): string {
  const c = `bureau-secret-${randomBytes(12).toString('hex')}`;
  SECRETS.credentials.push(c);
  return c;
}

/** A national id (letters and digits, as the API normalises them) ending in `suffix`. */
function nationalId(suffix = ''): string {
  const id = `NI${randomBytes(5).toString('hex').toUpperCase()}${suffix}`;
  SECRETS.nationalIds.push(id);
  return id;
}

// Debtors

interface Person {
  id: string;
  legalName: string;
  nationalId: string | null;
  dateOfBirth: string | null;
  address: { line1: string; line2: string | null; city: string; postalCode: string | null; country: string } | null;
}

async function person(
  t: TestTenant,
  o: { nationalId?: string | null; dateOfBirth?: string | null; address?: boolean; riskRating?: string; legalName?: string } = {},
): Promise<Person> {
  const legalName = o.legalName ?? `Marguerite Okafor ${randomBytes(3).toString('hex')}`;
  const nid = o.nationalId === undefined ? nationalId() : o.nationalId;
  const dob = o.dateOfBirth === undefined ? '1981-04-17' : o.dateOfBirth;
  const address = o.address === false ? null : { line1: 'Lindenstraße 12', line2: 'Hinterhaus 3', city: 'Berlin', postalCode: '10969', country: 'DE' };
  const input: Record<string, unknown> = { kind: 'PERSON', legalName };
  if (nid !== null) input.nationalId = nid;
  if (dob !== null) input.dateOfBirth = dob;
  if (address) input.addresses = [address];
  if (o.riskRating) input.riskRating = o.riskRating;
  const r = await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: input });
  return { id: ok(r).createDebtor.id, legalName, nationalId: nid, dateOfBirth: dob, address };
}

async function debtorRisk(t: TestTenant, id: string): Promise<{ riskRating: string | null; riskHistory: any[] }> {
  return ok(await t.gql(`query($id: ID!) { debtor(id: $id) { riskRating riskHistory { riskRating previousRating scoreBand score reportId at } } }`, { id })).debtor;
}

// Bureaus

const BUREAU = `id version name provider baseUrl hasCredential subscriberCode timeoutMs maxRetries active circuit
  fieldMapping { score scoreModel delinquencies tradelines publicRecords inquiries noHit fraudAlert }
  costPerPull { minor currency }`;

function createBureauRaw(t: TestTenant, input: Record<string, unknown>): Promise<GqlResult> {
  return t.gql(`mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { ${BUREAU} } }`, { i: input });
}

/** An http_json bureau at `url`: 2 retries, 2 s timeout unless told otherwise. */
async function httpBureau(t: TestTenant, url: string, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await createBureauRaw(t, { name: `Bureau ${randomBytes(3).toString('hex')}`, provider: 'HTTP_JSON', baseUrl: url, timeoutMs: 2000, maxRetries: 2, ...extra })).createCreditBureau;
}

async function bureaus(t: TestTenant): Promise<any[]> {
  return ok(await t.gql(`{ creditBureaus { ${BUREAU} } }`)).creditBureaus;
}

async function circuitOf(t: TestTenant, bureauId: string): Promise<string> {
  return (await bureaus(t)).find((b) => b.id === bureauId)!.circuit;
}

// Checks

const REPORT = `id debtorId noHit thinFile fraudAlert score scoreModel scoreBand riskRating delinquencies tradelines publicRecords inquiries purged
  pulledAt expiresAt suggestedStrategy { strategy note }`;
const CHECK = `id debtorId bureauId purpose pullType consentReference status failureCode failureReason attempts cost { minor currency }
  requestedAt completedAt report { ${REPORT} }`;

interface CheckInput {
  debtorId: string;
  purpose?: string;
  pullType?: string;
  consentReference?: string | null;
  bureauId?: string;
  force?: boolean;
}

function requestRaw(t: TestTenant, i: CheckInput): Promise<GqlResult> {
  return t.gql(`mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { ${CHECK} } }`, { i: { purpose: 'COLLECTION', pullType: 'SOFT', ...i } });
}

async function request(t: TestTenant, i: CheckInput): Promise<any> {
  return ok(await requestRaw(t, i)).requestCreditCheck;
}

async function tableCounts(t: TestTenant): Promise<{ checks: number; reports: number; risk: number }> {
  const [r] = await h.db.admin.query<{ checks: number; reports: number; risk: number }>(
    `select (select count(*) from credit_checks where tenant_id = $1)::int as checks,
            (select count(*) from credit_reports where tenant_id = $1)::int as reports,
            (select count(*) from debtor_risk_history where tenant_id = $1)::int as risk`,
    [t.id],
  );
  return { checks: Number(r!.checks), reports: Number(r!.reports), risk: Number(r!.risk) };
}

/** The API still answers promptly after a fault. */
async function expectResponsive(t: TestTenant): Promise<void> {
  const started = Date.now();
  expect(ok(await t.gql(`{ creditSettings { reuseWindowDays } }`)).creditSettings.reuseWindowDays).toBe(30);
  expect(Date.now() - started).toBeLessThan(2000);
}

/** A bureau answer in the default shape, echoing the consumer back as bureaus do. */
function defaultAnswer(req: BureauRequest, over: Record<string, unknown> = {}) {
  return {
    reportNumber: 'RPT-0001',
    consumer: { name: req.json?.consumer?.name, nationalId: req.json?.consumer?.nationalId },
    score: { value: 712, model: 'FICO 8' },
    summary: { delinquencies: 1, tradelines: 7, publicRecords: 0, inquiries: 3 },
    noHit: false,
    fraudAlert: false,
    ...over,
  };
}
const good: Reply = jsonFrom((req) => defaultAnswer(req));

const month = () => new Date().toISOString().slice(0, 7);

describe('http_json: a successful pull', () => {
  it('default mapping: figures, band, rating, cost, risk history, strategy; the request is exactly as documented', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    const cred = credential();
    f.always(good);
    const b = await httpBureau(t, f.url, { credential: cred, subscriberCode: 'SUB-7731', costPerPull: '125', costCurrency: 'EUR' });
    expect(b.hasCredential).toBe(true);
    expect(b.baseUrl).toBe(f.url);
    expect(b.circuit).toBe('closed');
    const d = await person(t, { riskRating: 'MEDIUM' });

    const c = await request(t, { debtorId: d.id, consentReference: 'CONSENT-42' });
    expect(c).toMatchObject({ status: 'COMPLETED', failureCode: null, failureReason: null, attempts: 1, purpose: 'COLLECTION', pullType: 'SOFT', consentReference: 'CONSENT-42', bureauId: b.id, debtorId: d.id });
    expect(c.cost).toEqual({ minor: '125', currency: 'EUR' });
    expect(c.completedAt).toBeTruthy();
    expect(c.report).toMatchObject({
      debtorId: d.id,
      noHit: false,
      thinFile: false,
      fraudAlert: false,
      score: 712,
      scoreModel: 'FICO 8',
      scoreBand: 'GOOD',
      riskRating: 'LOW',
      delinquencies: 1,
      tradelines: 7,
      publicRecords: 0,
      inquiries: 3,
      purged: false,
    });
    expect(c.report.suggestedStrategy.strategy).toBe('self_service');
    // Kept for the default retention of 365 days.
    expect(Date.parse(c.report.expiresAt) - Date.parse(c.report.pulledAt)).toBe(365 * 86_400_000);

    // The request the bureau received.
    expect(f.requests).toHaveLength(1);
    const rq = f.requests[0]!;
    expect(rq.method).toBe('POST');
    expect(rq.path).toBe('/v1/credit-profile');
    expect(rq.headers.authorization).toBe(`Bearer ${cred}`);
    expect(rq.headers['content-type']).toMatch(/^application\/json/);
    expect(rq.json).toEqual({
      subscriberCode: 'SUB-7731',
      permissiblePurpose: 'collection',
      inquiryType: 'soft',
      consentReference: 'CONSENT-42',
      consumer: { name: d.legalName, dob: '1981-04-17', nationalId: d.nationalId, currentAddress: d.address },
    });

    // The debtor's rating and its history.
    const risk = await debtorRisk(t, d.id);
    expect(risk.riskRating).toBe('LOW');
    expect(risk.riskHistory.map((x) => [x.riskRating, x.previousRating, x.scoreBand, x.score, x.reportId])).toEqual([['LOW', 'MEDIUM', 'GOOD', 712, c.report.id]]);

    // The check reads back the same, alone and in the debtor's list.
    const again = ok(await t.gql(`query($id: ID!) { creditCheck(id: $id) { ${CHECK} } }`, { id: c.id })).creditCheck;
    expect(again).toEqual(c);
    const list = ok(await t.gql(`query($d: ID!) { creditChecks(debtorId: $d) { id status } }`, { d: d.id })).creditChecks;
    expect(list).toEqual([{ id: c.id, status: 'COMPLETED' }]);
    expect(await tableCounts(t)).toEqual({ checks: 1, reports: 1, risk: 1 });
  });

  it('a custom field mapping (nested paths) is what is read, not the default paths; a HARD pull sends its inquiry type', async () => {
    const t = await h.tenant();
    const plain = await fakeBureau();
    plain.always(good);
    const f = await fakeBureau('/api/v2/profile');
    // Decoys at the default paths: a provider reading them would see a clean excellent file.
    f.always(
      jsonFrom(() => ({
        score: { value: 820, model: 'DECOY' },
        summary: { delinquencies: 0, tradelines: 20, publicRecords: 0, inquiries: 0 },
        noHit: true,
        fraudAlert: true,
        result: { creditScore: { value: 598, model: 'VantageScore 4.0' }, counts: { late: 3, accounts: 1, public: 2, inq: 4 }, flags: { noRecord: false, fraud: false } },
      })),
    );
    const mapping = {
      score: 'result.creditScore.value',
      scoreModel: 'result.creditScore.model',
      delinquencies: 'result.counts.late',
      tradelines: 'result.counts.accounts',
      publicRecords: 'result.counts.public',
      inquiries: 'result.counts.inq',
      noHit: 'result.flags.noRecord',
      fraudAlert: 'result.flags.fraud',
    };
    const b1 = await httpBureau(t, plain.url, { name: 'A plain bureau', credential: credential() });
    const cred = credential();
    const b2 = await httpBureau(t, f.url, { name: 'B mapped bureau', credential: cred, subscriberCode: 'M-1', fieldMapping: mapping, costPerPull: '990', costCurrency: 'usd' });
    expect(b2.fieldMapping).toEqual(mapping);
    expect(b2.costPerPull).toEqual({ minor: '990', currency: 'USD' });
    const listed = await bureaus(t);
    expect(listed.map((x) => x.name)).toEqual(['A plain bureau', 'B mapped bureau']);
    expect(listed[0].fieldMapping).toEqual({ score: null, scoreModel: null, delinquencies: null, tradelines: null, publicRecords: null, inquiries: null, noHit: null, fraudAlert: null });

    const d = await person(t);
    // Without bureauId the oldest active bureau (b1) answers.
    const first = await request(t, { debtorId: d.id });
    expect(first.bureauId).toBe(b1.id);
    expect(first.report.riskRating).toBe('LOW');

    const c = await request(t, { debtorId: d.id, bureauId: b2.id, purpose: 'ACCOUNT_REVIEW', pullType: 'HARD', consentReference: 'SIGNED-2026-001' });
    expect(c.status).toBe('COMPLETED');
    expect(c.cost).toEqual({ minor: '990', currency: 'USD' });
    // 598 → POOR → HIGH, 3 delinquencies raise it to CRITICAL; one tradeline is a thin file; a public record → legal review.
    expect(c.report).toMatchObject({
      noHit: false,
      thinFile: true,
      fraudAlert: false,
      score: 598,
      scoreModel: 'VantageScore 4.0',
      scoreBand: 'POOR',
      riskRating: 'CRITICAL',
      delinquencies: 3,
      tradelines: 1,
      publicRecords: 2,
      inquiries: 4,
    });
    expect(c.report.suggestedStrategy.strategy).toBe('legal_review');
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]!.path).toBe('/api/v2/profile');
    expect(f.requests[0]!.headers.authorization).toBe(`Bearer ${cred}`);
    expect(f.requests[0]!.json).toEqual({
      subscriberCode: 'M-1',
      permissiblePurpose: 'account_review',
      inquiryType: 'hard',
      consentReference: 'SIGNED-2026-001',
      consumer: { name: d.legalName, dob: d.dateOfBirth, nationalId: d.nationalId, currentAddress: d.address },
    });

    const risk = await debtorRisk(t, d.id);
    expect(risk.riskRating).toBe('CRITICAL');
    expect(risk.riskHistory.map((x) => [x.riskRating, x.previousRating, x.scoreBand, x.score])).toEqual([
      ['CRITICAL', 'LOW', 'POOR', 598],
      ['LOW', null, 'GOOD', 712],
    ]);

    // The suggestion follows the tenant's current rules.
    ok(
      await t.gql(`mutation($i: CreditSettingsInput!) { setCreditSettings(input: $i) { version } }`, {
        i: { reuseWindowDays: 30, retentionDays: 365, strategyRules: [{ scoreBands: ['poor'], strategy: 'manual_review', note: 'poor band: look at it' }, { strategy: 'standard' }] },
      }),
    );
    const reread = ok(await t.gql(`query($id: ID!) { creditCheck(id: $id) { report { suggestedStrategy { strategy note } } } }`, { id: c.id })).creditCheck;
    expect(reread.report.suggestedStrategy).toEqual({ strategy: 'manual_review', note: 'poor band: look at it' });
  });

  it('429 with Retry-After: 0, then an answer: completed after 2 attempts', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.queue(status(429, 'slow down', { 'retry-after': '0' }));
    f.always(good);
    await httpBureau(t, f.url, { maxRetries: 2 });
    const d = await person(t);
    const c = await request(t, { debtorId: d.id });
    expect(c.status).toBe('COMPLETED');
    expect(c.attempts).toBe(2);
    expect(c.report.score).toBe(712);
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]!.body).toBe(f.requests[0]!.body);
  });
});

describe('http_json: faults end in a FAILED check with its reason and no report', () => {
  interface Fault {
    name: string;
    replies?: Reply[];
    always?: Reply;
    bureau?: Record<string, unknown>;
    url?: () => Promise<string>;
    code: string | null;
    requests: number;
    reason: RegExp;
    maxMs?: number;
  }
  const wrongType = (over: Record<string, unknown>): Reply => jsonFrom((req) => defaultAnswer(req, over));
  const faults: Fault[] = [
    { name: 'malformed JSON', always: json('{"score": {"value": 71'), code: 'malformed', requests: 1, reason: /not valid JSON/ },
    { name: 'JSON that is not an object', always: json('[1,2,3]'), code: 'malformed', requests: 1, reason: /not a JSON object/ },
    { name: 'an HTML error page with 200', always: html(200, '<html><body><h1>Service unavailable</h1></body></html>'), code: 'not_json', requests: 1, reason: /text\/html/ },
    { name: '500 (retried: maxRetries + 1 requests)', always: status(500, 'boom'), bureau: { maxRetries: 2 }, code: 'http_5xx', requests: 3, reason: /500.*after 3 attempts/ },
    { name: '429 with Retry-After far beyond the retry cap (no wait)', always: status(429, '', { 'retry-after': '3600' }), bureau: { maxRetries: 3 }, code: 'rate_limited', requests: 1, reason: /429/, maxMs: 3000 },
    { name: '400 (not retried)', always: status(400, 'bad request'), bureau: { maxRetries: 3 }, code: 'http_4xx', requests: 1, reason: /400/ },
    { name: '404 (not retried)', always: status(404), bureau: { maxRetries: 3 }, code: 'http_4xx', requests: 1, reason: /404/ },
    { name: 'no answer before the timeout (retried)', always: hang, bureau: { timeoutMs: 200, maxRetries: 1 }, code: 'timeout', requests: 2, reason: /200 ms/, maxMs: 3000 },
    { name: 'a body that stalls past the timeout', always: stallMidBody, bureau: { timeoutMs: 200, maxRetries: 0 }, code: 'timeout', requests: 1, reason: /200 ms/, maxMs: 3000 },
    { name: 'the connection destroyed mid-body (retried)', always: cutMidBody, bureau: { maxRetries: 1 }, code: 'network', requests: 2, reason: /connection/ },
    { name: 'connection refused (retried)', url: deadUrl, bureau: { maxRetries: 1 }, code: 'network', requests: 0, reason: /reach the bureau/ },
    { name: 'a declared body over 1 MB', always: huge(1_300_000, true), code: 'too_large', requests: 1, reason: /exceeds/ },
    { name: 'a streamed (chunked) body over 1 MB', always: huge(1_300_000, false), code: 'too_large', requests: 1, reason: /exceeds/ },
    { name: 'a small gzip body that inflates past 1 MB', always: gzipBomb(3_000_000), code: 'too_large', requests: 1, reason: /exceeds/ },
    { name: 'score as a string', always: wrongType({ score: { value: '720', model: 'FICO 8' } }), code: 'malformed', requests: 1, reason: /score/ },
    { name: 'score out of range', always: wrongType({ score: { value: 4000 } }), code: 'malformed', requests: 1, reason: /score/ },
    { name: 'a negative count', always: wrongType({ summary: { delinquencies: -1, tradelines: 3 } }), code: 'malformed', requests: 1, reason: /delinquencies/ },
    { name: 'a flag as text', always: wrongType({ fraudAlert: 'no' }), code: 'malformed', requests: 1, reason: /fraudAlert/ },
    // Redirects are not followed: the fake would see a second request at /elsewhere if they were.
    { name: 'a redirect (not followed)', always: status(302, '', { location: '/elsewhere' }), bureau: { maxRetries: 2 }, code: null, requests: 1, reason: /302/ },
  ];

  for (const fault of faults) {
    it(fault.name, async () => {
      const t = await h.tenant();
      const f = await fakeBureau();
      if (fault.replies) f.queue(...fault.replies);
      if (fault.always) f.always(fault.always);
      const url = fault.url ? await fault.url() : f.url;
      const b = await httpBureau(t, url, { costPerPull: '300', ...fault.bureau });
      const d = await person(t, { riskRating: 'MEDIUM' });
      const started = Date.now();
      const c = await request(t, { debtorId: d.id });
      const took = Date.now() - started;
      expect(c.status, JSON.stringify(c)).toBe('FAILED');
      if (fault.code) expect(c.failureCode).toBe(fault.code);
      else expect(c.failureCode).toBeTruthy();
      expect(c.failureReason).toMatch(fault.reason);
      expect(c.attempts).toBe(fault.url ? 1 + (fault.bureau?.maxRetries as number) : fault.requests);
      expect(c.report).toBeNull();
      expect(c.cost).toEqual({ minor: '0', currency: 'USD' });
      expect(c.completedAt).toBeTruthy();
      expect(f.requests).toHaveLength(fault.requests);
      if (fault.maxMs) expect(took).toBeLessThan(fault.maxMs);
      expect(await tableCounts(t)).toEqual({ checks: 1, reports: 0, risk: 0 });
      expect(await debtorRisk(t, d.id)).toEqual({ riskRating: 'MEDIUM', riskHistory: [] });
      // The check reads back as recorded, and the API answers promptly.
      expect(ok(await t.gql(`query($id: ID!) { creditCheck(id: $id) { status failureCode attempts } }`, { id: c.id })).creditCheck).toEqual({
        status: 'FAILED',
        failureCode: c.failureCode,
        attempts: c.attempts,
      });
      await expectResponsive(t);
      expect(b.id).toBe(c.bureauId);
    });
  }
});

describe('retries', () => {
  it('always 503: maxRetries 2 → 3 requests; updated to maxRetries 0 → 1 request; the credential is kept when absent', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(status(503, 'unavailable'));
    const cred = credential();
    const b = await httpBureau(t, f.url, { name: 'Flaky', maxRetries: 2, credential: cred });
    const d1 = await person(t);
    const c1 = await request(t, { debtorId: d1.id });
    expect([c1.status, c1.failureCode, c1.attempts]).toEqual(['FAILED', 'http_5xx', 3]);
    expect(f.requests).toHaveLength(3);
    expect(f.requests.every((r) => r.headers.authorization === `Bearer ${cred}`)).toBe(true);

    const u = ok(await t.gql(`mutation($id: ID!, $v: Int!, $i: CreditBureauInput!) { updateCreditBureau(id: $id, version: $v, input: $i) { ${BUREAU} } }`, {
      id: b.id,
      v: b.version,
      i: { name: 'Flaky', provider: 'HTTP_JSON', baseUrl: f.url, maxRetries: 0 },
    })).updateCreditBureau;
    expect(u.maxRetries).toBe(0);
    expect(u.version).toBe(b.version + 1);
    expect(u.hasCredential).toBe(true);
    const d2 = await person(t);
    const c2 = await request(t, { debtorId: d2.id });
    expect([c2.status, c2.failureCode, c2.attempts]).toEqual(['FAILED', 'http_5xx', 1]);
    expect(f.requests).toHaveLength(4);
    expect(f.requests[3]!.headers.authorization).toBe(`Bearer ${cred}`);

    // "" removes the credential: no Authorization header any more.
    const cleared = ok(await t.gql(`mutation($id: ID!, $v: Int!, $i: CreditBureauInput!) { updateCreditBureau(id: $id, version: $v, input: $i) { version hasCredential } }`, {
      id: b.id,
      v: u.version,
      i: { name: 'Flaky', provider: 'HTTP_JSON', baseUrl: f.url, credential: '' },
    })).updateCreditBureau;
    expect(cleared.hasCredential).toBe(false);
    const d3 = await person(t);
    expect((await request(t, { debtorId: d3.id })).attempts).toBe(1);
    expect(f.requests).toHaveLength(5);
    expect(f.requests[4]!.headers.authorization).toBeUndefined();

    // A stale version is a CONFLICT.
    expectError(
      await t.gql(`mutation($id: ID!, $v: Int!, $i: CreditBureauInput!) { updateCreditBureau(id: $id, version: $v, input: $i) { id } }`, {
        id: b.id,
        v: b.version,
        i: { name: 'Flaky', provider: 'HTTP_JSON', baseUrl: f.url, maxRetries: 1 },
      }),
      'CONFLICT',
    );
  });
});

describe('circuit breaker', () => {
  it('opens after 3 failed checks, refuses without calling, lets one trial through after 1 s: success closes it, failure reopens it', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(status(500));
    const b = await httpBureau(t, f.url, { maxRetries: 0 });
    const debtors = await Promise.all(Array.from({ length: 11 }, () => person(t)));
    let i = 0;
    const next = () => request(t, { debtorId: debtors[i++]!.id });

    for (let n = 1; n <= 3; n++) {
      const c = await next();
      expect([c.status, c.failureCode]).toEqual(['FAILED', 'http_5xx']);
      expect(await circuitOf(t, b.id)).toBe(n < 3 ? 'closed' : 'open');
    }
    expect(f.requests).toHaveLength(3);

    // Open: refused without a request.
    const refused = await next();
    expect([refused.status, refused.failureCode, refused.attempts]).toEqual(['FAILED', 'circuit_open', 0]);
    expect(refused.failureReason).toMatch(/circuit/);
    expect(f.requests).toHaveLength(3);
    expect(await circuitOf(t, b.id)).toBe('open');

    // Another tenant calling the same bureau has its own breaker.
    const other = await h.tenant();
    await httpBureau(other, f.url, { maxRetries: 0 });
    const od = await person(other);
    expect((await request(other, { debtorId: od.id })).failureCode).toBe('http_5xx');
    expect(f.requests).toHaveLength(4);

    // After 1 s: half-open; one trial goes through and succeeds → closed.
    await sleep(1100);
    expect(await circuitOf(t, b.id)).toBe('half_open');
    f.always(good);
    const trial = await next();
    expect(trial.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(5);
    expect(await circuitOf(t, b.id)).toBe('closed');

    // Three more failures open it again; after 1 s the trial fails → open again, and it refuses again.
    f.always(status(500));
    for (let n = 0; n < 3; n++) expect((await next()).failureCode).toBe('http_5xx');
    expect(await circuitOf(t, b.id)).toBe('open');
    expect((await next()).failureCode).toBe('circuit_open');
    expect(f.requests).toHaveLength(8);
    await sleep(1100);
    const failedTrial = await next();
    expect([failedTrial.status, failedTrial.failureCode, failedTrial.attempts]).toEqual(['FAILED', 'http_5xx', 1]);
    expect(f.requests).toHaveLength(9);
    expect(await circuitOf(t, b.id)).toBe('open');
    const refusedAgain = await next();
    expect(refusedAgain.failureCode).toBe('circuit_open');
    expect(f.requests).toHaveLength(9);
    expect(await tableCounts(t)).toMatchObject({ checks: 11, reports: 1 });
  });
});

describe('reuse window', () => {
  it('reuses within the window; force, another purpose, and a hard request pull again; hard serves soft; window 0 disables reuse; usage counts it all', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(good);
    const b = await httpBureau(t, f.url, { costPerPull: '250', costCurrency: 'GBP' });
    const d1 = await person(t);

    const c1 = await request(t, { debtorId: d1.id });
    expect(c1.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(1);

    const c2 = await request(t, { debtorId: d1.id });
    expect(c2.status).toBe('REUSED');
    expect(c2.id).not.toBe(c1.id);
    expect(c2.report.id).toBe(c1.report.id);
    expect(c2.report).toEqual(c1.report);
    expect(c2.cost).toEqual({ minor: '0', currency: 'GBP' });
    expect(f.requests).toHaveLength(1);

    const forced = await request(t, { debtorId: d1.id, force: true });
    expect(forced.status).toBe('COMPLETED');
    expect(forced.report.id).not.toBe(c1.report.id);
    expect(f.requests).toHaveLength(2);

    const review = await request(t, { debtorId: d1.id, purpose: 'ACCOUNT_REVIEW' });
    expect(review.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(3);

    // A HARD report serves a later SOFT request...
    const d2 = await person(t);
    const hard = await request(t, { debtorId: d2.id, pullType: 'HARD', consentReference: 'C-2' });
    expect(hard.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(4);
    const softAfterHard = await request(t, { debtorId: d2.id, pullType: 'SOFT' });
    expect(softAfterHard.status).toBe('REUSED');
    expect(softAfterHard.report.id).toBe(hard.report.id);
    expect(f.requests).toHaveLength(4);

    // ...but a SOFT report does not serve a HARD request.
    const d3 = await person(t);
    const soft = await request(t, { debtorId: d3.id });
    expect(soft.status).toBe('COMPLETED');
    const hardAfterSoft = await request(t, { debtorId: d3.id, pullType: 'HARD', consentReference: 'C-3' });
    expect(hardAfterSoft.status).toBe('COMPLETED');
    expect(hardAfterSoft.report.id).not.toBe(soft.report.id);
    expect(f.requests).toHaveLength(6);
    expect(f.requests[5]!.json.inquiryType).toBe('hard');

    // A failed pull (no report) is counted as failed.
    const d4 = await person(t);
    f.queue(status(400));
    expect((await request(t, { debtorId: d4.id })).failureCode).toBe('http_4xx');
    expect(f.requests).toHaveLength(7);

    // Window 0: every request pulls.
    const s = ok(await t.gql(`mutation($i: CreditSettingsInput!) { setCreditSettings(input: $i) { reuseWindowDays retentionDays version } }`, { i: { reuseWindowDays: 0, retentionDays: 365 } })).setCreditSettings;
    expect(s.reuseWindowDays).toBe(0);
    const noReuse = await request(t, { debtorId: d1.id });
    expect(noReuse.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(8);

    // Completed: c1, forced, review, hard, soft, hardAfterSoft, noReuse = 7; reused 2; failed 1.
    const usage = ok(await t.gql(`query($m: String!) { creditUsage(month: $m) { bureau { id name } pulls reused failed cost { minor currency } } }`, { m: month() })).creditUsage;
    expect(usage).toEqual([{ bureau: { id: b.id, name: b.name }, pulls: 7, reused: 2, failed: 1, cost: { minor: String(7 * 250), currency: 'GBP' } }]);
    expect(ok(await t.gql(`{ creditUsage(month: "2001-01") { pulls } }`)).creditUsage).toEqual([]);
    expectError(await t.gql(`{ creditUsage(month: "2026-13") { pulls } }`), 'BAD_USER_INPUT', 'month');
  });
});

describe('usage', () => {
  it('a bureau whose price changes currency mid-month: usage never adds USD and EUR into one amount', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(good);
    const b = await httpBureau(t, f.url, { name: 'Repriced', costPerPull: '100', costCurrency: 'USD' });
    const d = await person(t);
    expect((await request(t, { debtorId: d.id })).cost).toEqual({ minor: '100', currency: 'USD' });
    ok(
      await t.gql(`mutation($id: ID!, $v: Int!, $i: CreditBureauInput!) { updateCreditBureau(id: $id, version: $v, input: $i) { version } }`, {
        id: b.id,
        v: b.version,
        i: { name: 'Repriced', provider: 'HTTP_JSON', baseUrl: f.url, costPerPull: '90', costCurrency: 'EUR' },
      }),
    );
    expect((await request(t, { debtorId: d.id, force: true })).cost).toEqual({ minor: '90', currency: 'EUR' });
    const usage = ok(await t.gql(`query($m: String!) { creditUsage(month: $m) { bureau { id } pulls cost { minor currency } } }`, { m: month() })).creditUsage;
    const total = usage.reduce((n: number, u: any) => n + u.pulls, 0);
    expect(total).toBe(2);
    // Each amount is in one currency: 100 USD and 90 EUR, never "190 EUR".
    expect(usage.map((u: any) => u.cost).sort((a: any, b: any) => a.currency.localeCompare(b.currency))).toEqual([
      { minor: '90', currency: 'EUR' },
      { minor: '100', currency: 'USD' },
    ]);
  });
});

describe('single flight', () => {
  it('5 concurrent requests for the same debtor, purpose and type share one pull', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(delayed(300, good));
    await httpBureau(t, f.url);
    const d = await person(t);
    const answers = await Promise.all(Array.from({ length: 5 }, () => request(t, { debtorId: d.id })));
    expect(f.requests).toHaveLength(1);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 'COMPLETED' && a.report?.id === answers[0].report.id)).toBe(true);
    expect(await tableCounts(t)).toEqual({ checks: 1, reports: 1, risk: 1 });
  });
});

describe('bad input', () => {
  it('requests: enums, consent, missing identity fields, unknown debtor, no / inactive / unknown bureau', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(good);
    const d = await person(t);

    // No bureau yet.
    expectError(await requestRaw(t, { debtorId: d.id }), 'BAD_USER_INPUT', 'input.bureauId');

    // An inactive bureau only: none is active; named explicitly it is refused as inactive.
    const off = await httpBureau(t, f.url, { name: 'Off', active: false });
    expect(off.active).toBe(false);
    expectError(await requestRaw(t, { debtorId: d.id }), 'BAD_USER_INPUT', 'input.bureauId');
    const inactive = expectError(await requestRaw(t, { debtorId: d.id, bureauId: off.id }), 'BAD_USER_INPUT', 'input.bureauId');
    expect(inactive.message).toMatch(/inactive/);
    expectError(await requestRaw(t, { debtorId: d.id, bureauId: randomUUID() }), 'NOT_FOUND');

    await httpBureau(t, f.url, { name: 'On' });
    const r1 = await requestRaw(t, { debtorId: d.id, purpose: 'MARKETING' });
    expectError(r1, 'BAD_USER_INPUT', 'input.purpose');
    expectError(await requestRaw(t, { debtorId: d.id, pullType: 'MEDIUM' }), 'BAD_USER_INPUT', 'input.pullType');
    expectError(await t.gql(`mutation { requestCreditCheck(input: { debtorId: "${d.id}", purpose: MARKETING, pullType: SOFT }) { id } }`), 'BAD_USER_INPUT', 'input.purpose');
    expectError(await requestRaw(t, { debtorId: d.id, pullType: 'HARD' }), 'BAD_USER_INPUT', 'input.consentReference');
    expectError(await requestRaw(t, { debtorId: d.id, pullType: 'HARD', consentReference: '   ' }), 'BAD_USER_INPUT', 'input.consentReference');
    expectError(await requestRaw(t, { debtorId: d.id, purpose: 'CREDIT_APPLICATION' }), 'BAD_USER_INPUT', 'input.consentReference');
    expectError(await requestRaw(t, { debtorId: d.id, purpose: 'WRITTEN_INSTRUCTION' }), 'BAD_USER_INPUT', 'input.consentReference');
    expectError(await requestRaw(t, { debtorId: d.id, consentReference: 'has a space' }), 'BAD_USER_INPUT', 'input.consentReference');
    expectError(await requestRaw(t, { debtorId: randomUUID() }), 'NOT_FOUND');
    expectError(await requestRaw(t, { debtorId: 'not-a-uuid' }), 'BAD_USER_INPUT', 'input.debtorId');

    // A debtor without date of birth and address cannot be searched by an http_json bureau: named, nothing written.
    const bare = await person(t, { dateOfBirth: null, address: false });
    const e = expectError(await requestRaw(t, { debtorId: bare.id }), 'BAD_USER_INPUT', 'input.debtorId');
    expect(e.message).toMatch(/date of birth/);
    expect(e.message).toMatch(/address/);
    expect([...(e.ext.missingFields as string[])].sort()).toEqual(['address', 'dateOfBirth']);
    expect(e.message).not.toContain(bare.nationalId!);

    expect(f.requests).toHaveLength(0);
    expect(await tableCounts(t)).toEqual({ checks: 0, reports: 0, risk: 0 });
    // The consent purposes go through with a reference.
    const ok1 = await request(t, { debtorId: d.id, purpose: 'CREDIT_APPLICATION', consentReference: 'APP-77' });
    expect(ok1.status).toBe('COMPLETED');
    expect(f.requests[0]!.json.consentReference).toBe('APP-77');
    expect(f.requests[0]!.json.permissiblePurpose).toBe('credit_application');
  });

  it('createCreditBureau refuses bad input, naming the field, and writes nothing', async () => {
    const t = await h.tenant();
    const base = { name: 'Bad', provider: 'HTTP_JSON', baseUrl: 'http://127.0.0.1:9/report' };
    const cases: [Record<string, unknown>, string][] = [
      [{ baseUrl: null }, 'input.baseUrl'],
      [{ baseUrl: '   ' }, 'input.baseUrl'],
      [{ baseUrl: 'not a url' }, 'input.baseUrl'],
      [{ baseUrl: 'ftp://127.0.0.1/report' }, 'input.baseUrl'],
      [{ baseUrl: 'http://user:pass@127.0.0.1:9/report' }, 'input.baseUrl'],
      [{ timeoutMs: 50 }, 'input.timeoutMs'],
      [{ timeoutMs: 60_001 }, 'input.timeoutMs'],
      [{ maxRetries: 6 }, 'input.maxRetries'],
      [{ maxRetries: -1 }, 'input.maxRetries'],
      [{ fieldMapping: { score: 'score..value' } }, 'input.fieldMapping.score'],
      [{ fieldMapping: { tradelines: '$.summary.tradelines' } }, 'input.fieldMapping.tradelines'],
      [{ fieldMapping: { noHit: 'a.b.c.d.e.f.g.h.i.j.k' } }, 'input.fieldMapping.noHit'],
      [{ costCurrency: 'XYZ1' }, 'input.costCurrency'],
      [{ costCurrency: 'ZZZ' }, 'input.costCurrency'],
      [{ costPerPull: '-5' }, 'input.costPerPull'],
      [{ name: '' }, 'input.name'],
    ];
    for (const [over, field] of cases) {
      const e = expectError(await createBureauRaw(t, { ...base, ...over }), 'BAD_USER_INPUT', field);
      expect(e.message, JSON.stringify(over)).toContain(field);
    }
    // The credential given with a bad URL is not echoed back.
    const cred = credential();
    const e = expectError(await createBureauRaw(t, { ...base, baseUrl: 'http://user:pass@127.0.0.1:9/', credential: cred }), 'BAD_USER_INPUT', 'input.baseUrl');
    expect(JSON.stringify(e)).not.toContain(cred);
    expect(await bureaus(t)).toEqual([]);
    // A unique name.
    ok(await createBureauRaw(t, { ...base, name: 'Twice' }));
    expectError(await createBureauRaw(t, { ...base, name: 'Twice' }), 'CONFLICT', 'input.name');
    // Only a tenant-wide admin key configures bureaus.
    const writer = await t.keyWith(['read', 'write']);
    expectError(await h.gql(writer.key, `mutation($i: CreditBureauInput!) { createCreditBureau(input: $i) { id } }`, { i: { ...base, name: 'W' } }), 'FORBIDDEN');
    expect((await bureaus(t)).map((b) => b.name)).toEqual(['Twice']);
  });

  it('without CREDIT_BUREAU_ALLOW_PRIVATE_URLS, loopback, private and link-local URLs are refused', async () => {
    const strict = await startHarness({ env: { CREDIT_RETRY_BASE_MS: '5' } });
    try {
      const t = await strict.tenant();
      const f = await fakeBureau();
      for (const url of [f.url, 'http://localhost:8080/x', 'http://[::1]:8080/x', 'http://10.1.2.3/x', 'http://192.168.0.10/x', 'http://169.254.169.254/latest', 'http://127.1:8080/x', 'http://[::ffff:127.0.0.1]/x']) {
        const e = expectError(await createBureauRaw(t, { name: 'Local', provider: 'HTTP_JSON', baseUrl: url }), 'BAD_USER_INPUT', 'input.baseUrl');
        expect(e.message, url).toMatch(/loopback|private|link-local/);
      }
      expect(ok(await t.gql(`{ creditBureaus { id } }`)).creditBureaus).toEqual([]);
      // A public https URL is fine.
      const b = ok(await createBureauRaw(t, { name: 'Public', provider: 'HTTP_JSON', baseUrl: 'https://bureau.example.com/v1/report' })).createCreditBureau;
      expect(b.baseUrl).toBe('https://bureau.example.com/v1/report');
      expect(f.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

describe('sandbox subjects', () => {
  it('0000 no hit, 0001 thin file, 0002 high risk, 0003 fraud alert, 0500 and 0400 failures; the same subject scores the same', async () => {
    const t = await h.tenant();
    const sb = ok(await createBureauRaw(t, { name: 'Sandbox', provider: 'SANDBOX' })).createCreditBureau;
    expect(sb.maxRetries).toBe(2);
    const subject = async (suffix: string, riskRating = 'HIGH') => {
      const d = await person(t, { nationalId: nationalId(suffix), riskRating });
      return { d, c: await request(t, { debtorId: d.id }) };
    };

    const noHit = await subject('0000');
    expect(noHit.c.status).toBe('COMPLETED');
    expect(noHit.c.report).toMatchObject({ noHit: true, score: null, scoreBand: 'UNSCORED', thinFile: false });
    expect(noHit.c.report.suggestedStrategy).toBeNull();
    expect(await debtorRisk(t, noHit.d.id)).toEqual({ riskRating: 'HIGH', riskHistory: [] });

    const thin = await subject('0001');
    expect(thin.c.report).toMatchObject({ noHit: false, thinFile: true, score: null, scoreBand: 'UNSCORED', riskRating: 'MEDIUM', tradelines: 1 });
    const thinRisk = await debtorRisk(t, thin.d.id);
    expect(thinRisk.riskRating).toBe('MEDIUM');
    expect(thinRisk.riskHistory.map((x) => [x.riskRating, x.previousRating, x.scoreBand, x.score])).toEqual([['MEDIUM', 'HIGH', 'UNSCORED', null]]);

    const high = await subject('0002', 'LOW');
    expect(high.c.report).toMatchObject({ score: 512, scoreBand: 'VERY_POOR', riskRating: 'CRITICAL', delinquencies: 4, publicRecords: 1, fraudAlert: false });
    expect(high.c.report.suggestedStrategy.strategy).toBe('legal_review');
    expect((await debtorRisk(t, high.d.id)).riskRating).toBe('CRITICAL');

    const fraud = await subject('0003');
    expect(fraud.c.report).toMatchObject({ fraudAlert: true, score: 700, scoreBand: 'GOOD', riskRating: 'LOW' });
    expect(fraud.c.report.suggestedStrategy.strategy).toBe('verify_identity');

    const e500 = await subject('0500');
    expect([e500.c.status, e500.c.failureCode, e500.c.attempts, e500.c.report]).toEqual(['FAILED', 'http_5xx', 3, null]);
    expect(e500.c.failureReason).toBeTruthy();
    const e400 = await subject('0400');
    expect([e400.c.status, e400.c.failureCode, e400.c.attempts, e400.c.report]).toEqual(['FAILED', 'http_4xx', 1, null]);
    expect(e400.c.failureReason).toBeTruthy();

    // Deterministic: the same subject, pulled again with force, gets the same score.
    const same = await subject('1234');
    expect(same.c.status).toBe('COMPLETED');
    expect(same.c.report.score).toBeGreaterThanOrEqual(300);
    expect(same.c.report.score).toBeLessThanOrEqual(850);
    const again = await request(t, { debtorId: same.d.id, force: true });
    expect(again.report.id).not.toBe(same.c.report.id);
    expect([again.report.score, again.report.delinquencies, again.report.tradelines]).toEqual([same.c.report.score, same.c.report.delinquencies, same.c.report.tradelines]);

    // The sandbox needs a national id.
    const anonymous = await person(t, { nationalId: null });
    const e = expectError(await requestRaw(t, { debtorId: anonymous.id }), 'BAD_USER_INPUT', 'input.debtorId');
    expect(e.ext.missingFields).toEqual(['nationalId']);
    expect(await tableCounts(t)).toEqual({ checks: 8, reports: 6, risk: 5 });
  });
});

describe('credit checks and the debtor record', () => {
  it('a portfolio-scoped key cannot reach another portfolio\'s debtor, not even by joining a pull in flight', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(delayed(400, good));
    await httpBureau(t, f.url);
    const p1 = await createPortfolio(t);
    const p2 = await createPortfolio(t);
    const d = await person(t);
    await createAccount(t, { debtorId: d.id, portfolioId: p1.id });
    const mine = await person(t);
    await createAccount(t, { debtorId: mine.id, portfolioId: p2.id });
    const key = await scopedKey(t, ['read', 'write'], [p2.id]);
    const REQUEST = `mutation($i: RequestCreditCheckInput!) { requestCreditCheck(input: $i) { ${CHECK} } }`;
    const asScoped = (debtorId: string) => h.gql(key, REQUEST, { i: { debtorId, purpose: 'COLLECTION', pullType: 'SOFT' } });

    // Its own portfolio's debtor: fine. The other portfolio's debtor, alone: NOT_FOUND, nothing pulled.
    expect(ok(await asScoped(mine.id)).requestCreditCheck.status).toBe('COMPLETED');
    expect(f.requests).toHaveLength(1);
    expectError(await asScoped(d.id), 'NOT_FOUND');
    expect(f.requests).toHaveLength(1);

    // While a tenant-wide key's pull for that debtor is in flight: still NOT_FOUND, no report.
    const adminPull = request(t, { debtorId: d.id });
    for (let i = 0; i < 100 && f.requests.length < 2; i++) await sleep(10);
    expect(f.requests).toHaveLength(2);
    const joined = await asScoped(d.id);
    expect((await adminPull).status).toBe('COMPLETED');
    expect(joined.data?.requestCreditCheck?.report ?? null, 'the scoped key received another portfolio\'s credit report').toBeNull();
    expect(joined.data?.requestCreditCheck ?? null, 'the scoped key received the check of a debtor outside its portfolios').toBeNull();
    expectError(joined, 'NOT_FOUND');
  });

  it('a rating change from a credit check bumps the debtor\'s version: a stale updateDebtor is a CONFLICT, not a lost update', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    f.always(good);
    await httpBureau(t, f.url);
    const d = await person(t, { riskRating: 'MEDIUM' });
    const DEBTOR = `query($id: ID!) { debtor(id: $id) { version riskRating } }`;
    const before = ok(await t.gql(DEBTOR, { id: d.id })).debtor;
    expect(before.riskRating).toBe('MEDIUM');
    expect((await request(t, { debtorId: d.id })).report.riskRating).toBe('LOW');
    const after = ok(await t.gql(DEBTOR, { id: d.id })).debtor;
    expect(after.riskRating).toBe('LOW');
    // A client that read the debtor before the check saves its (stale) form.
    const stale = await t.gql(`mutation($i: UpdateDebtorInput!) { updateDebtor(input: $i) { version riskRating } }`, { i: { id: d.id, version: before.version, riskRating: 'MEDIUM' } });
    expect(ok(await t.gql(DEBTOR, { id: d.id })).debtor.riskRating, 'the bureau-derived rating was overwritten by a stale write').toBe('LOW');
    expectError(stale, 'CONFLICT', 'input.version');
    expect(after.version).toBeGreaterThan(before.version);
  });
});

describe('secrets', () => {
  it('the raw payload is sealed, readable with pii:reveal only and audited; no log line holds a national id or credential', async () => {
    const t = await h.tenant();
    const f = await fakeBureau();
    let sent: unknown = null;
    f.always((res, req, n) => {
      sent = defaultAnswer(req);
      return json(sent)(res, req, n);
    });
    const cred = credential();
    const b = await httpBureau(t, f.url, { credential: cred });
    const d = await person(t, { legalName: `Zebulon Quartermaine ${randomBytes(3).toString('hex')}` });
    const c = await request(t, { debtorId: d.id });
    expect(c.status).toBe('COMPLETED');
    expect(f.requests[0]!.body).toContain(d.nationalId!);

    // The bureau list shows that a credential is set, never the credential.
    const listed = await t.gql(`{ creditBureaus { ${BUREAU} } }`);
    expect(ok(listed).creditBureaus[0].hasCredential).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(cred);

    // Sealed at rest: neither the national id nor the name in clear, nor the credential.
    const [row] = await h.db.admin.query<{ payload_sealed: Uint8Array | null }>(`select payload_sealed from credit_reports where tenant_id = $1 and id = $2`, [t.id, c.report.id]);
    const sealed = Buffer.from(row!.payload_sealed!);
    expect(sealed.length).toBeGreaterThan(0);
    expect(sealed.includes(Buffer.from(d.nationalId!))).toBe(false);
    expect(sealed.includes(Buffer.from(d.legalName))).toBe(false);
    const [brow] = await h.db.admin.query<{ credential_sealed: Uint8Array | null }>(`select credential_sealed from credit_bureaus where tenant_id = $1 and id = $2`, [t.id, b.id]);
    expect(Buffer.from(brow!.credential_sealed!).includes(Buffer.from(cred))).toBe(false);
    const audit = await h.db.admin.query<{ before: string | null; after: string | null }>(`select before::text as before, after::text as after from audit_events where tenant_id = $1`, [t.id]);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(d.nationalId!);
    expect(auditText).not.toContain(cred);

    // Without pii:reveal: FORBIDDEN, and nothing audited.
    const READ = `mutation($id: ID!) { readCreditReportPayload(reportId: $id) { payload report { id score } } }`;
    const writer = await t.keyWith(['read', 'write']);
    expectError(await h.gql(writer.key, READ, { id: c.report.id }), 'FORBIDDEN');
    const EVENTS = `{ auditEvents(first: 10, filter: { action: "credit_report.read" }) { edges { node { action entityType entityId after } } } }`;
    expect(ok(await t.gql(EVENTS)).auditEvents.edges).toEqual([]);

    // With it: the bureau's own document, and an audit event.
    const read = ok(await t.gql(READ, { id: c.report.id })).readCreditReportPayload;
    expect(read.report).toEqual({ id: c.report.id, score: 712 });
    expect(read.payload).toEqual(sent);
    const events = ok(await t.gql(EVENTS)).auditEvents.edges.map((e: any) => e.node);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'credit_report.read', entityType: 'debtor', entityId: d.id });
    expect(events[0].after.reportId).toBe(c.report.id);
    expectError(await t.gql(READ, { id: randomUUID() }), 'NOT_FOUND');

    // Every log line of this file's run so far.
    expect(h.logs.length).toBeGreaterThan(0);
    expect(SECRETS.nationalIds.length).toBeGreaterThan(0);
    for (const line of h.logs) {
      for (const id of SECRETS.nationalIds) expect(line, 'a national id in the logs').not.toContain(id);
      for (const k of SECRETS.credentials) expect(line, 'a bureau credential in the logs').not.toContain(k);
    }
  });
});
