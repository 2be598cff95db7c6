import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { portfolioRepository } from '../accounts/portfolio.repository.js';
import { lineText, Problems, timeZone, uuidField } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import { generateApiKey } from './api-key.format.js';
import { apiKeyRepository, type ApiKeyRow } from './api-key.repository.js';
import type { LastUsedTracker } from './last-used.tracker.js';
import { SCOPES, type Actor, type Scope, type TenantActor } from './principal.js';
import { tenantRepository, type TenantRow } from './tenant.repository.js';

export interface NewApiKeyInput {
  name: string;
  scopes: string[];
  expiresAt?: Date | null;
  /** Restricts the key to these portfolios' accounts; omitted or null: the whole tenant. */
  portfolioIds?: string[] | null;
}

export interface CreatedKey {
  /** Shown once; only its hash is stored. */
  secret: string;
  record: ApiKeyRow;
}

function keyAuditView(k: ApiKeyRow): Record<string, unknown> {
  // Never the secret or its hash: the audit log is readable by every admin key.
  return { name: k.name, publicId: k.publicId, scopes: k.scopes, portfolioIds: k.portfolioIds, expiresAt: k.expiresAt?.toISOString() ?? null, revokedAt: k.revokedAt?.toISOString() ?? null };
}

export class TenancyService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly lastUsed: LastUsedTracker,
  ) {}

  private validateKey(p: Problems, field: string, input: NewApiKeyInput): { name: string; scopes: Scope[]; expiresAt: Date | null } {
    const name = lineText(p, `${field}.name`, input.name, 100);
    const scopes: Scope[] = [];
    input.scopes.forEach((s, i) => {
      if (!(SCOPES as readonly string[]).includes(s)) p.add(`${field}.scopes.${i}`, `unknown scope "${s.slice(0, 40)}"; expected one of ${SCOPES.join(', ')}`);
      else if (!scopes.includes(s as Scope)) scopes.push(s as Scope);
    });
    if (input.scopes.length === 0) p.add(`${field}.scopes`, 'must name at least one scope');
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt <= this.clock.now()) p.add(`${field}.expiresAt`, 'must be in the future');
    return { name, scopes, expiresAt };
  }

  /** Platform operation: a new tenant and its first admin key, in one transaction with its audit event. */
  async createTenant(actor: Actor, input: { name: string; timeZone?: string | null; keyName?: string | null }): Promise<{ tenant: TenantRow; key: CreatedKey }> {
    if (actor.principal.kind !== 'platform' && actor.principal.kind !== 'system') throw AppError.forbidden('Only the platform operator can create tenants');
    const p = new Problems();
    const name = lineText(p, 'input.name', input.name, 200);
    const tz = input.timeZone == null ? 'UTC' : timeZone(p, 'input.timeZone', input.timeZone);
    const key = this.validateKey(p, 'input', { name: input.keyName ?? 'Initial admin key', scopes: [...SCOPES] });
    if (!p.empty) throw AppError.badInputMany(p.list);

    const tenantId = uuidv7();
    const tenantActor: TenantActor = { ...actor, principal: { ...actor.principal, tenantId } };
    return this.db.tenant({ tenantId }, async (tx) => {
      const tenant = await tenantRepository.insert(tx, tenantId, { name, timeZone: tz });
      const gen = generateApiKey(tenantId);
      const record = await apiKeyRepository.insert(tx, tenantId, {
        id: uuidv7(),
        publicId: gen.publicId,
        name: key.name,
        secretHash: gen.secretHash,
        scopes: key.scopes,
        createdByKind: actor.principal.kind,
        createdById: actor.principal.actorId,
        expiresAt: null,
      });
      await this.audit.record(tx, tenantActor, {
        action: 'tenant.create',
        entityType: 'tenant',
        entityId: tenantId,
        before: null,
        after: { name, timeZone: tz, initialKey: keyAuditView(record) },
      });
      return { tenant, key: { secret: gen.key, record } };
    });
  }

  tenant(actor: TenantActor): Promise<TenantRow> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, async (tx) => {
      const t = await tenantRepository.find(tx, tenantId);
      if (!t) throw AppError.notFound('Tenant', tenantId);
      return t;
    });
  }

  async createApiKey(actor: TenantActor, input: NewApiKeyInput): Promise<CreatedKey> {
    const p = new Problems();
    const key = this.validateKey(p, 'input', input);
    const portfolioIds = input.portfolioIds == null ? null : [...new Set(input.portfolioIds.map((id, i) => uuidField(p, `input.portfolioIds.${i}`, id)))];
    if (portfolioIds && portfolioIds.length === 0) p.add('input.portfolioIds', 'must name at least one portfolio (omit it for the whole tenant)');
    if (!p.empty) throw AppError.badInputMany(p.list);
    const tenantId = actor.principal.tenantId;
    const own = actor.principal.portfolioIds ?? null;
    // A scoped key can only hand out what it has itself.
    if (own && (!portfolioIds || portfolioIds.some((id) => !own.includes(id)))) throw AppError.forbidden('A portfolio-scoped key can only create keys for its own portfolios');
    return this.db.tenant({ tenantId, portfolioIds: own }, async (tx) => {
      if (portfolioIds) {
        const found = new Set((await portfolioRepository.findMany(tx, tenantId, own, portfolioIds)).map((x) => x.id));
        const missing = portfolioIds.find((id) => !found.has(id));
        if (missing) throw AppError.notFound('Portfolio', missing);
      }
      const gen = generateApiKey(tenantId);
      const record = await apiKeyRepository.insert(tx, tenantId, {
        id: uuidv7(),
        publicId: gen.publicId,
        name: key.name,
        secretHash: gen.secretHash,
        scopes: key.scopes,
        createdByKind: actor.principal.kind,
        createdById: actor.principal.actorId,
        expiresAt: key.expiresAt,
        portfolioIds,
      });
      await this.audit.record(tx, actor, { action: 'api_key.create', entityType: 'api_key', entityId: record.id, before: null, after: keyAuditView(record) });
      return { secret: gen.key, record };
    });
  }

  async revokeApiKey(actor: TenantActor, rawId: string): Promise<ApiKeyRow> {
    const id = assertUuid('id', rawId);
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, async (tx) => {
      const existing = await apiKeyRepository.findForUpdate(tx, tenantId, id);
      if (!existing) throw AppError.notFound('ApiKey', id);
      if (existing.revokedAt) return existing; // idempotent: revoking twice is not an error and writes nothing
      const now = this.clock.now();
      const isActiveAdmin = existing.scopes.includes('admin') && (!existing.expiresAt || existing.expiresAt > now);
      if (isActiveAdmin && (await apiKeyRepository.countActiveAdmins(tx, tenantId, now)) <= 1) {
        throw AppError.conflict('Refusing to revoke the last active admin key: create another admin key first', { id });
      }
      const revoked = await apiKeyRepository.revoke(tx, tenantId, id, now, actor.principal.actorId);
      await this.audit.record(tx, actor, { action: 'api_key.revoke', entityType: 'api_key', entityId: id, before: keyAuditView(existing), after: keyAuditView(revoked) });
      return revoked;
    });
  }

  listApiKeys(actor: TenantActor, includeRevoked: boolean): Promise<ApiKeyRow[]> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant({ tenantId }, (tx) => apiKeyRepository.list(tx, tenantId, includeRevoked));
  }

  lastUsedAt(row: ApiKeyRow): Date | null {
    const pending = this.lastUsed.pendingFor(row.id);
    if (pending && (!row.lastUsedAt || pending > row.lastUsedAt)) return pending;
    return row.lastUsedAt;
  }
}
