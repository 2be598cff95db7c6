import type { ServiceDeps } from '../services.js';
import type { Config } from './env.js';

/**
 * The configured settings of every service, for the API and the worker alike: a worker built with defaults
 * would assess fees, pull bureaus or deliver webhooks under other rules than the API it runs beside.
 */
export function serviceOptions(config: Config): Pick<ServiceDeps, 'platformAdminToken' | 'lateFees' | 'agencyTokens' | 'credit' | 'webhooks'> {
  return {
    platformAdminToken: config.PLATFORM_ADMIN_TOKEN,
    lateFees: { previewHorizonDays: config.LATE_FEE_PREVIEW_HORIZON_DAYS, batchSize: config.LATE_FEE_BATCH_SIZE, concurrency: config.LATE_FEE_CONCURRENCY },
    agencyTokens: {
      issuer: config.AGENCY_TOKEN_ISSUER,
      audience: config.AGENCY_TOKEN_AUDIENCE,
      ttlSeconds: config.AGENCY_TOKEN_TTL_SECONDS,
      maxFailures: config.TOKEN_MAX_FAILURES,
      failureWindowSeconds: config.TOKEN_FAILURE_WINDOW_SECONDS,
    },
    credit: {
      retry: { maxRetries: 5, baseDelayMs: config.CREDIT_RETRY_BASE_MS, maxDelayMs: config.CREDIT_RETRY_MAX_DELAY_MS },
      breakerThreshold: config.CREDIT_BREAKER_THRESHOLD,
      breakerOpenMs: config.CREDIT_BREAKER_OPEN_SECONDS * 1000,
      allowPrivateUrls: config.CREDIT_BUREAU_ALLOW_PRIVATE_URLS,
      requireHttps: config.NODE_ENV === 'production',
      staleAfterMs: 10 * 60_000,
    },
    webhooks: {
      allowPrivateUrls: config.WEBHOOK_ALLOW_PRIVATE_URLS,
      requireHttps: config.NODE_ENV === 'production',
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxAgeHours: config.WEBHOOK_MAX_AGE_HOURS,
      disableAfterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES,
      retentionDays: config.WEBHOOK_RETENTION_DAYS,
    },
  };
}
