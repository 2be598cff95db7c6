import { ACCOUNT_STATUSES } from './account.table.js';
import type { COMPONENTS, ENTRY_KINDS } from './ledger.table.js';

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export type Component = (typeof COMPONENTS)[number];
export type EntryKind = (typeof ENTRY_KINDS)[number];

/**
 * Allowed status changes. Terminal outcomes (settled, paid_off, written_off) only close; closed is final.
 * Recalled means the creditor took the account back from collection.
 */
export const TRANSITIONS: Record<AccountStatus, readonly AccountStatus[]> = {
  current: ['delinquent', 'in_plan', 'disputed', 'settled', 'paid_off', 'recalled', 'closed'],
  delinquent: ['current', 'in_plan', 'disputed', 'settled', 'paid_off', 'charged_off', 'recalled'],
  in_plan: ['current', 'delinquent', 'disputed', 'settled', 'paid_off', 'charged_off', 'recalled'],
  disputed: ['current', 'delinquent', 'in_plan', 'written_off', 'recalled', 'closed'],
  charged_off: ['in_plan', 'disputed', 'settled', 'paid_off', 'written_off', 'recalled'],
  settled: ['closed'],
  paid_off: ['closed'],
  written_off: ['closed'],
  recalled: ['current', 'delinquent', 'closed'],
  closed: [],
};

export function canTransition(from: AccountStatus, to: AccountStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface EntryLike {
  id: string;
  kind: EntryKind;
  component: Component;
  amount: bigint;
  effectiveOn: string;
  reversesEntryId: string | null;
}

export interface LedgerSummary {
  principal: bigint;
  interest: bigint;
  fee: bigint;
  total: bigint;
  /** Effective date of the oldest charge not covered by credits (FIFO); null when nothing is owed. */
  oldestUnpaidDueOn: string | null;
  /**
   * The oldest principal or interest charge still unpaid, each component's charges paid by that component's
   * own credits (as payments are allocated): what late fees are anchored on. Fees never anchor fees, and a
   * payment that clears a fee leaves the principal's due date in place. null when no principal or interest is owed.
   */
  feeBasisDueOn: string | null;
}

/**
 * Balances are plain sums. For the oldest unpaid date, an entry and its reversal cancel out and are left out
 * (a bounced payment restores the debt's original due date, not the bounce date); the remaining credits
 * pay charges oldest first.
 */
export function summarize(entries: readonly EntryLike[]): LedgerSummary {
  const sums = { principal: 0n, interest: 0n, fee: 0n };
  const reversed = new Set<string>();
  for (const e of entries) {
    sums[e.component] += e.amount;
    if (e.reversesEntryId) reversed.add(e.reversesEntryId);
  }
  const live = entries.filter((e) => !e.reversesEntryId && !reversed.has(e.id));
  let credit = 0n;
  const charges: { on: string; amount: bigint }[] = [];
  for (const e of live) {
    if (e.amount < 0n) credit -= e.amount;
    else charges.push({ on: e.effectiveOn, amount: e.amount });
  }
  charges.sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
  let oldest: string | null = null;
  for (const c of charges) {
    if (credit >= c.amount) credit -= c.amount;
    else {
      oldest = c.on;
      break;
    }
  }
  const total = sums.principal + sums.interest + sums.fee;
  let feeBasis: string | null = null;
  for (const c of ['principal', 'interest'] as const) {
    if (sums[c] <= 0n) continue;
    let paid = 0n;
    const owed: { on: string; amount: bigint }[] = [];
    for (const e of live) {
      if (e.component !== c) continue;
      if (e.amount < 0n) paid -= e.amount;
      else owed.push({ on: e.effectiveOn, amount: e.amount });
    }
    owed.sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
    for (const x of owed) {
      if (paid >= x.amount) paid -= x.amount;
      else {
        if (feeBasis === null || x.on < feeBasis) feeBasis = x.on;
        break;
      }
    }
  }
  return { ...sums, total, oldestUnpaidDueOn: total > 0n ? oldest : null, feeBasisDueOn: feeBasis };
}

/** Credits pay fees, then interest, then principal (the usual waterfall); never more than a component owes. */
export const WATERFALL: readonly Component[] = ['fee', 'interest', 'principal'];

export function allocate(amount: bigint, balances: Record<Component, bigint>): { component: Component; amount: bigint }[] | null {
  let left = amount;
  const out: { component: Component; amount: bigint }[] = [];
  for (const c of WATERFALL) {
    if (left === 0n) break;
    const take = balances[c] > 0n ? (balances[c] < left ? balances[c] : left) : 0n;
    if (take > 0n) {
      out.push({ component: c, amount: take });
      left -= take;
    }
  }
  return left === 0n ? out : null;
}
