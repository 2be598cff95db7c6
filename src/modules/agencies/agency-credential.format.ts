import { randomBytes } from 'node:crypto';
import { base62ToUuid, checksum, hashApiKey, toBase62, uuidToBase62 } from '../tenancy/api-key.format.js';

/**
 * OAuth client credentials for agencies.
 * - client id `agc_<tenant>_<publicId>`: not secret; embeds the tenant so the lookup is routed by tenant, as
 *   API keys are;
 * - secret `acs_<secret><checksum>`: 192 random bits, base62, CRC-32 so typos fail without a round trip.
 * Only SHA-256(secret) is stored; the secret is high-entropy, so a slow KDF would add latency, not safety.
 */
const CLIENT_RE = /^agc_([0-9A-Za-z]{22})_([0-9A-Za-z]{11})$/;
const SECRET_RE = /^acs_([0-9A-Za-z]{33})([0-9A-Za-z]{6})$/;

export interface GeneratedClient {
  clientId: string;
  publicId: string;
  secret: string;
  secretHash: string;
}

export function generateClientCredentials(tenantId: string): GeneratedClient {
  const publicId = toBase62(randomBytes(8), 11);
  const body = `acs_${toBase62(randomBytes(24), 33)}`;
  const secret = body + checksum(body);
  return { clientId: clientIdOf(tenantId, publicId), publicId, secret, secretHash: hashApiKey(secret) };
}

export function clientIdOf(tenantId: string, publicId: string): string {
  return `agc_${uuidToBase62(tenantId)}_${publicId}`;
}

export function parseClientId(clientId: string): { tenantId: string; publicId: string } | null {
  const m = CLIENT_RE.exec(clientId);
  if (!m) return null;
  const tenantId = base62ToUuid(m[1]!);
  return tenantId ? { tenantId, publicId: m[2]! } : null;
}

/** Syntax and checksum only. */
export function secretLooksValid(secret: string): boolean {
  const m = SECRET_RE.exec(secret);
  return !!m && checksum(secret.slice(0, secret.length - 6)) === m[2];
}
