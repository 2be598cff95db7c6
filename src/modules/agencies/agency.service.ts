import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { email, lineText, phoneE164, Problems, uuidField } from '../../shared/validation.js';
import { portfolioRepository } from '../accounts/portfolio.repository.js';
import { scopeOf } from '../accounts/scope.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import type { Entitlements } from '../billing/entitlement.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { clientIdOf, generateClientCredentials } from './agency-credential.format.js';
import { agencyRepository, type AgencyRow, type CredentialRow, type GrantRow, type PlacementRow } from './agency.repository.js';
import { AGENCY_SCOPES, type AgencyScope, type AgencyStatus } from './agency.table.js';
import { parseCommission, type CommissionInput } from './commission.logic.js';

export interface AgencyInput {
  name: string;
  contactName?: string | null;
  contactEmail?: string | null;
  contactPhone?: string | null;
  commission: CommissionInput;
  dataProtectionRef: string;
}

export interface GrantInput {
  agencyId: string;
  portfolioIds: string[];
  scopes: string[];
  validFrom?: Date | null;
  validUntil?: Date | null;
}

/** Placements outlive no agreement: a grant may run at most this long, then the creditor renews it. */
const MAX_GRANT_DAYS = 3 * 366;
const MAX_PORTFOLIOS_PER_GRANT = 100;
const MAX_ACTIVE_CREDENTIALS = 5;

const agencyView = (a: AgencyRow) => ({
  name: a.name,
  status: a.status,
  contactName: a.contactName,
  contactEmail: a.contactEmail,
  contactPhone: a.contactPhone,
  commission: a.commission,
  dataProtectionRef: a.dataProtectionRef,
  version: a.version,
});
const grantView = (g: GrantRow) => ({
  agencyId: g.agencyId,
  portfolioId: g.portfolioId,
  scopes: g.scopes,
  validFrom: g.validFrom.toISOString(),
  validUntil: g.validUntil?.toISOString() ?? null,
  endedAt: g.endedAt?.toISOString() ?? null,
  endReason: g.endReason,
});

/** Agencies, their credentials and their placements: creditor-wide admin operations. */
export class AgencyService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly entitlements: Entitlements,
  ) {}

  /** Agency management belongs to keys that see the whole tenant: a portfolio-scoped key could place what it cannot see. */
  private creditorWide(actor: TenantActor): ReturnType<typeof scopeOf> {
    const s = scopeOf(actor);
    if (actor.principal.kind === 'agency' || s.portfolios !== null) throw AppError.forbidden('Managing agencies needs a tenant-wide admin key');
    return s;
  }

  private parse(p: Problems, input: AgencyInput) {
    return {
      name: lineText(p, 'input.name', input.name, 200),
      contactName: input.contactName ? lineText(p, 'input.contactName', input.contactName, 200) : null,
      contactEmail: input.contactEmail ? email(p, 'input.contactEmail', input.contactEmail) : null,
      contactPhone: input.contactPhone ? phoneE164(p, 'input.contactPhone', input.contactPhone) : null,
      commission: parseCommission(p, 'input.commission', input.commission),
      dataProtectionRef: lineText(p, 'input.dataProtectionRef', input.dataProtectionRef, 200),
    };
  }

  async create(actor: TenantActor, input: AgencyInput): Promise<AgencyRow> {
    const s = this.creditorWide(actor);
    const p = new Problems();
    const v = this.parse(p, input);
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const row = await agencyRepository.insert(tx, s.tenantId, { id: uuidv7(), ...v });
        await this.audit.record(tx, actor, { action: 'agency.create', entityType: 'agency', entityId: row.id, before: null, after: agencyView(row) });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'agencies_name_key')) throw new AppError('CONFLICT', `input.name: an agency named "${v.name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  async update(actor: TenantActor, rawId: string, version: number, input: AgencyInput): Promise<AgencyRow> {
    const s = this.creditorWide(actor);
    const id = assertUuid('id', rawId);
    const p = new Problems();
    const v = this.parse(p, input);
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const current = await agencyRepository.find(tx, s.tenantId, id, true);
        if (!current) throw AppError.notFound('Agency', id);
        if (current.version !== version) throw AppError.conflict(`version: the agency is at version ${current.version}; re-read it and try again`, { currentVersion: current.version });
        const row = (await agencyRepository.update(tx, s.tenantId, id, version, v))!;
        await this.audit.record(tx, actor, { action: 'agency.update', entityType: 'agency', entityId: id, before: agencyView(current), after: agencyView(row) });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'agencies_name_key')) throw new AppError('CONFLICT', `input.name: an agency named "${v.name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  /**
   * suspended: tokens stop working at once, placements stay (the creditor may reinstate it). terminated: final;
   * every open grant ends and every credential is revoked.
   */
  async setStatus(actor: TenantActor, rawId: string, status: AgencyStatus, reason: string): Promise<AgencyRow> {
    const s = this.creditorWide(actor);
    const id = assertUuid('id', rawId);
    const p = new Problems();
    const why = lineText(p, 'reason', reason, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const current = await agencyRepository.find(tx, s.tenantId, id, true);
      if (!current) throw AppError.notFound('Agency', id);
      if (current.status === status) return current;
      if (current.status === 'terminated') throw AppError.badInput('status', 'a terminated agency cannot be reinstated; create a new one');
      const row = (await agencyRepository.update(tx, s.tenantId, id, current.version, { status }))!;
      let endedGrants = 0;
      if (status === 'terminated') {
        const open = (await agencyRepository.grants(tx, s.tenantId, { agencyId: id, activeOnly: false })).filter((g) => !g.endedAt);
        const ended = await agencyRepository.endGrants(tx, s.tenantId, open.map((g) => g.id), 'agency_terminated', actor.principal.actorId, why);
        await agencyRepository.endGrantPlacements(tx, s.tenantId, ended.map((g) => g.id), 'agency_terminated');
        await webhookEventRepository.emit(tx, s.tenantId, 'grant.recalled', ended.map((g) => ({ object: 'agency_grant', id: g.id, agencyId: id, portfolioId: g.portfolioId, reason: 'agency_terminated' })));
        await agencyRepository.revokeAllCredentials(tx, s.tenantId, id, this.clock.now(), actor.principal.actorId);
        endedGrants = ended.length;
      }
      await this.audit.record(tx, actor, {
        action: `agency.${status === 'active' ? 'reinstate' : status === 'suspended' ? 'suspend' : 'terminate'}`,
        entityType: 'agency',
        entityId: id,
        before: { status: current.status },
        after: { status, reason: why, endedGrants },
      });
      return row;
    });
  }

  async get(actor: TenantActor, rawId: string): Promise<AgencyRow> {
    const s = scopeOf(actor);
    const id = assertUuid('id', rawId);
    const row = await this.db.tenant(s.db, (tx) => agencyRepository.find(tx, s.tenantId, id));
    if (!row) throw AppError.notFound('Agency', id);
    return row;
  }

  async getMany(actor: TenantActor, ids: readonly string[]): Promise<AgencyRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => agencyRepository.findMany(tx, s.tenantId, ids));
  }

  async list(actor: TenantActor): Promise<AgencyRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => agencyRepository.list(tx, s.tenantId));
  }

  // Credentials

  /** The secret is returned here once and never again. */
  async createCredential(actor: TenantActor, rawAgencyId: string, label: string | null): Promise<{ credential: CredentialRow; clientId: string; clientSecret: string }> {
    const s = this.creditorWide(actor);
    const agencyId = assertUuid('agencyId', rawAgencyId);
    const p = new Problems();
    const lbl = label ? lineText(p, 'label', label, 200) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const agency = await agencyRepository.find(tx, s.tenantId, agencyId, true);
      if (!agency) throw AppError.notFound('Agency', agencyId);
      if (agency.status === 'terminated') throw AppError.badInput('agencyId', 'the agency is terminated');
      const active = (await agencyRepository.credentials(tx, s.tenantId, agencyId)).filter((c) => !c.revokedAt);
      if (active.length >= MAX_ACTIVE_CREDENTIALS) {
        throw AppError.conflict(`agencyId: the agency already has ${MAX_ACTIVE_CREDENTIALS} active credentials; revoke one first`, { field: 'agencyId' });
      }
      const gen = generateClientCredentials(s.tenantId);
      const credential = await agencyRepository.insertCredential(tx, s.tenantId, {
        id: uuidv7(),
        agencyId,
        publicId: gen.publicId,
        secretHash: gen.secretHash,
        label: lbl,
        createdById: actor.principal.actorId,
      });
      await this.audit.record(tx, actor, { action: 'agency.credential.create', entityType: 'agency', entityId: agencyId, before: null, after: { credentialId: credential.id, clientId: gen.clientId, label: lbl } });
      return { credential, clientId: gen.clientId, clientSecret: gen.secret };
    });
  }

  /** Revoking ends every token issued to the credential on its next request. Revoking twice changes nothing. */
  async revokeCredential(actor: TenantActor, rawId: string): Promise<CredentialRow> {
    const s = this.creditorWide(actor);
    const id = assertUuid('id', rawId);
    return this.db.tenant(s.db, async (tx) => {
      const current = await agencyRepository.findCredential(tx, s.tenantId, id);
      if (!current) throw AppError.notFound('AgencyCredential', id);
      if (current.revokedAt) return current;
      const row = await agencyRepository.revokeCredential(tx, s.tenantId, id, this.clock.now(), actor.principal.actorId);
      await this.audit.record(tx, actor, { action: 'agency.credential.revoke', entityType: 'agency', entityId: current.agencyId, before: { credentialId: id }, after: { revokedAt: row.revokedAt?.toISOString() } });
      return row;
    });
  }

  async credentials(actor: TenantActor, agencyId: string): Promise<CredentialRow[]> {
    const s = this.creditorWide(actor);
    return this.db.tenant(s.db, (tx) => agencyRepository.credentials(tx, s.tenantId, agencyId));
  }

  clientIdOf(actor: TenantActor, c: CredentialRow): string {
    return clientIdOf(actor.principal.tenantId, c.publicId);
  }

  // Grants

  /**
   * Places portfolios with an agency. A portfolio is placed with one agency at a time: placing it with another
   * while a grant is open is CONFLICT naming the holder; placing it again with the same agency replaces the
   * grant (new scopes or window). Every account of the portfolio gets a placement record.
   */
  async grant(actor: TenantActor, input: GrantInput): Promise<GrantRow[]> {
    const s = this.creditorWide(actor);
    const p = new Problems();
    const agencyId = uuidField(p, 'input.agencyId', input.agencyId);
    const portfolioIds = [...new Set(input.portfolioIds)];
    if (!portfolioIds.length) p.add('input.portfolioIds', 'must name at least one portfolio');
    if (portfolioIds.length > MAX_PORTFOLIOS_PER_GRANT) p.add('input.portfolioIds', `at most ${MAX_PORTFOLIOS_PER_GRANT} portfolios at once`);
    portfolioIds.forEach((id, i) => uuidField(p, `input.portfolioIds.${i}`, id));
    const scopes = [...new Set(input.scopes)];
    if (!scopes.length) p.add('input.scopes', `must list at least one of ${AGENCY_SCOPES.join(', ')}`);
    for (const sc of scopes) if (!(AGENCY_SCOPES as readonly string[]).includes(sc)) p.add('input.scopes', `unknown scope "${sc}"; known: ${AGENCY_SCOPES.join(', ')}`);
    const now = this.clock.now();
    const validFrom = input.validFrom ?? null;
    const validUntil = input.validUntil ?? null;
    if (validUntil && validUntil <= (validFrom ?? now)) p.add('input.validUntil', 'must be after validFrom and in the future');
    if (validUntil && validUntil.getTime() - (validFrom ?? now).getTime() > MAX_GRANT_DAYS * 86_400_000) p.add('input.validUntil', `a grant may run at most ${MAX_GRANT_DAYS} days`);
    if (validFrom && validFrom.getTime() > now.getTime() + 366 * 86_400_000) p.add('input.validFrom', 'must be within a year from now');
    if (!p.empty) throw AppError.badInputMany(p.list);

    return this.db.tenant(s.db, async (tx) => {
      const agency = await agencyRepository.find(tx, s.tenantId, agencyId, true);
      if (!agency) throw AppError.notFound('Agency', agencyId);
      if (agency.status !== 'active') throw AppError.badInput('input.agencyId', `the agency is ${agency.status}; only an active agency can be granted portfolios`);
      const found = await portfolioRepository.findMany(tx, s.tenantId, null, portfolioIds);
      const missing = portfolioIds.filter((id) => !found.some((f) => f.id === id));
      if (missing.length) throw AppError.notFound('Portfolio', missing[0]!);
      const closed = found.filter((f) => f.status !== 'active');
      if (closed.length) throw AppError.badInput('input.portfolioIds', `portfolio "${closed[0]!.name}" is closed`);
      await agencyRepository.closeExpired(tx, s.tenantId, portfolioIds);
      const open = await agencyRepository.openGrants(tx, s.tenantId, portfolioIds, true);
      const held = open.filter((g) => g.agencyId !== agencyId);
      if (held.length) {
        const g = held[0]!;
        throw AppError.conflict(`input.portfolioIds: portfolio ${g.portfolioId} is placed with another agency (grant ${g.id}); recall it first`, {
          field: 'input.portfolioIds',
          portfolioId: g.portfolioId,
          agencyId: g.agencyId,
          grantId: g.id,
        });
      }
      // A replaced grant keeps its seat; only portfolios newly placed take one.
      await this.entitlements.ensure(tx, s.tenantId, 'agencySeats', portfolioIds.length - open.length);
      const replaced = await agencyRepository.endGrants(tx, s.tenantId, open.map((g) => g.id), 'recalled', actor.principal.actorId, 'replaced by a new grant');
      await agencyRepository.endGrantPlacements(tx, s.tenantId, replaced.map((g) => g.id), 'replaced');
      const rows = await agencyRepository.insertGrants(
        tx,
        s.tenantId,
        portfolioIds.map((portfolioId) => ({
          id: uuidv7(),
          agencyId,
          portfolioId,
          scopes: scopes.sort(),
          ...(validFrom ? { validFrom } : {}),
          validUntil,
          createdById: actor.principal.actorId,
        })),
      );
      const placed = await agencyRepository.placePortfolios(tx, s.tenantId, rows.map((r) => r.id));
      await this.audit.recordMany(
        tx,
        actor,
        rows.map((g) => ({
          action: 'agency.grant',
          entityType: 'agency_grant',
          entityId: g.id,
          before: replaced.find((r) => r.portfolioId === g.portfolioId) ? grantView(replaced.find((r) => r.portfolioId === g.portfolioId)!) : null,
          after: { ...grantView(g), accountsPlaced: placed.get(g.id) ?? 0 },
        })),
      );
      return rows;
    });
  }

  /**
   * Ends the agency's open grant of a portfolio at once: its next request no longer reaches it. The accounts
   * keep their placement history (which agency, from when to when).
   */
  async recall(actor: TenantActor, rawAgencyId: string, rawPortfolioId: string, reason: string): Promise<GrantRow> {
    const s = this.creditorWide(actor);
    const p = new Problems();
    const agencyId = uuidField(p, 'agencyId', rawAgencyId);
    const portfolioId = uuidField(p, 'portfolioId', rawPortfolioId);
    const why = lineText(p, 'reason', reason, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const agency = await agencyRepository.find(tx, s.tenantId, agencyId);
      if (!agency) throw AppError.notFound('Agency', agencyId);
      const open = (await agencyRepository.openGrants(tx, s.tenantId, [portfolioId], true)).filter((g) => g.agencyId === agencyId);
      if (!open.length) throw AppError.notFound('AgencyGrant', `${agencyId}/${portfolioId}`);
      const [ended] = await agencyRepository.endGrants(tx, s.tenantId, open.map((g) => g.id), 'recalled', actor.principal.actorId, why);
      await agencyRepository.endGrantPlacements(tx, s.tenantId, [ended!.id], 'recalled');
      await this.audit.record(tx, actor, { action: 'agency.recall', entityType: 'agency_grant', entityId: ended!.id, before: grantView(open[0]!), after: { ...grantView(ended!), reason: why } });
      await webhookEventRepository.emit(tx, s.tenantId, 'grant.recalled', [{ object: 'agency_grant', id: ended!.id, agencyId, portfolioId, reason: 'recalled' }]);
      return ended!;
    });
  }

  /** An agency sees its own grants only (the database agrees: migration 0012). */
  async grants(actor: TenantActor, filter: { agencyId?: string | null; portfolioId?: string | null; activeOnly: boolean }): Promise<GrantRow[]> {
    const s = scopeOf(actor);
    const p = new Problems();
    if (filter.agencyId) uuidField(p, 'agencyId', filter.agencyId);
    if (filter.portfolioId) uuidField(p, 'portfolioId', filter.portfolioId);
    if (!p.empty) throw AppError.badInputMany(p.list);
    const f = actor.principal.kind === 'agency' ? { ...filter, agencyId: actor.principal.agencyId! } : filter;
    return this.db.tenant(s.db, async (tx) => {
      const rows = await agencyRepository.grants(tx, s.tenantId, f);
      return s.portfolios === null ? rows : rows.filter((g) => s.portfolios!.includes(g.portfolioId));
    });
  }

  async placementsOf(actor: TenantActor, accountIds: readonly string[]): Promise<PlacementRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => agencyRepository.placementsOfAccounts(tx, s.tenantId, accountIds));
  }
}

export type { AgencyScope };
