import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BillingService } from '../modules/billing/billing.service.js';
import { BodyTooLarge, ClientClosed, readRawBody } from './body.js';
import { sendJson } from './respond.js';

/** Stripe's events are small; anything near this is not one. */
const MAX_EVENT_BYTES = 512 * 1024;

/**
 * POST /webhooks/stripe. The signature is checked over the exact bytes received; 400 tells Stripe not to
 * retry (bad signature, malformed), 500 asks it to (our failure), 200 acknowledges (applied, repeated, stale,
 * ignored, or about no tenant of ours).
 */
export async function stripeWebhook(req: IncomingMessage, res: ServerResponse, billing: BillingService, enabled: boolean): Promise<void> {
  if (!enabled) return sendJson(res, 404, { error: 'not found' });
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
  let raw: Buffer;
  try {
    raw = await readRawBody(req, MAX_EVENT_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: 'body too large' });
    if (err instanceof ClientClosed) {
      res.statusCode = 499;
      return;
    }
    throw err;
  }
  const sig = req.headers['stripe-signature'];
  const answer = await billing.receive(raw, Array.isArray(sig) ? sig.join(',') : sig);
  sendJson(res, answer.status, answer.body);
}
