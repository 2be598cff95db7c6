import { addDays } from '../../shared/dates.js';

export type PromiseOutcome = 'pending' | 'kept' | 'partially_kept' | 'broken';

/**
 * Kept as soon as payments reach the amount; otherwise decided once the promised date plus grace has passed:
 * partially kept when something was paid, broken when nothing was.
 */
export function promiseOutcome(amount: bigint, paid: bigint, promisedOn: string, graceDays: number, today: string): PromiseOutcome {
  if (paid >= amount) return 'kept';
  if (today <= addDays(promisedOn, graceDays)) return 'pending';
  return paid > 0n ? 'partially_kept' : 'broken';
}

/** An installment counts as missed the day after its due date plus grace, while not fully paid. */
export function isMissed(dueOn: string, amount: bigint, paid: bigint, graceDays: number, today: string): boolean {
  return paid < amount && today > addDays(dueOn, graceDays);
}
