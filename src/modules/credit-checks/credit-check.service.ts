import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { isPrivateHostName } from '../../shared/network.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { isCurrency, parseMinorUnits } from '../../shared/money.js';
import type { PiiCipher } from '../../shared/pii-crypto.js';
import { lineText, Problems } from '../../shared/validation.js';
import { scopeOf } from '../accounts/scope.js';
import { monthStart, type Entitlements } from '../billing/entitlement.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { debtorRepository, type DebtorRow } from '../debtors/debtor.repository.js';
import type { DebtorService } from '../debtors/debtor.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { DEFAULT_STRATEGY_RULES, riskRating, scoreBand, STRATEGIES, suggestStrategy } from './credit-check.logic.js';
import { creditCheckRepository, type BureauRow, type CheckRow, type ReportRow, type RiskHistoryRow, type SettingsRow } from './credit-check.repository.js';
import { CircuitBreakers, withRetries, type RetryPolicy } from './credit-check.resilience.js';
import {
  BUREAU_PROVIDERS,
  CONSENT_PURPOSES,
  CREDIT_PURPOSES,
  PULL_TYPES,
  type BureauProviderCode,
  type CreditPurpose,
  type FieldMapping,
  type PullType,
  type StrategyRule,
} from './credit-check.table.js';
import { BureauError, type BureauConfig, type BureauSubject, type NormalizedReport, type SubjectField } from './providers/provider.js';
import { PROVIDERS } from './providers/registry.js';

export interface CreditCheckOptions {
  retry: RetryPolicy;
  breakerThreshold: number;
  breakerOpenMs: number;
  /** Bureau URLs on loopback, private or link-local addresses (tests and local development only). */
  allowPrivateUrls: boolean;
  /** Production: bureau URLs must be https. */
  requireHttps: boolean;
  /** A pending check older than this is marked failed by the job (its process died mid-pull). */
  staleAfterMs: number;
}

export const DEFAULT_CREDIT_OPTIONS: CreditCheckOptions = {
  retry: { maxRetries: 2, baseDelayMs: 200, maxDelayMs: 5_000 },
  breakerThreshold: 5,
  breakerOpenMs: 30_000,
  allowPrivateUrls: false,
  requireHttps: true,
  staleAfterMs: 10 * 60_000,
};

export interface CheckRequest {
  debtorId: string;
  purpose: string;
  pullType: string;
  consentReference?: string | null;
  bureauId?: string | null;
  force?: boolean | null;
}

export interface BureauInput {
  name: string;
  provider: string;
  baseUrl?: string | null;
  credential?: string | null;
  subscriberCode?: string | null;
  timeoutMs?: number | null;
  maxRetries?: number | null;
  fieldMapping?: FieldMapping | null;
  costPerPull?: string | null;
  costCurrency?: string | null;
  active?: boolean | null;
}

const FIELD_LABEL: Record<SubjectField, string> = { legalName: 'legal name', dateOfBirth: 'date of birth', nationalId: 'national id', address: 'postal address' };
const MAPPING_KEYS: readonly (keyof FieldMapping)[] = ['score', 'scoreModel', 'delinquencies', 'tradelines', 'publicRecords', 'inquiries', 'noHit', 'fraudAlert'];
const CONSENT_RE = /^[\x21-\x7E]{1,200}$/;

const bureauView = (b: BureauRow) => ({
  name: b.name,
  provider: b.provider,
  baseUrl: b.baseUrl,
  hasCredential: b.credentialSealed !== null,
  subscriberCode: b.subscriberCode,
  timeoutMs: b.timeoutMs,
  maxRetries: b.maxRetries,
  fieldMapping: b.fieldMapping,
  costPerPull: b.costPerPull.toString(),
  costCurrency: b.costCurrency,
  active: b.active,
});


/**
 * Credit checks through pluggable bureaus. A pull is recorded before the bureau is called (one transaction),
 * the call happens outside any transaction (timeout, retries with backoff and jitter, a circuit breaker per
 * tenant and bureau), and its outcome is recorded after (another transaction): a failure is stored as a failed
 * check with its reason, never as a half-filled report. Concurrent requests for the same debtor, purpose and
 * pull type share one pull: in this process through a shared promise, across processes through the partial
 * unique index on pending checks.
 */
export class CreditCheckService {
  private readonly breakers: CircuitBreakers;
  private readonly inFlight = new Map<string, Promise<CheckRow>>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly pii: PiiCipher,
    private readonly debtors: DebtorService,
    private readonly entitlements: Entitlements,
    private readonly options: CreditCheckOptions = DEFAULT_CREDIT_OPTIONS,
  ) {
    this.breakers = new CircuitBreakers(options.breakerThreshold, options.breakerOpenMs);
  }

  private creditorWide(actor: TenantActor): ReturnType<typeof scopeOf> {
    const s = scopeOf(actor);
    if (s.portfolios !== null || actor.principal.kind === 'agency') throw AppError.forbidden('Configuring credit bureaus needs a tenant-wide admin key');
    return s;
  }

  // Bureaus

  private parseBureau(p: Problems, input: BureauInput, tenantId: string, id: string, existing: BureauRow | null) {
    const name = lineText(p, 'input.name', input.name, 200);
    if (!(BUREAU_PROVIDERS as readonly string[]).includes(input.provider)) p.add('input.provider', `must be one of ${BUREAU_PROVIDERS.join(', ')}`);
    const provider = input.provider as BureauProviderCode;
    // Absent: keep what is there; "": remove it.
    let baseUrl: string | null = input.baseUrl === undefined || input.baseUrl === null ? (existing?.baseUrl ?? null) : input.baseUrl.trim() || null;
    if (provider === 'http_json' && !baseUrl) p.add('input.baseUrl', 'is required for an http_json bureau');
    if (baseUrl) {
      let u: URL | null = null;
      try {
        u = new URL(baseUrl);
      } catch {
        p.add('input.baseUrl', 'is not a URL');
      }
      if (u) {
        if (u.protocol !== 'https:' && (this.options.requireHttps || u.protocol !== 'http:')) p.add('input.baseUrl', this.options.requireHttps ? 'must use https' : 'must use http or https');
        if (u.username || u.password) p.add('input.baseUrl', 'must not carry credentials: put them in input.credential, which is stored encrypted');
        if (!this.options.allowPrivateUrls && isPrivateHostName(u.hostname)) p.add('input.baseUrl', 'must not point at a loopback, private or link-local address');
        baseUrl = u.toString();
      }
    }
    const timeoutMs = input.timeoutMs ?? existing?.timeoutMs ?? 10_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) p.add('input.timeoutMs', 'must be between 100 and 60000');
    const maxRetries = input.maxRetries ?? existing?.maxRetries ?? 2;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 5) p.add('input.maxRetries', 'must be between 0 and 5');
    const mapping: FieldMapping = {};
    for (const [k, v] of Object.entries(input.fieldMapping ?? existing?.fieldMapping ?? {})) {
      if (!(MAPPING_KEYS as readonly string[]).includes(k)) continue;
      if (v == null) continue;
      if (typeof v !== 'string' || !/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,9}$/.test(v)) p.add(`input.fieldMapping.${k}`, 'must be a dot path such as "score.value"');
      else mapping[k as keyof FieldMapping] = v;
    }
    const costCurrency = (input.costCurrency ?? existing?.costCurrency ?? 'USD').trim().toUpperCase();
    if (!isCurrency(costCurrency)) p.add('input.costCurrency', 'must be an ISO 4217 currency code');
    let costPerPull = existing?.costPerPull ?? 0n;
    if (input.costPerPull != null) {
      const c = parseMinorUnits(input.costPerPull, { allowZero: true });
      if (typeof c === 'string') p.add('input.costPerPull', c);
      else costPerPull = c;
    }
    const subscriberCode =
      input.subscriberCode === undefined || input.subscriberCode === null ? (existing?.subscriberCode ?? null) : input.subscriberCode === '' ? null : lineText(p, 'input.subscriberCode', input.subscriberCode, 100);
    let sealed: { credentialSealed: Buffer | null; credentialKeyId: string | null } | null = null;
    if (input.credential != null) {
      if (input.credential === '') sealed = { credentialSealed: null, credentialKeyId: null };
      else if (input.credential.length > 4096 || /[\u0000-\u001F\u007F]/.test(input.credential)) p.add('input.credential', 'must be at most 4096 printable characters');
      else {
        const c = this.pii.seal(input.credential, `credit_bureau:${tenantId}:${id}`);
        sealed = { credentialSealed: c.ciphertext, credentialKeyId: c.keyId };
      }
    }
    return { name, provider, baseUrl, timeoutMs, maxRetries, fieldMapping: mapping, costCurrency, costPerPull, subscriberCode, active: input.active ?? existing?.active ?? true, ...(sealed ?? {}) };
  }

  async createBureau(actor: TenantActor, input: BureauInput): Promise<BureauRow> {
    const s = this.creditorWide(actor);
    const id = uuidv7();
    const p = new Problems();
    const v = this.parseBureau(p, input, s.tenantId, id, null);
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const row = await creditCheckRepository.insertBureau(tx, s.tenantId, { id, ...v });
        await this.audit.record(tx, actor, { action: 'credit_bureau.create', entityType: 'credit_bureau', entityId: id, before: null, after: bureauView(row) });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'credit_bureaus_name_key')) throw new AppError('CONFLICT', `input.name: a bureau named "${v.name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  async updateBureau(actor: TenantActor, rawId: string, version: number, input: BureauInput): Promise<BureauRow> {
    const s = this.creditorWide(actor);
    const id = assertUuid('id', rawId);
    return this.db.tenant(s.db, async (tx) => {
      const current = await creditCheckRepository.findBureau(tx, s.tenantId, id);
      if (!current) throw AppError.notFound('CreditBureau', id);
      if (current.version !== version) throw AppError.conflict(`version: the bureau is at version ${current.version}`, { currentVersion: current.version });
      const p = new Problems();
      const v = this.parseBureau(p, input, s.tenantId, id, current);
      if (!p.empty) throw AppError.badInputMany(p.list);
      const row = await creditCheckRepository.updateBureau(tx, s.tenantId, id, version, v);
      if (!row) throw AppError.conflict('The bureau changed concurrently; reload and retry');
      await this.audit.record(tx, actor, { action: 'credit_bureau.update', entityType: 'credit_bureau', entityId: id, before: bureauView(current), after: bureauView(row) });
      return row;
    });
  }

  async bureaus(actor: TenantActor): Promise<BureauRow[]> {
    const s = this.creditorWide(actor);
    return this.db.tenant(s.db, (tx) => creditCheckRepository.bureaus(tx, s.tenantId));
  }

  // Settings

  async settings(actor: TenantActor): Promise<{ reuseWindowDays: number; retentionDays: number; strategyRules: StrategyRule[]; version: number }> {
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => creditCheckRepository.settings(tx, s.tenantId));
    return settingsView(row);
  }

  async setSettings(actor: TenantActor, input: { reuseWindowDays: number; retentionDays: number; strategyRules?: StrategyRule[] | null }): Promise<ReturnType<typeof settingsView>> {
    const s = this.creditorWide(actor);
    const p = new Problems();
    if (!Number.isInteger(input.reuseWindowDays) || input.reuseWindowDays < 0 || input.reuseWindowDays > 365) p.add('input.reuseWindowDays', 'must be between 0 and 365');
    if (!Number.isInteger(input.retentionDays) || input.retentionDays < 1 || input.retentionDays > 3660) p.add('input.retentionDays', 'must be between 1 and 3660');
    if (p.empty && input.reuseWindowDays > input.retentionDays) p.add('input.reuseWindowDays', 'must not exceed retentionDays (a purged report cannot be reused)');
    const rules = input.strategyRules ?? null;
    if (rules) {
      if (rules.length > 50) p.add('input.strategyRules', 'at most 50 rules');
      rules.forEach((r, i) => {
        if (!(STRATEGIES as readonly string[]).includes(r.strategy)) p.add(`input.strategyRules.${i}.strategy`, `must be one of ${STRATEGIES.join(', ')}`);
        for (const x of r.riskRatings ?? []) if (!['low', 'medium', 'high', 'critical'].includes(x)) p.add(`input.strategyRules.${i}.riskRatings`, `unknown rating "${x}"`);
        for (const x of r.scoreBands ?? []) if (!['excellent', 'good', 'fair', 'poor', 'very_poor', 'unscored'].includes(x)) p.add(`input.strategyRules.${i}.scoreBands`, `unknown band "${x}"`);
        if (r.minPublicRecords != null && (!Number.isInteger(r.minPublicRecords) || r.minPublicRecords < 0)) p.add(`input.strategyRules.${i}.minPublicRecords`, 'must be a whole number ≥ 0');
        if (r.note != null && r.note.length > 500) p.add(`input.strategyRules.${i}.note`, 'at most 500 characters');
      });
    }
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const before = await creditCheckRepository.settings(tx, s.tenantId);
      const row = await creditCheckRepository.upsertSettings(tx, s.tenantId, { reuseWindowDays: input.reuseWindowDays, retentionDays: input.retentionDays, strategyRules: rules });
      await this.audit.record(tx, actor, { action: 'credit_settings.set', entityType: 'tenant', entityId: s.tenantId, before: before ? settingsView(before) : null, after: settingsView(row) });
      return settingsView(row);
    });
  }

  // Checks

  async request(actor: TenantActor, input: CheckRequest): Promise<CheckRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const debtorId = assertUuid('input.debtorId', input.debtorId);
    if (!(CREDIT_PURPOSES as readonly string[]).includes(input.purpose)) p.add('input.purpose', `must be one of ${CREDIT_PURPOSES.join(', ')}`);
    if (!(PULL_TYPES as readonly string[]).includes(input.pullType)) p.add('input.pullType', `must be soft or hard`);
    const purpose = input.purpose as CreditPurpose;
    const pullType = input.pullType as PullType;
    const consent = input.consentReference?.trim() || null;
    if (consent !== null && !CONSENT_RE.test(consent)) p.add('input.consentReference', 'must be 1–200 printable characters without spaces');
    if (consent === null && pullType === 'hard') p.add('input.consentReference', 'a hard pull needs the consumer’s consent: give its reference');
    else if (consent === null && CONSENT_PURPOSES.includes(purpose)) p.add('input.consentReference', `purpose ${purpose} needs the consumer’s consent: give its reference`);
    const bureauId = input.bureauId ? assertUuid('input.bureauId', input.bureauId) : null;
    if (!p.empty) throw AppError.badInputMany(p.list);

    // The caller's reach is part of the key: a caller joins only pulls started by callers who see exactly what
    // it sees (everyone else goes through run(), whose debtor lookup answers NOT_FOUND out of scope).
    const key = `${s.tenantId}:${s.portfolios?.join(',') ?? '*'}:${debtorId}:${purpose}:${pullType}:${bureauId ?? 'default'}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const work = this.run(actor, { debtorId, purpose, pullType, consent, bureauId, force: input.force === true }).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  private async run(actor: TenantActor, r: { debtorId: string; purpose: CreditPurpose; pullType: PullType; consent: string | null; bureauId: string | null; force: boolean }): Promise<CheckRow> {
    const s = scopeOf(actor);
    const now = this.clock.now();
    // 1. Record the intent (or reuse a report, or join a pull in flight): one transaction, no outside call.
    const prep = await this.db.tenant(s.db, async (tx) => {
      const debtor = await debtorRepository.find(tx, s.tenantId, r.debtorId, false, s.portfolios);
      if (!debtor) throw AppError.notFound('Debtor', r.debtorId);
      if (debtor.archivedAt) throw AppError.conflict(`Debtor ${r.debtorId} is archived: no credit check can be made for them`, { field: 'input.debtorId' });
      const bureau = r.bureauId ? await creditCheckRepository.findBureau(tx, s.tenantId, r.bureauId) : await creditCheckRepository.defaultBureau(tx, s.tenantId);
      if (!bureau) {
        if (r.bureauId) throw AppError.notFound('CreditBureau', r.bureauId);
        throw AppError.badInput('input.bureauId', 'no active credit bureau is configured: add one with createCreditBureau');
      }
      if (!bureau.active) throw AppError.badInput('input.bureauId', `bureau "${bureau.name}" is inactive`);
      const settings = settingsView(await creditCheckRepository.settings(tx, s.tenantId));
      const base = { debtorId: r.debtorId, bureauId: bureau.id, purpose: r.purpose, pullType: r.pullType, consentReference: r.consent, costCurrency: bureau.costCurrency, requestedByKind: actor.principal.kind, requestedById: actor.principal.actorId };
      if (!r.force && settings.reuseWindowDays > 0) {
        const since = new Date(now.getTime() - settings.reuseWindowDays * 86_400_000);
        const report = await creditCheckRepository.reusable(tx, s.tenantId, r.debtorId, bureau.id, r.purpose, r.pullType, since);
        if (report) {
          const check = await creditCheckRepository.insertCheck(tx, s.tenantId, { id: uuidv7(), ...base, status: 'reused', reportId: report.id, completedAt: now });
          await this.audit.record(tx, actor, { action: 'credit_check.reuse', entityType: 'debtor', entityId: r.debtorId, before: null, after: { checkId: check.id, reportId: report.id, purpose: r.purpose, pullType: r.pullType, bureau: bureau.name } });
          return { done: check } as const;
        }
      }
      const provider = PROVIDERS[bureau.provider];
      const subject = this.subjectOf(s.tenantId, debtor);
      const missing = provider.requiredFields.filter((f) => subject[f] === null || subject[f] === '');
      if (missing.length) {
        const message = `the debtor lacks what bureau "${bureau.name}" needs to find them: ${missing.map((f) => FIELD_LABEL[f]).join(', ')}`;
        throw new AppError('BAD_USER_INPUT', `input.debtorId: ${message}`, { field: 'input.debtorId', problems: [{ field: 'input.debtorId', message }], missingFields: missing });
      }
      const pending = await creditCheckRepository.insertPending(tx, s.tenantId, { id: uuidv7(), ...base });
      if (!pending) {
        const other = await creditCheckRepository.pendingFor(tx, s.tenantId, r.debtorId, r.purpose, r.pullType);
        return { join: other?.id ?? null } as const;
      }
      // A pull takes its unit of the month's allowance with its intent; a failed pull gives it back below.
      const usagePeriod = await this.entitlements.consumeCreditCheck(tx, s.tenantId, now);
      await this.audit.record(tx, actor, { action: 'credit_check.request', entityType: 'debtor', entityId: r.debtorId, before: null, after: { checkId: pending.id, purpose: r.purpose, pullType: r.pullType, consentReference: r.consent, bureau: bureau.name } });
      return { pending, bureau, subject, retention: settings.retentionDays, usagePeriod } as const;
    });
    if ('done' in prep) return prep.done!;
    if ('join' in prep) return this.awaitOther(actor, prep.join ?? null, r);

    // 2. Call the bureau, outside any transaction.
    const { pending, bureau, subject } = prep;
    const breakerKey = `${s.tenantId}:${bureau.id}`;
    const config: BureauConfig = {
      baseUrl: bureau.baseUrl,
      credential: bureau.credentialSealed && bureau.credentialKeyId ? this.pii.open(bureau.credentialSealed, bureau.credentialKeyId, `credit_bureau:${s.tenantId}:${bureau.id}`) : null,
      subscriberCode: bureau.subscriberCode,
      timeoutMs: bureau.timeoutMs,
      fieldMapping: bureau.fieldMapping,
      allowPrivateAddresses: this.options.allowPrivateUrls,
    };
    let outcome: { value?: NormalizedReport; error?: BureauError; attempts: number };
    const wait = this.breakers.acquire(breakerKey);
    if (wait !== null) {
      outcome = { error: new BureauError('bureau_error', `bureau "${bureau.name}" is failing: calls are paused for ${Math.ceil(wait / 1000)} s (circuit open)`, false), attempts: 0 };
      (outcome.error as BureauError & { circuit?: boolean }).circuit = true;
    } else {
      outcome = await withRetries(
        () => PROVIDERS[bureau.provider].pull({ subject, purpose: r.purpose, pullType: r.pullType, consentReference: r.consent }, config, AbortSignal.timeout(bureau.timeoutMs)),
        // The bureau's own setting decides how many retries; the options give the delays.
        { ...this.options.retry, maxRetries: bureau.maxRetries },
      );
      if (outcome.error) this.breakers.failure(breakerKey);
      else this.breakers.success(breakerKey);
    }

    // 3. Record the outcome: a whole report, or a failure with its reason.
    return this.db.tenant(s.db, async (tx) => {
      if (outcome.value) {
        const rep = outcome.value;
        const band = scoreBand(rep.score);
        const rating = riskRating(rep);
        const reportId = uuidv7();
        const sealed = this.pii.seal(JSON.stringify(rep.raw ?? null), `credit_report:${s.tenantId}:${reportId}`);
        const pulledAt = this.clock.now();
        await creditCheckRepository.insertReport(tx, s.tenantId, {
          id: reportId,
          debtorId: r.debtorId,
          bureauId: bureau.id,
          checkId: pending.id,
          purpose: r.purpose,
          pullType: r.pullType,
          pulledAt,
          expiresAt: new Date(pulledAt.getTime() + prep.retention * 86_400_000),
          noHit: rep.noHit,
          thinFile: rep.thinFile,
          fraudAlert: rep.fraudAlert,
          score: rep.score,
          scoreModel: rep.scoreModel,
          scoreBand: band,
          riskRating: rating,
          delinquencies: rep.delinquencies,
          tradelines: rep.tradelines,
          publicRecords: rep.publicRecords,
          inquiries: rep.inquiries,
          payloadSealed: sealed.ciphertext,
          payloadKeyId: sealed.keyId,
        });
        const check = await creditCheckRepository.finishCheck(tx, s.tenantId, pending.id, { status: 'completed', reportId, attempts: outcome.attempts, cost: bureau.costPerPull });
        // A no-hit says nothing about risk: the debtor's rating stays as it was.
        let previous: string | null = null;
        if (!rep.noHit) {
          previous = await creditCheckRepository.setDebtorRating(tx, s.tenantId, r.debtorId, rating);
          await creditCheckRepository.insertRisk(tx, s.tenantId, { id: uuidv7(), debtorId: r.debtorId, riskRating: rating, previousRating: previous, scoreBand: band, score: rep.score, reportId });
        }
        await this.audit.record(tx, actor, {
          action: 'credit_check.complete',
          entityType: 'debtor',
          entityId: r.debtorId,
          before: rep.noHit ? null : { riskRating: previous },
          after: { checkId: check.id, reportId, attempts: outcome.attempts, noHit: rep.noHit, scoreBand: band, riskRating: rep.noHit ? null : rating },
        });
        return check;
      }
      const e = outcome.error!;
      const circuit = (e as BureauError & { circuit?: boolean }).circuit === true;
      const check = await creditCheckRepository.finishCheck(tx, s.tenantId, pending.id, {
        status: 'failed',
        failureCode: circuit ? 'circuit_open' : e.code,
        failureReason: `${e.message}${outcome.attempts > 1 ? ` (after ${outcome.attempts} attempts)` : ''}`.slice(0, 500),
        attempts: outcome.attempts,
      });
      // A failed pull is not billed: its unit goes back (unless housekeeping already gave it back, having
      // failed the check as abandoned, in which case finishCheck found nothing pending).
      if (check) await this.entitlements.releaseCreditCheck(tx, s.tenantId, prep.usagePeriod);
      await this.audit.record(tx, actor, { action: 'credit_check.fail', entityType: 'debtor', entityId: r.debtorId, before: null, after: { checkId: check.id, failureCode: check.failureCode, attempts: outcome.attempts } });
      return check;
    });
  }

  /**
   * Another process is pulling this report: wait for its outcome (polling the check) for as long as that pull
   * may take, then answer with its check, finished or still pending.
   */
  private async awaitOther(actor: TenantActor, checkId: string | null, r: { debtorId: string; purpose: CreditPurpose; pullType: PullType }): Promise<CheckRow> {
    const s = scopeOf(actor);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const row = await this.db.tenant(s.db, (tx) =>
        checkId ? creditCheckRepository.findCheck(tx, s.tenantId, checkId) : creditCheckRepository.pendingFor(tx, s.tenantId, r.debtorId, r.purpose, r.pullType),
      );
      if (!row) throw AppError.conflict('A pull for this debtor and purpose was in flight and vanished; retry');
      if (row.status !== 'pending' || Date.now() > deadline) return row;
      checkId = row.id;
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  private subjectOf(tenantId: string, d: DebtorRow): BureauSubject {
    const a = d.addresses[0] ?? null;
    return {
      legalName: d.legalName,
      dateOfBirth: d.dateOfBirth,
      nationalId: this.debtors.openNationalId(tenantId, d),
      address: a ? { line1: a.line1, line2: a.line2, city: a.city, postalCode: a.postalCode, country: a.country } : null,
    };
  }

  async check(actor: TenantActor, rawId: string): Promise<CheckRow> {
    const s = scopeOf(actor);
    const id = assertUuid('id', rawId);
    const row = await this.db.tenant(s.db, async (tx) => {
      const c = await creditCheckRepository.findCheck(tx, s.tenantId, id);
      // Portfolio-scoped keys reach a check only through its debtor (the database agrees: migration 0014).
      if (c && s.portfolios !== null && !(await debtorRepository.find(tx, s.tenantId, c.debtorId, false, s.portfolios))) return null;
      return c;
    });
    if (!row) throw AppError.notFound('CreditCheck', id);
    return row;
  }

  async checksOf(actor: TenantActor, rawDebtorId: string, first: number): Promise<CheckRow[]> {
    const s = scopeOf(actor);
    const debtorId = assertUuid('debtorId', rawDebtorId);
    return this.db.tenant(s.db, async (tx) => {
      if (!(await debtorRepository.find(tx, s.tenantId, debtorId, false, s.portfolios))) throw AppError.notFound('Debtor', debtorId);
      return creditCheckRepository.checksOf(tx, s.tenantId, debtorId, first);
    });
  }

  async reports(actor: TenantActor, ids: readonly string[]): Promise<ReportRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => creditCheckRepository.reportsByIds(tx, s.tenantId, ids));
  }

  async riskHistory(actor: TenantActor, debtorIds: readonly string[]): Promise<RiskHistoryRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => creditCheckRepository.riskHistory(tx, s.tenantId, debtorIds));
  }

  /** The bureau's raw answer: needs pii:reveal, and every read is audited. Purged reports have none. */
  async readPayload(actor: TenantActor, rawId: string): Promise<{ report: ReportRow; payload: unknown }> {
    const s = scopeOf(actor);
    const id = assertUuid('reportId', rawId);
    return this.db.tenant(s.db, async (tx) => {
      const report = await creditCheckRepository.findReport(tx, s.tenantId, id);
      if (!report || (s.portfolios !== null && !(await debtorRepository.find(tx, s.tenantId, report.debtorId, false, s.portfolios)))) throw AppError.notFound('CreditReport', id);
      await this.audit.record(tx, actor, { action: 'credit_report.read', entityType: 'debtor', entityId: report.debtorId, before: null, after: { reportId: id, purged: report.payloadSealed === null } });
      if (!report.payloadSealed || !report.payloadKeyId) return { report, payload: null };
      return { report, payload: JSON.parse(this.pii.open(report.payloadSealed, report.payloadKeyId, `credit_report:${s.tenantId}:${id}`)) as unknown };
    });
  }

  strategyFor(rules: StrategyRule[], r: ReportRow): ReturnType<typeof suggestStrategy> {
    if (r.noHit) return null;
    return suggestStrategy(rules, { riskRating: r.riskRating, scoreBand: r.scoreBand, fraudAlert: r.fraudAlert, publicRecords: r.publicRecords });
  }

  /** Pulls per bureau in a calendar month (UTC): what the billing issue meters. */
  async usage(actor: TenantActor, month: string): Promise<{ bureau: BureauRow; pulls: number; failed: number; reused: number; cost: bigint; currency: string }[]> {
    const s = this.creditorWide(actor);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw AppError.badInput('month', 'must be a month as YYYY-MM');
    const [y, m] = month.split('-').map(Number) as [number, number];
    const from = new Date(Date.UTC(y, m - 1, 1));
    const to = new Date(Date.UTC(y, m, 1));
    return this.db.tenant(s.db, async (tx) => {
      const rows = await creditCheckRepository.usage(tx, s.tenantId, from, to);
      const bureaus = new Map((await creditCheckRepository.bureaus(tx, s.tenantId)).map((b) => [b.id, b]));
      return rows.map((u) => ({ bureau: bureaus.get(u.bureau_id)!, pulls: Number(u.pulls), failed: Number(u.failed), reused: Number(u.reused), cost: BigInt(u.cost), currency: u.currency }));
    });
  }

  /** Job: purge expired payloads, fail checks abandoned mid-pull. */
  async housekeeping(tenantId: string): Promise<{ purged: number; abandoned: number }> {
    return this.db.tenant({ tenantId }, async (tx) => {
      const purged = await creditCheckRepository.purgeExpired(tx, tenantId);
      const abandoned = await creditCheckRepository.failStale(tx, tenantId, new Date(this.clock.now().getTime() - this.options.staleAfterMs));
      // An abandoned pull was never billed by the bureau: its unit goes back to the month it was taken from.
      for (const at of abandoned) await this.entitlements.releaseCreditCheck(tx, tenantId, monthStart(at));
      return { purged, abandoned: abandoned.length };
    });
  }

  breakerState(tenantId: string, bureauId: string): 'closed' | 'open' | 'half_open' {
    return this.breakers.stateOf(`${tenantId}:${bureauId}`);
  }
}

export function settingsView(row: SettingsRow | null): { reuseWindowDays: number; retentionDays: number; strategyRules: StrategyRule[]; version: number } {
  return {
    reuseWindowDays: row?.reuseWindowDays ?? 30,
    retentionDays: row?.retentionDays ?? 365,
    strategyRules: row?.strategyRules ?? DEFAULT_STRATEGY_RULES,
    version: row?.version ?? 0,
  };
}
