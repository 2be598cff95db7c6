import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import type { Logger } from 'pino';
import type { Config } from './config/env.js';
import type { Database } from './db/client.js';
import { createApollo } from './graphql/apollo.js';
import { narrowActor, type GraphQLContext } from './graphql/context.js';
import { getSchema } from './graphql/schema.js';
import { BodyTooLarge, ClientClosed, readBody } from './http/body.js';
import { healthz, readyz } from './http/health.js';
import { jwksEndpoint, tokenEndpoint } from './http/oauth.js';
import { stripeWebhook } from './http/stripe-webhook.js';
import { rateLimitHeaders } from './modules/billing/rate-limit.service.js';
import { sendError, sendJson } from './http/respond.js';
import { accountLoaders } from './modules/accounts/account.loaders.js';
import { contactPointsLoader, debtorDetailsLoader } from './modules/debtors/debtor.loaders.js';
import type { Actor, Principal, TenantActor } from './modules/tenancy/principal.js';
import { buildServices, type Services } from './services.js';
import { serviceOptions } from './config/service-options.js';
import { lateFeeLoaders } from './modules/fees/late-fee.loaders.js';
import { planLoaders } from './modules/plans/plan.loaders.js';
import { agencyLoaders } from './modules/agencies/agency.loaders.js';
import { creditCheckLoaders } from './modules/credit-checks/credit-check.loaders.js';
import { complianceLoaders } from './modules/compliance/compliance.loaders.js';
import { systemClock, type Clock } from './shared/clock.js';
import { isAppError } from './shared/errors.js';
import { safeError } from './shared/logger.js';
import type { PiiCipher } from './shared/pii-crypto.js';
import { requestScope } from './shared/request-context.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  pii: PiiCipher;
  clock?: Clock;
}

export interface App {
  server: Server;
  services: Services;
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), flushes, closes. */
  close(): Promise<void>;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{8,128}$/;

function clientIp(req: IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const services = buildServices({
    ...serviceOptions(config),
    database,
    clock,
    pii: deps.pii,
    onBackgroundError: (err) => logger.error({ err: safeError(err) }, 'background task failed'),
    onTokenFailure: (f) => logger.warn({ clientId: f.clientId, ip: f.ip, reason: f.reason }, 'token request refused'),
    onBillingLog: (level, fields, msg) => logger[level](fields, msg),
  });
  services.lastUsed.start();
  const apollo = await createApollo(
    await getSchema(),
    { maxDepth: config.GRAPHQL_MAX_DEPTH, maxAliases: config.GRAPHQL_MAX_ALIASES, maxCost: config.GRAPHQL_MAX_COST },
    config.NODE_ENV === 'production',
  );

  let shuttingDown = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;

  async function graphql(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger): Promise<void> {
    let principal: Principal;
    try {
      principal = await services.auth.authenticate(req.headers.authorization);
    } catch (err) {
      if (isAppError(err)) return sendError(res, 401, err.code, err.message, requestId);
      throw err;
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, MAX_BODY_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLarge) return sendError(res, 413, 'BAD_USER_INPUT', `Request body exceeds ${MAX_BODY_BYTES} bytes`, requestId);
        if (err instanceof ClientClosed) {
          res.statusCode = 499; // for the access log only: nothing can be sent
          return;
        }
        throw err;
      }
      const type = req.headers['content-type'] ?? '';
      if (!type.includes('application/json')) return sendError(res, 415, 'BAD_USER_INPUT', 'Content-Type must be application/json', requestId);
      try {
        body = JSON.parse(text);
      } catch {
        return sendError(res, 400, 'BAD_USER_INPUT', 'Request body is not valid JSON', requestId);
      }
    }
    // Billing and rate limits come from what authentication read: no further query on the hot path.
    const billing = services.billing.access(principal);
    const rate = await services.rateLimiter.decide(principal, billing?.plan.limits.apiRequestsPerMinute ?? null);
    if (rate) for (const [k, v] of Object.entries(rateLimitHeaders(rate))) res.setHeader(k, v);
    if (rate && !rate.allowed) {
      res.setHeader('retry-after', String(rate.reset));
      req.resume();
      return sendError(res, 429, 'RATE_LIMITED', `This ${principal.kind === 'agency' ? 'agency credential' : 'API key'} may make ${rate.limit} requests per minute on the ${billing!.plan.name} plan; retry in ${rate.reset} s`, requestId, {
        retryAfter: rate.reset,
        limit: rate.limit,
        plan: billing!.plan.code,
      });
    }
    const actor: Actor = { principal, requestId, ip: clientIp(req), userAgent: req.headers['user-agent']?.slice(0, 512) ?? null };
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const url = new URL(req.url ?? '/', 'http://localhost');
    log = log.child({ actorKind: principal.kind, actorId: principal.actorId, tenantId: principal.tenantId });
    const result = await requestScope.run({ requestId, log }, () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: url.search, body },
        context: async (): Promise<GraphQLContext> => ({
          actor,
          billing,
          services,
          loaders: {
            // Nested fields: an agency reaches debtors' details through debtors:read grants and accounts (and
            // everything hanging off them) through accounts:read grants; anyone else is not narrowed.
            contactPoints: contactPointsLoader(services.debtors, () => narrowActor(actor as TenantActor, 'debtors:read')),
            debtorDetails: debtorDetailsLoader(services.debtors, () => narrowActor(actor as TenantActor, 'debtors:read')),
            ...accountLoaders(services, () => narrowActor(actor as TenantActor, 'accounts:read')),
            ...lateFeeLoaders(services, () => narrowActor(actor as TenantActor, 'accounts:read')),
            ...planLoaders(services, () => narrowActor(actor as TenantActor, 'accounts:read')),
            ...agencyLoaders(services, () => narrowActor(actor as TenantActor, 'accounts:read')),
            ...creditCheckLoaders(services, () => actor as TenantActor),
            ...complianceLoaders(
              services,
              () => narrowActor(actor as TenantActor, 'accounts:read'),
              () => narrowActor(actor as TenantActor, 'debtors:read'),
            ),
          },
        }),
      }),
    );
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of result.headers) outHeaders[k] = v;
    outHeaders['x-request-id'] = requestId;
    res.writeHead(result.status ?? 200, outHeaders);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    const log = logger.child({ requestId });
    const path = (req.url ?? '/').split('?')[0];
    inFlight++;
    try {
      if (path === '/healthz' && req.method === 'GET') healthz(res);
      else if (path === '/readyz' && req.method === 'GET') await readyz(res, database, shuttingDown);
      else if (path === '/graphql' && (req.method === 'POST' || req.method === 'GET')) await graphql(req, res, requestId, log);
      else if (path === '/graphql') sendError(res, 405, 'BAD_USER_INPUT', 'Use POST (or GET for queries)', requestId);
      else if (path === '/oauth/token') await tokenEndpoint(req, res, services.agencyAuth, clientIp(req));
      else if (path === '/webhooks/stripe') await stripeWebhook(req, res, services.billing, config.STRIPE_WEBHOOK_SECRET !== undefined);
      else if (path === '/.well-known/jwks.json') await jwksEndpoint(req, res, services.tokens);
      else sendJson(res, 404, { error: 'not found' });
    } catch (err) {
      log.error({ err: safeError(err) }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', `Internal error; quote request id ${requestId} when reporting it`, requestId);
      else res.destroy();
    } finally {
      inFlight--;
      if (path !== '/healthz' && path !== '/readyz') {
        log.info({ method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
      }
      if (shuttingDown && inFlight === 0) drained?.();
    }
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => void handle(req, res));

  return {
    server,
    services,
    listen(port, host = config.HOST) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
        });
      });
    },
    async close() {
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, config.SHUTDOWN_GRACE_MS).unref())]);
      }
      server.closeAllConnections();
      await closed;
      await services.lastUsed.stop();
      await services.rateLimiter.close();
      await apollo.stop();
    },
  };
}
