import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Key format: `ark_<tenant>_<publicId>_<secret><checksum>`, all base62 so a double-click selects it whole.
 * - tenant: the tenant's uuid (22 chars) so lookups are routed by tenant (Citus) without a global index;
 * - publicId: 64 random bits (11 chars), shown in listings to tell keys apart;
 * - secret: 192 random bits (33 chars);
 * - checksum: CRC-32 of everything before it (6 chars), so typos and scanners' false positives are
 *   rejected without a database round trip.
 * Only SHA-256(key) is stored. The key is high-entropy, so a slow KDF would add latency, not safety.
 */
export const KEY_PREFIX = 'ark';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function toBase62(buf: Buffer, width: number): string {
  let n = BigInt('0x' + (buf.toString('hex') || '0'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, '0');
}

function fromBase62(s: string): bigint | null {
  let n = 0n;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    n = n * 62n + BigInt(v);
  }
  return n;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of Buffer.from(s, 'utf8')) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function checksum(body: string): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return toBase62(b, 6);
}

export function uuidToBase62(uuid: string): string {
  return toBase62(Buffer.from(uuid.replace(/-/g, ''), 'hex'), 22);
}

export function base62ToUuid(s: string): string | null {
  const n = fromBase62(s);
  if (n === null || n >= 1n << 128n) return null;
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface GeneratedKey {
  key: string;
  publicId: string;
  secretHash: string;
}

export function generateApiKey(tenantId: string): GeneratedKey {
  const publicId = toBase62(randomBytes(8), 11);
  const secret = toBase62(randomBytes(24), 33);
  const body = `${KEY_PREFIX}_${uuidToBase62(tenantId)}_${publicId}_${secret}`;
  const key = body + checksum(body);
  return { key, publicId, secretHash: hashApiKey(key) };
}

export interface ParsedKey {
  tenantId: string;
  publicId: string;
}

const KEY_RE = /^ark_([0-9A-Za-z]{22})_([0-9A-Za-z]{11})_([0-9A-Za-z]{33})([0-9A-Za-z]{6})$/;

/** Syntax and checksum only; says nothing about whether the key exists. */
export function parseApiKey(key: string): ParsedKey | null {
  const m = KEY_RE.exec(key);
  if (!m) return null;
  const body = key.slice(0, key.length - 6);
  if (checksum(body) !== m[4]) return null;
  const tenantId = base62ToUuid(m[1]!);
  if (!tenantId) return null;
  return { tenantId, publicId: m[2]! };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function hashesEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** What listings show: enough to recognise a key, nothing that helps to use it. */
export function displayPrefix(tenantId: string, publicId: string): string {
  return `${KEY_PREFIX}_${uuidToBase62(tenantId)}_${publicId}_…`;
}
