import { money } from '../accounts/money.view.js';
import type { Money } from '../accounts/account.type.js';
import type { ExplanationLine } from './payment.service.js';
import type { PaymentRow } from './payment.repository.js';
import type { PlanRules as Rules, Violation } from './plan-rules.logic.js';
import type { PlanProposal, PlanTerms } from './plan.service.js';
import type { InstallmentRow, PlanRow, PlanRulesRow } from './plan.repository.js';
import type { PromiseRow } from './promise.repository.js';
import type { SettlementAccountRow, SettlementRow } from './settlement.repository.js';
import type { Installment, Plan, PlanPreview, PlanRules } from './plan.type.js';
import type { Payment } from './payment.type.js';
import type { PaymentPromise } from './promise.type.js';
import type { SettlementOffer } from './settlement.type.js';



const amounts = (m: Record<string, bigint>) => Object.entries(m).map(([currency, v]) => ({ currency, amount: money(v, currency) }));

export function rulesView(r: Rules, row: PlanRulesRow | null): PlanRules {
  return { ...r, id: row?.id ?? null, portfolioId: row?.portfolioId ?? null, version: row?.version ?? 0, minInstallment: amounts(r.minInstallment), minDownPayment: amounts(r.minDownPayment) } as unknown as PlanRules;
}

export function planView(p: PlanRow): Plan {
  const terms = p.terms as PlanTerms;
  const violations = p.violations as Violation[];
  return {
    ...p,
    downPayment: money(p.downPayment, p.currency),
    total: money(p.total, p.currency),
    paid: money(p.paid, p.currency),
    violations,
    needsApproval: p.status === 'proposed' && violations.length > 0,
    graceDays: terms.graceDays,
    missedToBreak: terms.missedToBreak,
    freezeFeesWhileActive: terms.freezeFeesWhileActive,
  } as unknown as Plan;
}

export function installmentView(i: InstallmentRow, currency: string): Installment {
  return { ...i, amount: money(i.amount, currency), paid: money(i.paid, currency) } as unknown as Installment;
}

export function previewView(p: PlanProposal): PlanPreview {
  return {
    debtorId: p.debtorId,
    total: money(p.total, p.currency),
    downPayment: money(p.downPayment, p.currency),
    coversFees: p.coversFees,
    schedule: p.schedule.map((x) => ({ seq: x.seq, dueOn: x.dueOn, amount: money(x.amount, p.currency) })),
    accounts: p.accounts.map((x) => ({ accountId: x.account.id, covered: money(x.covered, p.currency) })),
    violations: p.violations,
    withinRules: p.violations.length === 0,
    rulesSource: p.rulesSource,
  } as unknown as PlanPreview;
}

export function paymentView(p: PaymentRow): Payment {
  const m = (v: bigint): Money => money(v, p.currency);
  return {
    ...p,
    amount: m(p.amount),
    applied: m(p.applied),
    unapplied: m(p.unapplied),
    explanation: (p.explanation as ExplanationLine[]).map((l) => ({
      kind: l.kind,
      text: l.text,
      accountId: l.accountId ?? null,
      component: l.component ?? null,
      installmentSeq: l.installmentSeq ?? null,
      amount: l.amount != null ? m(BigInt(l.amount)) : null,
    })),
  } as unknown as Payment;
}

export function promiseView(p: PromiseRow): PaymentPromise {
  return { ...p, amount: money(p.amount, p.currency), paid: money(p.paid, p.currency) } as unknown as PaymentPromise;
}

export function settlementView(o: SettlementRow, accounts: SettlementAccountRow[]): SettlementOffer {
  return {
    ...o,
    amount: money(o.amount, o.currency),
    balance: money(o.balance, o.currency),
    paid: money(o.paid, o.currency),
    accounts: accounts.map((a) => ({ accountId: a.accountId, balance: money(a.balance, o.currency) })),
  } as unknown as SettlementOffer;
}
