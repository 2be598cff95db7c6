import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { PiiCipher } from '../../shared/pii-crypto.js';
import { lineText, Problems } from '../../shared/validation.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { scopeOf } from '../accounts/scope.js';
import { LIMITS, type CleanDebtor, type DebtorFields, type DebtorPatch } from './debtor.model.js';
import {
  debtorRepository,
  type ContactPointRow,
  type DebtorCursor,
  type DebtorInsert,
  type DebtorListFilter,
  type DebtorOrder,
  type DebtorRow,
} from './debtor.repository.js';
import { debtorSearchColumns } from './debtor.search.js';
import { validateDebtor } from './debtor.validation.js';

/** What an audit event may say about a debtor: contact data masked, the national id never. */
export function debtorAuditView(d: DebtorRow, contacts: ContactPointRow[]): Record<string, unknown> {
  const maskEmail = (e: string) => e.replace(/^(.).*(@.*)$/, '$1***$2');
  const maskPhone = (n: string) => n.slice(0, 3) + '•'.repeat(Math.max(0, n.length - 7)) + n.slice(-4);
  return {
    kind: d.kind,
    legalName: d.legalName,
    displayName: d.displayName,
    externalRef: d.externalRef,
    emails: contacts.filter((c) => c.kind === 'email').map((c) => maskEmail(c.value)),
    phones: contacts.filter((c) => c.kind === 'phone').map((c) => maskPhone(c.value)),
    addresses: d.addresses.length,
    preferredLanguage: d.preferredLanguage,
    timeZone: d.timeZone,
    dateOfBirth: d.dateOfBirth ? '[redacted]' : null,
    nationalId: d.nationalIdCiphertext ? '[redacted]' : null,
    nationalIdKeyId: d.nationalIdKeyId,
    deceased: d.deceased,
    bankrupt: d.bankrupt,
    ceaseCommunication: d.ceaseCommunication,
    vulnerable: d.vulnerable,
    tags: d.tags,
    notes: d.notes === null ? null : `[${[...d.notes].length} characters]`,
    riskRating: d.riskRating,
    archivedAt: d.archivedAt?.toISOString() ?? null,
    archivedReason: d.archivedReason,
    version: d.version,
  };
}

/** Only the members that differ, so an update's event shows what changed and nothing else. */
function diff(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of Object.keys(after)) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
      b[k] = before[k];
      a[k] = after[k];
    }
  }
  return { before: b, after: a };
}

function rowFields(d: CleanDebtor): Omit<DebtorInsert, 'id'> {
  const { emails: _e, phones: _p, ...rest } = d;
  return { ...rest, ...debtorSearchColumns(d.legalName, d.displayName) };
}

function rowToFields(d: DebtorRow, contacts: ContactPointRow[]): DebtorFields {
  return {
    kind: d.kind,
    legalName: d.legalName,
    displayName: d.displayName,
    externalRef: d.externalRef,
    emails: contacts.filter((c) => c.kind === 'email').map((c) => ({ value: c.value, label: c.label })),
    phones: contacts.filter((c) => c.kind === 'phone').map((c) => ({ value: c.value, label: c.label })),
    addresses: d.addresses,
    preferredLanguage: d.preferredLanguage,
    timeZone: d.timeZone,
    dateOfBirth: d.dateOfBirth,
    deceased: d.deceased,
    bankrupt: d.bankrupt,
    ceaseCommunication: d.ceaseCommunication,
    vulnerable: d.vulnerable,
    tags: d.tags,
    notes: d.notes,
    riskRating: d.riskRating,
  };
}

export interface DebtorPage {
  rows: DebtorRow[];
  hasNextPage: boolean;
}

export class DebtorService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly pii: PiiCipher,
  ) {}

  /** The national id in clear, for a call that needs it (a credit bureau): never logged, never stored elsewhere. */
  openNationalId(tenantId: string, d: DebtorRow): string | null {
    if (!d.nationalIdCiphertext || !d.nationalIdKeyId) return null;
    return this.pii.open(d.nationalIdCiphertext, d.nationalIdKeyId, this.aad(tenantId, d.id));
  }

  private aad(tenantId: string, debtorId: string): string {
    return `debtor:${tenantId}:${debtorId}:national_id`;
  }

  private sealNationalId(tenantId: string, debtorId: string, value: string | null | undefined): Partial<DebtorInsert> {
    if (value === undefined) return {};
    if (value === null) return { nationalIdCiphertext: null, nationalIdKeyId: null, nationalIdLast4: null };
    const { ciphertext, keyId } = this.pii.seal(value, this.aad(tenantId, debtorId));
    return { nationalIdCiphertext: ciphertext, nationalIdKeyId: keyId, nationalIdLast4: value.slice(-4) };
  }

  private duplicateRef(err: unknown, externalRef: string | null): never {
    if (isUniqueViolation(err, 'debtors_external_ref_key')) {
      throw new AppError('CONFLICT', `input.externalRef: another debtor already has external reference "${externalRef}"`, { field: 'input.externalRef' });
    }
    throw err;
  }

  async create(actor: TenantActor, input: DebtorFields): Promise<DebtorRow> {
    const tenantId = actor.principal.tenantId;
    const { debtor, nationalId } = validateDebtor(input, input.nationalId, this.clock.now());
    const id = uuidv7();
    try {
      return await this.db.tenant(scopeOf(actor).db, async (tx) => {
        const row = await debtorRepository.insert(tx, tenantId, { id, ...rowFields(debtor), ...this.sealNationalId(tenantId, id, nationalId) });
        await debtorRepository.replaceContactPoints(tx, tenantId, id, debtor.emails, debtor.phones);
        const contacts = await debtorRepository.contactPointsFor(tx, tenantId, [id]);
        await this.audit.record(tx, actor, { action: 'debtor.create', entityType: 'debtor', entityId: id, before: null, after: debtorAuditView(row, contacts) });
        return row;
      });
    } catch (err) {
      this.duplicateRef(err, debtor.externalRef);
    }
  }

  /**
   * Applies a patch on top of the stored debtor and re-validates the whole result, so invariants that span
   * fields (a business has no date of birth) hold after any patch. A stale `version` is CONFLICT.
   */
  async update(actor: TenantActor, rawId: string, version: number, patch: DebtorPatch): Promise<DebtorRow> {
    const id = assertUuid('input.id', rawId);
    const tenantId = actor.principal.tenantId;
    let externalRef: string | null = null;
    try {
      return await this.db.tenant(scopeOf(actor).db, async (tx) => {
        const current = await debtorRepository.find(tx, tenantId, id, true, scopeOf(actor).portfolios);
        if (!current) throw AppError.notFound('Debtor', id);
        if (current.archivedAt) throw AppError.conflict(`Debtor ${id} is archived and can no longer be changed`, { id });
        if (current.version !== version) {
          throw new AppError('CONFLICT', `input.version: debtor ${id} is at version ${current.version}, not ${version}; reload and retry`, { field: 'input.version', currentVersion: current.version });
        }
        const beforeContacts = await debtorRepository.contactPointsFor(tx, tenantId, [id]);
        const merged: DebtorFields = { ...rowToFields(current, beforeContacts) };
        for (const [k, v] of Object.entries(patch) as [keyof DebtorFields, unknown][]) {
          if (v === undefined || k === 'nationalId') continue;
          if (v === null && (k === 'kind' || k === 'legalName')) throw AppError.badInput(`input.${k}`, 'cannot be null');
          (merged as unknown as Record<string, unknown>)[k] = v;
        }
        // A display name that was only ever the legal name's default follows a renamed legal name.
        if (patch.legalName != null && patch.displayName === undefined && current.displayName === current.legalName) merged.displayName = null;
        const { debtor, nationalId } = validateDebtor(merged, patch.nationalId, this.clock.now());
        externalRef = debtor.externalRef;
        const updated = await debtorRepository.update(tx, tenantId, id, version, { ...rowFields(debtor), ...this.sealNationalId(tenantId, id, nationalId) });
        if (!updated) throw AppError.conflict(`Debtor ${id} changed concurrently; reload and retry`, { field: 'input.version' });
        const contactsChanged = patch.emails !== undefined || patch.phones !== undefined;
        if (contactsChanged) await debtorRepository.replaceContactPoints(tx, tenantId, id, debtor.emails, debtor.phones);
        const afterContacts = contactsChanged ? await debtorRepository.contactPointsFor(tx, tenantId, [id]) : beforeContacts;
        const changes = diff(debtorAuditView(current, beforeContacts), debtorAuditView(updated, afterContacts));
        await this.audit.record(tx, actor, { action: 'debtor.update', entityType: 'debtor', entityId: id, ...changes });
        return updated;
      });
    } catch (err) {
      this.duplicateRef(err, externalRef);
    }
  }

  /** Collection records are kept for legal retention: archiving hides a debtor, it never deletes one. */
  async archive(actor: TenantActor, rawId: string, reason: string | null | undefined): Promise<DebtorRow> {
    const id = assertUuid('id', rawId);
    const tenantId = actor.principal.tenantId;
    const p = new Problems();
    const cleanReason = reason == null || reason.trim() === '' ? null : lineText(p, 'reason', reason, LIMITS.archiveReason);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(scopeOf(actor).db, async (tx) => {
      const current = await debtorRepository.find(tx, tenantId, id, true, scopeOf(actor).portfolios);
      if (!current) throw AppError.notFound('Debtor', id);
      if (current.archivedAt) return current; // idempotent: archiving twice writes nothing
      const updated = await debtorRepository.update(tx, tenantId, id, current.version, { archivedAt: this.clock.now(), archivedReason: cleanReason });
      if (!updated) throw AppError.conflict(`Debtor ${id} changed concurrently; retry`);
      const contacts = await debtorRepository.contactPointsFor(tx, tenantId, [id]);
      const changes = diff(debtorAuditView(current, contacts), debtorAuditView(updated, contacts));
      await this.audit.record(tx, actor, { action: 'debtor.archive', entityType: 'debtor', entityId: id, ...changes });
      return updated;
    });
  }

  /** Needs pii:reveal (checked by the resolver) and leaves its own audit event: who looked, and when. */
  async revealNationalId(actor: TenantActor, rawId: string): Promise<string | null> {
    const id = assertUuid('id', rawId);
    const tenantId = actor.principal.tenantId;
    return this.db.tenant(scopeOf(actor).db, async (tx) => {
      const d = await debtorRepository.find(tx, tenantId, id, false, scopeOf(actor).portfolios);
      if (!d) throw AppError.notFound('Debtor', id);
      await this.audit.record(tx, actor, { action: 'debtor.reveal_national_id', entityType: 'debtor', entityId: id, before: null, after: { revealed: d.nationalIdCiphertext !== null } });
      if (!d.nationalIdCiphertext || !d.nationalIdKeyId) return null;
      return this.pii.open(d.nationalIdCiphertext, d.nationalIdKeyId, this.aad(tenantId, id));
    });
  }

  async get(actor: TenantActor, rawId: string): Promise<DebtorRow> {
    const id = assertUuid('id', rawId);
    const tenantId = actor.principal.tenantId;
    const row = await this.db.tenant(scopeOf(actor).db, (tx) => debtorRepository.find(tx, tenantId, id, false, scopeOf(actor).portfolios));
    if (!row) throw AppError.notFound('Debtor', id);
    return row;
  }

  getMany(actor: TenantActor, ids: readonly string[]): Promise<DebtorRow[]> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant(scopeOf(actor).db, (tx) => debtorRepository.findMany(tx, tenantId, ids, scopeOf(actor).portfolios));
  }

  async list(actor: TenantActor, filter: DebtorListFilter, order: DebtorOrder, first: number, after: DebtorCursor | null): Promise<DebtorPage> {
    const tenantId = actor.principal.tenantId;
    const rows = await this.db.tenant(scopeOf(actor).db, (tx) => debtorRepository.list(tx, tenantId, filter, order, first + 1, after, scopeOf(actor).portfolios));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  count(actor: TenantActor, filter: DebtorListFilter): Promise<number> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant(scopeOf(actor).db, (tx) => debtorRepository.count(tx, tenantId, filter, scopeOf(actor).portfolios));
  }

  contactPoints(actor: TenantActor, debtorIds: readonly string[]): Promise<ContactPointRow[]> {
    const tenantId = actor.principal.tenantId;
    return this.db.tenant(scopeOf(actor).db, (tx) => debtorRepository.contactPointsFor(tx, tenantId, debtorIds));
  }
}
