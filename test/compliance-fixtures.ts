import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { PLATFORM_TOKEN, type GqlResult, type Harness, type TestTenant } from './harness.js';
import { createAccount, createPortfolio, expectError, ok } from './accounts-fixtures.js';

/**
 * Builders for the lawful-contact and dispute suites (compliance.test.ts, compliance-security.test.ts): debtors
 * with a time zone, address and flags, the contact log and its guard, consent, contact rules, disputes and
 * validation notices, and row counts straight from the tables. Each non-`Raw` wrapper fails the test with the
 * GraphQL errors when the call it wraps does not succeed.
 *
 * `any` appears only where GraphQL results are handled: their shape is the selection set of the query text,
 * which TypeScript cannot see, and the assertions check it.
 */

export const CONTACT = `id debtorId accountId channel direction outcome occurredAt debtorLocalTime timeZone collector agencyId notes promiseId planId
  overriddenCodes overrideReason actorKind createdAt`;
export const RULES_VIEW = `windowStart windowEnd blockedWeekdays caps { channel max days } quietDaysAfterConversation`;
export const ELIGIBILITY = `allowed blocks { code message overridable } warnings localDate localTime timeZone timeZoneSource jurisdiction attemptsInPeriod nextAllowedAt
  rules { ${RULES_VIEW} }`;
export const DISPUTE = `id version accountId debtorId reason details status outcome resolutionNotes priorAccountStatus withinValidationPeriod openedAt openedByKind resolvedAt`;
export const NOTICE = `id accountId sentAt disputeBy method reference createdAt`;
export const PREFERENCE = `debtorId channel state source actorKind recordedAt`;

export const Q = {
  eligibility: `query($d: ID!, $a: ID!, $c: ContactChannel!, $at: String) { contactEligibility(debtorId: $d, accountId: $a, channel: $c, at: $at) { ${ELIGIBILITY} } }`,
  log: `mutation($i: LogContactInput!) { logContact(input: $i) { contact { ${CONTACT} } eligibility { ${ELIGIBILITY} } } }`,
  contact: `query($id: ID!) { contactAttempt(id: $id) { ${CONTACT} } }`,
  contacts: `query($f: ContactFilterInput, $first: Int, $after: String) { contactAttempts(first: $first, after: $after, filter: $f) { edges { cursor node { ${CONTACT} } } pageInfo { hasNextPage endCursor } } }`,
  preference: `mutation($i: SetContactPreferenceInput!) { setContactPreference(input: $i) { ${PREFERENCE} } }`,
  debtorPreferences: `query($id: ID!) { debtor(id: $id) { id contactPreferences { ${PREFERENCE} } } }`,
  setRules: `mutation($i: SetContactRulesInput!) { setContactRules(input: $i) { id jurisdiction version updatedAt rules { ${RULES_VIEW} } } }`,
  rules: `{ contactRules { presets { code name source rules { ${RULES_VIEW} } } tenantRules { id jurisdiction version rules { ${RULES_VIEW} } } } }`,
  effectiveRules: `query($j: String!) { effectiveContactRules(jurisdiction: $j) { jurisdiction rules { ${RULES_VIEW} } } }`,
  openDispute: `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { ${DISPUTE} } }`,
  resolveDispute: `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { ${DISPUTE} } }`,
  dispute: `query($id: ID!) { dispute(id: $id) { ${DISPUTE} } }`,
  disputes: `query($f: DisputeFilterInput, $first: Int, $after: String) { disputes(first: $first, after: $after, filter: $f) { edges { cursor node { ${DISPUTE} } } pageInfo { hasNextPage endCursor } } }`,
  notice: `mutation($i: RecordValidationNoticeInput!) { recordValidationNotice(input: $i) { ${NOTICE} } }`,
  accountCompliance: `query($id: ID!) { account(id: $id) { id status disputes { ${DISPUTE} } validationNotices { ${NOTICE} } } }`,
  accountStatus: `query($id: ID!) { account(id: $id) { id version status } }`,
  changeStatus: `mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id version status } }`,
  audit: `query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { edges { node { action actorKind actorId entityType entityId before after } } } }`,
} as const;

/** A TestTenant whose calls carry another bearer (a scoped key, an agency token). */
export function withBearer(h: Harness, t: TestTenant, bearer: string): TestTenant {
  return { ...t, key: bearer, gql: (q, v) => h.gql(bearer, q, v) };
}

/** A tenant in `timeZone` (h.tenant() makes UTC tenants), through the platform API, with its admin key. */
export async function tenantInZone(h: Harness, timeZone: string): Promise<TestTenant> {
  const r = await h.gql<{ createTenant: { tenant: { id: string }; initialKey: { secret: string } } }>(
    PLATFORM_TOKEN,
    `mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } initialKey { secret } } }`,
    { input: { name: `Tenant ${randomBytes(3).toString('hex')}`, timeZone } },
  );
  const data = ok(r);
  const key = data.createTenant.initialKey.secret;
  return {
    id: data.createTenant.tenant.id,
    key,
    gql: (q, v) => h.gql(key, q, v),
    async keyWith(scopes, extra = {}) {
      const k = ok(await h.gql(key, `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`, { input: { name: `key ${scopes.join('+')}`, scopes, ...extra } }));
      return { id: k.createApiKey.apiKey.id, key: k.createApiKey.secret };
    },
  };
}

export interface DebtorSpec {
  legalName?: string;
  /** IANA zone; omitted: none (the guard falls back to the tenant's). */
  timeZone?: string;
  /** ISO country of the first (only) address; omitted: no address. */
  country?: string;
  deceased?: boolean;
  bankrupt?: boolean;
  ceaseCommunication?: boolean;
  vulnerable?: boolean;
}

export async function createDebtorWith(t: TestTenant, d: DebtorSpec = {}): Promise<string> {
  const input: Record<string, unknown> = { kind: 'PERSON', legalName: d.legalName ?? `Debtor ${randomBytes(2).toString('hex')}` };
  if (d.timeZone) input.timeZone = d.timeZone;
  if (d.country) input.addresses = [{ line1: '1 Main Street', city: 'Somewhere', country: d.country }];
  for (const f of ['deceased', 'bankrupt', 'ceaseCommunication', 'vulnerable'] as const) if (d[f] !== undefined) input[f] = d[f];
  return ok(await t.gql(`mutation($i: CreateDebtorInput!) { createDebtor(input: $i) { id } }`, { i: input })).createDebtor.id;
}

/** Sets debtor flags (deceased, bankrupt, ceaseCommunication, vulnerable) or the time zone through updateDebtor. */
export async function updateDebtor(t: TestTenant, debtorId: string, patch: Record<string, unknown>): Promise<any> {
  const d = ok(await t.gql(`query($id: ID!) { debtor(id: $id) { version } }`, { id: debtorId })).debtor;
  const r = await t.gql(`mutation($i: UpdateDebtorInput!) { updateDebtor(input: $i) { id version timeZone flags { deceased bankrupt ceaseCommunication vulnerable } } }`, {
    i: { id: debtorId, version: d.version, ...patch },
  });
  return ok(r).updateDebtor;
}

export interface Scene {
  portfolioId: string;
  debtorId: string;
  accountId: string;
}

/** A portfolio, a debtor as specified and one account (principal 1,000.00 CNY, due 2026-03-01 unless said). */
export async function scene(t: TestTenant, d: DebtorSpec = {}, account: { dueOn?: string; openedOn?: string; portfolioId?: string } = {}): Promise<Scene> {
  const portfolioId = account.portfolioId ?? (await createPortfolio(t, 'CNY')).id;
  const debtorId = await createDebtorWith(t, d);
  const a = await createAccount(t, { debtorId, portfolioId, originalPrincipal: '100000', openedOn: account.openedOn ?? '2026-01-01', dueOn: account.dueOn ?? '2026-03-01' });
  return { portfolioId, debtorId, accountId: a.id as string };
}

export async function addAccount(t: TestTenant, s: { debtorId: string; portfolioId: string }, dueOn = '2026-03-01'): Promise<string> {
  return (await createAccount(t, { debtorId: s.debtorId, portfolioId: s.portfolioId, originalPrincipal: '100000', openedOn: '2026-01-01', dueOn })).id as string;
}

// ── The guard and the log ───────────────────────────────────────────────────────────────────────────────

export function eligibilityRaw(t: TestTenant, s: { debtorId: string; accountId: string }, at: string | null, channel = 'CALL'): Promise<GqlResult> {
  return t.gql(Q.eligibility, { d: s.debtorId, a: s.accountId, c: channel, at });
}

export async function eligibility(t: TestTenant, s: { debtorId: string; accountId: string }, at: string | null, channel = 'CALL'): Promise<any> {
  return ok(await eligibilityRaw(t, s, at, channel)).contactEligibility;
}

/** The block codes of an eligibility, in the order the guard gives them. */
export const codes = (e: { blocks: { code: string }[] }): string[] => e.blocks.map((b) => b.code);

export interface ContactInput {
  accountId: string;
  occurredAt: string;
  channel?: string;
  direction?: string;
  outcome?: string;
  collector?: string;
  notes?: string;
  promiseId?: string;
  planId?: string;
  overrideReason?: string;
}

/** Spoken channels (calls, visits) default to NO_ANSWER, written ones to SENT: the log refuses an outcome that does not fit. */
export function logContactRaw(t: TestTenant, c: ContactInput): Promise<GqlResult> {
  const channel = c.channel ?? 'CALL';
  const outcome = channel === 'CALL' || channel === 'VISIT' ? 'NO_ANSWER' : 'SENT';
  return t.gql(Q.log, { i: { channel, direction: 'OUTBOUND', outcome, ...c } });
}

export async function logContact(t: TestTenant, c: ContactInput): Promise<{ contact: any; eligibility: any }> {
  return ok(await logContactRaw(t, c)).logContact;
}

/** A refused outbound contact: COMPLIANCE_BLOCKED, and the reason codes it carries. */
export async function expectBlocked(r: GqlResult, reasons: string[]): Promise<{ message: string; ext: Record<string, any> }> {
  const e = expectError(r, 'COMPLIANCE_BLOCKED');
  expect(e.ext.reasons, e.message).toEqual(reasons);
  expect(r.data).toBeNull();
  return e;
}

export async function contactsOf(t: TestTenant, f: Record<string, unknown> | null = null, first = 100): Promise<any[]> {
  return ok(await t.gql(Q.contacts, { f, first })).contactAttempts.edges.map((e: any) => e.node);
}

export function setPreferenceRaw(t: TestTenant, debtorId: string, channel: string, state: string, source = 'recorded call'): Promise<GqlResult> {
  return t.gql(Q.preference, { i: { debtorId, channel, state, source } });
}

export async function setPreference(t: TestTenant, debtorId: string, channel: string, state: string, source = 'recorded call'): Promise<any> {
  return ok(await setPreferenceRaw(t, debtorId, channel, state, source)).setContactPreference;
}

export interface RulesInput {
  windowStart?: string;
  windowEnd?: string;
  blockedWeekdays?: number[];
  caps?: { channel: string; max: number; days: number }[];
  quietDaysAfterConversation?: number;
}

/** The platform floor as an input: 08:00–21:00, 7 calls in 7 days, 7 quiet days. */
export function rulesInput(over: RulesInput = {}): Record<string, unknown> {
  return { windowStart: '08:00', windowEnd: '21:00', blockedWeekdays: [], caps: [{ channel: 'CALL', max: 7, days: 7 }], quietDaysAfterConversation: 7, ...over };
}

export function setContactRulesRaw(t: TestTenant, jurisdiction: string, over: RulesInput = {}, expectedVersion?: number): Promise<GqlResult> {
  return t.gql(Q.setRules, { i: { jurisdiction, rules: rulesInput(over), ...(expectedVersion !== undefined ? { expectedVersion } : {}) } });
}

export async function setContactRules(t: TestTenant, jurisdiction: string, over: RulesInput = {}, expectedVersion?: number): Promise<any> {
  return ok(await setContactRulesRaw(t, jurisdiction, over, expectedVersion)).setContactRules;
}

// ── Disputes and validation notices ─────────────────────────────────────────────────────────────────────

export function openDisputeRaw(t: TestTenant, accountId: string, reason = 'WRONG_AMOUNT', details?: string): Promise<GqlResult> {
  return t.gql(Q.openDispute, { i: { accountId, reason, ...(details !== undefined ? { details } : {}) } });
}

export async function openDispute(t: TestTenant, accountId: string, reason = 'WRONG_AMOUNT', details?: string): Promise<any> {
  return ok(await openDisputeRaw(t, accountId, reason, details)).openDispute;
}

export function resolveDisputeRaw(t: TestTenant, id: string, outcome: string, notes = 'reviewed the statements', expectedVersion?: number): Promise<GqlResult> {
  return t.gql(Q.resolveDispute, { i: { id, outcome, notes, ...(expectedVersion !== undefined ? { expectedVersion } : {}) } });
}

export async function resolveDispute(t: TestTenant, id: string, outcome: string, notes?: string): Promise<any> {
  return ok(await resolveDisputeRaw(t, id, outcome, notes)).resolveDispute;
}

export function recordNoticeRaw(t: TestTenant, accountId: string, sentAt: string, extra: { disputeBy?: string; method?: string; reference?: string } = {}): Promise<GqlResult> {
  return t.gql(Q.notice, { i: { accountId, sentAt, method: 'mail', ...extra } });
}

export async function recordNotice(t: TestTenant, accountId: string, sentAt: string, extra: { disputeBy?: string; method?: string; reference?: string } = {}): Promise<any> {
  return ok(await recordNoticeRaw(t, accountId, sentAt, extra)).recordValidationNotice;
}

export async function accountStatus(t: TestTenant, id: string): Promise<string> {
  return ok(await t.gql(Q.accountStatus, { id })).account.status;
}

export async function changeAccountStatusRaw(t: TestTenant, id: string, status: string): Promise<GqlResult> {
  const a = ok(await t.gql(Q.accountStatus, { id })).account;
  return t.gql(Q.changeStatus, { i: { id, version: a.version, status } });
}

/** Audit events of the tenant with this action (and entity), newest first. */
export async function auditEvents(t: TestTenant, action: string, entityId?: string): Promise<any[]> {
  return ok(await t.gql(Q.audit, { f: { action, ...(entityId ? { entityId } : {}) } })).auditEvents.edges.map((e: any) => e.node);
}

// ── Straight from the tables ────────────────────────────────────────────────────────────────────────────

export const COMPLIANCE_TABLES = ['contact_attempts', 'contact_preferences', 'contact_rules', 'disputes', 'validation_notices', 'audit_events'] as const;

/** Rows per compliance table of a tenant (and its audit events, and its accounts' versions), as the superuser. */
export type ComplianceCounts = Record<(typeof COMPLIANCE_TABLES)[number] | 'accountVersions', number>;

export async function complianceCounts(h: Harness, tenantId: string): Promise<ComplianceCounts> {
  const out = {} as ComplianceCounts;
  for (const table of COMPLIANCE_TABLES) {
    const [r] = await h.db.admin.query<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId]);
    out[table] = Number(r!.n);
  }
  const [v] = await h.db.admin.query<{ n: number }>(`select coalesce(sum(version), 0)::int as n from accounts where tenant_id = $1`, [tenantId]);
  out.accountVersions = Number(v!.n);
  return out;
}

/** Whole hours between two instants (for comments that claim a period lasts 167 or 169 hours). */
export const hoursBetween = (a: string, b: string): number => (new Date(b).getTime() - new Date(a).getTime()) / 3_600_000;
