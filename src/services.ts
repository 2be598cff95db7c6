import type { Database } from './db/client.js';
import type { Clock } from './shared/clock.js';
import type { PiiCipher } from './shared/pii-crypto.js';
import { AccountImportService } from './modules/accounts/account-import.service.js';
import { AccountService } from './modules/accounts/account.service.js';
import { AlertService } from './modules/accounts/alert.service.js';
import { DelinquencyService } from './modules/accounts/delinquency.service.js';
import { PortfolioService } from './modules/accounts/portfolio.service.js';
import { AuditService } from './modules/audit/audit.service.js';
import { DebtorService } from './modules/debtors/debtor.service.js';
import { AuthService } from './modules/tenancy/auth.service.js';
import { LastUsedTracker } from './modules/tenancy/last-used.tracker.js';
import { TenancyService } from './modules/tenancy/tenancy.service.js';
import { FeeWaiverService } from './modules/fees/fee-waiver.service.js';
import { LateFeeService, type LateFeeOptions } from './modules/fees/late-fee.service.js';
import { PaymentService } from './modules/plans/payment.service.js';
import { PlanService } from './modules/plans/plan.service.js';
import { PromiseService } from './modules/plans/promise.service.js';
import { SettlementService } from './modules/plans/settlement.service.js';
import { AgencyAuthService, type TokenFailure } from './modules/agencies/agency-auth.service.js';
import { AgencyPerformanceService } from './modules/agencies/agency-performance.service.js';
import { AgencyService } from './modules/agencies/agency.service.js';
import { TokenService, type TokenSettings } from './modules/agencies/token.service.js';
import { AttemptLimiter } from './shared/attempt-limiter.js';
import { ContactService } from './modules/compliance/contact.service.js';
import { DisputeService } from './modules/compliance/dispute.service.js';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookService, type WebhookOptions } from './modules/webhooks/webhook.service.js';
import { CreditCheckService, DEFAULT_CREDIT_OPTIONS, type CreditCheckOptions } from './modules/credit-checks/credit-check.service.js';
import { PlanCatalog } from './config/plans.js';
import { BillingService, type BillingOptions } from './modules/billing/billing.service.js';
import { Entitlements } from './modules/billing/entitlement.service.js';
import { MemoryCounterStore, RateLimiter, RedisCounterStore, type RateLimitMode } from './modules/billing/rate-limit.service.js';
import { StripeGateway, type StripeSettings } from './modules/billing/stripe.gateway.js';

export interface Services {
  audit: AuditService;
  auth: AuthService;
  tenancy: TenancyService;
  debtors: DebtorService;
  lastUsed: LastUsedTracker;
  portfolios: PortfolioService;
  accounts: AccountService;
  accountImport: AccountImportService;
  delinquency: DelinquencyService;
  alerts: AlertService;
  lateFees: LateFeeService;
  feeWaivers: FeeWaiverService;
  plans: PlanService;
  payments: PaymentService;
  promises: PromiseService;
  settlements: SettlementService;
  agencies: AgencyService;
  agencyAuth: AgencyAuthService;
  agencyPerformance: AgencyPerformanceService;
  tokens: TokenService;
  creditChecks: CreditCheckService;
  webhooks: WebhookService;
  contacts: ContactService;
  disputes: DisputeService;
  billing: BillingService;
  entitlements: Entitlements;
  rateLimiter: RateLimiter;
}

export interface AgencyTokenOptions extends TokenSettings {
  maxFailures: number;
  failureWindowSeconds: number;
}

export const DEFAULT_AGENCY_TOKEN_OPTIONS: AgencyTokenOptions = {
  issuer: 'urn:arrears:api',
  audience: 'urn:arrears:graphql',
  ttlSeconds: 900,
  maxFailures: 10,
  failureWindowSeconds: 300,
};

export interface ServiceDeps {
  database: Database;
  clock: Clock;
  pii: PiiCipher;
  platformAdminToken: string | undefined;
  /** Defaults suit the CLI and worker; the API passes the configured values. */
  lateFees?: LateFeeOptions;
  onBackgroundError: (err: unknown) => void;
  agencyTokens?: AgencyTokenOptions;
  onTokenFailure?: (f: TokenFailure) => void;
  credit?: CreditCheckOptions;
  webhooks?: WebhookOptions;
  billing?: BillingDeps;
  /** Billing's own log lines (webhook refusals, events not applied, failed usage reports). */
  onBillingLog?: (level: 'info' | 'warn', fields: Record<string, unknown>, msg: string) => void;
}

export interface BillingDeps {
  catalog: PlanCatalog;
  options: BillingOptions;
  stripe: StripeSettings;
  rateLimit: { store: RateLimitMode | 'auto'; redisUrl: string | null };
}

/** Defaults for the CLI and tools: the default catalog, no Stripe, no rate limiting. */
export const DEFAULT_BILLING: BillingDeps = {
  catalog: new PlanCatalog(),
  options: { graceDays: 7, returnUrl: 'http://localhost:4000/billing', meters: { creditChecks: 'arrears_credit_checks', activeAccounts: 'arrears_active_accounts' } },
  stripe: { secretKey: null, webhookSecret: null, webhookToleranceSeconds: 300, apiUrl: 'https://api.stripe.com', timeoutMs: 10_000, maxNetworkRetries: 2 },
  rateLimit: { store: 'off', redisUrl: null },
};

/** auto: Redis when configured, else the database when it is PostgreSQL (shared by every process), else memory. */
function rateLimiter(d: ServiceDeps, b: BillingDeps): RateLimiter {
  const r = b.rateLimit;
  const mode: RateLimitMode = r.store !== 'auto' ? r.store : r.redisUrl ? 'redis' : d.database.kind === 'postgres' ? 'postgres' : 'memory';
  if (mode === 'postgres' && d.database.kind !== 'postgres') throw new Error('RATE_LIMIT_STORE=postgres needs a PostgreSQL database (DATABASE_URL)');
  if (mode === 'redis' && !r.redisUrl) throw new Error('RATE_LIMIT_STORE=redis needs REDIS_URL');
  const store = mode === 'redis' ? new RedisCounterStore(r.redisUrl!) : mode === 'memory' ? new MemoryCounterStore() : null;
  return new RateLimiter(mode, d.clock, store, (err) => d.onBackgroundError(err));
}

export const DEFAULT_LATE_FEE_OPTIONS: LateFeeOptions = { previewHorizonDays: 366, batchSize: 2000, concurrency: 2 };

export function buildServices(d: ServiceDeps): Services {
  const audit = new AuditService(d.database, d.clock);
  const b = d.billing ?? DEFAULT_BILLING;
  const entitlements = new Entitlements(b.catalog);
  const limiter = rateLimiter(d, b);
  const lastUsed = new LastUsedTracker(d.database, 30_000, d.onBackgroundError);
  const debtors = new DebtorService(d.database, d.clock, audit, d.pii);
  const t = d.agencyTokens ?? DEFAULT_AGENCY_TOKEN_OPTIONS;
  const tokens = new TokenService(d.database, d.pii, d.clock, { issuer: t.issuer, audience: t.audience, ttlSeconds: t.ttlSeconds });
  const agencyAuth = new AgencyAuthService(
    d.database,
    d.clock,
    tokens,
    {
      perClient: new AttemptLimiter(t.maxFailures, t.failureWindowSeconds * 1000),
      // An address may front several agencies (a call centre's NAT): three clients' worth of failures.
      perIp: new AttemptLimiter(t.maxFailures * 3, t.failureWindowSeconds * 1000),
    },
    d.onTokenFailure,
    limiter.countsInDatabase,
  );
  return {
    audit,
    lastUsed,
    auth: new AuthService(d.database, d.clock, lastUsed, d.platformAdminToken, agencyAuth, limiter.countsInDatabase),
    tenancy: new TenancyService(d.database, d.clock, audit, lastUsed),
    debtors,
    portfolios: new PortfolioService(d.database, d.clock, audit),
    accounts: new AccountService(d.database, d.clock, audit, entitlements),
    accountImport: new AccountImportService(d.database, d.clock, audit, entitlements),
    delinquency: new DelinquencyService(d.database, d.clock, audit),
    alerts: new AlertService(d.database, d.clock, audit),
    lateFees: new LateFeeService(d.database, d.clock, audit, d.lateFees ?? DEFAULT_LATE_FEE_OPTIONS),
    feeWaivers: new FeeWaiverService(d.database, d.clock, audit),
    plans: new PlanService(d.database, d.clock, audit),
    payments: new PaymentService(d.database, d.clock, audit),
    promises: new PromiseService(d.database, d.clock, audit),
    settlements: new SettlementService(d.database, d.clock, audit),
    agencies: new AgencyService(d.database, d.clock, audit, entitlements),
    agencyAuth,
    agencyPerformance: new AgencyPerformanceService(d.database, d.clock),
    tokens,
    creditChecks: new CreditCheckService(d.database, d.clock, audit, d.pii, debtors, entitlements, d.credit ?? DEFAULT_CREDIT_OPTIONS),
    contacts: new ContactService(d.database, d.clock, audit),
    disputes: new DisputeService(d.database, d.clock, audit),
    webhooks: new WebhookService(d.database, d.clock, audit, d.pii, d.webhooks ?? DEFAULT_WEBHOOK_OPTIONS, entitlements),
    billing: new BillingService(d.database, d.clock, audit, b.catalog, new StripeGateway(b.stripe), b.options, d.onBillingLog),
    entitlements,
    rateLimiter: limiter,
  };
}
