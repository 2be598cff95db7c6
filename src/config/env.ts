import { z } from 'zod';
import { PLAN_CODES, plansOverrideSchema } from './plans.js';

const base64Key = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32');

/** The only place that reads process.env. Parsed once at boot; a bad value stops the process with a clear message. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Named prepared statements on PostgreSQL: one round trip per statement instead of two (parse and describe,
   * then execute). Turn off behind a pooler in transaction mode that cannot keep them (pgbouncer < 1.21).
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  DATA_DIR: z.string().min(1).default('./data'),
  PLATFORM_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  PII_ENCRYPTION_KEY: base64Key.optional(),
  PII_ENCRYPTION_KEY_ID: keyId.default('k1'),
  /** Retired keys still needed to decrypt: `id:base64,id:base64`. */
  PII_ENCRYPTION_OLD_KEYS: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const out: { id: string; key: string }[] = [];
      for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
        const [id, key] = part.split(':');
        if (!id || !key || !keyId.safeParse(id).success || !base64Key.safeParse(key).success) {
          ctx.addIssue({ code: 'custom', message: `entry "${id ?? part}" must look like id:base64-32-byte-key` });
          return z.NEVER;
        }
        out.push({ id, key });
      }
      return out;
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: z
    .enum(['auto', 'always', 'never'])
    .default('auto')
    .describe('auto: seed a demo tenant on first start of the embedded database'),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).max(1000).default(30),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(10).default(20_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Background jobs (delinquency refresh, alert evaluation) in the API process; 0 turns them off there. */
  JOBS_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** How far past the tenant's today previewLateFees may look. */
  LATE_FEE_PREVIEW_HORIZON_DAYS: z.coerce.number().int().min(0).max(3660).default(366),
  /** Accounts per late-fee accrual transaction. */
  LATE_FEE_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(2000),
  /** Agency access tokens (POST /oauth/token): the `iss` and `aud` they carry and are checked for, and their lifetime. */
  AGENCY_TOKEN_ISSUER: z.string().min(1).max(200).default('urn:arrears:api'),
  AGENCY_TOKEN_AUDIENCE: z.string().min(1).max(200).default('urn:arrears:graphql'),
  AGENCY_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  /** Failed token requests allowed per client id (and, times three, per address) in TOKEN_FAILURE_WINDOW_SECONDS. */
  TOKEN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  TOKEN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Credit bureaus: failed pulls in a row that open a bureau's circuit, and how long it stays open. */
  CREDIT_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  CREDIT_BREAKER_OPEN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Backoff between retries: full jitter up to base·2^n, capped; a longer Retry-After ends the retries. */
  CREDIT_RETRY_BASE_MS: z.coerce.number().int().min(0).max(10_000).default(200),
  CREDIT_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Let bureau URLs point at loopback/private addresses (tests, local fakes). Never in production. */
  CREDIT_BUREAU_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Outbound webhooks: let endpoint URLs point at loopback, private or link-local addresses (tests, local receivers). Never in production, which also requires https. */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Delivery worker in the API process (the embedded default); `npm run worker` runs it regardless. */
  WEBHOOK_WORKER_IN_API: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How often an idle delivery worker looks for due deliveries. */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Endpoints one worker sends to at once (each in order, one request at a time). */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** A receiver's whole answer must arrive within this. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Retries with exponential backoff and jitter until a delivery is this old, then it is given up. */
  WEBHOOK_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(720).default(72),
  /** Consecutive failed attempts after which an endpoint is disabled (a 410 Gone disables at once). */
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Delivered or given-up events, their deliveries and attempt logs are purged after this many days. */
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** The plan of a tenant that has never subscribed. */
  BILLING_DEFAULT_PLAN: z.enum(PLAN_CODES).default('free'),
  /** Overrides of the plan catalog by plan code (names, prices, Stripe price ids, limits); see src/config/plans.ts. */
  BILLING_PLANS: plansOverrideSchema,
  /** Days a past_due subscription keeps full access (with a warning) before the tenant becomes read-only. */
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  /** Where Stripe Checkout and the billing portal send the creditor back to. */
  BILLING_RETURN_URL: z.string().url().default('http://localhost:4000/billing'),
  /** Stripe: the secret API key (billing mutations and metering are off without it). */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'must be a Stripe secret or restricted key (sk_… or rk_…)').optional(),
  /** Stripe: the signing secret of the webhook endpoint (POST /webhooks/stripe answers 404 without it). */
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be a webhook signing secret (whsec_…)').optional(),
  /** Stripe: events signed longer ago than this are refused (replay protection). */
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  /** Stripe: the API's base URL; only tests and local mocks change it. */
  STRIPE_API_URL: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be http(s)')
    .default('https://api.stripe.com'),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Stripe meters (event names) that usage is reported to. */
  STRIPE_METER_CREDIT_CHECKS: z.string().regex(/^[a-z0-9_]{1,100}$/).default('arrears_credit_checks'),
  STRIPE_METER_ACTIVE_ACCOUNTS: z.string().regex(/^[a-z0-9_]{1,100}$/).default('arrears_active_accounts'),
  /**
   * Where per-key request counters live. auto: Redis when REDIS_URL is set, else PostgreSQL when DATABASE_URL is
   * set (the database is PostgreSQL), else process memory (the embedded default is one process). off: no rate limiting (an upstream gateway
   * limits, or a benchmark's baseline).
   */
  RATE_LIMIT_STORE: z.enum(['auto', 'memory', 'postgres', 'redis', 'off']).default('auto'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Accrual batches in flight at once on PostgreSQL (each holds a pool connection). */
  LATE_FEE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.CREDIT_BUREAU_ALLOW_PRIVATE_URLS) {
    throw new ConfigError('Invalid configuration:\n  CREDIT_BUREAU_ALLOW_PRIVATE_URLS: must not be true when NODE_ENV=production');
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.WEBHOOK_ALLOW_PRIVATE_URLS) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_ALLOW_PRIVATE_URLS: must not be true when NODE_ENV=production');
  }
  if (parsed.data.RATE_LIMIT_STORE === 'redis' && !parsed.data.REDIS_URL) {
    throw new ConfigError('Invalid configuration:\n  REDIS_URL: required when RATE_LIMIT_STORE=redis');
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.RATE_LIMIT_STORE === 'memory') {
    // Each process would count alone: N processes would allow N times the plan's rate.
    throw new ConfigError('Invalid configuration:\n  RATE_LIMIT_STORE: memory is per process; use postgres or redis when NODE_ENV=production');
  }
  if (parsed.data.NODE_ENV === 'production' && !parsed.data.DATABASE_URL) {
    // The embedded database is for demos and development; refusing here beats losing data silently.
    throw new ConfigError('Invalid configuration:\n  DATABASE_URL: required when NODE_ENV=production');
  }
  return parsed.data;
}
