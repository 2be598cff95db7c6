import { createHash } from 'node:crypto';
import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { addDays } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { BIGINT_MAX, BIGINT_MIN, isCurrency, parseMinorUnits } from '../../shared/money.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import { disputeRepository } from '../compliance/dispute.repository.js';
import type { Entitlements } from '../billing/entitlement.service.js';
import { ACTIVE_ACCOUNT_STATUSES } from '../billing/billing.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import { debtorRepository } from '../debtors/debtor.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import { tenantToday } from './as-of.js';
import { allocate, canTransition, summarize, TRANSITIONS, type AccountStatus, type Component, type EntryKind } from './account.logic.js';
import { accountRepository, type AccountFilter, type AccountRow } from './account.repository.js';
import { PRODUCT_TYPES } from './account.table.js';
import { DEFAULT_BUCKETS } from './delinquency.logic.js';
import { delinquencyRepository } from './delinquency.repository.js';
import { idempotencyRepository, ledgerRepository, type LedgerInsert, type LedgerRow } from './ledger.repository.js';
import { portfolioRepository } from './portfolio.repository.js';
import { scopeOf } from './scope.js';
import { agencyRepository } from '../agencies/agency.repository.js';
import { paymentRepository } from '../plans/payment.repository.js';

export type ProductType = (typeof PRODUCT_TYPES)[number];

export interface CreateAccountInput {
  debtorId: string;
  portfolioId: string;
  externalRef: string;
  productType: ProductType;
  currency: string;
  originalPrincipal: string;
  openingInterest?: string | null;
  openingFees?: string | null;
  openedOn: string;
  dueOn: string;
  chargedOffOn?: string | null;
}

export interface PostEntryInput {
  accountId: string;
  kind: EntryKind;
  component?: Component | null;
  /** Minor units; positive, except an adjustment, which is signed. */
  amount: string;
  currency: string;
  effectiveOn: string;
  memo?: string | null;
  idempotencyKey: string;
}

export interface AccountListArgs {
  portfolioId?: string | null;
  debtorId?: string | null;
  statuses?: AccountStatus[] | null;
  bucket?: string | null;
  minDaysPastDue?: number | null;
}

export const accountAuditView = (a: AccountRow) => ({
  debtorId: a.debtorId,
  portfolioId: a.portfolioId,
  externalRef: a.externalRef,
  productType: a.productType,
  currency: a.currency,
  originalPrincipal: a.originalPrincipal.toString(),
  openedOn: a.openedOn,
  dueOn: a.dueOn,
  chargedOffOn: a.chargedOffOn,
  status: a.status,
  balance: (a.principalBalance + a.interestBalance + a.feeBalance).toString(),
});

const entryView = (e: LedgerRow) => ({ id: e.id, kind: e.kind, component: e.component, amount: e.amount.toString(), effectiveOn: e.effectiveOn, reverses: e.reversesEntryId });

/** Recomputes the materialised balances from the whole ledger of the (locked) account. */
export async function resummarizeAccount(tx: Tx, tenantId: string, accountId: string, field: string): Promise<AccountRow> {
  const entries = await ledgerRepository.forAccount(tx, tenantId, accountId);
  const summary = summarize(entries);
  // Every balance, and what is owed in total, must fit a bigint: SQL adds the components up (aging, alerts).
  if ([summary.principal, summary.interest, summary.fee, summary.total].some((v) => v > BIGINT_MAX || v < BIGINT_MIN)) {
    throw AppError.badInput(field, `would take the account's balance beyond the supported range (${BIGINT_MAX} minor units)`);
  }
  return accountRepository.setSummary(tx, tenantId, accountId, summary);
}

export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9._:-]{8,128}$/;

export class AccountService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly entitlements: Entitlements,
  ) {}

  private today(tx: Tx, tenantId: string): Promise<string> {
    return tenantToday(tx, tenantId, this.clock);
  }

  async create(actor: TenantActor, input: CreateAccountInput): Promise<{ account: AccountRow; entries: LedgerRow[] }> {
    const s = scopeOf(actor);
    const p = new Problems();
    const debtorId = uuidField(p, 'input.debtorId', input.debtorId);
    const portfolioId = uuidField(p, 'input.portfolioId', input.portfolioId);
    const externalRef = lineText(p, 'input.externalRef', input.externalRef, 100);
    if (!(PRODUCT_TYPES as readonly string[]).includes(input.productType)) p.add('input.productType', `must be one of ${PRODUCT_TYPES.join(', ')}`);
    const currency = input.currency.trim().toUpperCase();
    if (!isCurrency(currency)) p.add('input.currency', 'must be an ISO 4217 currency code');
    const amount = (field: string, v: string | null | undefined, allowZero: boolean): bigint => {
      if (v == null) return 0n;
      const r = parseMinorUnits(v, { allowZero });
      if (typeof r === 'string') {
        p.add(field, r);
        return 0n;
      }
      return r;
    };
    const principal = amount('input.originalPrincipal', input.originalPrincipal, true);
    const interest = amount('input.openingInterest', input.openingInterest, true);
    const fees = amount('input.openingFees', input.openingFees, true);
    for (const [f, v] of [['openedOn', input.openedOn], ['dueOn', input.dueOn], ['chargedOffOn', input.chargedOffOn]] as const) {
      if (v != null && !isCalendarDate(v)) p.add(`input.${f}`, 'must be a real date in YYYY-MM-DD form');
    }
    if (p.empty && input.dueOn < input.openedOn) p.add('input.dueOn', 'must not be before openedOn');
    if (p.empty && input.chargedOffOn && input.chargedOffOn < input.openedOn) p.add('input.chargedOffOn', 'must not be before openedOn');
    if (!p.empty) throw AppError.badInputMany(p.list);

    try {
      return await this.db.tenant(s.db, async (tx) => {
        const portfolio = await portfolioRepository.find(tx, s.tenantId, s.portfolios, portfolioId);
        if (!portfolio) throw AppError.notFound('Portfolio', portfolioId);
        if (portfolio.status !== 'active') throw AppError.conflict(`Portfolio ${portfolioId} is closed`, { field: 'input.portfolioId' });
        if (portfolio.currency !== currency) throw AppError.badInput('input.currency', `must match the portfolio's currency ${portfolio.currency}`);
        const debtor = await debtorRepository.find(tx, s.tenantId, debtorId);
        if (!debtor) throw AppError.notFound('Debtor', debtorId);
        await this.entitlements.ensure(tx, s.tenantId, 'activeAccounts', 1);
        const id = uuidv7();
        const [row] = await accountRepository.insertMany(tx, s.tenantId, [
          {
            id,
            debtorId,
            portfolioId,
            externalRef,
            productType: input.productType,
            currency,
            originalPrincipal: principal,
            openedOn: input.openedOn,
            dueOn: input.dueOn,
            chargedOffOn: input.chargedOffOn ?? null,
            status: input.chargedOffOn ? 'charged_off' : 'current',
          },
        ]);
        const entries = await ledgerRepository.insertMany(tx, s.tenantId, openingEntries(actor, id, currency, input.dueOn, principal, interest, fees));
        const account = await resummarizeAccount(tx, s.tenantId, row!.id, 'input.originalPrincipal');
        // Created in a portfolio placed with an agency: placed with it too, with its opening balance.
        await agencyRepository.placeAccounts(tx, s.tenantId, [id]);
        await this.audit.record(tx, actor, { action: 'account.create', entityType: 'account', entityId: id, before: null, after: accountAuditView(account) });
        return { account, entries };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'accounts_external_ref_key')) throw new AppError('CONFLICT', `input.externalRef: another account already has external reference "${externalRef}"`, { field: 'input.externalRef' });
      throw err;
    }
  }

  async get(actor: TenantActor, rawId: string, field = 'id'): Promise<AccountRow> {
    const id = assertUuid(field, rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => accountRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('Account', id);
    return row;
  }

  getMany(actor: TenantActor, ids: readonly string[]): Promise<AccountRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => accountRepository.findMany(tx, s.tenantId, s.portfolios, ids));
  }

  byDebtors(actor: TenantActor, debtorIds: readonly string[]): Promise<AccountRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => accountRepository.byDebtors(tx, s.tenantId, s.portfolios, debtorIds));
  }

  /**
   * Turns a bucket and a minimum days past due into bounds on the oldest unpaid due date, which an index
   * serves: dpd ≥ n ⇔ oldest ≤ today − n; dpd ≤ m ⇔ nothing unpaid, or oldest > today − m − 1.
   * Returns null when the bounds cannot both hold (no account can match).
   */
  private async filterFor(tx: Tx, tenantId: string, args: AccountListArgs): Promise<AccountFilter | null> {
    const f: AccountFilter = { portfolioId: args.portfolioId, debtorId: args.debtorId, statuses: args.statuses };
    let minDays = args.minDaysPastDue ?? 0;
    let maxDays: number | null = null;
    if (args.bucket) {
      const set = (await delinquencyRepository.latest(tx, tenantId))?.buckets ?? DEFAULT_BUCKETS;
      const b = set.find((x) => x.label === args.bucket);
      if (!b) throw AppError.badInput('filter.bucket', `unknown bucket; expected one of ${set.map((x) => `"${x.label}"`).join(', ')}`);
      minDays = Math.max(minDays, b.minDays);
      maxDays = b.maxDays;
    }
    if (maxDays !== null && minDays > maxDays) return null;
    if (minDays === 0 && maxDays === null) return f;
    const today = await this.today(tx, tenantId);
    if (minDays > 0) f.oldestUnpaidOnOrBefore = addDays(today, -minDays);
    if (maxDays !== null) f.notPastDueBefore = addDays(today, -maxDays - 1);
    return f;
  }

  async list(actor: TenantActor, args: AccountListArgs, first: number, afterId: string | null): Promise<{ rows: AccountRow[]; hasNextPage: boolean; count: () => Promise<number> }> {
    const s = scopeOf(actor);
    if (args.minDaysPastDue != null && (!Number.isInteger(args.minDaysPastDue) || args.minDaysPastDue < 0)) throw AppError.badInput('filter.minDaysPastDue', 'must be a whole number, 0 or more');
    if (args.portfolioId) assertUuid('filter.portfolioId', args.portfolioId);
    if (args.debtorId) assertUuid('filter.debtorId', args.debtorId);
    const { rows, filter } = await this.db.tenant(s.db, async (tx) => {
      const filter = await this.filterFor(tx, s.tenantId, args);
      if (!filter) return { rows: [], filter };
      return { rows: await accountRepository.list(tx, s.tenantId, s.portfolios, filter, first + 1, afterId), filter };
    });
    return {
      rows: rows.slice(0, first),
      hasNextPage: rows.length > first,
      count: () => (filter ? this.db.tenant(s.db, (tx) => accountRepository.count(tx, s.tenantId, s.portfolios, filter)) : Promise.resolve(0)),
    };
  }

  async changeStatus(actor: TenantActor, rawId: string, version: number, status: AccountStatus, reason: string | null | undefined): Promise<AccountRow> {
    const id = assertUuid('input.id', rawId);
    const s = scopeOf(actor);
    const p = new Problems();
    const cleanReason = reason ? lineText(p, 'input.reason', reason, 500) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const current = await accountRepository.find(tx, s.tenantId, s.portfolios, id, true);
      if (!current) throw AppError.notFound('Account', id);
      if (current.version !== version) throw new AppError('CONFLICT', `input.version: account is at version ${current.version}, not ${version}`, { field: 'input.version' });
      if (current.status === status) return current;
      if (status === 'disputed') {
        // A dispute is a record with consequences (contacts blocked, plans paused), not just a status.
        throw AppError.badInput('input.status', 'open a dispute with openDispute: it records the reason and pauses collection until resolveDispute');
      }
      if (current.status === 'disputed') {
        // The dispute decides where the account goes next (and the plan pause ends with it).
        const open = await disputeRepository.openFor(tx, s.tenantId, id);
        if (open) throw AppError.conflict(`Account ${id} has an open dispute (${open.id}): resolve it with resolveDispute`, { field: 'input.status', disputeId: open.id });
      }
      if (!canTransition(current.status, status)) {
        const allowed = TRANSITIONS[current.status];
        throw new AppError('BAD_USER_INPUT', `input.status: cannot move from ${current.status} to ${status}; allowed: ${allowed.length ? allowed.join(', ') : 'none (closed is final)'}`, {
          field: 'input.status',
          // As the API spells them (the AccountStatus enum), so a client can send one back as is.
          allowed: allowed.map((x) => x.toUpperCase()),
        });
      }
      const owed = current.principalBalance + current.interestBalance + current.feeBalance;
      if ((status === 'paid_off' || status === 'closed') && owed !== 0n && current.status !== 'settled' && current.status !== 'written_off') {
        throw AppError.badInput('input.status', `${status} needs a zero balance; ${owed} minor units are outstanding`);
      }
      // Bringing an account back into collection (a recalled placement returned) takes a unit of the plan.
      const active = (x: string) => (ACTIVE_ACCOUNT_STATUSES as readonly string[]).includes(x);
      if (!active(current.status) && active(status)) await this.entitlements.ensure(tx, s.tenantId, 'activeAccounts', 1);
      const patch: Record<string, unknown> = { status, statusChangedAt: this.clock.now() };
      if (status === 'charged_off' && !current.chargedOffOn) patch.chargedOffOn = await this.today(tx, s.tenantId);
      const updated = await accountRepository.update(tx, s.tenantId, id, version, patch);
      if (!updated) throw AppError.conflict('Account changed concurrently; reload and retry');
      await this.audit.record(tx, actor, { action: 'account.status_change', entityType: 'account', entityId: id, before: { status: current.status }, after: { status, reason: cleanReason } });
      return updated;
    });
  }

  async move(actor: TenantActor, rawId: string, version: number, rawPortfolioId: string): Promise<AccountRow> {
    const id = assertUuid('input.id', rawId);
    const portfolioId = assertUuid('input.portfolioId', rawPortfolioId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const current = await accountRepository.find(tx, s.tenantId, s.portfolios, id, true);
      if (!current) throw AppError.notFound('Account', id);
      if (current.version !== version) throw new AppError('CONFLICT', `input.version: account is at version ${current.version}, not ${version}`, { field: 'input.version' });
      const target = await portfolioRepository.find(tx, s.tenantId, s.portfolios, portfolioId);
      if (!target) throw AppError.notFound('Portfolio', portfolioId);
      if (target.status !== 'active') throw AppError.conflict(`Portfolio ${portfolioId} is closed`, { field: 'input.portfolioId' });
      if (target.currency !== current.currency) throw AppError.badInput('input.portfolioId', `portfolio currency ${target.currency} differs from the account's ${current.currency}`);
      if (current.portfolioId === portfolioId) return current;
      // Plans, settlements and payments record the portfolios they span (portfolio-scoped access checks them).
      if (await accountRepository.inOpenNegotiation(tx, s.tenantId, id)) throw AppError.conflict(`Account ${id} is in an open plan or settlement offer; end it before moving the account`, { field: 'input.id' });
      // A portfolio attachment may change the account's late-fee policy: the next run looks at it again.
      const updated = await accountRepository.update(tx, s.tenantId, id, version, { portfolioId, feeRulesGen: null });
      if (!updated) throw AppError.conflict('Account changed concurrently; reload and retry');
      // Placement follows the portfolio: the old agency's placement ends, the new portfolio's agency (if any) takes it.
      await agencyRepository.endAccountPlacements(tx, s.tenantId, [id], 'moved');
      await agencyRepository.placeAccounts(tx, s.tenantId, [id]);
      await this.audit.record(tx, actor, { action: 'account.move', entityType: 'account', entityId: id, before: { portfolioId: current.portfolioId }, after: { portfolioId } });
      return updated;
    });
  }

  /**
   * Posts a charge, credit or adjustment. Credits without a component are split fees → interest → principal;
   * a credit larger than what is owed is refused. Idempotent on `idempotencyKey`: a retry returns the
   * entries of the first call and writes nothing; the same key with a different request is CONFLICT.
   */
  async post(actor: TenantActor, input: PostEntryInput): Promise<{ account: AccountRow; entries: LedgerRow[]; replayed: boolean }> {
    const s = scopeOf(actor);
    const p = new Problems();
    const accountId = uuidField(p, 'input.accountId', input.accountId);
    if (!IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) p.add('input.idempotencyKey', 'must be 8–128 characters of letters, digits, . _ : -');
    if (input.kind === 'reversal') p.add('input.kind', 'use reverseLedgerEntry to reverse an entry');
    const isCharge = input.kind === 'principal' || input.kind === 'interest' || input.kind === 'fee';
    const parsed = parseMinorUnits(input.amount, { allowNegative: input.kind === 'adjustment' });
    if (typeof parsed === 'string') p.add('input.amount', parsed);
    if (isCharge && input.component && input.component !== input.kind) p.add('input.component', `a ${input.kind} charge moves the ${input.kind} component`);
    if (input.kind === 'adjustment' && !input.component) p.add('input.component', 'an adjustment must name the component it corrects');
    if (!isCalendarDate(input.effectiveOn)) p.add('input.effectiveOn', 'must be a real date in YYYY-MM-DD form');
    const memo = input.memo ? freeText(p, 'input.memo', input.memo, 1000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    const amount = parsed as bigint;
    const hash = requestHash({ ...input, accountId, memo });

    return this.db.tenant(s.db, async (tx) => {
      const account = await accountRepository.find(tx, s.tenantId, s.portfolios, accountId, true);
      if (!account) throw AppError.notFound('Account', accountId);
      const groupId = uuidv7();
      const prior = await idempotencyRepository.claim(tx, s.tenantId, 'ledger.post', input.idempotencyKey, hash, groupId);
      if (prior) return this.replay(tx, s.tenantId, prior, hash, accountId);
      if (input.currency.trim().toUpperCase() !== account.currency) throw AppError.badInput('input.currency', `account is in ${account.currency}, not ${input.currency}`);
      if (account.status === 'closed') throw AppError.conflict(`Account ${accountId} is closed`, { field: 'input.accountId' });
      if (input.kind === 'payment') {
        // Money on an account under a plan or an accepted settlement must move its installments, promises and
        // offer too; a bare ledger payment would not.
        const held = await paymentRepository.accountContext(tx, s.tenantId, null, accountId);
        if (account.planFreezesFees !== null || held?.planId || held?.settlementId) {
          throw AppError.conflict(`Account ${accountId} is held by an installment plan or an accepted settlement offer; record money received with recordPayment`, { field: 'input.kind' });
        }
      }
      const today = await this.today(tx, s.tenantId);
      if (!isCharge && input.kind !== 'adjustment' && input.effectiveOn > today) throw AppError.badInput('input.effectiveOn', `a ${input.kind} cannot be dated after today (${today})`);

      const base = { accountId, groupId, kind: input.kind, currency: account.currency, effectiveOn: input.effectiveOn, actorKind: actor.principal.kind, actorId: actor.principal.actorId, memo, reversesEntryId: null };
      let lines: LedgerInsert[];
      if (isCharge) lines = [{ ...base, id: uuidv7(), component: input.kind as Component, amount }];
      else if (input.kind === 'adjustment') lines = [{ ...base, id: uuidv7(), component: input.component!, amount }];
      else {
        const balances = { principal: account.principalBalance, interest: account.interestBalance, fee: account.feeBalance };
        const parts = input.component
          ? balances[input.component] >= amount
            ? [{ component: input.component, amount }]
            : null
          : allocate(amount, balances);
        if (!parts) throw AppError.badInput('input.amount', `exceeds what is owed${input.component ? ` on ${input.component}` : ''} (${input.component ? balances[input.component] : account.principalBalance + account.interestBalance + account.feeBalance} minor units)`);
        lines = parts.map((x) => ({ ...base, id: uuidv7(), component: x.component, amount: -x.amount }));
      }
      const entries = await ledgerRepository.insertMany(tx, s.tenantId, lines);
      const updated = await resummarizeAccount(tx, s.tenantId, accountId, 'input.amount');
      await this.audit.record(tx, actor, {
        action: 'ledger.post',
        entityType: 'account',
        entityId: accountId,
        before: { balance: (account.principalBalance + account.interestBalance + account.feeBalance).toString() },
        after: { balance: (updated.principalBalance + updated.interestBalance + updated.feeBalance).toString(), entries: entries.map(entryView), idempotencyKey: input.idempotencyKey },
      });
      return { account: updated, entries, replayed: false };
    });
  }

  private async replay(tx: Tx, tenantId: string, prior: { requestHash: string; resultRef: string }, hash: string, accountId: string) {
    if (prior.requestHash !== hash) throw new AppError('CONFLICT', 'input.idempotencyKey: already used for a different request', { field: 'input.idempotencyKey' });
    const entries = await ledgerRepository.byGroup(tx, tenantId, prior.resultRef);
    const account = (await accountRepository.find(tx, tenantId, null, accountId))!;
    return { account, entries, replayed: true };
  }

  /** Corrects a mistake the only way a ledger allows: an equal and opposite entry pointing at it. */
  async reverse(actor: TenantActor, input: { entryId: string; memo?: string | null; idempotencyKey: string }): Promise<{ account: AccountRow; entries: LedgerRow[]; replayed: boolean }> {
    const s = scopeOf(actor);
    const p = new Problems();
    const entryId = uuidField(p, 'input.entryId', input.entryId);
    if (!IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) p.add('input.idempotencyKey', 'must be 8–128 characters of letters, digits, . _ : -');
    const memo = input.memo ? freeText(p, 'input.memo', input.memo, 1000) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    const hash = requestHash({ entryId, memo, op: 'reverse' });
    return this.db.tenant(s.db, async (tx) => {
      const original = await ledgerRepository.find(tx, s.tenantId, entryId);
      const account = original ? await accountRepository.find(tx, s.tenantId, s.portfolios, original.accountId, true) : null;
      if (!original || !account) throw AppError.notFound('LedgerEntry', entryId);
      const groupId = uuidv7();
      const prior = await idempotencyRepository.claim(tx, s.tenantId, 'ledger.reverse', input.idempotencyKey, hash, groupId);
      if (prior) return this.replay(tx, s.tenantId, prior, hash, account.id);
      if (original.kind === 'reversal') throw AppError.badInput('input.entryId', 'is itself a reversal; post a new entry instead');
      // A recorded payment's entries move installments, promises and settlements too: reversed as a whole.
      const payment = original.kind === 'payment' ? await paymentRepository.byLedgerGroup(tx, s.tenantId, original.groupId) : null;
      if (payment) throw AppError.conflict(`Entry ${entryId} belongs to payment ${payment}; reverse it with reversePayment`, { field: 'input.entryId', paymentId: payment });
      if (await ledgerRepository.isReversed(tx, s.tenantId, entryId)) throw AppError.conflict(`Entry ${entryId} is already reversed`, { field: 'input.entryId' });
      if (original.kind === 'fee' && (await ledgerRepository.hasLiveWaivers(tx, s.tenantId, entryId))) {
        throw AppError.conflict(`Fee ${entryId} has waivers; reverse its waiver entries first`, { field: 'input.entryId' });
      }
      if (account.status === 'closed') throw AppError.conflict(`Account ${account.id} is closed`);
      const today = await this.today(tx, s.tenantId);
      let entries: LedgerRow[];
      try {
        entries = await ledgerRepository.insertMany(tx, s.tenantId, [
          {
            id: uuidv7(),
            accountId: account.id,
            groupId,
            kind: 'reversal',
            component: original.component,
            amount: -original.amount,
            currency: original.currency,
            effectiveOn: today < original.effectiveOn ? original.effectiveOn : today,
            actorKind: actor.principal.kind,
            actorId: actor.principal.actorId,
            memo,
            reversesEntryId: original.id,
          },
        ]);
      } catch (err) {
        if (isUniqueViolation(err, 'ledger_entries_reverses_key')) throw AppError.conflict(`Entry ${entryId} is already reversed`, { field: 'input.entryId' });
        throw err;
      }
      const updated = await resummarizeAccount(tx, s.tenantId, account.id, 'input.entryId');
      await this.audit.record(tx, actor, {
        action: 'ledger.reverse',
        entityType: 'account',
        entityId: account.id,
        before: { balance: (account.principalBalance + account.interestBalance + account.feeBalance).toString(), entry: entryView(original) },
        after: { balance: (updated.principalBalance + updated.interestBalance + updated.feeBalance).toString(), entries: entries.map(entryView), idempotencyKey: input.idempotencyKey },
      });
      return { account: updated, entries, replayed: false };
    });
  }

  async ledger(actor: TenantActor, accountId: string, first: number, beforeId: string | null): Promise<{ rows: LedgerRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    const rows = await this.db.tenant(s.db, async (tx) => {
      // Visible only through an account the principal may see.
      if (!(await accountRepository.find(tx, s.tenantId, s.portfolios, accountId))) throw AppError.notFound('Account', accountId);
      return ledgerRepository.page(tx, s.tenantId, accountId, first + 1, beforeId);
    });
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Today in the tenant's zone: the default `asOf` for days past due. */
  tenantToday(actor: TenantActor): Promise<string> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => this.today(tx, s.tenantId));
  }
}

export function openingEntries(actor: TenantActor, accountId: string, currency: string, dueOn: string, principal: bigint, interest: bigint, fees: bigint): LedgerInsert[] {
  const groupId = uuidv7();
  const base = { accountId, groupId, currency, effectiveOn: dueOn, actorKind: actor.principal.kind, actorId: actor.principal.actorId, memo: 'opening balance', reversesEntryId: null };
  const out: LedgerInsert[] = [];
  if (principal > 0n) out.push({ ...base, id: uuidv7(), kind: 'principal', component: 'principal', amount: principal });
  if (interest > 0n) out.push({ ...base, id: uuidv7(), kind: 'interest', component: 'interest', amount: interest });
  if (fees > 0n) out.push({ ...base, id: uuidv7(), kind: 'fee', component: 'fee', amount: fees });
  return out;
}
