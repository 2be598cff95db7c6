import { z } from 'zod';

/**
 * Subscription plans as data. The catalog below is the default; BILLING_PLANS (JSON) overrides any field of
 * any plan by its code, so names, prices, Stripe price ids and limits change without a release. A limit of
 * null means unlimited.
 */
export const LIMIT_KEYS = ['activeAccounts', 'apiRequestsPerMinute', 'creditChecksPerMonth', 'agencySeats', 'webhookEndpoints', 'auditRetentionDays'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

export const PLAN_CODES = ['free', 'starter', 'growth', 'enterprise'] as const;
export type PlanCode = (typeof PLAN_CODES)[number];

export type PlanLimits = Record<LimitKey, number | null>;

export interface Plan {
  code: PlanCode;
  name: string;
  /** Price per interval in the currency's minor unit. */
  priceMinor: bigint;
  currency: string;
  interval: 'month' | 'year';
  stripePriceId: string | null;
  limits: PlanLimits;
}

const DEFAULT_PLANS: Plan[] = [
  {
    code: 'free',
    name: 'Free',
    priceMinor: 0n,
    currency: 'USD',
    interval: 'month',
    stripePriceId: null,
    limits: { activeAccounts: 100, apiRequestsPerMinute: 60, creditChecksPerMonth: 10, agencySeats: 1, webhookEndpoints: 1, auditRetentionDays: 30 },
  },
  {
    code: 'starter',
    name: 'Starter',
    priceMinor: 9_900n,
    currency: 'USD',
    interval: 'month',
    stripePriceId: null,
    limits: { activeAccounts: 2_000, apiRequestsPerMinute: 300, creditChecksPerMonth: 200, agencySeats: 3, webhookEndpoints: 5, auditRetentionDays: 365 },
  },
  {
    code: 'growth',
    name: 'Growth',
    priceMinor: 49_900n,
    currency: 'USD',
    interval: 'month',
    stripePriceId: null,
    limits: { activeAccounts: 25_000, apiRequestsPerMinute: 1_200, creditChecksPerMonth: 2_000, agencySeats: 20, webhookEndpoints: 20, auditRetentionDays: 1_095 },
  },
  {
    code: 'enterprise',
    name: 'Enterprise',
    priceMinor: 249_900n,
    currency: 'USD',
    interval: 'month',
    stripePriceId: null,
    limits: { activeAccounts: null, apiRequestsPerMinute: 6_000, creditChecksPerMonth: null, agencySeats: null, webhookEndpoints: 100, auditRetentionDays: 2_555 },
  },
];

const limit = z.number().int().min(0).max(1_000_000_000).nullable();
const override = z
  .object({
    name: z.string().min(1).max(80),
    priceMinor: z.union([z.number().int().min(0), z.string().regex(/^\d{1,15}$/)]),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
    interval: z.enum(['month', 'year']),
    stripePriceId: z.string().regex(/^price_[A-Za-z0-9]+$/, 'a Stripe price id (price_…)').nullable(),
    limits: z.object(Object.fromEntries(LIMIT_KEYS.map((k) => [k, limit])) as Record<LimitKey, typeof limit>).strict().partial(),
  })
  .strict()
  .partial();

export const plansOverrideSchema = z
  .string()
  .default('')
  .transform((s, ctx) => {
    if (!s.trim()) return {} as Partial<Record<PlanCode, z.infer<typeof override>>>;
    let json: unknown;
    try {
      json = JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: {"starter": {"stripePriceId": "price_…", "limits": {"activeAccounts": 5000}}}' });
      return z.NEVER;
    }
    const parsed = z.object(Object.fromEntries(PLAN_CODES.map((c) => [c, override])) as Record<PlanCode, typeof override>).strict().partial().safeParse(json);
    if (!parsed.success) {
      for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `${i.path.join('.')}: ${i.message}` });
      return z.NEVER;
    }
    return parsed.data;
  });

export type PlansOverride = z.infer<typeof plansOverrideSchema>;

/** The plans in ascending order (free first); "the plan that would allow it" is the first one that does. */
export class PlanCatalog {
  readonly plans: readonly Plan[];
  private readonly byCode: Map<string, Plan>;
  private readonly byPrice: Map<string, Plan>;

  constructor(
    overrides: PlansOverride = {},
    readonly defaultPlan: PlanCode = 'free',
  ) {
    this.plans = DEFAULT_PLANS.map((p) => {
      const o = overrides[p.code] ?? {};
      return {
        ...p,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.priceMinor !== undefined ? { priceMinor: BigInt(o.priceMinor) } : {}),
        ...(o.currency !== undefined ? { currency: o.currency } : {}),
        ...(o.interval !== undefined ? { interval: o.interval } : {}),
        ...(o.stripePriceId !== undefined ? { stripePriceId: o.stripePriceId } : {}),
        limits: { ...p.limits, ...o.limits },
      };
    });
    this.byCode = new Map(this.plans.map((p) => [p.code, p]));
    this.byPrice = new Map(this.plans.filter((p) => p.stripePriceId).map((p) => [p.stripePriceId!, p]));
  }

  get(code: string | null | undefined): Plan {
    return (code && this.byCode.get(code)) || this.byCode.get(this.defaultPlan)!;
  }

  has(code: string): code is PlanCode {
    return this.byCode.has(code);
  }

  byStripePrice(priceId: string | null | undefined): Plan | null {
    return (priceId && this.byPrice.get(priceId)) || null;
  }

  /** The first plan (cheapest) whose `key` limit admits `needed`, or null when none does. */
  allowing(key: LimitKey, needed: number): Plan | null {
    return this.plans.find((p) => p.limits[key] === null || p.limits[key]! >= needed) ?? null;
  }
}
