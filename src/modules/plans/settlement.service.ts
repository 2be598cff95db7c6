import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { addDays } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { parseMinorUnits } from '../../shared/money.js';
import { freeText, isCalendarDate, lineText, Problems } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import { tenantToday } from '../accounts/as-of.js';
import { scopeOf } from '../accounts/scope.js';
import type { TenantActor } from '../tenancy/principal.js';
import { discountBps, money, type Violation } from './plan-rules.logic.js';
import { planRepository } from './plan.repository.js';
import { checkAccountIds, negotiableAccounts, rulesForAccounts } from './plan.service.js';
import { settlementRepository, type SettlementFilter, type SettlementRow } from './settlement.repository.js';

export interface CreateSettlementInput {
  accountIds: string[];
  amount: string;
  expiresOn: string;
  note?: string | null;
}

const view = (o: SettlementRow) => ({ status: o.status, amount: o.amount.toString(), balance: o.balance.toString(), discountBps: o.discountBps, currency: o.currency, expiresOn: o.expiresOn, paid: o.paid.toString() });

/**
 * Settlement offers: a discounted lump sum by a date. Creating, approving and accepting one changes nothing on
 * the ledger; payments made after acceptance count toward it, and the one that reaches the amount in time
 * waives the rest and settles the accounts (see PaymentService). Expiry has nothing to undo.
 */
export class SettlementService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(actor: TenantActor, input: CreateSettlementInput): Promise<SettlementRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const accountIds = checkAccountIds(p, input.accountIds);
    const amount = parseMinorUnits(input.amount);
    if (typeof amount === 'string') p.add('input.amount', amount);
    if (!isCalendarDate(input.expiresOn)) p.add('input.expiresOn', 'must be a real date in YYYY-MM-DD form');
    const note = input.note ? freeText(p, 'input.note', input.note, 2000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const accounts = await negotiableAccounts(tx, actor, accountIds, true);
        for (const a of accounts) {
          if (await planRepository.activeForAccount(tx, s.tenantId, a.id)) throw AppError.conflict(`Account ${a.id} is in an active plan; cancel the plan before offering a settlement`, { field: 'input.accountIds' });
        }
        const balance = accounts.reduce((sum, a) => sum + a.principalBalance + a.interestBalance + a.feeBalance, 0n);
        const currency = accounts[0]!.currency;
        if (balance <= 0n) throw AppError.badInput('input.accountIds', 'the accounts owe nothing');
        if ((amount as bigint) > balance) throw AppError.badInput('input.amount', `exceeds the balance (${money(balance, currency)}); a settlement is for less than what is owed`);
        const today = await tenantToday(tx, s.tenantId, this.clock);
        if (input.expiresOn < today) throw AppError.badInput('input.expiresOn', `must not be before today (${today})`);
        if (input.expiresOn > addDays(today, 366)) throw AppError.badInput('input.expiresOn', 'must be within a year from today');
        const { rules } = await rulesForAccounts(tx, s.tenantId, accounts);
        const discount = discountBps(balance, amount as bigint);
        const violations: Violation[] =
          discount > rules.maxSettlementDiscountBps
            ? [{ rule: 'maxSettlementDiscountBps', limit: String(rules.maxSettlementDiscountBps), actual: String(discount), message: `a discount of ${discount / 100}%; the rules allow at most ${rules.maxSettlementDiscountBps / 100}% without approval` }]
            : [];
        const row = await settlementRepository.insert(
          tx,
          s.tenantId,
          {
            id: uuidv7(),
            debtorId: accounts[0]!.debtorId,
            portfolioIds: [...new Set(accounts.map((a) => a.portfolioId))].sort(),
            currency,
            amount: amount as bigint,
            balance,
            discountBps: discount,
            expiresOn: input.expiresOn,
            status: violations.length ? 'pending_approval' : 'offered',
            violations,
            note,
            createdByKind: actor.principal.kind,
            createdById: actor.principal.actorId,
          },
          accounts.map((a) => ({ accountId: a.id, balance: a.principalBalance + a.interestBalance + a.feeBalance })),
        );
        await this.audit.record(tx, actor, { action: 'settlement.offer', entityType: 'settlement_offer', entityId: row.id, before: null, after: { ...view(row), accounts: accounts.map((a) => a.id), violations } });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'settlement_accounts_open_key')) throw AppError.conflict('One of the accounts already has an open settlement offer; withdraw it first', { field: 'input.accountIds' });
      throw err;
    }
  }

  private async transition(actor: TenantActor, rawId: string, from: SettlementRow['status'][], apply: (tx: Tx, o: SettlementRow, today: string) => Promise<Partial<SettlementRow>>, action: string, extra: Record<string, unknown> = {}): Promise<SettlementRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const current = await settlementRepository.find(tx, s.tenantId, s.portfolios, id, true);
      if (!current) throw AppError.notFound('SettlementOffer', id);
      if (!from.includes(current.status)) throw AppError.conflict(`Settlement offer ${id} is ${current.status.replace('_', ' ')}; expected ${from.join(' or ').replace(/_/g, ' ')}`, { field: 'id' });
      const today = await tenantToday(tx, s.tenantId, this.clock);
      const patch = await apply(tx, current, today);
      if (patch.status && ['rejected', 'withdrawn'].includes(patch.status)) await settlementRepository.setAccountsOpen(tx, s.tenantId, id, false);
      const row = await settlementRepository.update(tx, s.tenantId, id, patch);
      await this.audit.record(tx, actor, { action, entityType: 'settlement_offer', entityId: id, before: view(current), after: { ...view(row), ...extra } });
      return row;
    });
  }

  approve(actor: TenantActor, id: string): Promise<SettlementRow> {
    return this.transition(actor, id, ['pending_approval'], async () => ({ status: 'offered', approvedById: actor.principal.actorId }), 'settlement.approve');
  }

  reject(actor: TenantActor, id: string, rawReason: string): Promise<SettlementRow> {
    const reason = this.reason(rawReason);
    return this.transition(actor, id, ['pending_approval'], async () => ({ status: 'rejected', endedAt: this.clock.now(), endReason: reason }), 'settlement.reject', { reason });
  }

  withdraw(actor: TenantActor, id: string, rawReason: string): Promise<SettlementRow> {
    const reason = this.reason(rawReason);
    return this.transition(
      actor,
      id,
      ['pending_approval', 'offered', 'accepted'],
      async (_tx, o) => {
        if (o.paid > 0n) throw AppError.conflict(`Settlement offer ${o.id} already has ${o.paid} minor units paid toward it; it cannot be withdrawn`, { field: 'id' });
        return { status: 'withdrawn', endedAt: this.clock.now(), endReason: reason };
      },
      'settlement.withdraw',
      { reason },
    );
  }

  /** The debtor accepts: payments from today count toward the offer until it expires. */
  accept(actor: TenantActor, id: string): Promise<SettlementRow> {
    return this.transition(
      actor,
      id,
      ['offered'],
      async (_tx, o, today) => {
        if (o.expiresOn < today) throw AppError.conflict(`Settlement offer ${o.id} expired on ${o.expiresOn}`, { field: 'id' });
        return { status: 'accepted', acceptedAt: this.clock.now(), acceptedOn: today };
      },
      'settlement.accept',
    );
  }

  private reason(raw: string): string {
    const p = new Problems();
    const reason = lineText(p, 'reason', raw, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return reason;
  }

  async get(actor: TenantActor, rawId: string): Promise<SettlementRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => settlementRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('SettlementOffer', id);
    return row;
  }

  async list(actor: TenantActor, f: SettlementFilter, first: number, beforeId: string | null): Promise<{ rows: SettlementRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    for (const k of ['debtorId', 'accountId'] as const) if (f[k]) assertUuid(`filter.${k}`, f[k]!);
    const rows = await this.db.tenant(s.db, (tx) => settlementRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  accounts(actor: TenantActor, ids: readonly string[]) {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => settlementRepository.accounts(tx, s.tenantId, ids));
  }
}
