import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { addDays, zonedParts } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import { canTransition, type AccountStatus } from '../accounts/account.logic.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { tenantToday } from '../accounts/as-of.js';
import { scopeOf } from '../accounts/scope.js';
import type { AuditService } from '../audit/audit.service.js';
import { moveAccount } from '../plans/plan.lifecycle.js';
import { planRepository } from '../plans/plan.repository.js';
import { promiseRepository } from '../plans/promise.repository.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import type { TenantActor } from '../tenancy/principal.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import { instantField } from './contact.service.js';
import { disputeRepository, type DisputeFilter, type DisputeRow, type NoticeRow } from './dispute.repository.js';
import { DISPUTE_OUTCOMES, DISPUTE_REASONS } from './dispute.table.js';

type Outcome = (typeof DISPUTE_OUTCOMES)[number];

const view = (d: DisputeRow) => ({
  accountId: d.accountId,
  reason: d.reason,
  status: d.status,
  outcome: d.outcome,
  priorAccountStatus: d.priorAccountStatus,
  withinValidationPeriod: d.withinValidationPeriod,
});

/**
 * The last day to dispute after a validation notice sent on `sentOn`: Regulation F's validation period ends
 * 30 days after the consumer receives the notice, and a collector may assume receipt 5 days after sending
 * excluding legal public holidays, Saturdays and Sundays (12 CFR 1006.34(b)(5)). Holidays are not known
 * here, so weekends are skipped and the creditor may give a later date explicitly.
 */
export function defaultDisputeBy(sentOn: string): string {
  let d = sentOn;
  for (let business = 0; business < 5; ) {
    d = addDays(d, 1);
    const weekday = zonedParts(new Date(`${d}T12:00:00Z`), 'UTC').weekday;
    if (weekday <= 5) business++;
  }
  return addDays(d, 30);
}

/**
 * Disputes pause collection on an account until resolved: the account is `disputed` (no late fees), outbound
 * contact is refused (OPEN_DISPUTE), and its plans neither miss installments nor break, nor are promises on
 * it decided; an installment that fell due meanwhile gets its full grace again from the resolution day.
 */
export class DisputeService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async open(actor: TenantActor, input: { accountId: string; reason: string; details?: string | null }): Promise<DisputeRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const accountId = uuidField(p, 'input.accountId', input.accountId);
    const reason = input.reason.trim().toLowerCase() as (typeof DISPUTE_REASONS)[number];
    if (!DISPUTE_REASONS.includes(reason)) p.add('input.reason', `must be one of ${DISPUTE_REASONS.join(', ')}`);
    const details = input.details != null && input.details.trim() !== '' ? freeText(p, 'input.details', input.details, 4000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        // Plans before the account, as payments and the nightly evaluation take them: an evaluation already
        // under way finishes first, and a later one sees the dispute.
        if (await accountRepository.find(tx, s.tenantId, s.portfolios, accountId)) await planRepository.lockOpenForAccount(tx, s.tenantId, accountId);
        const [account] = await accountRepository.lockMany(tx, s.tenantId, s.portfolios, [accountId]);
        if (!account) throw AppError.notFound('Account', accountId);
        const existing = await disputeRepository.openFor(tx, s.tenantId, accountId);
        if (existing) throw AppError.conflict(`Account ${accountId} already has an open dispute (${existing.id})`, { field: 'input.accountId', disputeId: existing.id });
        if (account.status !== 'disputed' && !canTransition(account.status, 'disputed')) {
          throw AppError.conflict(`Account ${accountId} is ${account.status.replace('_', ' ')}: there is no collection to pause`, { field: 'input.accountId' });
        }
        const today = await tenantToday(tx, s.tenantId, this.clock);
        const notice = (await disputeRepository.notices(tx, s.tenantId, s.portfolios, [accountId]))[0] ?? null;
        const now = this.clock.now();
        const prior = account.status;
        await moveAccount(tx, s.tenantId, account, 'disputed', now);
        const row = await disputeRepository.insert(tx, s.tenantId, {
          id: uuidv7(),
          accountId,
          debtorId: account.debtorId,
          reason,
          details,
          priorAccountStatus: prior,
          withinValidationPeriod: notice !== null && today <= notice.disputeBy,
          openedAt: now,
          openedByKind: actor.principal.kind,
          openedById: actor.principal.actorId,
        });
        await this.audit.record(tx, actor, { action: 'dispute.open', entityType: 'dispute', entityId: row.id, before: { accountStatus: prior }, after: { ...view(row), hasDetails: details !== null } });
        await webhookEventRepository.emit(tx, s.tenantId, 'dispute.opened', [{ object: 'dispute', id: row.id, accountId, reason }]);
        return row;
      });
    } catch (err) {
      // Two disputes opened at once on one account: the partial unique index lets one through.
      if (isUniqueViolation(err, 'disputes_open_key')) throw AppError.conflict(`Account ${accountId} already has an open dispute`, { field: 'input.accountId' });
      throw err;
    }
  }

  /** What a rejected or corrected dispute returns the account to. */
  private async resumeStatus(tx: Tx, tenantId: string, account: AccountRow, prior: AccountStatus, today: string): Promise<AccountStatus> {
    if (prior === 'in_plan' && (await accountRepository.inOpenNegotiation(tx, tenantId, account.id))) return 'in_plan';
    if (prior === 'charged_off') return 'charged_off';
    const owed = account.principalBalance + account.interestBalance + account.feeBalance;
    if (owed <= 0n) return 'paid_off';
    return account.oldestUnpaidDueOn !== null && account.oldestUnpaidDueOn < today ? 'delinquent' : 'current';
  }

  /**
   * UPHELD: the debtor was right and nothing is collectible from them — the account is written off. CORRECTED:
   * the creditor fixed the account (post the adjustments first) and collection resumes. REJECTED: the debt
   * stands and collection resumes. Resuming returns the account to its status before the dispute (in plan
   * only while its plan is still open), or to current/delinquent by its balance and due dates.
   */
  async resolve(actor: TenantActor, input: { id: string; expectedVersion?: number | null; outcome: string; notes: string }): Promise<DisputeRow> {
    const s = scopeOf(actor);
    if (actor.principal.kind === 'agency') throw AppError.forbidden('Disputes are resolved by the creditor');
    const p = new Problems();
    const id = uuidField(p, 'input.id', input.id);
    const outcome = input.outcome.trim().toLowerCase() as Outcome;
    if (!DISPUTE_OUTCOMES.includes(outcome)) p.add('input.outcome', `must be one of ${DISPUTE_OUTCOMES.join(', ')}`);
    const notes = freeText(p, 'input.notes', input.notes, 4000);
    if (input.notes.trim() === '') p.add('input.notes', 'must say how the dispute was resolved');
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const found = await disputeRepository.find(tx, s.tenantId, s.portfolios, id);
      if (!found) throw AppError.notFound('Dispute', id);
      // Account before dispute: the order openDispute locks them in.
      const [account] = await accountRepository.lockMany(tx, s.tenantId, s.portfolios, [found.accountId]);
      if (!account) throw AppError.notFound('Dispute', id);
      const current = (await disputeRepository.find(tx, s.tenantId, s.portfolios, id, true))!;
      if (current.status !== 'open') throw AppError.conflict(`Dispute ${id} is already resolved (${current.outcome})`, { field: 'input.id' });
      if (input.expectedVersion != null && input.expectedVersion !== current.version) throw AppError.conflict(`Dispute ${id} is at version ${current.version}, not ${input.expectedVersion}`, { field: 'input.expectedVersion' });
      const now = this.clock.now();
      const today = await tenantToday(tx, s.tenantId, this.clock);
      let change = null;
      let cancelledPromises: string[] = [];
      if (outcome === 'upheld') {
        // Writing off an account a plan or settlement still counts on would leave that agreement collecting a
        // debt the creditor has just accepted is not owed: it has to end first, by a person's decision.
        if (await accountRepository.inOpenNegotiation(tx, s.tenantId, account.id)) {
          throw AppError.conflict(`Account ${account.id} is in an open plan or settlement: cancel it (cancelPlan, withdrawSettlementOffer) before upholding the dispute`, { field: 'input.outcome' });
        }
        cancelledPromises = await promiseRepository.cancelPendingOnAccount(tx, s.tenantId, account.id, now);
      }
      // Someone moved the account out of `disputed` meanwhile (recalled it, say): their decision stands.
      if (account.status === 'disputed') {
        const to = outcome === 'upheld' ? 'written_off' : await this.resumeStatus(tx, s.tenantId, account, current.priorAccountStatus as AccountStatus, today);
        change = await moveAccount(tx, s.tenantId, account, to, now, undefined, true);
      }
      const row = (await disputeRepository.update(tx, s.tenantId, id, current.version, { status: 'resolved', outcome, resolutionNotes: notes, resolvedAt: now, resolvedById: actor.principal.actorId }))!;
      await this.audit.record(tx, actor, { action: 'dispute.resolve', entityType: 'dispute', entityId: id, before: view(current), after: { ...view(row), accountStatus: change ? change.to : account.status, cancelledPromises } });
      await webhookEventRepository.emit(tx, s.tenantId, 'dispute.resolved', [{ object: 'dispute', id, accountId: row.accountId, outcome }]);
      return row;
    });
  }

  async get(actor: TenantActor, rawId: string): Promise<DisputeRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => disputeRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Dispute', id);
    return row;
  }

  async list(actor: TenantActor, f: DisputeFilter, first: number, beforeId: string | null): Promise<{ rows: DisputeRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    const p = new Problems();
    if (f.accountId) uuidField(p, 'filter.accountId', f.accountId);
    if (f.debtorId) uuidField(p, 'filter.debtorId', f.debtorId);
    if (!p.empty) throw AppError.badInputMany(p.list);
    const rows = await this.db.tenant(s.db, (tx) => disputeRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  byAccounts(actor: TenantActor, accountIds: readonly string[]): Promise<DisputeRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => disputeRepository.byAccounts(tx, s.tenantId, s.portfolios, accountIds));
  }

  openOnPlans(actor: TenantActor, planIds: readonly string[]): Promise<{ planId: string; disputeId: string }[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => disputeRepository.openOnPlans(tx, s.tenantId, s.portfolios, planIds));
  }

  notices(actor: TenantActor, accountIds: readonly string[]): Promise<NoticeRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => disputeRepository.notices(tx, s.tenantId, s.portfolios, accountIds));
  }

  /** Records a validation notice sent for an account: when, how, and the date disputes are due by. */
  async recordNotice(actor: TenantActor, input: { accountId: string; sentAt: string; disputeBy?: string | null; method: string; reference?: string | null }): Promise<NoticeRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const accountId = uuidField(p, 'input.accountId', input.accountId);
    const sentAt = instantField(p, 'input.sentAt', input.sentAt);
    if (!Number.isNaN(sentAt.getTime()) && sentAt.getTime() > this.clock.now().getTime() + 5 * 60_000) p.add('input.sentAt', 'must not be in the future');
    const method = lineText(p, 'input.method', input.method, 100);
    const reference = input.reference != null && input.reference.trim() !== '' ? lineText(p, 'input.reference', input.reference, 200) : null;
    if (input.disputeBy != null && !isCalendarDate(input.disputeBy)) p.add('input.disputeBy', 'must be a real date in YYYY-MM-DD form');
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const account = await accountRepository.find(tx, s.tenantId, s.portfolios, accountId);
      if (!account) throw AppError.notFound('Account', accountId);
      const tz = (await tenantRepository.find(tx, s.tenantId))?.timeZone ?? 'UTC';
      const sentOn = zonedParts(sentAt, tz).date;
      const floor = defaultDisputeBy(sentOn);
      // A creditor may give the debtor longer, never less than the law's period.
      if (input.disputeBy != null && input.disputeBy < floor) throw AppError.badInput('input.disputeBy', `must not be before ${floor} (30 days after assumed receipt, 5 business days after sending)`);
      const row = await disputeRepository.insertNotice(tx, s.tenantId, { id: uuidv7(), accountId, sentAt, disputeBy: input.disputeBy ?? floor, method, reference, actorKind: actor.principal.kind, actorId: actor.principal.actorId });
      await this.audit.record(tx, actor, { action: 'validation_notice.record', entityType: 'account', entityId: accountId, before: null, after: { noticeId: row.id, sentAt: sentAt.toISOString(), disputeBy: row.disputeBy, method, reference } });
      return row;
    });
  }
}
