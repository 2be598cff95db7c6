import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stripe's API played by a node:http server on 127.0.0.1 (port 0), enough for stripe-node to talk to: customers,
 * Checkout sessions, billing portal sessions and meter events. Every request is recorded with its headers and its
 * form-encoded body flattened to a record of bracket keys (`line_items[0][price]`, `metadata[tenant_id]`).
 *
 * Like Stripe, a successful POST is remembered by its Idempotency-Key: the same key on the same path answers
 * the same object again (with `idempotent-replayed: true`). Meter events are deduplicated by `identifier`.
 * Failures are scripted per path: the next N calls, or every call, answer 500 / 503 (or any status) or have their connection
 * dropped after the request was read (stripe-node retries a dropped connection once even with retries off).
 */

/** An HTTP status to answer with a Stripe error body (500, 503, 429, 400…), or 'drop' the connection. */
export type Failure = number | 'drop';

export interface StripeRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The `idempotency-key` header (undefined when absent). */
  idempotencyKey: string | undefined;
  raw: string;
  /** The form-encoded body, flat: `{ 'metadata[tenant_id]': '…', 'line_items[0][price]': 'price_…' }`. */
  form: Record<string, string>;
  /** What the fake did: an HTTP status, or 'drop'. */
  answer: number | 'drop';
  /** The id of the object answered (customers, sessions), when there is one. */
  objectId?: string;
  replayed: boolean;
}

export interface FakeStripe {
  /** Base URL for STRIPE_API_URL. */
  url: string;
  /** Every request received, in order. */
  requests: StripeRequest[];
  /** The requests to one path (exact match, e.g. '/v1/customers'). */
  calls(path: string): StripeRequest[];
  /** The next `times` calls to `path` fail with `how`; further calls behave normally. */
  failNext(path: string, how: Failure, times?: number): void;
  /** Every call to `path` fails with `how` until `heal(path)` (or `reset()`). */
  failAll(path: string, how: Failure): void;
  heal(path?: string): void;
  /** Forgets recorded requests and scripted failures (idempotency and meter dedupe memory is kept, like Stripe's). */
  reset(): void;
  /** The distinct meter events Stripe would count (deduplicated by identifier). */
  meterEvents(): { identifier: string; event_name: string; payload: Record<string, string>; timestamp: number }[];
  /** A subscription Stripe holds for a customer (GET /v1/subscriptions lists it). */
  addSubscription(customer: string, status: string): string;
  close(): Promise<void>;
}

export const CUSTOMERS = '/v1/customers';
export const CHECKOUT = '/v1/checkout/sessions';
export const PORTAL = '/v1/billing_portal/sessions';
export const METER_EVENTS = '/v1/billing/meter_events';
export const SUBSCRIPTIONS = '/v1/subscriptions';

const rand = (n = 12) => randomBytes(n).toString('hex').slice(0, n * 2);

/** The sub-record of a flat form under `prefix` (`metadata` → `{ tenant_id: … }` from `metadata[tenant_id]`). */
export function under(form: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const head = `${prefix}[`;
  for (const [k, v] of Object.entries(form)) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const close = rest.indexOf(']');
    if (close < 0) continue;
    out[rest.slice(0, close) + rest.slice(close + 1)] = v;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'request-id': `req_${rand(7)}`, ...headers });
  res.end(text);
}

const stripeError = (type: string, message: string) => ({ error: { type, message } });

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: StripeRequest[] = [];
  const failures = new Map<string, { how: Failure; left: number }>();
  /** `path idempotency-key` → the object answered the first time. */
  const idempotent = new Map<string, { id?: string; body: Record<string, unknown> }>();
  /** What GET /v1/subscriptions lists (tests add to it: a checkout completed whose events have not arrived). */
  const subscriptions: { id: string; customer: string; status: string }[] = [];
  const meter = new Map<string, { identifier: string; event_name: string; payload: Record<string, string>; timestamp: number }>();

  function build(path: string, form: Record<string, string>): { status: number; id?: string; body: Record<string, unknown> } | null {
    const now = Math.floor(Date.now() / 1000);
    switch (path) {
      case CUSTOMERS: {
        const id = `cus_${rand(7)}`;
        return { status: 200, id, body: { id, object: 'customer', created: now, livemode: false, name: form.name ?? null, email: form.email ?? null, metadata: under(form, 'metadata') } };
      }
      case CHECKOUT: {
        const id = `cs_test_${rand(12)}`;
        return {
          status: 200,
          id,
          body: {
            id,
            object: 'checkout.session',
            created: now,
            livemode: false,
            mode: form.mode ?? null,
            status: 'open',
            customer: form.customer ?? null,
            client_reference_id: form.client_reference_id ?? null,
            metadata: under(form, 'metadata'),
            success_url: form.success_url ?? null,
            cancel_url: form.cancel_url ?? null,
            url: `https://checkout.stripe.test/c/pay/${id}`,
            expires_at: now + 24 * 3600,
          },
        };
      }
      case PORTAL: {
        const id = `bps_${rand(12)}`;
        return {
          status: 200,
          id,
          body: { id, object: 'billing_portal.session', created: now, livemode: false, customer: form.customer ?? null, return_url: form.return_url ?? null, url: `https://billing.stripe.test/p/session/${id}` },
        };
      }
      case METER_EVENTS: {
        const payload = under(form, 'payload');
        const identifier = form.identifier ?? `mev_${rand(8)}`;
        const timestamp = form.timestamp ? Number(form.timestamp) : now;
        if (!form.event_name || !payload.stripe_customer_id || !payload.value) {
          return { status: 400, body: stripeError('invalid_request_error', 'event_name, payload[stripe_customer_id] and payload[value] are required') };
        }
        if (!meter.has(identifier)) meter.set(identifier, { identifier, event_name: form.event_name, payload, timestamp });
        return { status: 200, body: { object: 'billing.meter_event', created: now, livemode: false, identifier, event_name: form.event_name, payload, timestamp } };
      }
      default:
        return null;
    }
  }

  const server = createServer((req, res) => {
    res.on('error', () => {});
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const form: Record<string, string> = {};
      if (String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(raw)) form[k] = v;
      }
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      const rec: StripeRequest = { method: req.method ?? '', path, headers: req.headers, idempotencyKey: key, raw, form, answer: 0, replayed: false };
      requests.push(rec);

      const f = failures.get(path);
      if (f && f.left > 0) {
        f.left--;
        if (f.left === 0) failures.delete(path);
        if (f.how === 'drop') {
          rec.answer = 'drop';
          req.socket.destroy();
          return;
        }
        rec.answer = f.how;
        const type = f.how === 429 ? 'rate_limit_error' : f.how >= 500 ? 'api_error' : 'invalid_request_error';
        return send(res, f.how, stripeError(type, `fake Stripe: scripted ${f.how}`));
      }
      if (!/^Bearer (sk|rk)_(test|live)_\w+$/.test(String(req.headers.authorization ?? ''))) {
        rec.answer = 401;
        return send(res, 401, stripeError('invalid_request_error', 'You did not provide an API key.'));
      }
      if (req.method === 'GET' && path === SUBSCRIPTIONS) {
        const customer = new URL(req.url ?? '/', 'http://x').searchParams.get('customer');
        const data = subscriptions.filter((x) => x.customer === customer).map((x) => ({ id: x.id, object: 'subscription', customer: x.customer, status: x.status }));
        rec.answer = 200;
        return send(res, 200, { object: 'list', data, has_more: false, url: SUBSCRIPTIONS });
      }
      if (req.method !== 'POST') {
        rec.answer = 404;
        return send(res, 404, stripeError('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`));
      }
      const memo = key ? idempotent.get(`${path} ${key}`) : undefined;
      if (memo) {
        rec.answer = 200;
        rec.objectId = memo.id;
        rec.replayed = true;
        return send(res, 200, memo.body, { 'idempotent-replayed': 'true', 'idempotency-key': key! });
      }
      const out = build(path, form);
      if (!out) {
        rec.answer = 404;
        return send(res, 404, stripeError('invalid_request_error', `Unrecognized request URL (POST: ${path}).`));
      }
      rec.answer = out.status;
      rec.objectId = out.id;
      if (out.status === 200 && key) idempotent.set(`${path} ${key}`, { id: out.id, body: out.body });
      send(res, out.status, out.body, key ? { 'idempotency-key': key } : {});
    });
  });
  server.on('connection', (socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (path) => requests.filter((r) => r.path === path),
    failNext: (path, how, times = 1) => void failures.set(path, { how, left: times }),
    failAll: (path, how) => void failures.set(path, { how, left: Number.POSITIVE_INFINITY }),
    heal: (path) => void (path ? failures.delete(path) : failures.clear()),
    reset() {
      requests.length = 0;
      failures.clear();
    },
    meterEvents: () => [...meter.values()],
    addSubscription(customer, status) {
      const id = `sub_${rand(10)}`;
      subscriptions.push({ id, customer, status });
      return id;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A base URL on 127.0.0.1 where nothing listens (connection refused): Stripe unreachable. */
export async function deadStripeUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
