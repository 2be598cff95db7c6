import { daysBetween } from '../../shared/dates.js';
import type { FieldProblem } from '../../shared/errors.js';
import type { BucketRange } from './delinquency.table.js';

export const DEFAULT_BUCKETS: BucketRange[] = [
  { label: 'Current', minDays: 0, maxDays: 0 },
  { label: '1-30', minDays: 1, maxDays: 30 },
  { label: '31-60', minDays: 31, maxDays: 60 },
  { label: '61-90', minDays: 61, maxDays: 90 },
  { label: '91-120', minDays: 91, maxDays: 120 },
  { label: '121-180', minDays: 121, maxDays: 180 },
  { label: '181+', minDays: 181, maxDays: null },
];

/**
 * Days past due as of a local date: an amount due on D is past due from the next local midnight, so on D
 * itself it is 0 and on D+1 it is 1. Nothing owed (no unpaid charge) is 0.
 */
export function daysPastDue(oldestUnpaidDueOn: string | null, asOf: string): number {
  if (oldestUnpaidDueOn === null) return 0;
  return Math.max(0, daysBetween(oldestUnpaidDueOn, asOf));
}

export function bucketFor(buckets: readonly BucketRange[], dpd: number): BucketRange {
  for (const b of buckets) if (dpd >= b.minDays && (b.maxDays === null || dpd <= b.maxDays)) return b;
  // Validation guarantees contiguous cover from 0 to infinity; this is unreachable with a stored set.
  throw new Error(`no bucket covers ${dpd} days`);
}

/** Ranges must start at 0, be contiguous (no gaps, no overlaps), have distinct labels and end open. */
export function validateBuckets(input: readonly BucketRange[], field = 'buckets'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.length === 0) return [{ field, message: 'must have at least one range' }];
  if (input.length > 20) problems.push({ field, message: 'at most 20 ranges' });
  const sorted = [...input].map((b, i) => ({ ...b, i })).sort((a, b) => a.minDays - b.minDays);
  const labels = new Set<string>();
  sorted.forEach((b, k) => {
    const f = `${field}.${b.i}`;
    if (!b.label.trim() || b.label.length > 40) problems.push({ field: `${f}.label`, message: 'must be 1 to 40 characters' });
    if (labels.has(b.label)) problems.push({ field: `${f}.label`, message: `duplicates label "${b.label}"` });
    labels.add(b.label);
    if (!Number.isInteger(b.minDays) || b.minDays < 0) problems.push({ field: `${f}.minDays`, message: 'must be a whole number of days, 0 or more' });
    if (b.maxDays !== null && (!Number.isInteger(b.maxDays) || b.maxDays < b.minDays)) problems.push({ field: `${f}.maxDays`, message: 'must be a whole number not below minDays' });
    if (k === 0 && b.minDays !== 0) problems.push({ field: `${f}.minDays`, message: 'the first range must start at 0 days' });
    const next = sorted[k + 1];
    if (next) {
      if (b.maxDays === null) problems.push({ field: `${f}.maxDays`, message: 'only the last range may be open-ended' });
      else if (next.minDays <= b.maxDays) problems.push({ field: `${field}.${next.i}.minDays`, message: `overlaps "${b.label}" (${b.minDays}–${b.maxDays})` });
      else if (next.minDays > b.maxDays + 1) problems.push({ field: `${field}.${next.i}.minDays`, message: `leaves a gap after "${b.label}": days ${b.maxDays + 1}–${next.minDays - 1} are in no range` });
    } else if (b.maxDays !== null) {
      problems.push({ field: `${f}.maxDays`, message: 'the last range must be open-ended (maxDays null)' });
    }
  });
  return problems;
}
