import Stripe from 'stripe';

export interface StripeSettings {
  secretKey: string | null;
  webhookSecret: string | null;
  webhookToleranceSeconds: number;
  /** https://api.stripe.com in production; tests point it at a server on 127.0.0.1. */
  apiUrl: string;
  timeoutMs: number;
  maxNetworkRetries: number;
}

/** Stripe could not be reached or refused the call: nothing of ours was written. */
export class StripeUnavailable extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A verified event, loosely typed: fields are read defensively because API versions move them. */
export interface StripeEventEnvelope {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

export class BadSignature extends Error {}

/**
 * The few Stripe calls Arrears makes, each with an explicit idempotency key, so a retry (ours or stripe-node's)
 * is the same request to Stripe. Nothing here touches the database: callers run these outside transactions.
 */
export class StripeGateway {
  private readonly client: Stripe | null;
  /** Signature checks need no API key; a verifier-only client serves deployments that only receive events. */
  private readonly verifier: Stripe;

  constructor(readonly settings: StripeSettings) {
    const url = new URL(settings.apiUrl);
    const options: Stripe.StripeConfig = {
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      timeout: settings.timeoutMs,
      maxNetworkRetries: settings.maxNetworkRetries,
      telemetry: false,
      appInfo: { name: 'arrears' },
    };
    this.client = settings.secretKey ? new Stripe(settings.secretKey, options) : null;
    this.verifier = this.client ?? new Stripe('sk_test_verifier_only', options);
  }

  get configured(): boolean {
    return this.client !== null;
  }

  get receivesEvents(): boolean {
    return this.settings.webhookSecret !== null;
  }

  private api(): Stripe {
    if (!this.client) throw new StripeUnavailable('Stripe is not configured on this server (STRIPE_SECRET_KEY)', false);
    return this.client;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StripeUnavailable) throw err;
      const e = err as { type?: string; statusCode?: number; message?: string };
      const retryable = e.type === 'StripeConnectionError' || e.type === 'StripeAPIError' || e.type === 'StripeRateLimitError' || (e.statusCode ?? 0) >= 500;
      throw new StripeUnavailable(`${what} failed: ${e.type ?? 'error'}${e.statusCode ? ` (HTTP ${e.statusCode})` : ''}: ${e.message ?? 'no message'}`, retryable);
    }
  }

  /** Keyed by tenant, so a retry after a lost answer finds the customer the first attempt made (Stripe keeps keys 24 h). */
  async createCustomer(tenantId: string, name: string): Promise<string> {
    const c = await this.call('creating the Stripe customer', () =>
      this.api().customers.create({ name, metadata: { tenant_id: tenantId } }, { idempotencyKey: `arrears-customer-${tenantId}` }),
    );
    return c.id;
  }

  async createCheckoutSession(p: {
    tenantId: string;
    customerId: string;
    priceId: string;
    planCode: string;
    successUrl: string;
    cancelUrl: string;
    idempotencyKey: string;
  }): Promise<{ id: string; url: string; expiresAt: Date | null }> {
    const s = await this.call('creating the checkout session', () =>
      this.api().checkout.sessions.create(
        {
          mode: 'subscription',
          customer: p.customerId,
          client_reference_id: p.tenantId,
          line_items: [{ price: p.priceId, quantity: 1 }],
          success_url: p.successUrl,
          cancel_url: p.cancelUrl,
          metadata: { tenant_id: p.tenantId, plan_code: p.planCode },
          // Every later subscription event then names its tenant, whatever order the events arrive in.
          subscription_data: { metadata: { tenant_id: p.tenantId, plan_code: p.planCode } },
        },
        { idempotencyKey: p.idempotencyKey },
      ),
    );
    if (!s.url) throw new StripeUnavailable('Stripe returned a checkout session without a URL', false);
    return { id: s.id, url: s.url, expiresAt: s.expires_at ? new Date(s.expires_at * 1000) : null };
  }

  /** The customer's subscriptions that still bill or could (a checkout completed whose events are still on their way). */
  async liveSubscriptions(customerId: string): Promise<{ id: string; status: string }[]> {
    const list = await this.call('listing the customer\'s subscriptions', () => this.api().subscriptions.list({ customer: customerId, status: 'all', limit: 20 }));
    return list.data.filter((x) => ['active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete'].includes(x.status)).map((x) => ({ id: x.id, status: x.status }));
  }

  async createPortalSession(customerId: string, returnUrl: string, idempotencyKey: string): Promise<{ id: string; url: string }> {
    const s = await this.call('creating the billing portal session', () =>
      this.api().billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }, { idempotencyKey }),
    );
    return { id: s.id, url: s.url };
  }

  /** One meter event; `identifier` is Stripe's deduplication key for it and doubles as the idempotency key. */
  async sendMeterEvent(e: { eventName: string; customerId: string; value: number; identifier: string; timestamp: Date }): Promise<void> {
    await this.call('reporting usage', () =>
      this.api().billing.meterEvents.create(
        {
          event_name: e.eventName,
          payload: { stripe_customer_id: e.customerId, value: String(e.value) },
          identifier: e.identifier,
          timestamp: Math.floor(e.timestamp.getTime() / 1000),
        },
        { idempotencyKey: `arrears-meter-${e.identifier}` },
      ),
    );
  }

  /** Verifies the signature over the raw body and the timestamp's age; throws BadSignature on any failure. */
  verify(rawBody: Buffer, signatureHeader: string | undefined): StripeEventEnvelope {
    if (!this.settings.webhookSecret) throw new BadSignature('webhooks are not configured');
    if (!signatureHeader) throw new BadSignature('missing Stripe-Signature header');
    let event: unknown;
    try {
      event = this.verifier.webhooks.constructEvent(rawBody, signatureHeader, this.settings.webhookSecret, this.settings.webhookToleranceSeconds);
    } catch (err) {
      if (err instanceof SyntaxError) throw new MalformedEvent('the body is not JSON');
      throw new BadSignature((err as Error).message.split('\n')[0]!.slice(0, 200));
    }
    const e = event as Partial<StripeEventEnvelope> | null;
    if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.created !== 'number' || !e.data || typeof e.data.object !== 'object' || e.data.object === null) {
      throw new MalformedEvent('the body is not a Stripe event (id, type, created, data.object)');
    }
    return e as StripeEventEnvelope;
  }
}

export class MalformedEvent extends Error {}
