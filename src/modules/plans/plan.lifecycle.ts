import type { Tx } from '../../db/client.js';
import { uuidv7 } from '../../shared/ids.js';
import type { AccountStatus, Component } from '../accounts/account.logic.js';
import { canTransition } from '../accounts/account.logic.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { resummarizeAccount } from '../accounts/account.service.js';
import { ledgerRepository, type LedgerInsert } from '../accounts/ledger.repository.js';
import { lateFeeRepository } from '../fees/late-fee.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import { paymentRepository } from './payment.repository.js';

/** A status change made on an account as a side effect (so that it can be undone exactly). */
export interface StatusChange {
  accountId: string;
  from: AccountStatus;
  to: AccountStatus;
}

/** Statuses a plan or a settlement cannot be made on. */
export const CLOSED_FOR_NEGOTIATION: readonly AccountStatus[] = ['paid_off', 'settled', 'written_off', 'closed', 'disputed', 'recalled'];

/**
 * Moves a (locked) account to `to` as a consequence of a plan or settlement, bypassing the version check (the
 * row is locked by this transaction) but never an illegal transition: an account someone moved meanwhile
 * (disputed, recalled) is left where it is. `restoring` undoes an earlier change of ours exactly.
 */
export async function moveAccount(tx: Tx, tenantId: string, account: AccountRow, to: AccountStatus, now: Date, planFreezesFees: boolean | null | undefined = undefined, restoring = false): Promise<StatusChange | null> {
  const from = account.status;
  if (from === to && planFreezesFees === undefined) return null;
  // Undoing a change this module made (a reversed payment) may go back along a one-way transition (paid_off → in_plan).
  if (from !== to && !restoring && !canTransition(from, to)) return null;
  const patch: Partial<AccountRow> = planFreezesFees === undefined ? {} : { planFreezesFees };
  if (from !== to) Object.assign(patch, { status: to, statusChangedAt: now });
  const updated = await accountRepository.update(tx, tenantId, account.id, account.version, patch);
  if (!updated) throw new Error(`account ${account.id} changed under a lock`);
  Object.assign(account, updated);
  return from !== to ? { accountId: account.id, from, to } : null;
}

/** What an account returns to when a plan ends without being paid: nothing owed → paid off, else delinquent. */
export function statusAfterPlan(account: AccountRow): AccountStatus {
  return account.principalBalance + account.interestBalance + account.feeBalance <= 0n ? 'paid_off' : 'delinquent';
}

/**
 * Waives what is left of the given components of an account, posting waiver entries (one per fee entry for
 * fees, recorded as fee waivers so the fee cannot later be reversed into a double credit). Returns the group id,
 * or null when there was nothing to waive.
 */
export async function waiveOutstanding(tx: Tx, tenantId: string, actor: TenantActor, account: AccountRow, components: readonly Component[], effectiveOn: string, reason: string): Promise<string | null> {
  const groupId = uuidv7();
  const base = { accountId: account.id, groupId, kind: 'waiver' as const, currency: account.currency, effectiveOn, actorKind: actor.principal.kind, actorId: actor.principal.actorId, reversesEntryId: null };
  const lines: LedgerInsert[] = [];
  const feeWaivers: { feeEntryId: string; ledgerEntryId: string; amount: bigint }[] = [];
  for (const c of components) {
    const owed = c === 'principal' ? account.principalBalance : c === 'interest' ? account.interestBalance : account.feeBalance;
    if (owed <= 0n) continue;
    if (c !== 'fee') {
      lines.push({ ...base, id: uuidv7(), component: c, amount: -owed, memo: reason });
      continue;
    }
    // Payments pay the oldest fees first, so what is still owed sits on the newest fees.
    let left = owed;
    for (const fee of await paymentRepository.unwaivedFees(tx, tenantId, account.id)) {
      if (left === 0n) break;
      const take = fee.unwaived < left ? fee.unwaived : left;
      const id = uuidv7();
      lines.push({ ...base, id, component: 'fee', amount: -take, memo: `waiver of fee ${fee.id}: ${reason}` });
      feeWaivers.push({ feeEntryId: fee.id, ledgerEntryId: id, amount: take });
      left -= take;
    }
    // Fees posted without a fee entry (an adjustment) are waived as one line.
    if (left > 0n) lines.push({ ...base, id: uuidv7(), component: 'fee', amount: -left, memo: reason });
  }
  if (!lines.length) return null;
  await ledgerRepository.insertMany(tx, tenantId, lines);
  for (const w of feeWaivers) {
    await lateFeeRepository.insertWaiver(tx, tenantId, {
      id: uuidv7(),
      accountId: account.id,
      feeEntryId: w.feeEntryId,
      ledgerEntryId: w.ledgerEntryId,
      amount: w.amount,
      currency: account.currency,
      reason,
      actorKind: actor.principal.kind,
      actorId: actor.principal.actorId,
      approvedBy: null,
    });
  }
  Object.assign(account, await resummarizeAccount(tx, tenantId, account.id, 'input'));
  return groupId;
}

/** Reverses every entry of a ledger group (a waiver being undone), then refreshes the account. */
export async function reverseGroup(tx: Tx, tenantId: string, actor: TenantActor, account: AccountRow, groupId: string, effectiveOn: string, memo: string): Promise<string> {
  const entries = await ledgerRepository.byGroup(tx, tenantId, groupId);
  const reversalGroup = uuidv7();
  await ledgerRepository.insertMany(
    tx,
    tenantId,
    entries
      .filter((e) => e.accountId === account.id)
      .map((e) => ({
        id: uuidv7(),
        accountId: e.accountId,
        groupId: reversalGroup,
        kind: 'reversal' as const,
        component: e.component,
        amount: -e.amount,
        currency: e.currency,
        effectiveOn: effectiveOn < e.effectiveOn ? e.effectiveOn : effectiveOn,
        actorKind: actor.principal.kind,
        actorId: actor.principal.actorId,
        memo,
        reversesEntryId: e.id,
      })),
  );
  Object.assign(account, await resummarizeAccount(tx, tenantId, account.id, 'input'));
  return reversalGroup;
}
