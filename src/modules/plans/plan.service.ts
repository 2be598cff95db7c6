import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { addDays } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { parseMinorUnits } from '../../shared/money.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import type { AuditEntry, AuditService } from '../audit/audit.service.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { tenantToday } from '../accounts/as-of.js';
import { portfolioRepository } from '../accounts/portfolio.repository.js';
import { scopeOf } from '../accounts/scope.js';
import type { TenantActor } from '../tenancy/principal.js';
import { CLOSED_FOR_NEGOTIATION, moveAccount, statusAfterPlan, type StatusChange } from './plan.lifecycle.js';
import { DEFAULT_PLAN_RULES, parseRules, planViolations, reviveRules, storeRules, type Frequency, type PlanRules, type PlanRulesInput, type Violation } from './plan-rules.logic.js';
import { customSchedule, equalSchedule, type ScheduledInstallment } from './plan.schedule.js';
import { planRepository, type InstallmentRow, type PlanFilter, type PlanRow, type PlanRulesRow } from './plan.repository.js';
import { PLAN_FREQUENCIES } from './plan.table.js';
import { planEvaluationRepository } from './plan-evaluation.repository.js';
import { settlementRepository } from './settlement.repository.js';

export interface ProposePlanInput {
  accountIds: string[];
  downPayment?: string | null;
  installmentCount?: number | null;
  frequency?: string | null;
  startOn: string;
  schedule?: { dueOn: string; amount: string }[] | null;
  note?: string | null;
  /** Activate at once when inside the rules (default true). */
  activate?: boolean | null;
}

export interface PlanProposal {
  note: string | null;
  debtorId: string;
  currency: string;
  total: bigint;
  downPayment: bigint;
  frequency: Frequency | null;
  startOn: string;
  coversFees: boolean;
  schedule: ScheduledInstallment[];
  violations: Violation[];
  rules: PlanRules;
  rulesSource: RulesSource;
  accounts: { account: AccountRow; covered: bigint }[];
}

export type RulesSource = 'portfolio' | 'tenant' | 'default';

/** The terms a plan keeps from the rules it was agreed under (later rule changes do not move it). */
export type PlanTerms = Pick<PlanRules, 'graceDays' | 'missedToBreak' | 'freezeFeesWhileActive' | 'waiveFeesOnCompletion' | 'overpayment' | 'waterfall' | 'promiseGraceDays'>;

export function termsOf(r: PlanRules): PlanTerms {
  return { graceDays: r.graceDays, missedToBreak: r.missedToBreak, freezeFeesWhileActive: r.freezeFeesWhileActive, waiveFeesOnCompletion: r.waiveFeesOnCompletion, overpayment: r.overpayment, waterfall: r.waterfall, promiseGraceDays: r.promiseGraceDays };
}

export const planAuditView = (p: PlanRow) => ({
  status: p.status,
  debtorId: p.debtorId,
  currency: p.currency,
  total: p.total.toString(),
  downPayment: p.downPayment.toString(),
  installmentCount: p.installmentCount,
  frequency: p.frequency,
  startOn: p.startOn,
  paid: p.paid.toString(),
  missedCount: p.missedCount,
});

/** The rules for a set of accounts: their portfolio's when they share one that has its own, else the tenant's. */
export async function rulesForAccounts(tx: Tx, tenantId: string, accounts: readonly AccountRow[]): Promise<{ rules: PlanRules; source: RulesSource }> {
  const portfolios = new Set(accounts.map((a) => a.portfolioId));
  const shared = portfolios.size === 1 ? [...portfolios][0]! : null;
  const rows = await planRepository.rulesCandidates(tx, tenantId, shared);
  const own = shared ? rows.find((r) => r.portfolioId === shared) : undefined;
  if (own) return { rules: reviveRules(own.rules), source: 'portfolio' };
  const tenant = rows.find((r) => r.portfolioId === null);
  return tenant ? { rules: reviveRules(tenant.rules), source: 'tenant' } : { rules: DEFAULT_PLAN_RULES, source: 'default' };
}

/**
 * Loads the accounts a plan or settlement names, in id order (the lock order everywhere): all visible (else
 * NOT_FOUND), one debtor, one currency, none closed to negotiation.
 */
export async function negotiableAccounts(tx: Tx, actor: TenantActor, ids: readonly string[], lock: boolean): Promise<AccountRow[]> {
  const s = scopeOf(actor);
  const rows = lock ? await accountRepository.lockMany(tx, s.tenantId, s.portfolios, ids) : await accountRepository.findMany(tx, s.tenantId, s.portfolios, ids);
  const missing = [...ids].sort().find((id) => !rows.some((a) => a.id === id));
  if (missing) throw AppError.notFound('Account', missing);
  rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  const debtors = new Set(rows.map((a) => a.debtorId));
  if (debtors.size > 1) throw AppError.badInput('input.accountIds', 'must all belong to one debtor');
  const currencies = new Set(rows.map((a) => a.currency));
  if (currencies.size > 1) throw AppError.badInput('input.accountIds', `mix currencies (${[...currencies].sort().join(', ')}); a plan or settlement is in one currency`);
  for (const a of rows) {
    if (CLOSED_FOR_NEGOTIATION.includes(a.status)) throw AppError.badInput('input.accountIds', `account ${a.id} is ${a.status.replace('_', ' ')}; no plan or settlement can be made on it`);
  }
  return rows;
}

export function checkAccountIds(p: Problems, raw: readonly string[]): string[] {
  if (!raw.length) p.add('input.accountIds', 'must name at least one account');
  if (raw.length > 50) p.add('input.accountIds', 'must name at most 50 accounts');
  const ids = raw.map((x, i) => uuidField(p, `input.accountIds.${i}`, x));
  if (new Set(ids).size !== ids.length) p.add('input.accountIds', 'must not name an account twice');
  return ids;
}

export class PlanService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  // ─── Rules ────────────────────────────────────────────────────────────────────────────────────────────

  async rules(actor: TenantActor): Promise<{ tenant: PlanRules; tenantRow: PlanRulesRow | null; portfolios: PlanRulesRow[] }> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const rows = await planRepository.rules(tx, s.tenantId);
      const tenantRow = rows.find((r) => r.portfolioId === null) ?? null;
      const visible = s.portfolios === null ? rows : rows.filter((r) => r.portfolioId && s.portfolios!.includes(r.portfolioId));
      return { tenant: tenantRow ? reviveRules(tenantRow.rules) : DEFAULT_PLAN_RULES, tenantRow, portfolios: visible.filter((r) => r.portfolioId !== null) };
    });
  }

  /**
   * Replaces the tenant's rules (portfolioId null) or a portfolio's. Fields left out keep their current values
   * (or the tenant's, for a portfolio's first rules). `expectedVersion` guards against lost updates.
   */
  async setRules(actor: TenantActor, input: { portfolioId?: string | null; expectedVersion?: number | null; rules: PlanRulesInput }): Promise<PlanRulesRow> {
    const s = scopeOf(actor);
    const portfolioId = input.portfolioId ? assertUuid('input.portfolioId', input.portfolioId) : null;
    if (!portfolioId && s.portfolios !== null) throw AppError.forbidden('A portfolio-scoped key cannot change the tenant-wide plan rules');
    return this.db.tenant(s.db, async (tx) => {
      if (portfolioId && !(await portfolioRepository.find(tx, s.tenantId, s.portfolios, portfolioId))) throw AppError.notFound('Portfolio', portfolioId);
      const current = await planRepository.rulesFor(tx, s.tenantId, portfolioId, true);
      if (current && input.expectedVersion != null && current.version !== input.expectedVersion) {
        throw new AppError('CONFLICT', `input.expectedVersion: the rules are at version ${current.version}, not ${input.expectedVersion}`, { field: 'input.expectedVersion' });
      }
      let base = current ? reviveRules(current.rules) : DEFAULT_PLAN_RULES;
      if (!current && portfolioId) {
        const t = await planRepository.rulesFor(tx, s.tenantId, null);
        if (t) base = reviveRules(t.rules);
      }
      const p = new Problems();
      const rules = parseRules(p, input.rules, base);
      if (!p.empty) throw AppError.badInputMany(p.list);
      const stored = storeRules(rules);
      let row: PlanRulesRow | null;
      if (current) row = await planRepository.updateRules(tx, s.tenantId, current.id, current.version, stored, actor.principal.actorId);
      else row = await planRepository.insertRules(tx, s.tenantId, { id: uuidv7(), portfolioId, rules: stored, updatedById: actor.principal.actorId });
      if (!row) throw AppError.conflict('The plan rules changed concurrently; reload and retry');
      await this.audit.record(tx, actor, { action: 'plan_rules.set', entityType: 'plan_rules', entityId: row.id, before: current ? { portfolioId, rules: current.rules as Record<string, unknown> } : null, after: { portfolioId, rules: stored } });
      return row;
    });
  }

  async clearPortfolioRules(actor: TenantActor, rawPortfolioId: string): Promise<boolean> {
    const portfolioId = assertUuid('portfolioId', rawPortfolioId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      if (!(await portfolioRepository.find(tx, s.tenantId, s.portfolios, portfolioId))) throw AppError.notFound('Portfolio', portfolioId);
      const current = await planRepository.rulesFor(tx, s.tenantId, portfolioId, true);
      if (!current) return false;
      await planRepository.deleteRules(tx, s.tenantId, current.id);
      await this.audit.record(tx, actor, { action: 'plan_rules.clear', entityType: 'plan_rules', entityId: current.id, before: { portfolioId, rules: current.rules as Record<string, unknown> }, after: null });
      return true;
    });
  }

  // ─── Proposals ────────────────────────────────────────────────────────────────────────────────────────

  private checkProposal(input: ProposePlanInput) {
    const p = new Problems();
    const accountIds = checkAccountIds(p, input.accountIds);
    let downPayment = 0n;
    if (input.downPayment != null) {
      const r = parseMinorUnits(input.downPayment, { allowZero: true });
      if (typeof r === 'string') p.add('input.downPayment', r);
      else downPayment = r;
    }
    if (!isCalendarDate(input.startOn)) p.add('input.startOn', 'must be a real date in YYYY-MM-DD form');
    const custom = input.schedule != null;
    let frequency: Frequency | null = null;
    const lines: { dueOn: string; amount: bigint }[] = [];
    if (custom) {
      if (input.installmentCount != null) p.add('input.installmentCount', 'give either installmentCount (equal installments) or schedule (custom), not both');
      if (!input.schedule!.length) p.add('input.schedule', 'must have at least one installment');
      if (input.schedule!.length > 600) p.add('input.schedule', 'must have at most 600 installments');
      input.schedule!.forEach((l, i) => {
        if (!isCalendarDate(l.dueOn)) p.add(`input.schedule.${i}.dueOn`, 'must be a real date in YYYY-MM-DD form');
        const a = parseMinorUnits(l.amount);
        if (typeof a === 'string') p.add(`input.schedule.${i}.amount`, a);
        else lines.push({ dueOn: l.dueOn, amount: a });
        const prev = input.schedule![i - 1];
        if (prev && isCalendarDate(prev.dueOn) && isCalendarDate(l.dueOn) && l.dueOn <= prev.dueOn) p.add(`input.schedule.${i}.dueOn`, `must be after the previous installment (${prev.dueOn})`);
      });
      if (isCalendarDate(input.startOn) && input.schedule![0] && isCalendarDate(input.schedule![0].dueOn)) {
        const first = input.schedule![0].dueOn;
        if (first < input.startOn) p.add('input.schedule.0.dueOn', `must not be before startOn (${input.startOn})`);
        if (downPayment > 0n && first === input.startOn) p.add('input.schedule.0.dueOn', 'must be after startOn, when the down payment is due');
      }
      if (input.frequency != null) frequency = this.frequency(p, input.frequency);
    } else {
      if (input.installmentCount == null) p.add('input.installmentCount', 'is required (or give a custom schedule)');
      else if (!Number.isInteger(input.installmentCount) || input.installmentCount < 1 || input.installmentCount > 600) p.add('input.installmentCount', 'must be a whole number from 1 to 600');
      if (input.frequency == null) p.add('input.frequency', 'is required with installmentCount');
      else frequency = this.frequency(p, input.frequency);
    }
    const note = input.note ? freeText(p, 'input.note', input.note, 2000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return { accountIds, downPayment, frequency, lines: custom ? lines : null, note };
  }

  private frequency(p: Problems, raw: string): Frequency | null {
    const f = raw.toLowerCase();
    if (!(PLAN_FREQUENCIES as readonly string[]).includes(f)) {
      p.add('input.frequency', `must be one of ${PLAN_FREQUENCIES.join(', ')}`);
      return null;
    }
    return f as Frequency;
  }

  /** Builds and checks a proposal inside a transaction, writing nothing. */
  private async build(tx: Tx, actor: TenantActor, input: ProposePlanInput, lock: boolean): Promise<PlanProposal> {
    const s = scopeOf(actor);
    const c = this.checkProposal(input);
    const accounts = await negotiableAccounts(tx, actor, c.accountIds, lock);
    // A settlement and a plan on one account would each count the same payments: one negotiation at a time.
    const offer = await settlementRepository.openForAccounts(tx, s.tenantId, c.accountIds);
    if (offer) throw AppError.conflict(`Settlement offer ${offer} is open on one of the accounts; withdraw it or let it expire first`, { field: 'input.accountIds' });
    const { rules, source } = await rulesForAccounts(tx, s.tenantId, accounts);
    const coversFees = !rules.waiveFeesOnCompletion;
    const covered = accounts.map((account) => ({ account, covered: account.principalBalance + account.interestBalance + (coversFees ? account.feeBalance : 0n) }));
    for (const x of covered) if (x.covered <= 0n) throw AppError.badInput('input.accountIds', `account ${x.account.id} owes nothing a plan would cover`);
    const total = covered.reduce((sum, x) => sum + x.covered, 0n);
    const currency = accounts[0]!.currency;
    const today = await tenantToday(tx, s.tenantId, this.clock);
    const earliest = addDays(today, -rules.startPastToleranceDays);
    if (input.startOn < earliest) throw AppError.badInput('input.startOn', `must not be before ${earliest} (today ${today}, less the ${rules.startPastToleranceDays} days the rules tolerate)`);
    if (c.downPayment >= total && (c.lines === null || c.lines.length > 0)) throw AppError.badInput('input.downPayment', `must be less than the plan's total (${total} minor units); a payment in full needs no plan`);
    let schedule: ScheduledInstallment[];
    if (c.lines) {
      const sum = c.lines.reduce((a, l) => a + l.amount, 0n);
      if (sum + c.downPayment !== total) {
        throw AppError.badInput('input.schedule', `adds up to ${sum + c.downPayment} minor units with the down payment; the plan's total is ${total} (difference ${total - sum - c.downPayment})`);
      }
      schedule = customSchedule(c.downPayment, input.startOn, c.lines);
    } else {
      const r = equalSchedule(total, c.downPayment, input.installmentCount!, c.frequency!, input.startOn);
      if (typeof r === 'string') throw AppError.badInput('input.installmentCount', r);
      schedule = r;
    }
    const installments = schedule.filter((x) => x.seq > 0);
    const violations = planViolations(rules, { currency, total, downPayment: c.downPayment, frequency: c.frequency, startOn: input.startOn, installments, today });
    return { note: c.note, debtorId: accounts[0]!.debtorId, currency, total, downPayment: c.downPayment, frequency: c.frequency, startOn: input.startOn, coversFees, schedule, violations, rules, rulesSource: source, accounts: covered };
  }

  preview(actor: TenantActor, input: ProposePlanInput): Promise<PlanProposal> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => this.build(tx, actor, input, false));
  }

  async propose(actor: TenantActor, input: ProposePlanInput): Promise<PlanRow> {
    const s = scopeOf(actor);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const proposal = await this.build(tx, actor, input, true);
        const id = uuidv7();
        const plan = await planRepository.insertPlan(
          tx,
          s.tenantId,
          {
            id,
            debtorId: proposal.debtorId,
            portfolioIds: [...new Set(proposal.accounts.map((x) => x.account.portfolioId))].sort(),
            currency: proposal.currency,
            status: 'proposed',
            frequency: proposal.frequency,
            startOn: proposal.startOn,
            installmentCount: proposal.schedule.filter((x) => x.seq > 0).length,
            downPayment: proposal.downPayment,
            total: proposal.total,
            coversFees: proposal.coversFees,
            terms: termsOf(proposal.rules),
            violations: proposal.violations,
            note: proposal.note,
            proposedByKind: actor.principal.kind,
            proposedById: actor.principal.actorId,
            proposedAt: this.clock.now(),
          },
          proposal.accounts.map((x) => ({ accountId: x.account.id, covered: x.covered })),
          proposal.schedule.map((x) => ({ id: uuidv7(), ...x })),
        );
        // Proposed and, inside the rules, activated in the same call: one event saying both.
        const activated = proposal.violations.length || input.activate === false ? null : await this.activateInTx(tx, actor, plan, proposal.accounts.map((x) => x.account), null);
        await this.audit.record(tx, actor, {
          action: 'plan.propose',
          entityType: 'plan',
          entityId: id,
          before: null,
          after: {
            ...planAuditView(activated?.plan ?? plan),
            accounts: proposal.accounts.map((x) => ({ id: x.account.id, covered: x.covered.toString() })),
            violations: proposal.violations,
            rulesSource: proposal.rulesSource,
            statusChanges: activated?.changes ?? [],
          },
        });
        if (activated) await webhookEventRepository.emit(tx, s.tenantId, 'plan.activated', [{ object: 'plan', id, debtorId: plan.debtorId }]);
        return activated?.plan ?? plan;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'plan_accounts_open_key')) throw AppError.conflict('One of the accounts is already in a proposed or active plan; cancel or finish that plan first', { field: 'input.accountIds' });
      throw err;
    }
  }

  /**
   * Puts a proposed plan into force: accounts in_plan, fees frozen if the terms say so. Accounts must be locked.
   * The caller records the audit event (with the status changes returned).
   */
  private async activateInTx(tx: Tx, actor: TenantActor, plan: PlanRow, accounts: AccountRow[], approvedBy: string | null): Promise<{ plan: PlanRow; changes: StatusChange[] }> {
    const s = scopeOf(actor);
    const links = await planRepository.accounts(tx, s.tenantId, [plan.id]);
    const terms = plan.terms as PlanTerms;
    const now = this.clock.now();
    const changes: StatusChange[] = [];
    for (const a of accounts) {
      const link = links.find((l) => l.accountId === a.id)!;
      const owed = a.principalBalance + a.interestBalance + (plan.coversFees ? a.feeBalance : 0n);
      if (CLOSED_FOR_NEGOTIATION.includes(a.status)) throw AppError.conflict(`Account ${a.id} is now ${a.status.replace('_', ' ')}; the plan cannot start`);
      if (owed !== link.covered) throw AppError.conflict(`Account ${a.id}'s balance changed since the plan was proposed (${link.covered} → ${owed} minor units); propose it again`);
      await planRepository.setPriorStatus(tx, s.tenantId, plan.id, a.id, a.status);
      const change = await moveAccount(tx, s.tenantId, a, 'in_plan', now, terms.freezeFeesWhileActive);
      if (change) changes.push(change);
    }
    return { plan: await planRepository.update(tx, s.tenantId, plan.id, { status: 'active', activatedAt: now, approvedById: approvedBy }), changes };
  }

  private async activateAudited(tx: Tx, actor: TenantActor, plan: PlanRow, accounts: AccountRow[], approvedBy: string | null): Promise<PlanRow> {
    const done = await this.activateInTx(tx, actor, plan, accounts, approvedBy);
    await this.audit.record(tx, actor, { action: approvedBy ? 'plan.approve' : 'plan.activate', entityType: 'plan', entityId: plan.id, before: { status: plan.status }, after: { status: 'active', approvedBy, accounts: done.changes } });
    await webhookEventRepository.emit(tx, actor.principal.tenantId, 'plan.activated', [{ object: 'plan', id: plan.id, debtorId: plan.debtorId }]);
    return done.plan;
  }

  private async lockedPlan(tx: Tx, actor: TenantActor, rawId: string): Promise<{ plan: PlanRow; accounts: AccountRow[] }> {
    const s = scopeOf(actor);
    const id = assertUuid('id', rawId);
    const plan = await planRepository.find(tx, s.tenantId, s.portfolios, id, true);
    if (!plan) throw AppError.notFound('Plan', id);
    const links = await planRepository.accounts(tx, s.tenantId, [plan.id]);
    const accounts = await accountRepository.lockMany(tx, s.tenantId, null, links.map((l) => l.accountId));
    return { plan, accounts };
  }

  /** Activates a proposal that is inside the rules (one outside them needs approvePlan). */
  activate(actor: TenantActor, rawId: string): Promise<PlanRow> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const { plan, accounts } = await this.lockedPlan(tx, actor, rawId);
      if (plan.status !== 'proposed') throw AppError.conflict(`Plan ${plan.id} is ${plan.status}, not proposed`, { field: 'id' });
      if ((plan.violations as Violation[]).length) throw AppError.forbidden(`Plan ${plan.id} is outside the plan rules (${(plan.violations as Violation[]).map((v) => v.rule).join(', ')}); an admin must approve it`);
      return this.activateAudited(tx, actor, plan, accounts, null);
    });
  }

  approve(actor: TenantActor, rawId: string): Promise<PlanRow> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const { plan, accounts } = await this.lockedPlan(tx, actor, rawId);
      if (plan.status !== 'proposed') throw AppError.conflict(`Plan ${plan.id} is ${plan.status}, not proposed`, { field: 'id' });
      return this.activateAudited(tx, actor, plan, accounts, actor.principal.actorId);
    });
  }

  reject(actor: TenantActor, rawId: string, rawReason: string): Promise<PlanRow> {
    return this.close(actor, rawId, rawReason, 'rejected');
  }

  cancel(actor: TenantActor, rawId: string, rawReason: string): Promise<PlanRow> {
    return this.close(actor, rawId, rawReason, 'cancelled');
  }

  /**
   * Rejects a proposal, or cancels a proposed or active plan. An active plan's accounts leave in_plan: paid off
   * when nothing is owed, else back to the status they had before the plan (delinquent when that is no longer
   * possible). Late fees resume from the next run.
   */
  private close(actor: TenantActor, rawId: string, rawReason: string, to: 'rejected' | 'cancelled'): Promise<PlanRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const reason = lineText(p, 'reason', rawReason, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const { plan, accounts } = await this.lockedPlan(tx, actor, rawId);
      const allowed = to === 'rejected' ? ['proposed'] : ['proposed', 'active'];
      if (!allowed.includes(plan.status)) throw AppError.conflict(`Plan ${plan.id} is ${plan.status}; only a ${allowed.join(' or ')} plan can be ${to}`, { field: 'id' });
      const changes = plan.status === 'active' ? await this.releaseAccounts(tx, s.tenantId, plan, accounts, 'cancel') : [];
      await planRepository.setAccountsOpen(tx, s.tenantId, plan.id, false);
      const now = this.clock.now();
      const updated = await planRepository.update(tx, s.tenantId, plan.id, to === 'rejected' ? { status: 'rejected', rejectedAt: now, endReason: reason } : { status: 'cancelled', cancelledAt: now, endReason: reason });
      await this.audit.record(tx, actor, { action: to === 'rejected' ? 'plan.reject' : 'plan.cancel', entityType: 'plan', entityId: plan.id, before: { status: plan.status }, after: { status: to, reason, accounts: changes } });
      return updated;
    });
  }

  private async releaseAccounts(tx: Tx, tenantId: string, plan: PlanRow, accounts: AccountRow[], why: 'cancel' | 'break'): Promise<StatusChange[]> {
    const links = await planRepository.accounts(tx, tenantId, [plan.id]);
    const now = this.clock.now();
    const changes: StatusChange[] = [];
    for (const a of accounts) {
      if (a.status !== 'in_plan') {
        await moveAccount(tx, tenantId, a, a.status, now, null);
        continue;
      }
      const prior = links.find((l) => l.accountId === a.id)?.priorStatus as AccountRow['status'] | null;
      let to = statusAfterPlan(a);
      if (why === 'cancel' && to === 'delinquent' && prior && prior !== 'in_plan' && !CLOSED_FOR_NEGOTIATION.includes(prior)) to = prior;
      const change = await moveAccount(tx, tenantId, a, to, now, null);
      if (change) changes.push(change);
    }
    return changes;
  }

  // ─── Reads ────────────────────────────────────────────────────────────────────────────────────────────

  async get(actor: TenantActor, rawId: string, field = 'id'): Promise<PlanRow> {
    const id = assertUuid(field, rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => planRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Plan', id);
    return row;
  }

  getMany(actor: TenantActor, ids: readonly string[]): Promise<PlanRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => planRepository.findMany(tx, s.tenantId, s.portfolios, ids));
  }

  async list(actor: TenantActor, f: PlanFilter, first: number, beforeId: string | null): Promise<{ rows: PlanRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    if (f.debtorId) assertUuid('filter.debtorId', f.debtorId);
    if (f.accountId) assertUuid('filter.accountId', f.accountId);
    const rows = await this.db.tenant(s.db, (tx) => planRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** For loaders: installments and accounts of plans the caller can already see. */
  installments(actor: TenantActor, planIds: readonly string[]): Promise<InstallmentRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => planRepository.installments(tx, s.tenantId, planIds));
  }

  planAccounts(actor: TenantActor, planIds: readonly string[]) {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => planRepository.accounts(tx, s.tenantId, planIds));
  }

  // ─── Evaluation ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Marks installments missed (due date + grace passed, not fully paid), breaks plans that reach their terms'
   * number of missed installments, decides promises whose date + grace has passed, and expires settlement
   * offers. Each installment is marked once: the update only takes open ones, so a second run (or two at
   * once) finds nothing to do. Plans are taken in batches, locked before their installments (the order a
   * payment takes them in).
   */
  async evaluate(actor: TenantActor, opts: { asOf?: string | null; planId?: string | null } = {}): Promise<EvaluationResult> {
    const s = scopeOf(actor);
    if (opts.asOf != null && !isCalendarDate(opts.asOf)) throw AppError.badInput('asOf', 'must be a real date in YYYY-MM-DD form');
    const planId = opts.planId ? assertUuid('planId', opts.planId) : null;
    if (!planId && s.portfolios !== null) throw AppError.forbidden('A portfolio-scoped key can evaluate one plan at a time (planId)');
    const result: EvaluationResult = { asOf: '', installmentsMissed: 0, plansBroken: 0, promisesKept: 0, promisesPartiallyKept: 0, promisesBroken: 0, settlementsExpired: 0 };
    let after: string | null = null;
    for (;;) {
      const done = await this.db.tenant(s.db, async (tx) => {
        const today = await tenantToday(tx, s.tenantId, this.clock);
        const asOf = opts.asOf ?? today;
        if (asOf > today) throw AppError.badInput('asOf', `must not be after today (${today})`);
        result.asOf = asOf;
        if (planId && !(await planRepository.find(tx, s.tenantId, s.portfolios, planId))) throw AppError.notFound('Plan', planId);
        const batch = await planEvaluationRepository.lockDuePlans(tx, s.tenantId, asOf, planId, after, EVALUATION_BATCH);
        if (!batch.length) return true;
        after = batch[batch.length - 1]!;
        const missed = await planEvaluationRepository.markMissed(tx, s.tenantId, batch, asOf, this.clock.now());
        const broken = await planEvaluationRepository.breakPlans(tx, s.tenantId, batch, this.clock.now(), asOf);
        result.installmentsMissed += missed.length;
        result.plansBroken += broken.length;
        const events: AuditEntry[] = [];
        const byPlan = new Map<string, { seq: number; dueOn: string }[]>();
        for (const m of missed) byPlan.set(m.planId, [...(byPlan.get(m.planId) ?? []), { seq: m.seq, dueOn: m.dueOn }]);
        for (const [id, list] of byPlan) events.push({ action: 'plan.installments_missed', entityType: 'plan', entityId: id, before: null, after: { asOf, installments: list } });
        for (const b of broken) events.push({ action: 'plan.break', entityType: 'plan', entityId: b.planId, before: { status: 'active' }, after: { status: 'broken', missedCount: b.missedCount, accounts: b.accounts } });
        await this.audit.recordMany(tx, actor, events);
        await webhookEventRepository.emit(tx, s.tenantId, 'plan.broken', broken.map((b) => ({ object: 'plan', id: b.planId })));
        return batch.length < EVALUATION_BATCH;
      });
      if (done) break;
    }
    if (!planId) {
      await this.db.tenant(s.db, async (tx) => {
        const decided = await planEvaluationRepository.decidePromises(tx, s.tenantId, result.asOf, this.clock.now());
        const expired = await planEvaluationRepository.expireSettlements(tx, s.tenantId, result.asOf, this.clock.now());
        for (const d of decided) {
          if (d.status === 'kept') result.promisesKept++;
          else if (d.status === 'partially_kept') result.promisesPartiallyKept++;
          else result.promisesBroken++;
        }
        result.settlementsExpired = expired.length;
        await this.audit.recordMany(tx, actor, [
          ...decided.map((d) => ({ action: 'promise.decide', entityType: 'promise', entityId: d.id, before: { status: 'pending' }, after: { status: d.status, paid: d.paid } })),
          ...expired.map((id) => ({ action: 'settlement.expire', entityType: 'settlement_offer', entityId: id, before: null, after: { status: 'expired' } })),
        ]);
        await webhookEventRepository.emit(tx, s.tenantId, 'promise.broken', decided.filter((d) => d.status === 'broken').map((d) => ({ object: 'promise', id: d.id, debtorId: d.debtor_id, accountId: d.account_id, planId: d.plan_id })));
      });
    }
    return result;
  }
}

export const EVALUATION_BATCH = 5000;

export interface EvaluationResult {
  asOf: string;
  installmentsMissed: number;
  plansBroken: number;
  promisesKept: number;
  promisesPartiallyKept: number;
  promisesBroken: number;
  settlementsExpired: number;
}
