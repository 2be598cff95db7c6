import { isPrivateHostName } from '../../shared/network.js';

export const MAX_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** Loopback, private and link-local receivers (tests, local development). */
  allowPrivateUrls: boolean;
  /** Production: https only. */
  requireHttps: boolean;
}

/**
 * Whether a receiver URL may be called, judged as written: absolute http(s) (https when required), no
 * credentials, no fragment, and (unless allowed) no host that names this machine or its network. Applied when
 * an endpoint is registered or changed, and again before every attempt (the policy may have changed since).
 * A public name resolving to a private address is caught at connection time (publicOnlyLookup).
 * Returns the normalised URL, or the problem in words.
 */
export function checkReceiverUrl(raw: string, policy: UrlPolicy): { url: string } | { problem: string } {
  const text = raw.trim();
  if (!text) return { problem: 'must not be empty' };
  if (text.length > MAX_URL_LENGTH) return { problem: `must be at most ${MAX_URL_LENGTH} characters` };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { problem: 'is not an absolute URL' };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { problem: 'must use https' + (policy.requireHttps ? '' : ' or http') };
  if (policy.requireHttps && u.protocol !== 'https:') return { problem: 'must use https' };
  // Credentials in a URL end up in logs and audit trails; receivers authenticate us by the signature instead.
  if (u.username || u.password) return { problem: 'must not carry credentials (user:password@): receivers verify the webhook-signature header instead' };
  if (u.hash) return { problem: 'must not have a #fragment' };
  if (!policy.allowPrivateUrls && isPrivateHostName(u.hostname)) return { problem: 'must not point at a loopback, private or link-local address' };
  const url = u.toString();
  if (url.length > MAX_URL_LENGTH) return { problem: `must be at most ${MAX_URL_LENGTH} characters` };
  return { url };
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, capMs: 6 * 3_600_000 };

/**
 * Delay before the next attempt after `failedAttempts` failures (1 after the first): exponential from baseMs,
 * capped, with equal jitter — half fixed, half random — so retries spread out (several endpoints failing
 * together do not come back in step) yet never come back sooner than half the nominal delay.
 * With the defaults: ~5 s, 10 s, 20 s … ~5.7 h, then ~6 h; about 25 attempts over three days.
 */
export function backoffMs(failedAttempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(failedAttempts, 1) - 1, 30);
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** exp);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** What the worker does after one attempt's answer. */
export type AttemptVerdict = 'delivered' | 'retry' | 'gone';

/** 2xx delivers; 410 Gone disables the endpoint; everything else (3xx not followed, 4xx, 5xx, no answer) is retried. */
export function verdictOf(statusCode: number | null, complete: boolean): AttemptVerdict {
  if (statusCode === 410) return 'gone';
  if (statusCode !== null && statusCode >= 200 && statusCode < 300 && complete) return 'delivered';
  return 'retry';
}
