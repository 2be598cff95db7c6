import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { uuidv7 } from '../../shared/ids.js';
import { parseMinorUnits } from '../../shared/money.js';
import { lineText, Problems, uuidField } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { IDEMPOTENCY_KEY_RE, requestHash, resummarizeAccount } from '../accounts/account.service.js';
import { tenantToday } from '../accounts/as-of.js';
import { idempotencyRepository, ledgerRepository, type LedgerRow } from '../accounts/ledger.repository.js';
import { scopeOf } from '../accounts/scope.js';
import type { TenantActor } from '../tenancy/principal.js';
import { lateFeeRepository, type WaiverRow } from './late-fee.repository.js';
import { resolvePolicy } from './late-fee.resolution.js';
import { reviveRules } from './late-fee.rules.js';

export interface WaiveInput {
  feeEntryId: string;
  /** Minor units; omitted: everything of the fee not yet waived. */
  amount?: string | null;
  reason: string;
  idempotencyKey: string;
}

export interface WaiverResult {
  account: AccountRow;
  waiver: WaiverRow;
  entries: LedgerRow[];
  replayed: boolean;
}

/**
 * Waivers (减免逾期费用): a concession on one fee, full or partial, posted as a `waiver` ledger entry and
 * recorded against the fee it reduces. The policy that charged the fee (or, for a fee posted by hand, the
 * account's effective policy) may require the admin scope above an amount.
 */
export class FeeWaiverService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private async threshold(tx: Tx, tenantId: string, account: AccountRow, feeEntryId: string): Promise<bigint | null> {
    const [assessment] = await lateFeeRepository.assessmentsByEntryIds(tx, tenantId, [feeEntryId]);
    if (assessment) {
      const [version] = await lateFeeRepository.versionsByIds(tx, tenantId, [assessment.policyVersionId]);
      return version ? reviveRules(version.rules).waiverApprovalThreshold : null;
    }
    const shared = await lateFeeRepository.sharedAttachments(tx, tenantId);
    const own = await lateFeeRepository.accountAttachment(tx, tenantId, account.id);
    const resolution = resolvePolicy(shared, { portfolioId: account.portfolioId, productType: account.productType, accountPolicyId: own?.policyId ?? null });
    if (!resolution) return null;
    const [cur] = await lateFeeRepository.currentVersions(tx, tenantId, [resolution.policyId]);
    return cur ? reviveRules(cur.version.rules).waiverApprovalThreshold : null;
  }

  async waive(actor: TenantActor, input: WaiveInput): Promise<WaiverResult> {
    const s = scopeOf(actor);
    const p = new Problems();
    const feeEntryId = uuidField(p, 'input.feeEntryId', input.feeEntryId);
    if (!IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) p.add('input.idempotencyKey', 'must be 8–128 characters of letters, digits, . _ : -');
    const reason = lineText(p, 'input.reason', input.reason, 500);
    let requested: bigint | null = null;
    if (input.amount != null) {
      const r = parseMinorUnits(input.amount);
      if (typeof r === 'string') p.add('input.amount', r);
      else requested = r;
    }
    if (!p.empty) throw AppError.badInputMany(p.list);
    const hash = requestHash({ op: 'waive', feeEntryId, amount: requested?.toString() ?? null, reason });

    return this.db.tenant(s.db, async (tx) => {
      const fee = await ledgerRepository.find(tx, s.tenantId, feeEntryId);
      const account = fee ? await accountRepository.find(tx, s.tenantId, s.portfolios, fee.accountId, true) : null;
      if (!fee || !account) throw AppError.notFound('LedgerEntry', feeEntryId);
      const groupId = uuidv7();
      const prior = await idempotencyRepository.claim(tx, s.tenantId, 'fee.waive', input.idempotencyKey, hash, groupId);
      if (prior) {
        if (prior.requestHash !== hash) throw new AppError('CONFLICT', 'input.idempotencyKey: already used for a different request', { field: 'input.idempotencyKey' });
        const entries = await ledgerRepository.byGroup(tx, s.tenantId, prior.resultRef);
        const [waiver] = await lateFeeRepository.waiversByLedgerIds(tx, s.tenantId, entries.map((e) => e.id));
        return { account: (await accountRepository.find(tx, s.tenantId, null, account.id))!, waiver: waiver!, entries, replayed: true };
      }
      if (fee.kind !== 'fee') throw AppError.badInput('input.feeEntryId', `is a ${fee.kind} entry; only fee entries can be waived`);
      if (await ledgerRepository.isReversed(tx, s.tenantId, fee.id)) throw AppError.conflict(`Fee ${fee.id} was reversed; there is nothing to waive`, { field: 'input.feeEntryId' });
      if (account.status === 'closed') throw AppError.conflict(`Account ${account.id} is closed`, { field: 'input.feeEntryId' });
      const unwaived = fee.amount - (await lateFeeRepository.waivedOf(tx, s.tenantId, fee.id));
      if (unwaived <= 0n) throw AppError.conflict(`Fee ${fee.id} is already waived in full`, { field: 'input.feeEntryId' });
      const amount = requested ?? unwaived;
      if (amount > unwaived) throw AppError.badInput('input.amount', `exceeds what is left of this fee to waive (${unwaived} minor units)`);
      // Waiving a fee that was already paid would be a refund: a different flow, with money going back out.
      if (amount > account.feeBalance) throw AppError.badInput('input.amount', `exceeds the account's outstanding fees (${account.feeBalance} minor units); the rest of this fee was paid`);
      const threshold = await this.threshold(tx, s.tenantId, account, fee.id);
      // The threshold is on what is waived of one fee in total: splitting a waiver must not get round it.
      const waivedBefore = fee.amount - unwaived;
      const needsApproval = threshold !== null && waivedBefore + amount > threshold;
      if (needsApproval && !actor.principal.scopes.has('admin')) {
        throw AppError.forbidden(
          `Waiving more than ${threshold} minor units of one fee needs the admin scope (${waivedBefore} already waived, ${amount} asked)`,
          { field: 'input.amount', threshold: threshold.toString() },
        );
      }
      const today = await tenantToday(tx, s.tenantId, this.clock);
      const [entry] = await ledgerRepository.insertMany(tx, s.tenantId, [
        {
          id: uuidv7(),
          accountId: account.id,
          groupId,
          kind: 'waiver',
          component: 'fee',
          amount: -amount,
          currency: account.currency,
          effectiveOn: today < fee.effectiveOn ? fee.effectiveOn : today,
          actorKind: actor.principal.kind,
          actorId: actor.principal.actorId,
          memo: `waiver of fee ${fee.id}: ${reason}`,
          reversesEntryId: null,
        },
      ]);
      const waiver = await lateFeeRepository.insertWaiver(tx, s.tenantId, {
        id: uuidv7(),
        accountId: account.id,
        feeEntryId: fee.id,
        ledgerEntryId: entry!.id,
        amount,
        currency: account.currency,
        reason,
        actorKind: actor.principal.kind,
        actorId: actor.principal.actorId,
        approvedBy: needsApproval ? actor.principal.actorId : null,
      });
      const updated = await resummarizeAccount(tx, s.tenantId, account.id, 'input.amount');
      await this.audit.record(tx, actor, {
        action: 'fee.waive',
        entityType: 'account',
        entityId: account.id,
        before: { feeBalance: account.feeBalance.toString(), unwaived: unwaived.toString() },
        after: { feeBalance: updated.feeBalance.toString(), feeEntryId: fee.id, amount: amount.toString(), reason, approvedBy: waiver.approvedBy, idempotencyKey: input.idempotencyKey },
      });
      return { account: updated, waiver, entries: [entry!], replayed: false };
    });
  }
}
