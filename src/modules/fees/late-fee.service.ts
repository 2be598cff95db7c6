import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { addDays } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { isCurrency, parseMinorUnits } from '../../shared/money.js';
import { lineText, Problems, uuidField } from '../../shared/validation.js';
import { webhookEventRepository, type WebhookEventData } from '../webhooks/webhook-event.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AccountStatus, Component } from '../accounts/account.logic.js';
import { accountRepository } from '../accounts/account.repository.js';
import { PRODUCT_TYPES } from '../accounts/account.table.js';
import { checkAsOf, resolveAsOf, tenantToday } from '../accounts/as-of.js';
import { portfolioRepository } from '../accounts/portfolio.repository.js';
import { scopeOf } from '../accounts/scope.js';
import type { TenantActor } from '../tenancy/principal.js';
import { JURISDICTION_PRESETS } from './jurisdiction.presets.js';
import { evaluateAccount, NEVER, q, type AccountFacts, type Assessment, type Evaluation, type JurisdictionCap, type PolicyRef, type SkipReason } from './late-fee.logic.js';
import {
  lateFeeRepository,
  type AssessmentRow,
  type AttachmentRow,
  type BatchAccountRow,
  type CapRow,
  type PolicyRow,
  type PolicyVersionRow,
  type RunRow,
} from './late-fee.repository.js';
import { candidatesFor, levelOf, resolvePolicy, rulesFingerprint, type Resolution } from './late-fee.resolution.js';
import { parseBps, parsePolicyRules, reviveRules, rulesToJson, validatePolicyName, type PolicyRules, type PolicyRulesInput } from './late-fee.rules.js';

export interface LateFeeOptions {
  /** How far ahead of the tenant's today a preview may look. */
  previewHorizonDays: number;
  /** Accounts per accrual transaction. */
  batchSize: number;
  /** Batches in flight at once on PostgreSQL (each on its own connection). */
  concurrency: number;
}

export interface PolicyInput extends PolicyRulesInput {
  name: string;
}

export interface AttachTarget {
  accountId?: string | null;
  portfolioId?: string | null;
  productType?: string | null;
}

export interface EffectivePolicy {
  accountId: string;
  policy: PolicyRow | null;
  version: PolicyVersionRow | null;
  level: string | null;
  chargeFrom: string | null;
  reason: string;
  candidates: { level: string; policyId: string | null; target: string; chargeFrom: string | null }[];
}

export interface Preview {
  accountId: string;
  asOf: string;
  effective: EffectivePolicy;
  skip: SkipReason | null;
  note: string | null;
  assessments: Assessment[];
  total: bigint;
  currency: string;
  nextAssessmentOn: string | null;
}

export interface JurisdictionCapView extends JurisdictionCap {
  /** preset: shipped with Arrears; tenant: this tenant's own row (it replaces the preset of the same code). */
  origin: 'preset' | 'tenant';
}

/** Everything tenant-wide a run or a preview needs, read once. */
interface FeeConfig {
  shared: AttachmentRow[];
  current: Map<string, { policy: PolicyRow; version: PolicyVersionRow; rules: PolicyRules }>;
  caps: Map<string, JurisdictionCapView>;
  gen: string;
}

const NOT_ACCRUING: Partial<Record<AccountStatus, string>> = {
  settled: 'settled',
  paid_off: 'paid off',
  written_off: 'written off',
  recalled: 'recalled by the creditor',
  closed: 'closed',
};

const policyAuditView = (p: PolicyRow, v: PolicyVersionRow) => ({ name: p.name, version: v.version, rules: v.rules });

function capFromRow(r: CapRow): JurisdictionCapView {
  return {
    code: r.code,
    name: r.name,
    annualRateBps: r.annualRateBps,
    currency: r.currency,
    maxFirstAssessment: r.maxFirstAssessment,
    maxLaterAssessment: r.maxLaterAssessment,
    source: r.source,
    origin: 'tenant',
  };
}

function factsOf(row: BatchAccountRow, later: AccountFacts['later'], assessed: { total: bigint; charged: number; periods: Set<string>; lastOn: string | null } | undefined, chargeFrom: string | null): AccountFacts {
  return {
    accountId: row.id,
    currency: row.currency,
    status: row.status as AccountStatus,
    originalPrincipal: BigInt(row.original_principal),
    dueOn: row.due_on,
    anchor: row.anchor_on,
    balances: { principal: BigInt(row.principal_balance), interest: BigInt(row.interest_balance), fee: BigInt(row.fee_balance) },
    later,
    debtorBankrupt: row.bankrupt,
    planFreezesFees: row.plan_freezes_fees ?? null,
    debtorDeceased: row.deceased,
    assessedPeriods: assessed?.periods ?? new Set(),
    assessedTotal: assessed?.total ?? 0n,
    chargedCount: assessed?.charged ?? 0,
    chargedThrough: assessed?.lastOn ?? null,
    chargeFrom,
  };
}

export class LateFeeService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly opts: LateFeeOptions,
  ) {}

  private tenantWide(actor: TenantActor, what: string) {
    const s = scopeOf(actor);
    if (s.portfolios !== null) throw AppError.forbidden(`A portfolio-scoped key cannot ${what}`);
    return s;
  }

  private async capsOf(tx: Tx, tenantId: string): Promise<Map<string, JurisdictionCapView>> {
    const out = new Map<string, JurisdictionCapView>(JURISDICTION_PRESETS.map((c) => [c.code, { ...c, origin: 'preset' as const }]));
    for (const r of await lateFeeRepository.caps(tx, tenantId)) out.set(r.code, capFromRow(r));
    return out;
  }

  private async config(tx: Tx, tenantId: string): Promise<FeeConfig> {
    const shared = await lateFeeRepository.sharedAttachments(tx, tenantId);
    const current = await lateFeeRepository.currentVersions(tx, tenantId, null);
    const capRows = await lateFeeRepository.caps(tx, tenantId);
    const caps = await this.capsOf(tx, tenantId);
    return {
      shared,
      current: new Map(current.map((c) => [c.policy.id, { ...c, rules: reviveRules(c.version.rules) }])),
      caps,
      gen: rulesFingerprint(shared, current, capRows),
    };
  }

  private async checkRules(tx: Tx, tenantId: string, rules: PolicyRules, field: string): Promise<void> {
    if (!rules.jurisdiction) return;
    const caps = await this.capsOf(tx, tenantId);
    const cap = caps.get(rules.jurisdiction);
    if (!cap) throw AppError.badInput(`${field}.jurisdiction`, `has no legal cap on record; known: ${[...caps.keys()].join(', ')} (add one with setJurisdictionFeeCap)`);
    // A cap that could never apply would be a promise the engine cannot keep.
    if (cap.annualRateBps === null && cap.currency !== rules.currency) {
      throw AppError.badInput(`${field}.jurisdiction`, `${cap.code}'s cap is per assessment in ${cap.currency} and has no annual rate, so it cannot bind a ${rules.currency} policy`);
    }
  }

  // ── Policies ────────────────────────────────────────────────────────────────────────────────────

  async createPolicy(actor: TenantActor, input: PolicyInput): Promise<{ policy: PolicyRow; version: PolicyVersionRow }> {
    const s = this.tenantWide(actor, 'configure late fees');
    const p = new Problems();
    const name = validatePolicyName(p, 'input.name', input.name);
    const rules = parsePolicyRules(p, 'input', input);
    if (!p.empty || !rules) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        await this.checkRules(tx, s.tenantId, rules, 'input');
        const id = uuidv7();
        const policy = await lateFeeRepository.insertPolicy(tx, s.tenantId, { id, name, currentVersion: 1 });
        const version = await lateFeeRepository.insertVersion(tx, s.tenantId, { id: uuidv7(), policyId: id, version: 1, rules: rulesToJson(rules), actorId: actor.principal.actorId });
        await this.audit.record(tx, actor, { action: 'late_fee_policy.create', entityType: 'late_fee_policy', entityId: id, before: null, after: policyAuditView(policy, version) });
        return { policy, version };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'late_fee_policies_name_key')) throw new AppError('CONFLICT', `input.name: a late-fee policy named "${name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  /**
   * A change is a new version; earlier versions stay as they were, and fees already charged keep pointing
   * at the version that produced them. `expectedVersion` guards against two people revising at once.
   */
  async revisePolicy(actor: TenantActor, rawId: string, expectedVersion: number, input: PolicyInput): Promise<{ policy: PolicyRow; version: PolicyVersionRow }> {
    const s = this.tenantWide(actor, 'configure late fees');
    const id = assertUuid('id', rawId);
    const p = new Problems();
    const name = validatePolicyName(p, 'input.name', input.name);
    const rules = parsePolicyRules(p, 'input', input);
    if (!p.empty || !rules) throw AppError.badInputMany(p.list);
    try {
      return await this.db.tenant(s.db, async (tx) => {
        const current = await lateFeeRepository.findPolicy(tx, s.tenantId, id, true);
        if (!current) throw AppError.notFound('LateFeePolicy', id);
        if (current.currentVersion !== expectedVersion) {
          throw new AppError('CONFLICT', `expectedVersion: policy is at version ${current.currentVersion}, not ${expectedVersion}`, { field: 'expectedVersion' });
        }
        await this.checkRules(tx, s.tenantId, rules, 'input');
        const before = (await lateFeeRepository.versions(tx, s.tenantId, id))[0]!;
        const next = current.currentVersion + 1;
        const version = await lateFeeRepository.insertVersion(tx, s.tenantId, { id: uuidv7(), policyId: id, version: next, rules: rulesToJson(rules), actorId: actor.principal.actorId });
        const policy = await lateFeeRepository.setCurrentVersion(tx, s.tenantId, id, next, name);
        await this.audit.record(tx, actor, { action: 'late_fee_policy.revise', entityType: 'late_fee_policy', entityId: id, before: policyAuditView(current, before), after: policyAuditView(policy, version) });
        return { policy, version };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'late_fee_policies_name_key')) throw new AppError('CONFLICT', `input.name: a late-fee policy named "${name}" already exists`, { field: 'input.name' });
      throw err;
    }
  }

  async policy(actor: TenantActor, rawId: string): Promise<PolicyRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => lateFeeRepository.findPolicy(tx, s.tenantId, id));
    if (!row) throw AppError.notFound('LateFeePolicy', id);
    return row;
  }

  async policies(actor: TenantActor, first: number, afterId: string | null): Promise<{ rows: PolicyRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    const rows = await this.db.tenant(s.db, (tx) => lateFeeRepository.listPolicies(tx, s.tenantId, first + 1, afterId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  policiesByIds(actor: TenantActor, ids: readonly string[]): Promise<PolicyRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => lateFeeRepository.findPolicies(tx, s.tenantId, ids));
  }

  attachmentsOf(actor: TenantActor, policyId: string): Promise<AttachmentRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const rows = await lateFeeRepository.attachmentsOfPolicy(tx, s.tenantId, policyId);
      if (s.portfolios === null) return rows;
      // A scoped key sees shared attachments and those on its own portfolios and accounts only.
      const visible: AttachmentRow[] = [];
      for (const a of rows) {
        if (a.portfolioId && !s.portfolios.includes(a.portfolioId)) continue;
        if (a.accountId && !(await accountRepository.find(tx, s.tenantId, s.portfolios, a.accountId))) continue;
        visible.push(a);
      }
      return visible;
    });
  }

  // ── Attachments ─────────────────────────────────────────────────────────────────────────────────

  private target(p: Problems, t: AttachTarget): { accountId: string | null; portfolioId: string | null; productType: string | null } {
    const accountId = t.accountId != null ? uuidField(p, 'target.accountId', t.accountId) : null;
    const portfolioId = t.portfolioId != null ? uuidField(p, 'target.portfolioId', t.portfolioId) : null;
    const productType = t.productType ?? null;
    if (productType !== null && !(PRODUCT_TYPES as readonly string[]).includes(productType)) p.add('target.productType', `must be one of ${PRODUCT_TYPES.join(', ')}`);
    if (accountId && (portfolioId || productType)) p.add('target.accountId', 'an account-level attachment names the account only (no portfolioId or productType)');
    return { accountId, portfolioId, productType };
  }

  /** Attaches a policy to a target, replacing whatever was attached there. */
  async attach(actor: TenantActor, rawPolicyId: string, t: AttachTarget, chargeFrom: string | null = null): Promise<AttachmentRow> {
    const s = this.tenantWide(actor, 'configure late fees');
    const p = new Problems();
    const policyId = uuidField(p, 'policyId', rawPolicyId);
    const target = this.target(p, t);
    if (chargeFrom !== null) checkAsOf(chargeFrom, 'chargeFrom');
    if (!p.empty) throw AppError.badInputMany(p.list);
    try {
      return await this.attachIn(actor, s, policyId, target, chargeFrom);
    } catch (err) {
      if (isUniqueViolation(err, 'late_fee_attachments_target_key')) throw AppError.conflict('Another attachment to this target was made at the same moment; retry', { field: 'target' });
      throw err;
    }
  }

  private attachIn(
    actor: TenantActor,
    s: ReturnType<typeof scopeOf>,
    policyId: string,
    target: { accountId: string | null; portfolioId: string | null; productType: string | null },
    chargeFrom: string | null,
  ): Promise<AttachmentRow> {
    return this.db.tenant(s.db, async (tx) => {
      const policy = (await lateFeeRepository.currentVersions(tx, s.tenantId, [policyId]))[0];
      if (!policy) throw AppError.notFound('LateFeePolicy', policyId);
      const currency = reviveRules(policy.version.rules).currency;
      if (target.accountId) {
        const account = await accountRepository.find(tx, s.tenantId, s.portfolios, target.accountId, true);
        if (!account) throw AppError.notFound('Account', target.accountId);
        if (account.currency !== currency) throw AppError.badInput('policyId', `the policy charges in ${currency}; the account is in ${account.currency}`);
      }
      if (target.portfolioId) {
        const portfolio = await portfolioRepository.find(tx, s.tenantId, s.portfolios, target.portfolioId);
        if (!portfolio) throw AppError.notFound('Portfolio', target.portfolioId);
        if (portfolio.currency !== currency) throw AppError.badInput('policyId', `the policy charges in ${currency}; the portfolio is in ${portfolio.currency}`);
      }
      const existing = await lateFeeRepository.findAttachment(tx, s.tenantId, target);
      if (existing?.policyId === policyId && existing.chargeFrom === chargeFrom) return existing;
      if (existing) await lateFeeRepository.deleteAttachment(tx, s.tenantId, existing.id);
      const row = await lateFeeRepository.insertAttachment(tx, s.tenantId, { id: uuidv7(), policyId, ...target, chargeFrom, actorId: actor.principal.actorId });
      if (target.accountId) await lateFeeRepository.resetAccountFeeState(tx, s.tenantId, target.accountId);
      await this.audit.record(tx, actor, {
        action: 'late_fee_policy.attach',
        entityType: 'late_fee_policy',
        entityId: policyId,
        before: existing ? { policyId: existing.policyId, level: levelOf(existing), chargeFrom: existing.chargeFrom, ...target } : null,
        after: { policyId, level: levelOf(row), chargeFrom, ...target },
      });
      return row;
    });
  }

  /** Removes the attachment at a target; true when there was one. */
  async detach(actor: TenantActor, t: AttachTarget): Promise<boolean> {
    const s = this.tenantWide(actor, 'configure late fees');
    const p = new Problems();
    const target = this.target(p, t);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const existing = await lateFeeRepository.findAttachment(tx, s.tenantId, target);
      if (!existing) return false;
      await lateFeeRepository.deleteAttachment(tx, s.tenantId, existing.id);
      if (target.accountId) await lateFeeRepository.resetAccountFeeState(tx, s.tenantId, target.accountId);
      await this.audit.record(tx, actor, {
        action: 'late_fee_policy.detach',
        entityType: 'late_fee_policy',
        entityId: existing.policyId,
        before: { policyId: existing.policyId, level: levelOf(existing), ...target },
        after: null,
      });
      return true;
    });
  }

  // ── Effective policy and preview ────────────────────────────────────────────────────────────────

  private effectiveFrom(config: FeeConfig, accountId: string, row: { portfolio_id: string; product_type: string; account_policy_id: string | null; account_charge_from: string | null }): { view: EffectivePolicy; resolution: Resolution | null } {
    const resolution = resolvePolicy(config.shared, { portfolioId: row.portfolio_id, productType: row.product_type, accountPolicyId: row.account_policy_id, accountChargeFrom: row.account_charge_from });
    const cur = resolution ? config.current.get(resolution.policyId) : undefined;
    const candidates = resolution?.candidates ?? candidatesFor(config.shared, { portfolioId: row.portfolio_id, productType: row.product_type, accountPolicyId: null });
    return {
      resolution,
      view: {
        accountId,
        policy: cur?.policy ?? null,
        version: cur?.version ?? null,
        level: resolution?.level ?? null,
        chargeFrom: resolution?.chargeFrom ?? null,
        reason: resolution ? resolution.reason : 'no late-fee policy is attached to this account, its portfolio, its product type or the tenant: no late fees accrue',
        candidates,
      },
    };
  }

  async effective(actor: TenantActor, rawAccountId: string): Promise<EffectivePolicy> {
    const accountId = assertUuid('accountId', rawAccountId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      if (!(await accountRepository.find(tx, s.tenantId, s.portfolios, accountId))) throw AppError.notFound('Account', accountId);
      const row = (await lateFeeRepository.accountFacts(tx, s.tenantId, accountId))!;
      return this.effectiveFrom(await this.config(tx, s.tenantId), accountId, row).view;
    });
  }

  /** What a run as of `asOf` would charge this account, step by step. Writes nothing. */
  async preview(actor: TenantActor, rawAccountId: string, asOf: string | null | undefined): Promise<Preview> {
    const accountId = assertUuid('accountId', rawAccountId);
    checkAsOf(asOf);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const today = await tenantToday(tx, s.tenantId, this.clock);
      const date = asOf ?? today;
      const horizon = addDays(today, this.opts.previewHorizonDays);
      if (date > horizon) throw AppError.badInput('asOf', `must not be more than ${this.opts.previewHorizonDays} days after today (${today}); latest allowed is ${horizon}`);
      if (!(await accountRepository.find(tx, s.tenantId, s.portfolios, accountId))) throw AppError.notFound('Account', accountId);
      const row = (await lateFeeRepository.accountFacts(tx, s.tenantId, accountId))!;
      const config = await this.config(tx, s.tenantId);
      const { view, resolution } = this.effectiveFrom(config, accountId, row);
      const base = { accountId, asOf: date, effective: view, currency: row.currency, assessments: [] as Assessment[], total: 0n, nextAssessmentOn: null as string | null };
      const stopped = NOT_ACCRUING[row.status as AccountStatus];
      if (stopped) return { ...base, skip: null, note: `the account is ${stopped}: no late fees accrue` };
      if (!resolution) return { ...base, skip: 'no_policy' as const, note: view.reason };
      if (!row.anchor_on || row.anchor_on >= date) return { ...base, skip: null, note: `nothing is past due on ${date}` };
      const anchors = [{ id: accountId, anchor: row.anchor_on }];
      const evaluation = this.evaluate(config, resolution, row, await lateFeeRepository.laterEntries(tx, s.tenantId, anchors), await lateFeeRepository.assessed(tx, s.tenantId, anchors), date, true);
      const total = evaluation.assessments.reduce((sum, a) => sum + a.amount, 0n);
      return {
        ...base,
        skip: evaluation.skip,
        note: evaluation.skip ? skipNote(evaluation.skip) : evaluation.assessments.length ? null : `no new period is due by ${date}`,
        assessments: evaluation.assessments,
        total,
        nextAssessmentOn: evaluation.nextOn === NEVER ? null : evaluation.nextOn,
      };
    });
  }

  private evaluate(
    config: FeeConfig,
    resolution: Resolution,
    row: BatchAccountRow,
    later: { account_id: string; component: string; amount: string; effective_on: string }[],
    assessed: { account_id: string; total: string; charged: number; periods: string[] | null; last_on: string | null }[],
    asOf: string,
    describe: boolean,
  ): Evaluation & { ref: PolicyRef; versionId: string } {
    const cur = config.current.get(resolution.policyId)!;
    const ref: PolicyRef = { policyId: cur.policy.id, versionId: cur.version.id, version: cur.version.version, name: cur.policy.name, level: resolution.level };
    const a = assessed[0];
    const facts = factsOf(
      row,
      later.map((e) => ({ component: e.component as Component, amount: BigInt(e.amount), effectiveOn: e.effective_on })),
      a ? { total: BigInt(a.total), charged: Number(a.charged), periods: new Set(a.periods ?? []), lastOn: a.last_on } : undefined,
      resolution.chargeFrom,
    );
    const jurisdiction = cur.rules.jurisdiction ? (config.caps.get(cur.rules.jurisdiction) ?? null) : null;
    return { ...evaluateAccount(cur.rules, ref, facts, asOf, jurisdiction, describe), ref, versionId: cur.version.id };
  }

  // ── Accrual runs ────────────────────────────────────────────────────────────────────────────────

  /**
   * Assesses every account of the tenant as of `asOf`, in batches, each its own transaction (so a crash
   * loses at most the batch in flight, and a re-run finishes the rest). Exactly-once rests on the unique
   * (account, period) key, not on this loop: a re-run, an overlapping run or a retry after a crash cannot
   * charge a period twice.
   */
  async assess(actor: TenantActor, rawAsOf: string | null | undefined, trigger: 'api' | 'schedule' | 'cli' = 'api'): Promise<RunRow> {
    const s = this.tenantWide(actor, 'run late-fee accrual for the whole tenant');
    checkAsOf(rawAsOf);
    const { asOf, run, config } = await this.db.tenant(s.db, async (tx) => {
      const asOf = await resolveAsOf(tx, s.tenantId, this.clock, rawAsOf);
      const config = await this.config(tx, s.tenantId);
      const run = await lateFeeRepository.insertRun(tx, s.tenantId, { id: uuidv7(), asOf, trigger, actorKind: actor.principal.kind, actorId: actor.principal.actorId, startedAt: this.clock.now() });
      await this.audit.record(tx, actor, { action: 'late_fee_run.start', entityType: 'late_fee_run', entityId: run.id, before: null, after: { asOf, trigger } });
      return { asOf, run, config };
    });

    let cursor: string | null = null;
    let exhausted = false;
    let claiming: Promise<unknown> = Promise.resolve();
    /**
     * Claims the next batch: the lock query runs inside the worker's own transaction, but one worker at a
     * time, so each takes the ids after the previous claim. Writing and computing overlap between workers.
     */
    const claim = (tx: Tx): Promise<BatchAccountRow[]> => {
      const p = claiming.then(async () => {
        if (exhausted) return [];
        const batch = await lateFeeRepository.lockBatch(tx, s.tenantId, asOf, config.gen, cursor, this.opts.batchSize);
        if (batch.length) cursor = batch[batch.length - 1]!.id;
        else exhausted = true;
        return batch;
      });
      claiming = p.catch(() => undefined);
      return p;
    };
    const worker = async (): Promise<void> => {
      try {
        await work();
      } catch (err) {
        exhausted = true; // the other workers stop after their batch in flight
        throw err;
      }
    };
    const work = async (): Promise<void> => {
      while (!exhausted) {
        await this.db.tenant(s.db, async (tx) => {
          await lateFeeRepository.tuneBatch(tx);
          const batch = await claim(tx);
          if (!batch.length) return;
          const result = await this.assessBatch(tx, actor, run.id, config, batch, asOf);
          const totals = Object.fromEntries([...result.totals].map(([c, v]) => [c, v.toString()]));
          // Counters move in the batch's own transaction: after a crash the run row still says exactly what was committed.
          await lateFeeRepository.addToRun(tx, s.tenantId, run.id, { examined: batch.length, assessed: result.assessed, feesPosted: result.posted, totals, skipped: Object.fromEntries(result.skipped) });
          if (result.assessed) {
            await this.audit.record(tx, actor, {
              action: 'late_fee.assess',
              entityType: 'late_fee_run',
              entityId: run.id,
              before: null,
              after: { asOf, accounts: batch.length, assessed: result.assessed, feesPosted: result.posted, totals },
            });
          }
        });
      }
    };
    // PGlite is one connection: workers would only queue behind each other there.
    const results = await Promise.allSettled(Array.from({ length: this.db.kind === 'pglite' ? 1 : this.opts.concurrency }, () => worker()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      exhausted = true;
      const err: unknown = failure.reason;
      // The committed batches stand (and are counted); the run says it stopped, and a re-run completes it.
      await this.db
        .tenant(s.db, async (tx) => {
          const failed = await lateFeeRepository.updateRun(tx, s.tenantId, run.id, { status: 'failed', finishedAt: this.clock.now(), error: err instanceof AppError ? err.message : 'internal error; see the server log' });
          await this.audit.record(tx, actor, {
            action: 'late_fee_run.fail',
            entityType: 'late_fee_run',
            entityId: run.id,
            before: null,
            after: { examined: failed.examined, assessed: failed.assessed, feesPosted: failed.feesPosted, totals: failed.totals, error: failed.error },
          });
        })
        .catch(() => undefined);
      throw err;
    }
    return this.db.tenant(s.db, async (tx) => {
      const done = await lateFeeRepository.updateRun(tx, s.tenantId, run.id, { status: 'completed', finishedAt: this.clock.now() });
      await this.audit.record(tx, actor, {
        action: 'late_fee_run.finish',
        entityType: 'late_fee_run',
        entityId: run.id,
        before: null,
        after: { examined: done.examined, assessed: done.assessed, feesPosted: done.feesPosted, totals: done.totals, skipped: done.skipped },
      });
      return done;
    });
  }

  private async assessBatch(tx: Tx, actor: TenantActor, runId: string, config: FeeConfig, batch: BatchAccountRow[], asOf: string) {
    const anchors = batch.map((b) => ({ id: b.id, anchor: b.anchor_on }));
    const laterRows = await lateFeeRepository.laterEntries(tx, actor.principal.tenantId, anchors);
    const assessedRows = await lateFeeRepository.assessed(tx, actor.principal.tenantId, anchors);
    const laterBy = groupBy(laterRows, (r) => r.account_id);
    const assessedBy = new Map(assessedRows.map((r) => [r.account_id, r]));
    const skipped = new Map<string, number>();
    // Rows and states go to the database as JSON text built here directly. Each row's pieces are joined at
    // once into a flat string (see Assessment.encodeInto): pieces or ropes held until the batch is written
    // survive young-generation collections and made garbage collection most of a run's CPU time.
    const rows: string[] = [];
    const states: string[] = [];
    const state = (id: string, anchor: string, next: string) => states.push(['{"id":"', id, '","anchor":"', anchor, '","next_on":"', next, '"}'].join(''));
    for (const row of batch) {
      const resolution = resolvePolicy(config.shared, { portfolioId: row.portfolio_id, productType: row.product_type, accountPolicyId: row.account_policy_id, accountChargeFrom: row.account_charge_from });
      if (!resolution || !config.current.has(resolution.policyId)) {
        skipped.set('no_policy', (skipped.get('no_policy') ?? 0) + 1);
        state(row.id, row.anchor_on, NEVER);
        continue;
      }
      const a = assessedBy.get(row.id);
      const ev = this.evaluate(config, resolution, row, laterBy.get(row.id) ?? [], a ? [a] : [], asOf, false);
      if (ev.skip) skipped.set(ev.skip, (skipped.get(ev.skip) ?? 0) + 1);
      state(row.id, row.anchor_on, ev.nextOn);
      for (const x of ev.assessments) {
        const o = ['{"id":"', uuidv7(), '","account_id":"', row.id, '","period_key":', q(x.period.key), ',"policy_version_id":"', ev.versionId, '","anchor_on":"', row.anchor_on];
        o.push('","assessed_on":"', x.period.postOn, '","currency":"', row.currency, '","uncapped":"', x.uncapped.toString(), '","amount":"', x.amount.toString(), '","capped_by":[');
        let first = true;
        for (const c of x.caps) {
          if (!c.binding) continue;
          o.push(first ? '"' : ',"', c.cap, '"');
          first = false;
        }
        o.push('],"explanation":');
        x.encodeInto(o);
        o.push('}');
        rows.push(o.join(''));
      }
    }
    const totals = new Map<string, bigint>();
    let assessed = 0;
    let posted = 0;
    if (rows.length) {
      const written = await lateFeeRepository.writeBatch(tx, actor.principal.tenantId, runId, config.gen, { kind: actor.principal.kind, id: actor.principal.actorId }, `[${rows.join(',')}]`, `[${states.join(',')}]`);
      const fees: WebhookEventData[] = [];
      for (const w of written) {
        assessed += w.assessed;
        posted += w.posted;
        totals.set(w.currency, (totals.get(w.currency) ?? 0n) + BigInt(w.total));
        for (const c of w.charged) fees.push({ object: 'late_fee_assessment', id: c.id, accountId: c.accountId });
      }
      await webhookEventRepository.emit(tx, actor.principal.tenantId, 'fee.assessed', fees);
    } else {
      await lateFeeRepository.writeStates(tx, actor.principal.tenantId, config.gen, `[${states.join(',')}]`);
    }
    return { assessed, posted, totals, skipped };
  }

  async runs(actor: TenantActor, first: number, beforeId: string | null): Promise<{ rows: RunRow[]; hasNextPage: boolean }> {
    const s = this.tenantWide(actor, 'read tenant-wide accrual runs');
    const rows = await this.db.tenant(s.db, (tx) => lateFeeRepository.listRuns(tx, s.tenantId, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Assessments of one account the actor may see, newest first. */
  async assessmentsOf(actor: TenantActor, accountId: string, first: number, rawBefore: string | null): Promise<AssessmentRow[]> {
    const s = scopeOf(actor);
    const before = rawBefore == null ? null : assertUuid('before', rawBefore);
    return this.db.tenant(s.db, async (tx) => {
      if (!(await accountRepository.find(tx, s.tenantId, s.portfolios, accountId))) throw AppError.notFound('Account', accountId);
      return lateFeeRepository.assessmentsOfAccount(tx, s.tenantId, accountId, first, before);
    });
  }

  /** For ledger entries already read through a visible account (the loader behind LedgerEntry.lateFee). */
  assessmentsByEntryIds(actor: TenantActor, entryIds: readonly string[]): Promise<AssessmentRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => lateFeeRepository.assessmentsByEntryIds(tx, s.tenantId, entryIds));
  }

  versionsOfPolicies(actor: TenantActor, policyIds: readonly string[]): Promise<PolicyVersionRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => lateFeeRepository.versionsOfPolicies(tx, s.tenantId, policyIds));
  }

  // ── Jurisdiction caps ───────────────────────────────────────────────────────────────────────────

  jurisdictionCaps(actor: TenantActor): Promise<JurisdictionCapView[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => [...(await this.capsOf(tx, s.tenantId)).values()].sort((a, b) => (a.code < b.code ? -1 : 1)));
  }

  async setJurisdictionCap(
    actor: TenantActor,
    input: { code: string; name: string; annualRateBps?: string | null; currency?: string | null; maxFirstAssessment?: string | null; maxLaterAssessment?: string | null; source: string },
  ): Promise<JurisdictionCapView> {
    const s = this.tenantWide(actor, 'change legal caps');
    const p = new Problems();
    const code = input.code.trim().toUpperCase();
    if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(code)) p.add('input.code', 'must be an ISO 3166 code such as CN, GB or US-NY');
    const name = lineText(p, 'input.name', input.name, 200);
    const source = lineText(p, 'input.source', input.source, 500);
    const annualRateBps = input.annualRateBps != null ? parseBps(p, 'input.annualRateBps', input.annualRateBps, 3_650_000n, '100 % a day') : null;
    const amt = (field: string, v: string | null | undefined) => {
      if (v == null) return null;
      const r = parseMinorUnits(v, { allowZero: true });
      if (typeof r === 'string') {
        p.add(field, r);
        return null;
      }
      return r;
    };
    const maxFirstAssessment = amt('input.maxFirstAssessment', input.maxFirstAssessment);
    const maxLaterAssessment = amt('input.maxLaterAssessment', input.maxLaterAssessment);
    const currency = input.currency?.trim().toUpperCase() ?? null;
    if (currency !== null && !isCurrency(currency)) p.add('input.currency', 'must be an ISO 4217 currency code');
    if ((input.maxFirstAssessment != null || input.maxLaterAssessment != null) && currency === null) p.add('input.currency', 'is required with a per-assessment maximum');
    if (currency !== null && input.maxFirstAssessment == null && input.maxLaterAssessment == null) p.add('input.currency', 'only goes with maxFirstAssessment or maxLaterAssessment');
    if (input.annualRateBps == null && input.maxFirstAssessment == null && input.maxLaterAssessment == null) p.add('input', 'must set annualRateBps or a per-assessment maximum');
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      if (annualRateBps === null) {
        // The same rule as for a policy naming this code: a cap must be able to bind every policy that relies on it.
        const stranded = (await lateFeeRepository.currentVersions(tx, s.tenantId, null)).filter((c) => {
          const r = reviveRules(c.version.rules);
          return r.jurisdiction === code && r.currency !== currency;
        });
        if (stranded.length) {
          throw AppError.badInput('input.annualRateBps', `is required: ${stranded.map((c) => `"${c.policy.name}"`).join(', ')} rel${stranded.length > 1 ? 'y' : 'ies'} on ${code} and charge${stranded.length > 1 ? '' : 's'} in another currency than ${currency}`);
        }
      }
      const before = (await this.capsOf(tx, s.tenantId)).get(code) ?? null;
      const row = await lateFeeRepository.upsertCap(tx, s.tenantId, { code, name, annualRateBps, currency, maxFirstAssessment, maxLaterAssessment, source });
      const after = capFromRow(row);
      const view = (c: JurisdictionCapView) => ({ ...c, annualRateBps: c.annualRateBps?.toString() ?? null, maxFirstAssessment: c.maxFirstAssessment?.toString() ?? null, maxLaterAssessment: c.maxLaterAssessment?.toString() ?? null });
      await this.audit.record(tx, actor, { action: 'fee_jurisdiction_cap.set', entityType: 'fee_jurisdiction_cap', entityId: code, before: before ? view(before) : null, after: view(after) });
      return after;
    });
  }
}

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function skipNote(reason: SkipReason): string {
  switch (reason) {
    case 'disputed':
      return 'the account is disputed: no fees while the dispute is open';
    case 'frozen_in_plan':
      return 'the account is in a repayment plan and the policy freezes fees meanwhile';
    case 'debtor_bankrupt':
      return 'the debtor is flagged bankrupt: no fees';
    case 'debtor_deceased':
      return 'the debtor is flagged deceased: no fees';
    case 'no_policy':
      return 'no late-fee policy applies';
    case 'currency_mismatch':
      return "the policy's currency differs from the account's";
    case 'below_minimum':
      return 'the overdue amount is below the policy minimum';
    case 'capped_to_zero':
      return 'caps leave nothing to charge';
  }
}

