import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { addDays } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { parseMinorUnits } from '../../shared/money.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import { accountRepository } from '../accounts/account.repository.js';
import { tenantToday } from '../accounts/as-of.js';
import { scopeOf } from '../accounts/scope.js';
import type { TenantActor } from '../tenancy/principal.js';
import { CLOSED_FOR_NEGOTIATION } from './plan.lifecycle.js';
import { planRepository } from './plan.repository.js';
import { rulesForAccounts, type PlanTerms } from './plan.service.js';
import { promiseOutcome } from './promise.logic.js';
import { promiseRepository, type PromiseFilter, type PromiseRow } from './promise.repository.js';

export interface CreatePromiseInput {
  accountId?: string | null;
  planId?: string | null;
  amount: string;
  currency: string;
  promisedOn: string;
  note?: string | null;
}

const view = (p: PromiseRow) => ({ accountId: p.accountId, planId: p.planId, amount: p.amount.toString(), currency: p.currency, promisedOn: p.promisedOn, graceDays: p.graceDays, status: p.status, paid: p.paid.toString() });

/** Promises to pay (承诺还款): the outcome follows from payments; people only make and cancel them. */
export class PromiseService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(actor: TenantActor, input: CreatePromiseInput): Promise<PromiseRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    if ((input.accountId == null) === (input.planId == null)) p.add('input', 'name exactly one of accountId or planId');
    const accountId = input.accountId != null ? uuidField(p, 'input.accountId', input.accountId) : null;
    const planId = input.planId != null ? uuidField(p, 'input.planId', input.planId) : null;
    const amount = parseMinorUnits(input.amount);
    if (typeof amount === 'string') p.add('input.amount', amount);
    const currency = input.currency.trim().toUpperCase();
    if (!isCalendarDate(input.promisedOn)) p.add('input.promisedOn', 'must be a real date in YYYY-MM-DD form');
    const note = input.note ? freeText(p, 'input.note', input.note, 2000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const today = await tenantToday(tx, s.tenantId, this.clock);
      let debtorId: string;
      let accountCurrency: string;
      let graceDays: number;
      if (planId) {
        const plan = await planRepository.find(tx, s.tenantId, s.portfolios, planId);
        if (!plan) throw AppError.notFound('Plan', planId);
        if (plan.status !== 'active' && plan.status !== 'proposed') throw AppError.conflict(`Plan ${plan.id} is ${plan.status}; promises are made on proposed or active plans`, { field: 'input.planId' });
        debtorId = plan.debtorId;
        accountCurrency = plan.currency;
        graceDays = (plan.terms as PlanTerms).promiseGraceDays;
      } else {
        const account = await accountRepository.find(tx, s.tenantId, s.portfolios, accountId!);
        if (!account) throw AppError.notFound('Account', accountId!);
        if (CLOSED_FOR_NEGOTIATION.includes(account.status) && account.status !== 'disputed') throw AppError.badInput('input.accountId', `account is ${account.status.replace('_', ' ')}; there is nothing to promise`);
        debtorId = account.debtorId;
        accountCurrency = account.currency;
        graceDays = (await rulesForAccounts(tx, s.tenantId, [account])).rules.promiseGraceDays;
      }
      if (currency !== accountCurrency) throw AppError.badInput('input.currency', `the ${planId ? 'plan' : 'account'} is in ${accountCurrency}, not ${currency}`);
      if (input.promisedOn < today) throw AppError.badInput('input.promisedOn', `must not be before today (${today})`);
      if (input.promisedOn > addDays(today, 366)) throw AppError.badInput('input.promisedOn', 'must be within a year from today');
      // Payments made earlier today count: the promise is about money from today on.
      const paid = await promiseRepository.paidToward(tx, s.tenantId, planId ? { planId } : { accountId: accountId! }, today, today);
      const status = promiseOutcome(amount as bigint, paid, input.promisedOn, graceDays, today);
      const row = await promiseRepository.insert(tx, s.tenantId, {
        id: uuidv7(),
        debtorId,
        accountId,
        planId,
        amount: amount as bigint,
        currency,
        madeOn: today,
        promisedOn: input.promisedOn,
        graceDays,
        status,
        paid,
        resolvedAt: status === 'pending' ? null : this.clock.now(),
        note,
        createdByKind: actor.principal.kind,
        createdById: actor.principal.actorId,
      });
      await this.audit.record(tx, actor, { action: 'promise.create', entityType: 'promise', entityId: row.id, before: null, after: view(row) });
      return row;
    });
  }

  async cancel(actor: TenantActor, rawId: string, rawReason: string): Promise<PromiseRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const p = new Problems();
    const reason = lineText(p, 'reason', rawReason, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const current = await promiseRepository.find(tx, s.tenantId, s.portfolios, id, true);
      if (!current) throw AppError.notFound('Promise', id);
      if (current.status !== 'pending') throw AppError.conflict(`Promise ${id} is already ${current.status.replace('_', ' ')}`, { field: 'id' });
      const row = await promiseRepository.update(tx, s.tenantId, id, { status: 'cancelled', resolvedAt: this.clock.now() });
      await this.audit.record(tx, actor, { action: 'promise.cancel', entityType: 'promise', entityId: id, before: view(current), after: { ...view(row), reason } });
      return row;
    });
  }

  async get(actor: TenantActor, rawId: string): Promise<PromiseRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => promiseRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Promise', id);
    return row;
  }

  async list(actor: TenantActor, f: PromiseFilter, first: number, beforeId: string | null): Promise<{ rows: PromiseRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    for (const k of ['debtorId', 'accountId', 'planId'] as const) if (f[k]) assertUuid(`filter.${k}`, f[k]!);
    const rows = await this.db.tenant(s.db, (tx) => promiseRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
