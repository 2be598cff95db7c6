import type { CreditPurpose, FieldMapping, PullType } from '../credit-check.table.js';

/** What a bureau is asked about: the debtor's identity, decrypted in memory only for the call. */
export interface BureauSubject {
  legalName: string;
  dateOfBirth: string | null;
  nationalId: string | null;
  address: { line1: string; line2: string | null; city: string; postalCode: string | null; country: string } | null;
}

export type SubjectField = 'legalName' | 'dateOfBirth' | 'nationalId' | 'address';

export interface PullRequest {
  subject: BureauSubject;
  purpose: CreditPurpose;
  pullType: PullType;
  consentReference: string | null;
}

/** The bureau integration as configured by the tenant (credential already unsealed). */
export interface BureauConfig {
  baseUrl: string | null;
  credential: string | null;
  subscriberCode: string | null;
  timeoutMs: number;
  fieldMapping: FieldMapping;
  /** Connect to loopback/private addresses (tests, local fakes); otherwise refused at connection time. */
  allowPrivateAddresses: boolean;
}

/** Every provider's answer, normalised. `raw` is the bureau's own document, stored sealed. */
export interface NormalizedReport {
  noHit: boolean;
  thinFile: boolean;
  fraudAlert: boolean;
  score: number | null;
  scoreModel: string | null;
  delinquencies: number;
  tradelines: number;
  publicRecords: number;
  inquiries: number;
  raw: unknown;
}

/**
 * A failed pull. `retryable`: worth another attempt (5xx, 429, timeouts, connection errors); otherwise the
 * request or the answer is wrong and repeating it would fail the same way. `retryAfterMs` honours 429/503.
 */
export class BureauError extends Error {
  constructor(
    readonly code: 'timeout' | 'network' | 'http_5xx' | 'rate_limited' | 'http_4xx' | 'malformed' | 'not_json' | 'too_large' | 'bureau_error',
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/**
 * A credit bureau adapter. `pull` must either resolve with a complete normalised report or throw a
 * BureauError: never a half-filled report. It must honour `signal` (the caller's timeout).
 */
export interface BureauProvider {
  readonly code: string;
  /** Identity fields the bureau needs to find the person: missing ones are reported by name before any call. */
  readonly requiredFields: readonly SubjectField[];
  pull(request: PullRequest, config: BureauConfig, signal: AbortSignal): Promise<NormalizedReport>;
}
