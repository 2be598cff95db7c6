import { AppError } from './errors.js';
import { randomBytes } from 'node:crypto';

/**
 * UUIDv7: time-ordered, so new rows land at the right edge of `(tenant_id, id)` indexes and
 * "newest first" pagination can use the primary key instead of a separate created_at index.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  const ms = BigInt(now);
  bytes[0] = Number((ms >> 40n) & 0xffn);
  bytes[1] = Number((ms >> 32n) & 0xffn);
  bytes[2] = Number((ms >> 24n) & 0xffn);
  bytes[3] = Number((ms >> 16n) & 0xffn);
  bytes[4] = Number((ms >> 8n) & 0xffn);
  bytes[5] = Number(ms & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Ids arrive as GraphQL IDs (any string); a malformed one is bad input, not a database error. */
export function assertUuid(field: string, value: string): string {
  if (!isUuid(value)) throw AppError.badInput(field, 'must be an id (UUID)');
  return value.toLowerCase();
}
