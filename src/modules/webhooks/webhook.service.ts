import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import type { PiiCipher } from '../../shared/pii-crypto.js';
import { lineText, Problems } from '../../shared/validation.js';
import type { Entitlements } from '../billing/entitlement.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { checkReceiverUrl } from './webhook.logic.js';
import { webhookRepository, type AttemptRow, type DeliveryFilter, type DeliveryRow, type DeliveryStatus, type EndpointRow } from './webhook.repository.js';
import { generateSecret } from './webhook.signature.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook.table.js';

export interface WebhookOptions {
  /** Loopback/private/link-local receivers allowed (tests, local development). Never in production. */
  allowPrivateUrls: boolean;
  /** Production: https only. */
  requireHttps: boolean;
  timeoutMs: number;
  maxAgeHours: number;
  disableAfterFailures: number;
  /** Finished deliveries (and their events and attempt logs) are kept this long. */
  retentionDays: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { allowPrivateUrls: false, requireHttps: true, timeoutMs: 10_000, maxAgeHours: 72, disableAfterFailures: 50, retentionDays: 30 };

/** Endpoints a tenant may register (disabled ones count: update and re-enable one instead of adding another). */
/** After a rotation the previous secret keeps signing this long, so receivers can switch over without dropping events. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
const MAX_DESCRIPTION = 500;

export interface EndpointInput {
  url: string;
  eventTypes: readonly string[];
  description?: string | null;
}

export interface EndpointPatch {
  url?: string | null;
  eventTypes?: readonly string[] | null;
  description?: string | null;
}

/** The sealed secret's associated data: a ciphertext copied to another endpoint or tenant does not open. */
export const secretAad = (tenantId: string, endpointId: string) => `webhook:${tenantId}:${endpointId}`;
export const previousSecretAad = (tenantId: string, endpointId: string) => `webhook-previous:${tenantId}:${endpointId}`;

/** What the audit log keeps of an endpoint: never a secret, only whether a rotation overlap is running. */
function auditView(e: EndpointRow, now: Date): Record<string, unknown> {
  return {
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    status: e.status,
    disabledReason: e.disabledReason,
    previousSecretUntil: e.previousSecretExpiresAt && e.previousSecretExpiresAt > now ? e.previousSecretExpiresAt.toISOString() : null,
  };
}

/**
 * Endpoints (register, update, rotate the secret, disable, enable), the delivery log, redelivery. Delivery itself
 * is the WebhookWorker's. Everything here belongs to the creditor as a whole: portfolio-scoped keys and agencies
 * are refused (the database hides these tables from them as well, migration 0016).
 */
export class WebhookService {
  constructor(
    readonly db: Database,
    readonly clock: Clock,
    readonly audit: AuditService,
    readonly pii: PiiCipher,
    readonly options: WebhookOptions,
    readonly entitlements: Entitlements,
  ) {}

  private tenantWide(actor: TenantActor): { tenantId: string } {
    const p = actor.principal;
    if (p.kind === 'agency' || p.portfolioIds) throw AppError.forbidden('Webhooks need a tenant-wide key: their events span every portfolio');
    return { tenantId: p.tenantId };
  }

  private eventTypes(p: Problems, field: string, raw: readonly string[]): WebhookEventType[] {
    if (!raw.length) p.add(field, 'must name at least one event type');
    const bad = raw.filter((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
    if (bad.length) p.add(field, `unknown event type ${bad.map((b) => `"${b}"`).join(', ')}`);
    // Kept in the enum's order, once each: the stored list reads the same however the client listed it.
    return WEBHOOK_EVENT_TYPES.filter((t) => raw.includes(t));
  }

  private url(p: Problems, field: string, raw: string): string {
    const r = checkReceiverUrl(raw, this.options);
    if ('problem' in r) {
      p.add(field, r.problem);
      return raw;
    }
    return r.url;
  }

  private description(p: Problems, field: string, raw: string | null | undefined): string | null {
    if (raw == null) return null;
    if (raw.trim() === '') return null;
    return lineText(p, field, raw, MAX_DESCRIPTION);
  }

  private seal(tenantId: string, endpointId: string, secret: string): { ciphertext: Buffer; keyId: string } {
    return this.pii.seal(secret, secretAad(tenantId, endpointId));
  }

  /** The secrets that sign a request now: the current one, then the previous one during a rotation's overlap. */
  signingSecrets(e: EndpointRow, now: Date): string[] {
    const secrets = [this.pii.open(e.secretCiphertext, e.secretKeyId, secretAad(e.tenantId, e.id))];
    if (e.previousSecretCiphertext && e.previousSecretKeyId && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now) {
      secrets.push(this.pii.open(e.previousSecretCiphertext, e.previousSecretKeyId, previousSecretAad(e.tenantId, e.id)));
    }
    return secrets;
  }

  async createEndpoint(actor: TenantActor, input: EndpointInput): Promise<{ endpoint: EndpointRow; secret: string }> {
    const { tenantId } = this.tenantWide(actor);
    const p = new Problems();
    const url = this.url(p, 'input.url', input.url);
    const eventTypes = this.eventTypes(p, 'input.eventTypes', input.eventTypes);
    const description = this.description(p, 'input.description', input.description);
    if (!p.empty) throw AppError.badInputMany(p.list);
    const id = uuidv7();
    const secret = generateSecret();
    const sealed = this.seal(tenantId, id, secret);
    return this.db.tenant({ tenantId }, async (tx) => {
      // Disabled endpoints count too: re-enabling one must not exceed the plan.
      await this.entitlements.ensure(tx, tenantId, 'webhookEndpoints', 1);
      const endpoint = await webhookRepository.insertEndpoint(tx, tenantId, { id, url, description, eventTypes, secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId });
      await this.audit.record(tx, actor, { action: 'webhook_endpoint.create', entityType: 'webhook_endpoint', entityId: id, before: null, after: auditView(endpoint, this.clock.now()) });
      return { endpoint, secret };
    });
  }

  async updateEndpoint(actor: TenantActor, rawId: string, version: number, input: EndpointPatch): Promise<EndpointRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    const p = new Problems();
    const patch: { url?: string; eventTypes?: string[]; description?: string | null } = {};
    if (input.url != null) patch.url = this.url(p, 'input.url', input.url);
    if (input.eventTypes != null) patch.eventTypes = this.eventTypes(p, 'input.eventTypes', input.eventTypes);
    if (input.description !== undefined && input.description !== null) patch.description = this.description(p, 'input.description', input.description);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant({ tenantId }, async (tx) => {
      const current = await webhookRepository.findEndpoint(tx, tenantId, id);
      if (!current) throw AppError.notFound('WebhookEndpoint', id);
      if (current.version !== version) throw AppError.conflict(`version: the endpoint is at version ${current.version}`, { currentVersion: current.version });
      const row = await webhookRepository.updateEndpoint(tx, tenantId, id, version, patch);
      if (!row) throw AppError.conflict('The endpoint changed concurrently; reload and retry');
      const now = this.clock.now();
      await this.audit.record(tx, actor, { action: 'webhook_endpoint.update', entityType: 'webhook_endpoint', entityId: id, before: auditView(current, now), after: auditView(row, now) });
      return row;
    });
  }

  /**
   * A new secret, returned this once. The replaced one keeps signing (as a second signature) for 24 hours; a
   * rotation during that overlap ends the older secret at once (only the one just replaced overlaps).
   */
  async rotateSecret(actor: TenantActor, rawId: string): Promise<{ endpoint: EndpointRow; secret: string }> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    const secret = generateSecret();
    return this.db.tenant({ tenantId }, async (tx) => {
      const current = await webhookRepository.findEndpoint(tx, tenantId, id);
      if (!current) throw AppError.notFound('WebhookEndpoint', id);
      const now = this.clock.now();
      const old = this.pii.open(current.secretCiphertext, current.secretKeyId, secretAad(tenantId, id));
      const previous = this.pii.seal(old, previousSecretAad(tenantId, id));
      const next = this.seal(tenantId, id, secret);
      const row = await webhookRepository.updateEndpoint(tx, tenantId, id, current.version, {
        secretCiphertext: next.ciphertext,
        secretKeyId: next.keyId,
        previousSecretCiphertext: previous.ciphertext,
        previousSecretKeyId: previous.keyId,
        previousSecretExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS),
      });
      if (!row) throw AppError.conflict('The endpoint changed concurrently; retry');
      await this.audit.record(tx, actor, { action: 'webhook_endpoint.rotate_secret', entityType: 'webhook_endpoint', entityId: id, before: auditView(current, now), after: auditView(row, now) });
      return { endpoint: row, secret };
    });
  }

  /**
   * Nothing is queued for a disabled endpoint and nothing more is sent to it; its pending deliveries wait. A worker
   * sending to it at that moment notices when it next records its progress (at most a page of deliveries, or a
   * second, later) and lets go of its lease.
   */
  async disableEndpoint(actor: TenantActor, rawId: string, rawReason: string): Promise<EndpointRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    const p = new Problems();
    const reason = lineText(p, 'reason', rawReason, MAX_DESCRIPTION);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant({ tenantId }, async (tx) => {
      const current = await webhookRepository.findEndpoint(tx, tenantId, id);
      if (!current) throw AppError.notFound('WebhookEndpoint', id);
      if (current.status === 'disabled') return current;
      const row = await webhookRepository.updateEndpoint(tx, tenantId, id, current.version, { status: 'disabled', disabledReason: reason });
      if (!row) throw AppError.conflict('The endpoint changed concurrently; retry');
      const now = this.clock.now();
      await this.audit.record(tx, actor, { action: 'webhook_endpoint.disable', entityType: 'webhook_endpoint', entityId: id, before: auditView(current, now), after: auditView(row, now) });
      return row;
    });
  }

  /** Clears the failure streak; the endpoint's pending deliveries are due at once, in their order. */
  async enableEndpoint(actor: TenantActor, rawId: string): Promise<EndpointRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    return this.db.tenant({ tenantId }, async (tx) => {
      const current = await webhookRepository.findEndpoint(tx, tenantId, id);
      if (!current) throw AppError.notFound('WebhookEndpoint', id);
      if (current.status === 'active') return current;
      // The URL is judged again: the rules may have tightened since it was registered (e.g. production mode).
      const r = checkReceiverUrl(current.url, this.options);
      if ('problem' in r) throw AppError.badInput('id', `the endpoint's URL ${r.problem}: update it first`);
      const row = await webhookRepository.updateEndpoint(tx, tenantId, id, current.version, { status: 'active', disabledReason: null, failureStreak: 0 });
      if (!row) throw AppError.conflict('The endpoint changed concurrently; retry');
      const resumed = await webhookRepository.resumeDeliveries(tx, tenantId, id);
      const now = this.clock.now();
      await this.audit.record(tx, actor, {
        action: 'webhook_endpoint.enable',
        entityType: 'webhook_endpoint',
        entityId: id,
        before: { ...auditView(current, now), failureStreak: current.failureStreak },
        after: { ...auditView(row, now), failureStreak: 0, resumedDeliveries: resumed },
      });
      return row;
    });
  }

  async endpoints(actor: TenantActor): Promise<EndpointRow[]> {
    const { tenantId } = this.tenantWide(actor);
    return this.db.tenant({ tenantId }, (tx) => webhookRepository.endpoints(tx, tenantId));
  }

  async endpoint(actor: TenantActor, rawId: string): Promise<EndpointRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    const row = await this.db.tenant({ tenantId }, (tx) => webhookRepository.findEndpoint(tx, tenantId, id));
    if (!row) throw AppError.notFound('WebhookEndpoint', id);
    return row;
  }

  async deliveries(actor: TenantActor, filter: { endpointId?: string | null; status?: DeliveryStatus | null; eventId?: string | null }, limit: number, after: { eventId: string; id: string } | null): Promise<DeliveryRow[]> {
    const { tenantId } = this.tenantWide(actor);
    const f: DeliveryFilter = {
      endpointId: filter.endpointId != null ? assertUuid('endpointId', filter.endpointId) : null,
      eventId: filter.eventId != null ? assertUuid('eventId', filter.eventId) : null,
      status: filter.status ?? null,
    };
    return this.db.tenant({ tenantId }, async (tx) => {
      // Another tenant's endpoint answers as an unknown one would, not as an empty list.
      if (f.endpointId && !(await webhookRepository.findEndpoint(tx, tenantId, f.endpointId))) throw AppError.notFound('WebhookEndpoint', f.endpointId);
      return webhookRepository.deliveries(tx, tenantId, f, limit, after);
    });
  }

  async delivery(actor: TenantActor, rawId: string): Promise<DeliveryRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('id', rawId);
    const row = await this.db.tenant({ tenantId }, (tx) => webhookRepository.findDelivery(tx, tenantId, id));
    if (!row) throw AppError.notFound('WebhookDelivery', id);
    return row;
  }

  /** Attempt logs of several deliveries (one query for a page of them). */
  async attemptsOf(actor: TenantActor, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
    const { tenantId } = this.tenantWide(actor);
    return this.db.tenant({ tenantId }, (tx) => webhookRepository.attemptsOf(tx, tenantId, deliveryIds));
  }

  /**
   * Sends a delivery's event to its endpoint again, as a new delivery queued behind the endpoint's pending ones
   * (the original keeps its own history). Same event, so the same webhook-id: a receiver that dedupes sees a
   * repeat. Allowed for delivered and given-up deliveries; a pending one is already queued. If the endpoint is
   * disabled, the new delivery waits for it to be enabled.
   */
  /**
   * Removes a tenant's finished deliveries (succeeded or given up) older than the retention period, their attempt
   * logs, and events left with no delivery. Pending deliveries are never touched, however old. In batches, each
   * its own transaction, so a large backlog does not hold one long transaction.
   */
  async purge(tenantId: string, batch = 5000): Promise<{ deliveries: number; events: number }> {
    const total = { deliveries: 0, events: 0 };
    const cutoff = new Date(this.clock.now().getTime() - this.options.retentionDays * 86_400_000);
    for (;;) {
      const n = await this.db.tenant({ tenantId }, (tx) => webhookRepository.purgeFinished(tx, tenantId, cutoff, batch));
      total.deliveries += n.deliveries;
      total.events += n.events;
      if (n.deliveries < batch) return total;
    }
  }

  async redeliver(actor: TenantActor, rawId: string): Promise<DeliveryRow> {
    const { tenantId } = this.tenantWide(actor);
    const id = assertUuid('deliveryId', rawId);
    return this.db.tenant({ tenantId }, async (tx) => {
      const original = await webhookRepository.findDelivery(tx, tenantId, id);
      if (!original) throw AppError.notFound('WebhookDelivery', id);
      if (original.status === 'pending') throw AppError.conflict('deliveryId: the delivery is still pending: it will be attempted again on its own', { field: 'deliveryId' });
      const newId = uuidv7();
      await webhookRepository.insertDelivery(tx, tenantId, { id: newId, endpointId: original.endpointId, eventId: original.eventId });
      await this.audit.record(tx, actor, {
        action: 'webhook_delivery.redeliver',
        entityType: 'webhook_delivery',
        entityId: newId,
        before: null,
        after: { redeliveryOf: id, eventId: original.eventId, eventType: original.eventType, endpointId: original.endpointId, originalStatus: original.status },
      });
      return (await webhookRepository.findDelivery(tx, tenantId, newId))!;
    });
  }
}
