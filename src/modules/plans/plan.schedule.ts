import { addDays, addMonths } from '../../shared/dates.js';
import type { Frequency } from './plan-rules.logic.js';

export interface ScheduledInstallment {
  /** 0 is the down payment; 1…n the installments. */
  seq: number;
  dueOn: string;
  amount: bigint;
}

/**
 * The k-th date of a schedule, always counted from the same anchor: monthly dates clamp to shorter months and
 * come back (31 Jan → 28/29 Feb → 31 Mar), never drifting to the 28th.
 */
export function nthDate(anchor: string, frequency: Frequency, k: number): string {
  if (frequency === 'monthly') return addMonths(anchor, k);
  return addDays(anchor, (frequency === 'weekly' ? 7 : 14) * k);
}

/**
 * Equal installments of what the down payment leaves, the rounding remainder on the last one. The down
 * payment (if any) is due on the start date and the first installment one period later; without one, the
 * first installment is due on the start date. Returns a reason instead when an installment would be zero.
 */
export function equalSchedule(total: bigint, downPayment: bigint, count: number, frequency: Frequency, startOn: string): ScheduledInstallment[] | string {
  const rest = total - downPayment;
  if (rest <= 0n) return 'the down payment leaves nothing to pay in installments';
  const base = rest / BigInt(count);
  if (base === 0n) return `${count} installments of ${rest} minor units would include installments of 0`;
  const offset = downPayment > 0n ? 1 : 0;
  const out: ScheduledInstallment[] = [];
  if (downPayment > 0n) out.push({ seq: 0, dueOn: startOn, amount: downPayment });
  for (let i = 0; i < count; i++) {
    out.push({ seq: i + 1, dueOn: nthDate(startOn, frequency, i + offset), amount: i === count - 1 ? rest - base * BigInt(count - 1) : base });
  }
  return out;
}

export interface CustomLine {
  dueOn: string;
  amount: bigint;
}

/** A schedule given line by line: dates strictly after one another (and after a down payment), each positive. */
export function customSchedule(downPayment: bigint, startOn: string, lines: readonly CustomLine[]): ScheduledInstallment[] {
  const out: ScheduledInstallment[] = [];
  if (downPayment > 0n) out.push({ seq: 0, dueOn: startOn, amount: downPayment });
  lines.forEach((l, i) => out.push({ seq: i + 1, dueOn: l.dueOn, amount: l.amount }));
  return out;
}
