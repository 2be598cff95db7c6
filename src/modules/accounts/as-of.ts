import type { Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { localDate } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { isCalendarDate } from '../../shared/validation.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';

/** Today as a calendar date in the tenant's own time zone: dates past due turn over at its midnight. */
export async function tenantToday(tx: Tx, tenantId: string, clock: Clock): Promise<string> {
  const t = await tenantRepository.find(tx, tenantId);
  return localDate(clock.now(), t?.timeZone ?? 'UTC');
}

/** Checks an optional as-of date before any transaction: a real date, or absent. */
export function checkAsOf(asOf: string | null | undefined, field = 'asOf'): void {
  if (asOf != null && !isCalendarDate(asOf)) throw AppError.badInput(field, 'must be a real date in YYYY-MM-DD form');
}

/** The as-of date of a tenant-wide job: the given date (not in the tenant's future) or today. */
export async function resolveAsOf(tx: Tx, tenantId: string, clock: Clock, asOf: string | null | undefined, field = 'asOf'): Promise<string> {
  const today = await tenantToday(tx, tenantId, clock);
  if (asOf == null) return today;
  if (asOf > today) throw AppError.badInput(field, `must not be after today (${today})`);
  return asOf;
}
