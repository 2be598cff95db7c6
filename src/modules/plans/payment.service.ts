import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { localDate } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { formatDecimal, isCurrency, parseMinorUnits } from '../../shared/money.js';
import { lineText, Problems, uuidField } from '../../shared/validation.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Component } from '../accounts/account.logic.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { requestHash, resummarizeAccount } from '../accounts/account.service.js';
import { tenantToday } from '../accounts/as-of.js';
import { idempotencyRepository, ledgerRepository, type LedgerRow } from '../accounts/ledger.repository.js';
import { scopeOf } from '../accounts/scope.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import { allocateAcross, applyToInstallments, type InstallmentApplication } from './payment.allocation.js';
import { paymentRepository, type PaymentFilter, type PaymentRow } from './payment.repository.js';
import { PAYMENT_METHODS, REVERSAL_KINDS } from './payment.table.js';
import { moveAccount, reverseGroup, statusAfterPlan, waiveOutstanding, type StatusChange } from './plan.lifecycle.js';
import { planRepository, type PlanRow } from './plan.repository.js';
import { rulesForAccounts, type PlanTerms } from './plan.service.js';
import { promiseOutcome } from './promise.logic.js';
import { promiseRepository } from './promise.repository.js';
import { settlementRepository, type SettlementRow } from './settlement.repository.js';

export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type ReversalKind = (typeof REVERSAL_KINDS)[number];

export interface RecordPaymentInput {
  idempotencyKey: string;
  accountId?: string | null;
  planId?: string | null;
  settlementId?: string | null;
  amount: string;
  currency: string;
  method: string;
  receivedAt: Date;
  externalReference?: string | null;
}

/** One line of a payment's explanation, in the order the money went. */
export interface ExplanationLine {
  kind: 'component' | 'installment' | 'credit' | 'plan_completed' | 'settlement' | 'promise';
  text: string;
  accountId?: string;
  component?: Component;
  installmentSeq?: number;
  amount?: string;
}

/** What a payment closed or moved, kept so that reversing it puts back exactly that. */
export interface PaymentEffects {
  installments: { id: string; amount: string }[];
  planCompleted: boolean;
  planFeeWaivers: { accountId: string; groupId: string }[];
  settled: boolean;
  settlementWaivers: { accountId: string; groupId: string }[];
  statusChanges: StatusChange[];
  promises: { id: string; amount: string; from: string; to: string }[];
}

export interface PaymentResult {
  payment: PaymentRow;
  entries: LedgerRow[];
  replayed: boolean;
}

/** Printable ASCII without spaces, 1–255 characters: UUIDs, ULIDs and most PSP reference formats fit. */
export const PAYMENT_KEY_RE = /^[\x21-\x7e]{1,255}$/;

const ALL: readonly Component[] = ['fee', 'interest', 'principal'];

export class PaymentService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private check(input: RecordPaymentInput) {
    const p = new Problems();
    if (typeof input.idempotencyKey !== 'string' || !PAYMENT_KEY_RE.test(input.idempotencyKey)) {
      p.add('input.idempotencyKey', input.idempotencyKey?.length > 255 ? `must be at most 255 characters (got ${input.idempotencyKey.length})` : 'must be 1–255 printable ASCII characters without spaces');
    }
    const targets = [input.accountId, input.planId, input.settlementId].filter((x) => x != null);
    if (targets.length !== 1) p.add('input', 'name exactly one of accountId, planId or settlementId');
    const accountId = input.accountId != null ? uuidField(p, 'input.accountId', input.accountId) : null;
    const planId = input.planId != null ? uuidField(p, 'input.planId', input.planId) : null;
    const settlementId = input.settlementId != null ? uuidField(p, 'input.settlementId', input.settlementId) : null;
    const amount = parseMinorUnits(input.amount);
    if (typeof amount === 'string') p.add('input.amount', amount);
    const currency = input.currency.trim().toUpperCase();
    if (!isCurrency(currency)) p.add('input.currency', 'must be an ISO 4217 currency code');
    const method = input.method.toLowerCase();
    if (!(PAYMENT_METHODS as readonly string[]).includes(method)) p.add('input.method', `must be one of ${PAYMENT_METHODS.join(', ')}`);
    if (!(input.receivedAt instanceof Date) || Number.isNaN(input.receivedAt.getTime())) p.add('input.receivedAt', 'must be a date-time');
    else if (input.receivedAt.getTime() > this.clock.now().getTime() + 5 * 60_000) p.add('input.receivedAt', 'must not be in the future');
    const externalReference = input.externalReference != null ? lineText(p, 'input.externalReference', input.externalReference, 200) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return { accountId, planId, settlementId, amount: amount as bigint, currency, method: method as PaymentMethod, receivedAt: input.receivedAt, externalReference };
  }

  /**
   * Records a payment exactly once per idempotency key: a retry with the same body returns the first result and
   * writes nothing; the same key with a different body is CONFLICT. Locks the plan or settlement first, then
   * its accounts in id order (the order every writer here takes), so concurrent payments on one plan queue
   * rather than deadlock, and each sees the balances the previous one left.
   */
  async record(actor: TenantActor, raw: RecordPaymentInput): Promise<PaymentResult> {
    const s = scopeOf(actor);
    const input = this.check(raw);
    const hash = requestHash({
      op: 'payment.record',
      accountId: input.accountId,
      planId: input.planId,
      settlementId: input.settlementId,
      amount: input.amount.toString(),
      currency: input.currency,
      method: input.method,
      receivedAt: input.receivedAt.toISOString(),
      externalReference: input.externalReference,
    });
    return this.db.tenant(s.db, async (tx) => {
      const paymentId = uuidv7();
      const prior = await idempotencyRepository.claim(tx, s.tenantId, 'payment.record', raw.idempotencyKey, hash, paymentId);
      if (prior) {
        if (prior.requestHash !== hash) throw new AppError('CONFLICT', 'input.idempotencyKey: already used for a different payment', { field: 'input.idempotencyKey' });
        // The same body names the same target: a principal that cannot see it gets what a fresh call would.
        const payment = await paymentRepository.find(tx, s.tenantId, s.portfolios, prior.resultRef);
        if (!payment) {
          if (input.planId) throw AppError.notFound('Plan', input.planId);
          if (input.settlementId) throw AppError.notFound('SettlementOffer', input.settlementId);
          throw AppError.notFound('Account', input.accountId!);
        }
        return { payment, entries: payment.ledgerGroupId ? await ledgerRepository.byGroup(tx, s.tenantId, payment.ledgerGroupId) : [], replayed: true };
      }
      const now = this.clock.now();
      const tenant = await tenantRepository.find(tx, s.tenantId);
      const today = localDate(now, tenant?.timeZone ?? 'UTC');
      const effectiveOn = localDate(input.receivedAt, tenant?.timeZone ?? 'UTC');

      // The target, locked: plan or settlement first, then accounts in id order.
      let plan: PlanRow | null = null;
      let settlement: SettlementRow | null = null;
      let accounts: AccountRow[];
      if (input.planId) {
        plan = await planRepository.find(tx, s.tenantId, s.portfolios, input.planId, true);
        if (!plan) throw AppError.notFound('Plan', input.planId);
        if (plan.status !== 'active') throw AppError.conflict(`Plan ${plan.id} is ${plan.status}; payments go to active plans (pay the account instead)`, { field: 'input.planId' });
        accounts = await planRepository.lockAccounts(tx, s.tenantId, plan.id);
      } else if (input.settlementId) {
        settlement = await settlementRepository.find(tx, s.tenantId, s.portfolios, input.settlementId, true);
        if (!settlement) throw AppError.notFound('SettlementOffer', input.settlementId);
        if (settlement.status !== 'accepted') throw AppError.conflict(`Settlement offer ${settlement.id} is ${settlement.status.replace('_', ' ')}; only an accepted offer takes payments`, { field: 'input.settlementId' });
        accounts = await settlementRepository.lockAccounts(tx, s.tenantId, settlement.id);
      } else {
        const found = await paymentRepository.accountContext(tx, s.tenantId, s.portfolios, input.accountId!);
        if (!found) throw AppError.notFound('Account', input.accountId!);
        const { account } = found;
        // A payment on an account held by an active plan counts toward the plan's installments. The plan and the
        // offer were found before being locked: one broken, cancelled or expired meanwhile no longer takes it.
        if (found.planId) plan = await planRepository.find(tx, s.tenantId, null, found.planId, true);
        if (plan && plan.status !== 'active') plan = null;
        // Held by a plan this principal cannot see (it spans a portfolio outside its scope): recording the payment
        // as a plain one would leave the plan's installments uncredited.
        if (!found.planId && account.status === 'in_plan' && account.planFreezesFees !== null) {
          throw AppError.conflict(`Account ${account.id} is held by an installment plan that spans portfolios outside this key's scope; record the payment with a key that can see the whole plan`, { field: 'input.accountId' });
        }
        if (found.settlementId) settlement = await settlementRepository.find(tx, s.tenantId, null, found.settlementId, true);
        if (settlement && settlement.status !== 'accepted') settlement = null;
        accounts = await this.lockAccounts(tx, s.tenantId, [account.id]);
      }
      const currency = accounts[0]!.currency;
      if (input.currency !== currency) throw AppError.badInput('input.currency', `the ${plan && input.planId ? 'plan' : settlement && input.settlementId ? 'settlement' : 'account'} is in ${currency}, not ${input.currency}`);
      if (effectiveOn > today) throw AppError.badInput('input.receivedAt', `is after today (${today}) in the tenant's time zone`);
      for (const a of accounts) if (a.status === 'closed') throw AppError.conflict(`Account ${a.id} is closed`, { field: 'input.accountId' });

      const terms = plan ? (plan.terms as PlanTerms) : null;
      const rules = terms ?? (await rulesForAccounts(tx, s.tenantId, accounts)).rules;
      const components = plan && !plan.coversFees ? ALL.filter((c) => c !== 'fee') : ALL;
      const order = [...accounts].sort((a, b) => cmp(a.feeBasisDueOn ?? a.oldestUnpaidDueOn ?? '9999', b.feeBasisDueOn ?? b.oldestUnpaidDueOn ?? '9999') || cmp(a.id, b.id));
      const { lines, left } = allocateAcross(
        input.amount,
        order.map((a) => ({ accountId: a.id, balances: { principal: a.principalBalance, interest: a.interestBalance, fee: a.feeBalance } })),
        rules.waterfall,
        components,
      );
      const owed = input.amount - left;
      if (left > 0n && rules.overpayment === 'refuse') {
        throw AppError.badInput('input.amount', `exceeds what is owed (${formatDecimal(owed, currency)} ${currency}); the plan rules refuse overpayments`);
      }
      const applied = owed;
      const explanation: ExplanationLine[] = [];
      const effects: PaymentEffects = { installments: [], planCompleted: false, planFeeWaivers: [], settled: false, settlementWaivers: [], statusChanges: [], promises: [] };
      const fmt = (v: bigint) => `${formatDecimal(v, currency)} ${currency}`;

      // Ledger: one payment entry per account and component.
      const groupId = uuidv7();
      const entries = lines.length
        ? await ledgerRepository.insertMany(
            tx,
            s.tenantId,
            lines.map((l) => ({
              id: uuidv7(),
              accountId: l.accountId,
              groupId,
              kind: 'payment' as const,
              component: l.component,
              amount: -l.amount,
              currency,
              effectiveOn,
              actorKind: actor.principal.kind,
              actorId: actor.principal.actorId,
              memo: `payment ${paymentId}${input.externalReference ? ` (${input.externalReference})` : ''}`,
              reversesEntryId: null,
            })),
          )
        : [];
      for (const l of lines) explanation.push({ kind: 'component', accountId: l.accountId, component: l.component, amount: l.amount.toString(), text: `${fmt(l.amount)} paid ${l.component} on account ${l.accountId}` });
      if (left > 0n) explanation.push({ kind: 'credit', amount: left.toString(), text: `${fmt(left)} more than is owed, held as credit` });
      const byAccount = new Map<string, bigint>();
      for (const l of lines) byAccount.set(l.accountId, (byAccount.get(l.accountId) ?? 0n) + l.amount);
      for (const a of accounts) if (byAccount.has(a.id)) Object.assign(a, await resummarizeAccount(tx, s.tenantId, a.id, 'input.amount'));

      // Installments: oldest open first; what exceeds the installments due prepays later ones.
      let applications: InstallmentApplication[] = [];
      if (plan && applied > 0n) {
        const installments = await planRepository.installments(tx, s.tenantId, [plan.id]);
        applications = applyToInstallments(applied, installments, today).applications;
        const updated = await planRepository.applyShares(tx, s.tenantId, applications.map((x) => ({ id: x.installmentId, delta: x.amount })), now);
        for (const x of applications) {
          const before = installments.find((i) => i.id === x.installmentId)!;
          effects.installments.push({ id: x.installmentId, amount: x.amount.toString() });
          const label = x.seq === 0 ? 'the down payment' : `installment ${x.seq}`;
          explanation.push({
            kind: 'installment',
            installmentSeq: x.seq,
            amount: x.amount.toString(),
            text: `${fmt(x.amount)} toward ${label} due ${x.dueOn}${x.closes ? (before.status === 'missed' ? ', which was missed and is now made good' : ', now paid') : `, ${fmt(before.amount - before.paid - x.amount)} still open`}${x.early ? ' (paid ahead of its date)' : ''}`,
          });
        }
        const all = installments.map((i) => updated.find((u) => u.id === i.id) ?? i);
        const patch: Partial<PlanRow> = { paid: plan.paid + applied, missedCount: all.filter((i) => i.status === 'missed').length };
        if (all.every((i) => i.paid >= i.amount)) {
          effects.planCompleted = true;
          Object.assign(patch, { status: 'completed', completedAt: now });
          await this.completePlan(tx, actor, plan, accounts, effectiveOn, now, effects);
          explanation.push({ kind: 'plan_completed', text: `plan ${plan.id} is complete${effects.planFeeWaivers.length ? '; the remaining fees are waived as its terms provide' : ''}` });
        }
        plan = await planRepository.update(tx, s.tenantId, plan.id, patch);
      }

      // A settlement: paid in time, the rest of each account's balance is waived and the accounts are settled.
      if (settlement) {
        const paid = settlement.paid + applied;
        const patch: Partial<SettlementRow> = { paid };
        if (paid >= settlement.amount && effectiveOn <= settlement.expiresOn) {
          effects.settled = true;
          Object.assign(patch, { status: 'settled', settledAt: now, settledByPaymentId: paymentId });
          const links = await settlementRepository.accounts(tx, s.tenantId, [settlement.id]);
          const held = links.some((l) => !accounts.find((a) => a.id === l.accountId))
            ? await this.lockAccounts(tx, s.tenantId, links.map((l) => l.accountId).filter((id) => !accounts.some((a) => a.id === id)))
            : [];
          for (const a of [...accounts, ...held].sort((x, y) => cmp(x.id, y.id))) {
            if (!links.some((l) => l.accountId === a.id)) continue;
            const waiverGroup = await waiveOutstanding(tx, s.tenantId, actor, a, ['principal', 'interest', 'fee'], effectiveOn, `settlement ${settlement.id}`);
            if (waiverGroup) effects.settlementWaivers.push({ accountId: a.id, groupId: waiverGroup });
            await settlementRepository.updateAccount(tx, s.tenantId, settlement.id, a.id, { priorStatus: a.status, waiverGroupId: waiverGroup, open: false });
            const change = await moveAccount(tx, s.tenantId, a, 'settled', now, a.planFreezesFees === null ? undefined : null);
            if (change) effects.statusChanges.push(change);
          }
          explanation.push({ kind: 'settlement', text: `settlement ${settlement.id} is paid (${fmt(paid)} of ${fmt(settlement.amount)}): the rest of the balance is waived and the accounts are settled` });
        } else {
          explanation.push({ kind: 'settlement', text: `${fmt(applied)} toward settlement ${settlement.id}: ${fmt(paid)} of ${fmt(settlement.amount)} paid, due by ${settlement.expiresOn}` });
        }
        settlement = await settlementRepository.update(tx, s.tenantId, settlement.id, patch);
      } else if (!plan) {
        // Paid in full outside any plan or settlement.
        for (const a of accounts) {
          if (a.principalBalance + a.interestBalance + a.feeBalance === 0n && (a.status === 'delinquent' || a.status === 'current' || a.status === 'charged_off')) {
            const change = await moveAccount(tx, s.tenantId, a, 'paid_off', now);
            if (change) effects.statusChanges.push(change);
          }
        }
      }

      // Promises on the accounts reached, or on the plan, whose window includes the payment's date.
      const reached = [...byAccount.keys()];
      const targetAccount = input.accountId ? [input.accountId] : [];
      for (const pr of await promiseRepository.openFor(tx, s.tenantId, [...new Set([...reached, ...targetAccount])], plan?.id ?? null, effectiveOn)) {
        const share = pr.planId ? applied : (byAccount.get(pr.accountId!) ?? 0n) + (input.accountId === pr.accountId ? left : 0n);
        if (share <= 0n) continue;
        const paidNow = pr.paid + share;
        const status = promiseOutcome(pr.amount, paidNow, pr.promisedOn, pr.graceDays, today);
        await promiseRepository.update(tx, s.tenantId, pr.id, { paid: paidNow, status, resolvedAt: status === 'pending' ? null : now });
        effects.promises.push({ id: pr.id, amount: share.toString(), from: pr.status, to: status });
        explanation.push({ kind: 'promise', amount: share.toString(), text: `${fmt(share)} toward the promise of ${fmt(pr.amount)} by ${pr.promisedOn}${status === 'kept' ? ': kept' : `: ${fmt(paidNow)} paid so far`}` });
      }

      const payment = await paymentRepository.insertWithShares(
        tx,
        s.tenantId,
        {
          tenantId: s.tenantId,
          id: paymentId,
          idempotencyKey: raw.idempotencyKey,
          debtorId: accounts[0]!.debtorId,
          portfolioIds: [...new Set(accounts.map((a) => a.portfolioId))].sort(),
          accountId: input.accountId,
          planId: plan?.id ?? null,
          settlementId: settlement?.id ?? null,
          amount: input.amount,
          applied,
          unapplied: left,
          currency,
          method: input.method,
          receivedAt: input.receivedAt,
          effectiveOn,
          externalReference: input.externalReference,
          status: 'posted',
          ledgerGroupId: entries.length ? groupId : null,
          explanation,
          effects,
          actorKind: actor.principal.kind,
          actorId: actor.principal.actorId,
          createdAt: now,
          reversedAt: null,
          reversalKind: null,
          reversalReason: null,
          reversalGroupId: null,
        },
        [...byAccount].map(([accountId, amount]) => ({ accountId, amount })),
        applications.map((x) => ({ installmentId: x.installmentId, amount: x.amount })),
      );
      await this.audit.record(tx, actor, {
        action: 'payment.record',
        entityType: 'payment',
        entityId: paymentId,
        before: null,
        after: {
          amount: input.amount.toString(),
          currency,
          applied: applied.toString(),
          unapplied: left.toString(),
          method: input.method,
          accountId: input.accountId,
          planId: plan?.id ?? null,
          settlementId: settlement?.id ?? null,
          idempotencyKey: raw.idempotencyKey,
          lines: lines.map((l) => ({ accountId: l.accountId, component: l.component, amount: l.amount.toString() })),
          effects: effects as unknown as Record<string, unknown>,
        },
      });
      await webhookEventRepository.emit(tx, s.tenantId, 'payment.recorded', [{ object: 'payment', id: paymentId, debtorId: payment.debtorId, accountId: input.accountId, planId: plan?.id ?? null }]);
      if (effects.planCompleted && plan) await webhookEventRepository.emit(tx, s.tenantId, 'plan.completed', [{ object: 'plan', id: plan.id, debtorId: plan.debtorId }]);
      return { payment, entries, replayed: false };
    });
  }

  private async lockAccounts(tx: Tx, tenantId: string, ids: readonly string[]): Promise<AccountRow[]> {
    const rows = await accountRepository.lockMany(tx, tenantId, null, ids);
    const missing = ids.find((id) => !rows.some((a) => a.id === id));
    if (missing) throw AppError.notFound('Account', missing);
    return rows;
  }

  /** Every installment paid: fees waived if the terms say so, accounts leave in_plan. */
  private async completePlan(tx: Tx, actor: TenantActor, plan: PlanRow, accounts: AccountRow[], effectiveOn: string, now: Date, effects: PaymentEffects): Promise<void> {
    const tenantId = actor.principal.tenantId;
    const terms = plan.terms as PlanTerms;
    for (const a of accounts) {
      if (terms.waiveFeesOnCompletion && a.feeBalance > 0n) {
        const g = await waiveOutstanding(tx, tenantId, actor, a, ['fee'], effectiveOn, `plan ${plan.id} completed: fees waived as agreed`);
        if (g) effects.planFeeWaivers.push({ accountId: a.id, groupId: g });
      }
      const change = a.status === 'in_plan' ? await moveAccount(tx, tenantId, a, statusAfterPlan(a), now, null) : await moveAccount(tx, tenantId, a, a.status, now, null);
      if (change) effects.statusChanges.push(change);
    }
    await planRepository.setAccountsOpen(tx, tenantId, plan.id, false);
  }

  /**
   * Reverses a payment (returned, chargeback, or recorded in error): reversal entries for each of its ledger
   * entries, then everything it closed is re-opened — installments, a completed plan (and the fees its
   * completion waived), a settlement (and its waivers), account statuses, promises. A reversed payment cannot
   * be reversed again.
   */
  async reverse(actor: TenantActor, input: { paymentId: string; reason: string; kind?: string | null }): Promise<PaymentResult> {
    const s = scopeOf(actor);
    const p = new Problems();
    const paymentId = uuidField(p, 'input.paymentId', input.paymentId);
    const reason = lineText(p, 'input.reason', input.reason, 500);
    const kind = (input.kind ?? 'returned').toLowerCase();
    if (!(REVERSAL_KINDS as readonly string[]).includes(kind)) p.add('input.kind', `must be one of ${REVERSAL_KINDS.join(', ')}`);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const found = await paymentRepository.find(tx, s.tenantId, s.portfolios, paymentId);
      if (!found) throw AppError.notFound('Payment', paymentId);
      const plan = found.planId ? await planRepository.find(tx, s.tenantId, null, found.planId, true) : null;
      const settlement = found.settlementId ? await settlementRepository.find(tx, s.tenantId, null, found.settlementId, true) : null;
      const effects = found.effects as PaymentEffects;
      const reached = (await paymentRepository.reached(tx, s.tenantId, paymentId)).map((r) => r.accountId);
      const touched = new Set([...reached, ...effects.statusChanges.map((c) => c.accountId), ...effects.settlementWaivers.map((w) => w.accountId), ...effects.planFeeWaivers.map((w) => w.accountId)]);
      const accounts = await this.lockAccounts(tx, s.tenantId, [...touched]);
      const payment = (await paymentRepository.find(tx, s.tenantId, null, paymentId, true))!;
      if (payment.status === 'reversed') throw AppError.conflict(`Payment ${paymentId} is already reversed; a reversal cannot be reversed (record a new payment instead)`, { field: 'input.paymentId' });
      const now = this.clock.now();
      const today = await tenantToday(tx, s.tenantId, this.clock);
      const memo = `reversal of payment ${paymentId} (${kind}): ${reason}`;
      const byId = new Map(accounts.map((a) => [a.id, a]));

      // Undo in the opposite order of recording: settlement and plan-completion waivers, then the payment.
      for (const w of effects.settlementWaivers) await reverseGroup(tx, s.tenantId, actor, byId.get(w.accountId)!, w.groupId, today, memo);
      for (const w of effects.planFeeWaivers) await reverseGroup(tx, s.tenantId, actor, byId.get(w.accountId)!, w.groupId, today, memo);
      let reversalGroupId: string | null = null;
      const entries: LedgerRow[] = [];
      if (payment.ledgerGroupId) {
        const original = await ledgerRepository.byGroup(tx, s.tenantId, payment.ledgerGroupId);
        reversalGroupId = uuidv7();
        entries.push(
          ...(await ledgerRepository.insertMany(
            tx,
            s.tenantId,
            original.map((e) => ({
              id: uuidv7(),
              accountId: e.accountId,
              groupId: reversalGroupId!,
              kind: 'reversal' as const,
              component: e.component,
              amount: -e.amount,
              currency: e.currency,
              effectiveOn: today < e.effectiveOn ? e.effectiveOn : today,
              actorKind: actor.principal.kind,
              actorId: actor.principal.actorId,
              memo,
              reversesEntryId: e.id,
            })),
          )),
        );
        for (const id of new Set(original.map((e) => e.accountId))) Object.assign(byId.get(id)!, await resummarizeAccount(tx, s.tenantId, id, 'input.paymentId'));
      }
      // Statuses back to what they were (only where nothing else has moved them since).
      const restored: StatusChange[] = [];
      for (const c of [...effects.statusChanges].reverse()) {
        const a = byId.get(c.accountId)!;
        if (a.status !== c.to) continue;
        const back = await moveAccount(tx, s.tenantId, a, c.from, now, c.from === 'in_plan' && plan ? (plan.terms as PlanTerms).freezeFeesWhileActive : undefined, true);
        if (back) restored.push(back);
      }
      if (plan) {
        await planRepository.applyShares(tx, s.tenantId, effects.installments.map((x) => ({ id: x.id, delta: -BigInt(x.amount) })), now);
        const missedCount = await planRepository.recountMissed(tx, s.tenantId, plan.id);
        const patch: Partial<PlanRow> = { paid: plan.paid - payment.applied, missedCount };
        if (effects.planCompleted && plan.status === 'completed') {
          Object.assign(patch, { status: 'active', completedAt: null });
          await planRepository.setAccountsOpen(tx, s.tenantId, plan.id, true);
        }
        await planRepository.update(tx, s.tenantId, plan.id, patch);
      }
      if (settlement) {
        const patch: Partial<SettlementRow> = { paid: settlement.paid - payment.applied };
        if (effects.settled && settlement.status === 'settled') {
          Object.assign(patch, { status: 'accepted', settledAt: null, settledByPaymentId: null });
          await settlementRepository.setAccountsOpen(tx, s.tenantId, settlement.id, true);
        }
        await settlementRepository.update(tx, s.tenantId, settlement.id, patch);
      }
      for (const pr of await promiseRepository.byIds(tx, s.tenantId, effects.promises.map((x) => x.id), true)) {
        const share = BigInt(effects.promises.find((x) => x.id === pr.id)!.amount);
        const paid = pr.paid - share < 0n ? 0n : pr.paid - share;
        const status = pr.status === 'cancelled' ? 'cancelled' : promiseOutcome(pr.amount, paid, pr.promisedOn, pr.graceDays, today);
        await promiseRepository.update(tx, s.tenantId, pr.id, { paid, status, resolvedAt: status === 'pending' ? null : pr.resolvedAt ?? now });
      }
      const updated = await paymentRepository.markReversed(tx, s.tenantId, paymentId, { reversedAt: now, reversalKind: kind as ReversalKind, reversalReason: reason, reversalGroupId });
      await this.audit.record(tx, actor, {
        action: 'payment.reverse',
        entityType: 'payment',
        entityId: paymentId,
        before: { status: 'posted', amount: payment.amount.toString(), applied: payment.applied.toString() },
        after: { status: 'reversed', kind, reason, statuses: restored, installments: effects.installments, planReopened: effects.planCompleted, settlementReopened: effects.settled },
      });
      await webhookEventRepository.emit(tx, s.tenantId, 'payment.reversed', [{ object: 'payment', id: paymentId, debtorId: payment.debtorId, accountId: payment.accountId, planId: payment.planId, kind }]);
      return { payment: updated, entries, replayed: false };
    });
  }

  async get(actor: TenantActor, rawId: string, field = 'id'): Promise<PaymentRow> {
    const id = assertUuid(field, rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => paymentRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Payment', id);
    return row;
  }

  async list(actor: TenantActor, f: PaymentFilter, first: number, beforeId: string | null): Promise<{ rows: PaymentRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    for (const k of ['debtorId', 'accountId', 'planId', 'settlementId'] as const) if (f[k]) assertUuid(`filter.${k}`, f[k]!);
    const rows = await this.db.tenant(s.db, (tx) => paymentRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Ledger entries of payments' groups (for loaders: payments the caller can already see). */
  entries(actor: TenantActor, groupIds: readonly string[]): Promise<LedgerRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => ledgerRepository.byGroups(tx, s.tenantId, groupIds));
  }

  installmentShares(actor: TenantActor, paymentIds: readonly string[]) {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => paymentRepository.installmentShares(tx, s.tenantId, paymentIds));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
