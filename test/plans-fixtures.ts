import type { GqlResult, TestTenant } from './harness.js';
import { idem, ok } from './accounts-fixtures.js';

/**
 * Builders for the plans, payments, promises and settlements suites. `any` appears where GraphQL results are
 * handled: their shape is the query's selection set, which TypeScript cannot see; the assertions check it.
 */

export const MONEY = `minor currency decimal`;
export const PLAN = `id version status debtorId frequency startOn installmentCount coversFees missedCount needsApproval note endReason
  graceDays missedToBreak freezeFeesWhileActive approvedById activatedAt completedAt brokenAt cancelledAt rejectedAt
  downPayment { minor } total { minor } paid { minor }
  violations { rule limit actual message }
  installments { id seq dueOn status missedAt paidAt amount { minor } paid { minor } }
  accounts { accountId covered { minor } }`;
export const PAYMENT = `id idempotencyKey debtorId accountId planId settlementId status method receivedAt effectiveOn externalReference
  reversedAt reversalKind reversalReason
  amount { minor currency } applied { minor } unapplied { minor }
  explanation { kind text accountId component installmentSeq amount { minor } }
  entries { id kind component amount { minor } effectiveOn }
  installments { installmentId amount { minor } }`;
export const PROMISE = `id debtorId accountId planId madeOn promisedOn graceDays status resolvedAt note amount { minor currency } paid { minor }`;
export const SETTLEMENT = `id version debtorId status discountBps expiresOn approvedById acceptedAt settledAt endReason
  amount { minor } balance { minor } paid { minor } violations { rule limit actual }
  accounts { accountId balance { minor } }`;

export const PROPOSE = `mutation($i: ProposePlanInput!) { proposePlan(input: $i) { ${PLAN} } }`;
export const PREVIEW = `query($i: ProposePlanInput!) { previewPlan(input: $i) { debtorId withinRules rulesSource coversFees total { minor } downPayment { minor }
  schedule { seq dueOn amount { minor } } accounts { accountId covered { minor } } violations { rule limit actual message } } }`;
export const RECORD = `mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { replayed payment { ${PAYMENT} } entries { id kind component amount { minor } } } }`;
export const REVERSE_PAYMENT = `mutation($i: ReversePaymentInput!) { reversePayment(input: $i) { replayed payment { ${PAYMENT} } entries { id kind component amount { minor } } } }`;
export const SET_RULES = `mutation($i: SetPlanRulesInput!) { setPlanRules(input: $i) { tenant { id version maxInstallments graceDays missedToBreak overpayment waterfall
  waiveFeesOnCompletion freezeFeesWhileActive maxSettlementDiscountBps allowedFrequencies minInstallment { currency amount { minor } } }
  portfolios { id portfolioId version maxInstallments } } }`;

export interface PlanInput {
  accountIds: string[];
  startOn: string;
  installmentCount?: number;
  frequency?: string;
  downPayment?: string;
  schedule?: { dueOn: string; amount: string }[];
  note?: string;
  activate?: boolean;
}

export function proposeRaw(t: TestTenant, i: PlanInput): Promise<GqlResult> {
  return t.gql(PROPOSE, { i });
}

export async function propose(t: TestTenant, i: PlanInput): Promise<any> {
  return ok(await proposeRaw(t, i)).proposePlan;
}

export function previewRaw(t: TestTenant, i: PlanInput): Promise<GqlResult> {
  return t.gql(PREVIEW, { i });
}

export interface PaymentInput {
  accountId?: string;
  planId?: string;
  settlementId?: string;
  amount: string;
  currency?: string;
  method?: string;
  receivedAt?: string;
  externalReference?: string;
  idempotencyKey?: string;
}

export function payRaw(t: TestTenant, i: PaymentInput, now = '2026-06-15T10:00:00Z'): Promise<GqlResult> {
  return t.gql(RECORD, { i: { currency: 'CNY', method: 'BANK_TRANSFER', receivedAt: now, idempotencyKey: idem('pay'), ...i } });
}

export async function pay(t: TestTenant, i: PaymentInput, now?: string): Promise<{ replayed: boolean; payment: any; entries: any[] }> {
  return ok(await payRaw(t, i, now)).recordPayment;
}

export function reversePaymentRaw(t: TestTenant, paymentId: string, reason = 'returned by the bank', kind?: string): Promise<GqlResult> {
  return t.gql(REVERSE_PAYMENT, { i: { paymentId, reason, ...(kind ? { kind } : {}) } });
}

export async function getPlan(t: TestTenant, id: string): Promise<any> {
  return ok(await t.gql(`query($id: ID!) { plan(id: $id) { ${PLAN} } }`, { id })).plan;
}

export function setRules(t: TestTenant, rules: Record<string, unknown>, portfolioId?: string): Promise<GqlResult> {
  return t.gql(SET_RULES, { i: { rules, ...(portfolioId ? { portfolioId } : {}) } });
}

export function evaluate(t: TestTenant, opts: { planId?: string; asOf?: string } = {}): Promise<GqlResult> {
  return t.gql(
    `mutation($p: ID, $d: LocalDate) { evaluatePlans(planId: $p, asOf: $d) { asOf installmentsMissed plansBroken promisesKept promisesPartiallyKept promisesBroken settlementsExpired } }`,
    { p: opts.planId ?? null, d: opts.asOf ?? null },
  );
}

export function createPromiseRaw(t: TestTenant, i: { accountId?: string; planId?: string; amount: string; currency?: string; promisedOn: string; note?: string }): Promise<GqlResult> {
  return t.gql(`mutation($i: CreatePromiseInput!) { createPromise(input: $i) { ${PROMISE} } }`, { i: { currency: 'CNY', ...i } });
}

export async function getPromise(t: TestTenant, id: string): Promise<any> {
  return ok(await t.gql(`query($id: ID!) { promise(id: $id) { ${PROMISE} } }`, { id })).promise;
}

export function offerRaw(t: TestTenant, i: { accountIds: string[]; amount: string; expiresOn: string; note?: string }): Promise<GqlResult> {
  return t.gql(`mutation($i: CreateSettlementOfferInput!) { createSettlementOffer(input: $i) { ${SETTLEMENT} } }`, { i });
}

export function settlementAction(t: TestTenant, action: 'approveSettlementOffer' | 'acceptSettlementOffer', id: string): Promise<GqlResult> {
  return t.gql(`mutation($id: ID!) { ${action}(id: $id) { ${SETTLEMENT} } }`, { id });
}

export function settlementEnd(t: TestTenant, action: 'rejectSettlementOffer' | 'withdrawSettlementOffer', id: string, reason = 'no longer offered'): Promise<GqlResult> {
  return t.gql(`mutation($id: ID!, $r: String!) { ${action}(id: $id, reason: $r) { ${SETTLEMENT} } }`, { id, r: reason });
}
