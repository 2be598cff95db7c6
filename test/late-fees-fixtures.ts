import { randomBytes } from 'node:crypto';
import type { GqlResult, Harness, TestTenant } from './harness.js';
import { idem, ok } from './accounts-fixtures.js';

/**
 * Builders shared by the late-fee suites (late-fees.test.ts, late-fees-security.test.ts). Like the accounts
 * fixtures, each wrapper fails the test with the GraphQL errors when the call it wraps does not succeed.
 *
 * `any` appears only where GraphQL results are handled: their shape is the selection set of the query
 * text, which TypeScript cannot see, and the assertions check it.
 */

/** Everything a LateFeeExplanation carries, so a preview item and a stored assessment compare field by field. */
export const EXPLANATION = `explanation {
  policyId policyVersionId policyVersion policyName level periodKey periodStart periodEnd assessedOn overdueSince daysPastDue
  steps { kind description base { minor } rateBps days tier exact amount { minor } }
  uncapped { minor } caps { cap limit { minor } binding description } charged { minor } note rounding }`;

export const RULES = `rules {
  currency graceDays frequency minimumOverdue { minor } freezeWhileInPlan jurisdiction waiverApprovalThreshold { minor }
  flat { amount { minor } tiers { fromDay toDay amount { minor } } }
  percentage { base rateBps tiers { fromDay toDay rateBps } }
  dailyInterest { annualRateBps dayCount tiers { fromDay toDay rateBps } }
  caps { perAssessment { minor } cumulativeAmount { minor } cumulativePercentOfPrincipalBps } }`;

export const VERSION = `id policyId version actorId ${RULES}`;
export const CREATE_POLICY = `mutation($i: LateFeePolicyInput!) { createLateFeePolicy(input: $i) { ${VERSION} } }`;
export const REVISE_POLICY = `mutation($id: ID!, $v: Int!, $i: LateFeePolicyInput!) { reviseLateFeePolicy(id: $id, expectedVersion: $v, input: $i) { ${VERSION} } }`;
export const ATTACH = `mutation($p: ID!, $t: LateFeeTargetInput!) { attachLateFeePolicy(policyId: $p, target: $t) { id policyId level accountId portfolioId productType } }`;
export const DETACH = `mutation($t: LateFeeTargetInput!) { detachLateFeePolicy(target: $t) }`;
export const POLICY = `query($id: ID!) { lateFeePolicy(id: $id) { id name currentVersion current { id version } versions { ${VERSION} } attachments { id level accountId portfolioId productType } } }`;
export const EFFECTIVE = `query($a: ID!) { effectiveLateFeePolicy(accountId: $a) { accountId level reason policy { id name } version { id version } candidates { level policyId target } } }`;
export const PREVIEW_ITEM = `periodKey assessedOn amount { minor currency } uncapped { minor } cappedBy ${EXPLANATION}`;
export const PREVIEW = `query($a: ID!, $d: LocalDate) { previewLateFees(accountId: $a, asOf: $d) {
  accountId asOf skipReason note total { minor currency } nextAssessmentOn
  effectivePolicy { level policy { id } }
  assessments { ${PREVIEW_ITEM} } } }`;
export const RUN = `id asOf status trigger examined assessed feesPosted totals { minor currency } skipped { reason count } error startedAt finishedAt`;
export const ASSESS = `mutation($d: LocalDate) { assessLateFees(asOf: $d) { ${RUN} } }`;
export const RUNS = `query($first: Int) { lateFeeRuns(first: $first) { edges { node { ${RUN} } } pageInfo { hasNextPage } } }`;
export const ASSESSMENT = `id accountId periodKey assessedOn amount { minor currency } uncapped { minor } cappedBy ledgerEntryId runId policyVersionId ${EXPLANATION}`;
export const ASSESSMENTS = `query($a: ID!) { account(id: $a) { lateFeeAssessments(first: 100) { ${ASSESSMENT} } } }`;
export const LEDGER_WITH_FEES = `query($a: ID!) { account(id: $a) {
  balance { principal { minor } interest { minor } fees { minor } total { minor } }
  ledger(first: 100) { edges { node { id kind component amount { minor } effectiveOn memo lateFee { ${ASSESSMENT} } } } } } }`;
export const WAIVE = `mutation($i: WaiveFeeInput!) { waiveLateFee(input: $i) {
  replayed
  waiver { id feeEntryId ledgerEntryId amount { minor currency } reason actorId approvedBy }
  entries { id kind component amount { minor } effectiveOn memo }
  account { id balance { fees { minor } total { minor } } } } }`;
export const SET_CAP = `mutation($i: JurisdictionFeeCapInput!) { setJurisdictionFeeCap(input: $i) { code name annualRateBps maxFirstAssessment { minor currency } maxLaterAssessment { minor currency } source origin } }`;
export const CAPS = `{ jurisdictionFeeCaps { code name annualRateBps maxFirstAssessment { minor currency } maxLaterAssessment { minor currency } source origin } }`;

/** A policy input: a monthly CNY flat fee of 50.00 unless overridden. */
export function policyInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `Policy ${randomBytes(3).toString('hex')}`, currency: 'CNY', frequency: 'MONTHLY', flat: { amount: '5000' }, ...over };
}

export function createPolicyRaw(t: TestTenant, over: Record<string, unknown> = {}): Promise<GqlResult> {
  return t.gql(CREATE_POLICY, { i: policyInput(over) });
}

/** Creates a policy (version 1) and returns that version: `policyId` is the policy, `id` the version. */
export async function createPolicy(t: TestTenant, over: Record<string, unknown> = {}): Promise<any> {
  return ok(await createPolicyRaw(t, over)).createLateFeePolicy;
}

export async function attach(t: TestTenant, policyId: string, target: Record<string, unknown> = {}): Promise<any> {
  return ok(await t.gql(ATTACH, { p: policyId, t: target })).attachLateFeePolicy;
}

export async function detach(t: TestTenant, target: Record<string, unknown> = {}): Promise<boolean> {
  return ok(await t.gql(DETACH, { t: target })).detachLateFeePolicy;
}

export async function effective(t: TestTenant, accountId: string): Promise<any> {
  return ok(await t.gql(EFFECTIVE, { a: accountId })).effectiveLateFeePolicy;
}

export function previewRaw(t: TestTenant, accountId: string, asOf?: string): Promise<GqlResult> {
  return t.gql(PREVIEW, { a: accountId, d: asOf ?? null });
}

export async function preview(t: TestTenant, accountId: string, asOf?: string): Promise<any> {
  return ok(await previewRaw(t, accountId, asOf)).previewLateFees;
}

export function assessRaw(t: TestTenant, asOf?: string): Promise<GqlResult> {
  return t.gql(ASSESS, { d: asOf ?? null });
}

export async function assess(t: TestTenant, asOf?: string): Promise<any> {
  return ok(await assessRaw(t, asOf)).assessLateFees;
}

/** The tenant's runs, newest first. */
export async function runs(t: TestTenant): Promise<any[]> {
  return ok(await t.gql(RUNS, { first: 100 })).lateFeeRuns.edges.map((e: any) => e.node);
}

/** The account's assessments, newest first. */
export async function assessmentsOf(t: TestTenant, accountId: string): Promise<any[]> {
  return ok(await t.gql(ASSESSMENTS, { a: accountId })).account.lateFeeAssessments;
}

/** The account's balance and every ledger entry (oldest first), each fee with its assessment. */
export async function ledgerWithFees(t: TestTenant, accountId: string): Promise<{ balance: any; entries: any[] }> {
  const a = ok(await t.gql(LEDGER_WITH_FEES, { a: accountId })).account;
  return { balance: a.balance, entries: a.ledger.edges.map((e: any) => e.node).reverse() };
}

/** Fee entries of an account, oldest first, as [effectiveOn, amount]. */
export async function feeLines(t: TestTenant, accountId: string): Promise<[string, string][]> {
  return (await ledgerWithFees(t, accountId)).entries.filter((e) => e.kind === 'FEE').map((e) => [e.effectiveOn, e.amount.minor]);
}

export function waiveRaw(t: TestTenant, input: { feeEntryId: string; amount?: string | null; reason?: string; idempotencyKey?: string }): Promise<GqlResult> {
  return t.gql(WAIVE, { i: { reason: 'goodwill', idempotencyKey: idem('waive'), ...input } });
}

export async function setCap(t: TestTenant, input: Record<string, unknown>): Promise<any> {
  return ok(await t.gql(SET_CAP, { i: input })).setJurisdictionFeeCap;
}

export async function updateDebtorFlags(t: TestTenant, debtorId: string, flags: { bankrupt?: boolean; deceased?: boolean }): Promise<any> {
  const d = ok(await t.gql(`query($id: ID!) { debtor(id: $id) { version } }`, { id: debtorId })).debtor;
  return ok(await t.gql(`mutation($i: UpdateDebtorInput!) { updateDebtor(input: $i) { id version flags { bankrupt deceased } } }`, { i: { id: debtorId, version: d.version, ...flags } })).updateDebtor;
}

export async function changeStatus(t: TestTenant, accountId: string, status: string): Promise<any> {
  const a = ok(await t.gql(`query($id: ID!) { account(id: $id) { version } }`, { id: accountId })).account;
  return ok(await t.gql(`mutation($i: ChangeAccountStatusInput!) { changeAccountStatus(input: $i) { id version status } }`, { i: { id: accountId, version: a.version, status } })).changeAccountStatus;
}

/** Row counts of a tenant's late-fee tables (and ledger), straight from the tables as the superuser. */
export async function feeCounts(h: Harness, tenantId: string): Promise<Record<string, number>> {
  const [r] = await h.db.admin.query<Record<string, number>>(
    `select (select count(*) from late_fee_policies where tenant_id = $1)::int as policies,
            (select count(*) from late_fee_policy_versions where tenant_id = $1)::int as versions,
            (select count(*) from late_fee_attachments where tenant_id = $1)::int as attachments,
            (select count(*) from late_fee_assessments where tenant_id = $1)::int as assessments,
            (select count(*) from late_fee_runs where tenant_id = $1)::int as runs,
            (select count(*) from fee_waivers where tenant_id = $1)::int as waivers,
            (select count(*) from fee_jurisdiction_caps where tenant_id = $1)::int as caps,
            (select count(*) from ledger_entries where tenant_id = $1)::int as ledger`,
    [tenantId],
  );
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
}

/**
 * Per account of a tenant, as the superuser: how many engine FEE ledger entries it has, how many
 * assessments, and whether any (account, period) appears twice.
 */
export async function feesPerAccount(h: Harness, tenantId: string): Promise<Map<string, { fees: number; assessments: number; duplicatePeriods: number }>> {
  const rows = await h.db.admin.query<{ id: string; fees: number; assessments: number; dup: number }>(
    `select a.id::text as id,
            (select count(*) from ledger_entries l where l.tenant_id = a.tenant_id and l.account_id = a.id and l.kind = 'fee')::int as fees,
            (select count(*) from late_fee_assessments s where s.tenant_id = a.tenant_id and s.account_id = a.id)::int as assessments,
            (select count(*) from (select period_key from late_fee_assessments s where s.tenant_id = a.tenant_id and s.account_id = a.id
                                    group by period_key having count(*) > 1) d)::int as dup
       from accounts a where a.tenant_id = $1 order by a.id`,
    [tenantId],
  );
  return new Map(rows.map((r) => [r.id, { fees: Number(r.fees), assessments: Number(r.assessments), duplicatePeriods: Number(r.dup) }]));
}
