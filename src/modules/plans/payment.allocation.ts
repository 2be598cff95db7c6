import type { Component } from '../accounts/account.logic.js';

export interface AllocTarget {
  accountId: string;
  balances: Record<Component, bigint>;
}

export interface AllocLine {
  accountId: string;
  component: Component;
  amount: bigint;
}

/**
 * Splits a payment across accounts by the waterfall: the first component on every account (oldest account
 * first, as given), then the next component, and so on; never more than a component owes. What is left over
 * is the overpayment. `components` limits what may be paid (a plan that waives fees pays no fees).
 */
export function allocateAcross(amount: bigint, targets: readonly AllocTarget[], waterfall: readonly Component[], components: readonly Component[] = waterfall): { lines: AllocLine[]; left: bigint } {
  let left = amount;
  const lines: AllocLine[] = [];
  for (const c of waterfall) {
    if (!components.includes(c)) continue;
    for (const t of targets) {
      if (left === 0n) break;
      const owed = t.balances[c];
      if (owed <= 0n) continue;
      const take = owed < left ? owed : left;
      lines.push({ accountId: t.accountId, component: c, amount: take });
      left -= take;
    }
  }
  return { lines, left };
}

export interface InstallmentState {
  id: string;
  seq: number;
  dueOn: string;
  amount: bigint;
  paid: bigint;
}

export interface InstallmentApplication {
  installmentId: string;
  seq: number;
  dueOn: string;
  amount: bigint;
  /** This payment completes the installment. */
  closes: boolean;
  /** It pays an installment not yet due: a prepayment. */
  early: boolean;
}

/** The oldest open installment first, then the next: a payment larger than what is due prepays later ones. */
export function applyToInstallments(amount: bigint, installments: readonly InstallmentState[], today: string): { applications: InstallmentApplication[]; left: bigint } {
  let left = amount;
  const applications: InstallmentApplication[] = [];
  for (const i of [...installments].sort((a, b) => a.seq - b.seq)) {
    if (left === 0n) break;
    const open = i.amount - i.paid;
    if (open <= 0n) continue;
    const take = open < left ? open : left;
    applications.push({ installmentId: i.id, seq: i.seq, dueOn: i.dueOn, amount: take, closes: take === open, early: i.dueOn > today });
    left -= take;
  }
  return { applications, left };
}
