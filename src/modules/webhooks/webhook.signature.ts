import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, symmetric "v1" scheme):
 *
 *   secret            `whsec_` + base64 of 32 random bytes; the HMAC key is the base64-decoded part
 *   webhook-id        the event's id (a UUID): the same on every attempt and every redelivery, so receivers dedupe on it
 *   webhook-timestamp the attempt's time in whole seconds since the epoch (fresh on each attempt: receivers refuse stale ones)
 *   webhook-signature `v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>`; during a secret rotation's
 *                     overlap one signature per valid secret, separated by spaces (any match is a valid request)
 *
 * The official libraries of every language verify these headers as they are.
 */

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret. Shown to the tenant once; stored sealed. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret (with or without the `whsec_` prefix, as the Standard Webhooks libraries accept). */
export function secretKey(secret: string): Buffer {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(raw, 'base64');
  if (key.length === 0) throw new Error('webhook secret is empty or not base64');
  return key;
}

/** One `v1,<base64>` signature. `body` is the exact bytes sent (as a string: the JSON text). */
export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  return 'v1,' + createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
}

/** The webhook-signature header: one signature per secret, current first. */
export function signatureHeader(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): string {
  if (!secrets.length) throw new Error('signatureHeader needs at least one secret');
  return secrets.map((s) => sign(s, msgId, timestampSeconds, body)).join(' ');
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function signedHeaders(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): SignedHeaders {
  return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signatureHeader(secrets, msgId, timestampSeconds, body) };
}

/**
 * What a receiver does: true when the timestamp is within `toleranceSeconds` of `nowSeconds` and one of the
 * header's v1 signatures matches. Provided for receivers written against this codebase and for the tests.
 */
export function verify(secret: string, headers: SignedHeaders, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(headers['webhook-timestamp']);
  if (!/^\d{1,12}$/.test(headers['webhook-timestamp']) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, headers['webhook-id'], ts, body).slice(3), 'base64');
  for (const part of headers['webhook-signature'].split(' ')) {
    const [version, sig] = part.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    const given = Buffer.from(sig, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}
