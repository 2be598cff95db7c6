import { AppError } from './errors.js';
import { randomBytes } from 'node:crypto';

// Random bytes drawn from the CSPRNG in 4 KiB blocks: one call per 256 ids instead of one per id
// (the importer makes several ids per row).
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomInto(target: Buffer): void {
  if (poolAt + target.length > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  pool.copy(target, 0, poolAt, poolAt + target.length);
  poolAt += target.length;
}

let lastMs = -1;
let counter = 0;

/**
 * UUIDv7: time-ordered, so new rows land at the right edge of `(tenant_id, id)` indexes and "newest first"
 * pagination can use the primary key instead of a separate created_at index. Within one millisecond a
 * 12-bit counter in rand_a (RFC 9562, method 1) keeps ids from this process strictly increasing, so rows
 * written together (a payment split across components) keep their order.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = Buffer.alloc(16);
  randomInto(bytes);
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // Counter exhausted: borrow the next millisecond rather than lose ordering.
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  const t = BigInt(ms);
  bytes[0] = Number((t >> 40n) & 0xffn);
  bytes[1] = Number((t >> 32n) & 0xffn);
  bytes[2] = Number((t >> 24n) & 0xffn);
  bytes[3] = Number((t >> 16n) & 0xffn);
  bytes[4] = Number((t >> 8n) & 0xffn);
  bytes[5] = Number(t & 0xffn);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
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
