import type { ServiceDeps } from '../services.js';
import type { Config } from './env.js';
import { PlanCatalog } from './plans.js';

/**
 * The configured settings of every service, for the API and the worker alike: a worker built with defaults
 * would assess fees, pull bureaus or deliver webhooks under other rules than the API it runs beside.
 */
/** The same, for processes that serve no requests (worker, CLI): nothing to rate-limit, so no Redis connection. */
export function backgroundServiceOptions(config: Config): ReturnType<typeof serviceOptions> {
  const o = serviceOptions(config);
  return { ...o, billing: { ...o.billing!, rateLimit: { store: 'off', redisUrl: null } } };
}

export function serviceOptions(config: Config): Pick<ServiceDeps, 'platformAdminToken' | 'lateFees' | 'agencyTokens' | 'credit' | 'webhooks' | 'billing'> {
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
    billing: {
      catalog: new PlanCatalog(config.BILLING_PLANS, config.BILLING_DEFAULT_PLAN),
      options: {
        graceDays: config.BILLING_GRACE_DAYS,
        returnUrl: config.BILLING_RETURN_URL,
        meters: { creditChecks: config.STRIPE_METER_CREDIT_CHECKS, activeAccounts: config.STRIPE_METER_ACTIVE_ACCOUNTS },
      },
      stripe: {
        secretKey: config.STRIPE_SECRET_KEY ?? null,
        webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? null,
        webhookToleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        apiUrl: config.STRIPE_API_URL,
        timeoutMs: config.STRIPE_TIMEOUT_MS,
        maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
      },
      rateLimit: { store: config.RATE_LIMIT_STORE, redisUrl: config.REDIS_URL ?? null },
    },
  };
}
