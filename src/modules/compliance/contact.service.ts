import type { Database, Tx } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { freeText, isCalendarDate, lineText, Problems, uuidField } from '../../shared/validation.js';
import { accountRepository, type AccountRow } from '../accounts/account.repository.js';
import { scopeOf } from '../accounts/scope.js';
import type { AuditService } from '../audit/audit.service.js';
import { debtorRepository } from '../debtors/debtor.repository.js';
import { planRepository } from '../plans/plan.repository.js';
import { promiseRepository } from '../plans/promise.repository.js';
import type { TenantActor } from '../tenancy/principal.js';
import { tenantRepository } from '../tenancy/tenant.repository.js';
import { evaluateEligibility, hhmm, looserThan, lookbackDays, strictest, type Block, type Eligibility, type WarningCode } from './contact.logic.js';
import { CONTACT_PRESETS, presetFor, type ContactChannel, type ContactRules, type FrequencyCap } from './contact-rules.presets.js';
import { contactRepository, type ContactFilter, type ContactRow, type ContactRulesRow, type PreferenceRow } from './contact.repository.js';
import { CONSENT_STATES, CONTACT_CHANNELS, CONTACT_DIRECTIONS, CONTACT_OUTCOMES } from './contact.table.js';
import { disputeRepository } from './dispute.repository.js';

/** An instant written with its offset: "2026-03-08T08:30:00-05:00" or "…Z". A time without one is ambiguous. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

export function instantField(p: Problems, field: string, raw: string): Date {
  const s = raw.trim();
  const m = INSTANT_RE.exec(s);
  if (!m) {
    p.add(field, /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(s) ? 'must include a UTC offset (Z or ±hh:mm): a local time alone is ambiguous' : 'must be an RFC 3339 date-time with an offset, e.g. 2026-03-08T08:30:00-05:00');
    return new Date(NaN);
  }
  // Date parsing rolls 30 February over into March and accepts 24:30: check the parts first.
  const [hh, mm, ss] = [Number(s.slice(11, 13)), Number(s.slice(14, 16)), m[1] ? Number(s.slice(17, 19)) : 0];
  const offset = m[3]!.toUpperCase() === 'Z' ? null : [Number(m[3]!.slice(1, 3)), Number(m[3]!.slice(4, 6))];
  if (!isCalendarDate(s.slice(0, 10)) || hh > 23 || mm > 59 || ss > 59 || (offset && (offset[0]! > 18 || offset[1]! > 59))) {
    p.add(field, 'is not a real date-time');
    return new Date(NaN);
  }
  return new Date(s);
}

const pick = <T extends string>(p: Problems, field: string, raw: string, allowed: readonly T[]): T => {
  const v = raw.trim().toLowerCase() as T;
  if (!allowed.includes(v)) p.add(field, `must be one of ${allowed.join(', ')}`);
  return v;
};

type Outcome = (typeof CONTACT_OUTCOMES)[number];
const SPOKEN: Outcome[] = ['no_answer', 'left_message', 'right_party_contact', 'wrong_number', 'promise_made', 'refused', 'dispute_raised'];
const WRITTEN: Outcome[] = ['sent', 'undeliverable', 'wrong_number', 'right_party_contact', 'promise_made', 'refused', 'dispute_raised'];
/** Outcomes that make sense per channel: a letter is not "unanswered", a call is not "sent". */
const OUTCOMES_BY_CHANNEL: Record<ContactChannel, Outcome[]> = { call: SPOKEN, visit: SPOKEN, sms: WRITTEN, email: WRITTEN, letter: WRITTEN, legal_notice: WRITTEN };

/** How far back a contact may be logged, and how far ahead of the server's clock (clock skew). */
const MAX_BACKDATE_MS = 30 * 86_400_000;
const MAX_AHEAD_MS = 5 * 60_000;

export interface LogContactInput {
  accountId: string;
  channel: string;
  direction: string;
  outcome: string;
  occurredAt: string;
  collector?: string | null;
  notes?: string | null;
  promiseId?: string | null;
  planId?: string | null;
  overrideReason?: string | null;
}

export interface Judgement extends Eligibility {
  timeZone: string;
  timeZoneSource: 'debtor' | 'tenant';
  jurisdiction: string;
  rules: ContactRules;
  warnings: WarningCode[];
}

export interface RulesInput {
  windowStart: string;
  windowEnd: string;
  blockedWeekdays?: number[] | null;
  caps: { channel: string; max: number; days: number }[];
  quietDaysAfterConversation: number;
}

const HHMM_RE = /^([01]\d|2[0-4]):([0-5]\d)$/;

function minutesField(p: Problems, field: string, raw: string): number {
  const m = HHMM_RE.exec(raw.trim());
  const v = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!m || v > 24 * 60) p.add(field, 'must be a local time HH:MM between 00:00 and 24:00');
  return v;
}

const contactView = (c: ContactRow) => ({
  accountId: c.accountId,
  channel: c.channel,
  direction: c.direction,
  outcome: c.outcome,
  occurredAt: c.occurredAt.toISOString(),
  debtorLocalTime: c.debtorLocalTime,
  timeZone: c.timeZone,
  agencyId: c.agencyId,
  promiseId: c.promiseId,
  planId: c.planId,
  overriddenCodes: c.overriddenCodes,
  overrideReason: c.overrideReason,
});

/**
 * The communications log and the guard in front of it. Outbound contacts are judged against the debtor's
 * status, consent, open disputes and the effective contact rules on the debtor's local clock; a refused
 * attempt writes no contact, but is audited (a compliance officer wants to see attempts the guard stopped).
 */
export class ContactService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** The rules that apply in `jurisdiction`: its preset made stricter by the tenant's '*' row and its own row. */
  private static effective(rows: readonly ContactRulesRow[], jurisdiction: string): ContactRules {
    const preset = presetFor(jurisdiction);
    const tenant = rows.filter((r) => r.jurisdiction === '*' || r.jurisdiction === jurisdiction).map((r) => r.rules as ContactRules);
    return strictest([preset.rules, ...tenant]);
  }

  /** Everything the guard needs about one (locked or not) account, judged at `at`. */
  private async judge(tx: Tx, tenantId: string, account: AccountRow, channel: ContactChannel, at: Date): Promise<Judgement> {
    const debtor = (await debtorRepository.find(tx, tenantId, account.debtorId))!;
    const tenant = await tenantRepository.find(tx, tenantId);
    const warnings: WarningCode[] = [];
    const timeZone = debtor.timeZone ?? tenant?.timeZone ?? 'UTC';
    if (!debtor.timeZone) warnings.push('TIME_ZONE_FALLBACK');
    const country = debtor.addresses[0]?.country ?? null;
    const jurisdiction = country && CONTACT_PRESETS.some((x) => x.code === country) ? country : '*';
    if (jurisdiction === '*') warnings.push('JURISDICTION_DEFAULT');
    if (debtor.vulnerable) warnings.push('DEBTOR_VULNERABLE');
    const rules = ContactService.effective(await contactRepository.rules(tx, tenantId), jurisdiction);
    // Periods reach back and, for contacts logged out of order, forward; a day's margin either side covers
    // the zone's offset (at most ±14 h).
    const reach = (lookbackDays(rules) + 1) * 86_400_000;
    // Disputes and consent have histories: a contact is judged by what held at its time (a call logged the
    // morning after, before a dispute opened that morning, is lawful). Debtor flags and the account's status
    // are judged as they stand now.
    const [history, dispute, openNow, pref] = [
      await contactRepository.history(tx, tenantId, account.id, new Date(at.getTime() - reach), new Date(at.getTime() + reach)),
      await disputeRepository.openAt(tx, tenantId, account.id, at),
      account.status === 'disputed' ? await disputeRepository.openFor(tx, tenantId, account.id) : null,
      // A consent recorded a moment ago by the database's clock counts for a contact logged now by the caller's.
      await contactRepository.preferenceAt(tx, tenantId, debtor.id, channel, new Date(at.getTime() + MAX_AHEAD_MS)),
    ];
    const consent = pref?.state ?? null;
    const e = evaluateEligibility({
      at,
      channel,
      timeZone,
      rules,
      debtor,
      accountStatus: account.status,
      openDisputeId: dispute?.id ?? null,
      // Marked disputed with no dispute on record (before disputes were records): paused whatever the time.
      disputedWithoutRecord: account.status === 'disputed' && openNow === null,
      consent,
      history,
    });
    return { ...e, timeZone, timeZoneSource: debtor.timeZone ? 'debtor' : 'tenant', jurisdiction, rules, warnings };
  }

  async eligibility(actor: TenantActor, input: { debtorId: string; accountId: string; channel: string; at?: string | null }): Promise<Judgement> {
    const s = scopeOf(actor);
    const p = new Problems();
    const debtorId = uuidField(p, 'debtorId', input.debtorId);
    const accountId = uuidField(p, 'accountId', input.accountId);
    const channel = pick(p, 'channel', input.channel, CONTACT_CHANNELS);
    const at = input.at == null ? this.clock.now() : instantField(p, 'at', input.at);
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const account = await accountRepository.find(tx, s.tenantId, s.portfolios, accountId);
      if (!account) throw AppError.notFound('Account', accountId);
      if (account.debtorId !== debtorId) throw AppError.badInput('accountId', `account ${accountId} is not an account of debtor ${debtorId}`);
      return this.judge(tx, s.tenantId, account, channel, at);
    });
  }

  async log(actor: TenantActor, input: LogContactInput): Promise<{ contact: ContactRow; judgement: Judgement | null }> {
    const s = scopeOf(actor);
    const p = new Problems();
    const accountId = uuidField(p, 'input.accountId', input.accountId);
    const channel = pick(p, 'input.channel', input.channel, CONTACT_CHANNELS);
    const direction = pick(p, 'input.direction', input.direction, CONTACT_DIRECTIONS);
    const outcome = pick(p, 'input.outcome', input.outcome, CONTACT_OUTCOMES);
    const occurredAt = instantField(p, 'input.occurredAt', input.occurredAt);
    const now = this.clock.now();
    if (!Number.isNaN(occurredAt.getTime())) {
      if (occurredAt.getTime() > now.getTime() + MAX_AHEAD_MS) p.add('input.occurredAt', 'must not be in the future');
      else if (occurredAt.getTime() < now.getTime() - MAX_BACKDATE_MS) p.add('input.occurredAt', 'must be within the last 30 days');
    }
    const collector = input.collector != null && input.collector.trim() !== '' ? lineText(p, 'input.collector', input.collector, 200) : null;
    const notes = input.notes != null && input.notes.trim() !== '' ? freeText(p, 'input.notes', input.notes, 4000) : null;
    const promiseId = input.promiseId != null ? uuidField(p, 'input.promiseId', input.promiseId) : null;
    const planId = input.planId != null ? uuidField(p, 'input.planId', input.planId) : null;
    const overrideReason = input.overrideReason != null ? lineText(p, 'input.overrideReason', input.overrideReason, 500) : null;
    if (overrideReason !== null && direction !== 'outbound') p.add('input.overrideReason', 'only outbound contacts are guarded; there is nothing to override');
    if (p.empty && !OUTCOMES_BY_CHANNEL[channel].includes(outcome)) p.add('input.outcome', `${outcome} does not fit a ${channel.replace('_', ' ')}; one of ${OUTCOMES_BY_CHANNEL[channel].join(', ')}`);
    if (!p.empty) throw AppError.badInputMany(p.list);
    if (overrideReason !== null && (actor.principal.kind === 'agency' || !actor.principal.scopes.has('admin'))) {
      throw AppError.forbidden('Overriding a contact block needs an admin key of the creditor', { field: 'input.overrideReason' });
    }

    type Done = { kind: 'logged'; contact: ContactRow; judgement: Judgement | null } | { kind: 'refused'; refused: Block[]; judgement: Judgement };
    const outcomeOf = await this.db.tenant(s.db, async (tx): Promise<Done> => {
      // The account row lock serialises contacts on one account: two collectors cannot both take the 7th call.
      const [account] = await accountRepository.lockMany(tx, s.tenantId, s.portfolios, [accountId]);
      if (!account) throw AppError.notFound('Account', accountId);
      if (promiseId) {
        const pr = await promiseRepository.find(tx, s.tenantId, s.portfolios, promiseId);
        if (!pr || pr.debtorId !== account.debtorId) throw AppError.badInput('input.promiseId', `promise ${promiseId} is not a promise of this account's debtor`);
      }
      if (planId) {
        const pl = await planRepository.find(tx, s.tenantId, s.portfolios, planId);
        if (!pl || pl.debtorId !== account.debtorId) throw AppError.badInput('input.planId', `plan ${planId} is not a plan of this account's debtor`);
      }
      // Inbound contacts (the debtor called or wrote) are recorded as they happened; only outreach is guarded.
      const judgement = direction === 'outbound' ? await this.judge(tx, s.tenantId, account, channel, occurredAt) : null;
      const blocks: Block[] = judgement?.blocks ?? [];
      const refused = blocks.filter((b) => !b.overridable || overrideReason === null);
      if (refused.length) {
        await this.audit.record(tx, actor, {
          action: 'contact.blocked',
          entityType: 'account',
          entityId: account.id,
          before: null,
          after: { channel, occurredAt: occurredAt.toISOString(), localTime: judgement!.localTime, timeZone: judgement!.timeZone, reasons: blocks.map((b) => b.code), overrideRequested: overrideReason !== null },
        });
        return { kind: 'refused', refused, judgement: judgement! };
      }
      const contact = await contactRepository.insert(tx, s.tenantId, {
        id: uuidv7(),
        debtorId: account.debtorId,
        accountId: account.id,
        channel,
        direction,
        outcome,
        occurredAt,
        debtorLocalTime: judgement?.localTime ?? '',
        timeZone: judgement?.timeZone ?? '',
        collector,
        agencyId: actor.principal.agencyId ?? null,
        notes,
        promiseId,
        planId,
        overriddenCodes: blocks.map((b) => b.code),
        overrideReason: blocks.length ? overrideReason : null,
        actorKind: actor.principal.kind,
        actorId: actor.principal.actorId,
      });
      await this.audit.record(tx, actor, {
        action: blocks.length ? 'contact.log_override' : 'contact.log',
        entityType: 'contact',
        entityId: contact.id,
        before: null,
        // Notes can hold anything a collector typed: the audit says whether there were any, not what.
        after: { ...contactView(contact), hasNotes: notes !== null },
      });
      return { kind: 'logged', contact, judgement };
    });
    if (outcomeOf.kind === 'refused') {
      const j = outcomeOf.judgement;
      const codes = outcomeOf.refused.map((b) => b.code);
      throw new AppError('COMPLIANCE_BLOCKED', `Contact refused: ${outcomeOf.refused.map((b) => b.message).join('; ')}`, {
        reasons: codes,
        blocks: outcomeOf.refused.map((b) => ({ code: b.code, message: b.message, overridable: b.overridable })),
        nextAllowedAt: j.nextAllowedAt?.toISOString() ?? null,
        timeZone: j.timeZone,
        localTime: j.localTime,
      });
    }
    return { contact: outcomeOf.contact, judgement: outcomeOf.judgement };
  }

  async list(actor: TenantActor, f: ContactFilter, first: number, beforeId: string | null): Promise<{ rows: ContactRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    const p = new Problems();
    if (f.debtorId) uuidField(p, 'filter.debtorId', f.debtorId);
    if (f.accountId) uuidField(p, 'filter.accountId', f.accountId);
    if (f.channel) pick(p, 'filter.channel', f.channel, CONTACT_CHANNELS);
    if (!p.empty) throw AppError.badInputMany(p.list);
    const rows = await this.db.tenant(s.db, (tx) => contactRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  async get(actor: TenantActor, rawId: string): Promise<ContactRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    const row = await this.db.tenant(s.db, (tx) => contactRepository.find(tx, s.tenantId, s.portfolios, id));
    if (!row) throw AppError.notFound('ContactAttempt', id);
    return row;
  }

  /**
   * Records consent to a channel or an opt-out. Agencies with contacts:write may record what a debtor told
   * them; the history is kept and the latest row per channel decides.
   */
  async setPreference(actor: TenantActor, input: { debtorId: string; channel: string; state: string; source: string }): Promise<PreferenceRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const debtorId = uuidField(p, 'input.debtorId', input.debtorId);
    const channel = pick(p, 'input.channel', input.channel, CONTACT_CHANNELS);
    const state = pick(p, 'input.state', input.state, CONSENT_STATES);
    const source = lineText(p, 'input.source', input.source, 500);
    if (!p.empty) throw AppError.badInputMany(p.list);
    // Consent is the debtor's, across every portfolio: an agency may record an opt-out it hears of, but not open
    // channels for accounts it cannot see.
    if (actor.principal.kind === 'agency' && state === 'granted') throw AppError.forbidden('An agency may record opt-outs; consent is recorded by the creditor', { field: 'input.state' });
    return this.db.tenant(s.db, async (tx) => {
      const debtor = await debtorRepository.find(tx, s.tenantId, debtorId, false, s.portfolios);
      if (!debtor) throw AppError.notFound('Debtor', debtorId);
      const before = (await contactRepository.latestPreferences(tx, s.tenantId, s.portfolios, [debtorId])).find((x) => x.channel === channel) ?? null;
      // Stamped with the service's clock, the one contacts are judged by (consent counts from this moment).
      const row = await contactRepository.insertPreference(tx, s.tenantId, { id: uuidv7(), debtorId, channel, state, source, actorKind: actor.principal.kind, actorId: actor.principal.actorId, createdAt: this.clock.now() });
      await this.audit.record(tx, actor, { action: 'contact_preference.set', entityType: 'debtor', entityId: debtorId, before: before ? { channel, state: before.state } : null, after: { channel, state, source } });
      return row;
    });
  }

  async preferences(actor: TenantActor, debtorIds: readonly string[]): Promise<PreferenceRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => contactRepository.latestPreferences(tx, s.tenantId, s.portfolios, debtorIds));
  }

  async rules(actor: TenantActor): Promise<ContactRulesRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => contactRepository.rules(tx, s.tenantId));
  }

  /** The effective rules for a jurisdiction ('*' for debtors without one), as the guard applies them. */
  async effectiveRules(actor: TenantActor, rawJurisdiction: string): Promise<{ jurisdiction: string; rules: ContactRules }> {
    const s = scopeOf(actor);
    const jurisdiction = this.jurisdiction(rawJurisdiction, 'jurisdiction');
    return this.db.tenant(s.db, async (tx) => ({ jurisdiction, rules: ContactService.effective(await contactRepository.rules(tx, s.tenantId), jurisdiction) }));
  }

  private jurisdiction(raw: string, field: string): string {
    const j = raw.trim().toUpperCase();
    if (j !== '*' && !/^[A-Z]{2}$/.test(j)) throw AppError.badInput(field, "must be an ISO 3166-1 alpha-2 country code, or '*' for every debtor");
    return j;
  }

  /**
   * Sets the tenant's rules for a jurisdiction. They may only be stricter than its preset (for '*', than every
   * preset's shared floor): a looser value is refused naming the field and the preset's limit.
   */
  async setRules(actor: TenantActor, input: { jurisdiction: string; expectedVersion?: number | null; rules: RulesInput }): Promise<ContactRulesRow> {
    const s = scopeOf(actor);
    if (actor.principal.kind === 'agency' || s.portfolios !== null) throw AppError.forbidden('Contact rules are set with a tenant-wide admin key');
    const jurisdiction = this.jurisdiction(input.jurisdiction, 'input.jurisdiction');
    const p = new Problems();
    const r = input.rules;
    const windowStart = minutesField(p, 'input.rules.windowStart', r.windowStart);
    const windowEnd = minutesField(p, 'input.rules.windowEnd', r.windowEnd);
    if (!Number.isNaN(windowStart) && !Number.isNaN(windowEnd) && windowStart >= windowEnd) p.add('input.rules.windowEnd', 'must be after windowStart (windows do not span midnight)');
    const blockedWeekdays = [...new Set(r.blockedWeekdays ?? [])].sort();
    blockedWeekdays.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 1 || d > 7) p.add(`input.rules.blockedWeekdays.${i}`, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)');
    });
    if (blockedWeekdays.length === 7) p.add('input.rules.blockedWeekdays', 'must leave at least one day');
    const caps: FrequencyCap[] = [];
    r.caps.forEach((c, i) => {
      const channel = pick(p, `input.rules.caps.${i}.channel`, c.channel, CONTACT_CHANNELS);
      if (caps.some((x) => x.channel === channel && x.days === c.days)) p.add(`input.rules.caps.${i}`, `a second ${channel} cap over ${c.days} days`);
      if (!Number.isInteger(c.max) || c.max < 0 || c.max > 100) p.add(`input.rules.caps.${i}.max`, 'must be a whole number from 0 to 100');
      if (!Number.isInteger(c.days) || c.days < 1 || c.days > 90) p.add(`input.rules.caps.${i}.days`, 'must be a whole number of days from 1 to 90');
      caps.push({ channel, max: c.max, days: c.days });
    });
    if (!Number.isInteger(r.quietDaysAfterConversation) || r.quietDaysAfterConversation < 0 || r.quietDaysAfterConversation > 90) p.add('input.rules.quietDaysAfterConversation', 'must be a whole number of days from 0 to 90');
    if (!p.empty) throw AppError.badInputMany(p.list);
    const rules: ContactRules = { windowStart, windowEnd, blockedWeekdays, caps, quietDaysAfterConversation: r.quietDaysAfterConversation };
    // '*' applies to every debtor: it must be at least as strict as every preset.
    const floor = jurisdiction === '*' ? strictest(CONTACT_PRESETS.map((x) => x.rules)) : presetFor(jurisdiction).rules;
    const looser = looserThan(rules, floor, 'input.rules');
    if (looser.length) throw AppError.badInputMany(looser);
    try {
      return await this.saveRules(actor, s, jurisdiction, rules, input.expectedVersion);
    } catch (err) {
      // Two first writes for one jurisdiction at once: one inserts, the other finds the key taken.
      if (isUniqueViolation(err, 'contact_rules_jurisdiction_key')) throw AppError.conflict(`Contact rules for ${jurisdiction} were just created by another request; read them and retry`, { field: 'input.jurisdiction' });
      throw err;
    }
  }

  private saveRules(actor: TenantActor, s: ReturnType<typeof scopeOf>, jurisdiction: string, rules: ContactRules, expectedVersion: number | null | undefined): Promise<ContactRulesRow> {
    return this.db.tenant(s.db, async (tx) => {
      const current = await contactRepository.findRules(tx, s.tenantId, jurisdiction, true);
      if (expectedVersion != null && (current?.version ?? 0) !== expectedVersion) {
        throw AppError.conflict(`Contact rules for ${jurisdiction} are at version ${current?.version ?? 0}, not ${expectedVersion}`, { field: 'input.expectedVersion' });
      }
      const row = current
        ? await contactRepository.updateRules(tx, s.tenantId, current.id, rules, actor.principal.actorId)
        : await contactRepository.insertRules(tx, s.tenantId, { id: uuidv7(), jurisdiction, rules, updatedById: actor.principal.actorId });
      await this.audit.record(tx, actor, {
        action: 'contact_rules.set',
        entityType: 'contact_rules',
        entityId: row.id,
        before: current ? { jurisdiction, rules: rulesView(current.rules as ContactRules) } : null,
        after: { jurisdiction, rules: rulesView(rules) },
      });
      return row;
    });
  }
}

export function rulesView(r: ContactRules): Record<string, unknown> {
  return { windowStart: hhmm(r.windowStart), windowEnd: hhmm(r.windowEnd), blockedWeekdays: r.blockedWeekdays, caps: r.caps, quietDaysAfterConversation: r.quietDaysAfterConversation };
}
