import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { assertUuid, uuidv7 } from '../../shared/ids.js';
import { isCurrency, parseMinorUnits } from '../../shared/money.js';
import { lineText, Problems } from '../../shared/validation.js';
import { webhookEventRepository } from '../webhooks/webhook-event.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantActor } from '../tenancy/principal.js';
import { checkAsOf, resolveAsOf } from './as-of.js';
import { alertRepository, type AlertFilter, type AlertRow, type AlertRuleRow } from './alert.repository.js';
import { ALERT_METRICS } from './alert.table.js';
import { delinquencyRepository } from './delinquency.repository.js';
import { scopeOf } from './scope.js';

export type AlertMetric = (typeof ALERT_METRICS)[number];

const ruleView = (r: AlertRuleRow) => ({ name: r.name, metric: r.metric, threshold: r.threshold.toString(), currency: r.currency, active: r.active });

export class AlertService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async createRule(actor: TenantActor, input: { name: string; metric: AlertMetric; threshold: string; currency?: string | null }): Promise<AlertRuleRow> {
    const s = scopeOf(actor);
    const p = new Problems();
    const name = lineText(p, 'input.name', input.name, 200);
    const t = parseMinorUnits(input.threshold, { allowZero: true });
    if (typeof t === 'string') p.add('input.threshold', t.replace('minor units', input.metric === 'outstanding_balance' ? 'minor units' : input.metric === 'days_past_due' ? 'days' : input.metric === 'broken_promises' ? 'promises' : 'basis points'));
    const currency = input.currency?.trim().toUpperCase() ?? null;
    if (input.metric === 'outstanding_balance') {
      if (!currency) p.add('input.currency', 'is required for an outstanding_balance rule');
      else if (!isCurrency(currency)) p.add('input.currency', 'must be an ISO 4217 currency code');
    } else if (currency) p.add('input.currency', `only outstanding_balance rules have a currency`);
    if (typeof t === 'bigint') {
      if (input.metric === 'overdue_ratio' && t > 10000n) p.add('input.threshold', 'is in basis points: 10000 (100%) at most');
      if (input.metric === 'days_past_due' && t > 36500n) p.add('input.threshold', 'is in days: 36500 at most');
      if (input.metric === 'broken_promises' && t > 1000n) p.add('input.threshold', 'is a count of broken promises: 1000 at most');
    }
    if (!p.empty) throw AppError.badInputMany(p.list);
    return this.db.tenant(s.db, async (tx) => {
      const row = await alertRepository.insertRule(tx, s.tenantId, { id: uuidv7(), name, metric: input.metric, threshold: t as bigint, currency: input.metric === 'outstanding_balance' ? currency : null });
      await this.audit.record(tx, actor, { action: 'alert_rule.create', entityType: 'alert_rule', entityId: row.id, before: null, after: ruleView(row) });
      return row;
    });
  }

  async setRuleActive(actor: TenantActor, rawId: string, active: boolean): Promise<AlertRuleRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const current = await alertRepository.findRule(tx, s.tenantId, id, true);
      if (!current) throw AppError.notFound('AlertRule', id);
      if (current.active === active) return current;
      const updated = await alertRepository.setRuleActive(tx, s.tenantId, id, active);
      await this.audit.record(tx, actor, { action: 'alert_rule.update', entityType: 'alert_rule', entityId: id, before: ruleView(current), after: ruleView(updated) });
      return updated;
    });
  }

  rules(actor: TenantActor): Promise<AlertRuleRow[]> {
    const s = scopeOf(actor);
    return this.db.tenant(s.db, (tx) => alertRepository.rules(tx, s.tenantId));
  }

  /**
   * Raises alerts for breached rules and clears those no longer breached, as of a date (default today in the
   * tenant's zone). Whole tenant, one statement; concurrent runs for a tenant queue on an advisory lock.
   */
  async evaluate(actor: TenantActor, asOf?: string | null): Promise<{ asOf: string; raised: number; cleared: number; holding: number }> {
    const s = scopeOf(actor);
    if (s.portfolios !== null) throw AppError.forbidden('A portfolio-scoped key cannot evaluate the whole tenant');
    checkAsOf(asOf);
    return this.db.tenant(s.db, async (tx) => {
      const date = await resolveAsOf(tx, s.tenantId, this.clock, asOf);
      await delinquencyRepository.lock(tx, s.tenantId, 'alerts');
      const found = await alertRepository.evaluate(tx, s.tenantId, date);
      const result = { asOf: date, raised: found.raised.length, cleared: found.cleared, holding: found.holding };
      await this.audit.record(tx, actor, { action: 'alerts.evaluate', entityType: 'tenant', entityId: s.tenantId, before: null, after: result });
      await webhookEventRepository.emit(tx, s.tenantId, 'alert.raised', found.raised.map((a) => ({ object: 'alert', id: a.id, ruleId: a.ruleId, accountId: a.accountId })));
      return result;
    });
  }

  async list(actor: TenantActor, f: AlertFilter, first: number, beforeId: string | null): Promise<{ rows: AlertRow[]; hasNextPage: boolean }> {
    const s = scopeOf(actor);
    if (f.ruleId) assertUuid('filter.ruleId', f.ruleId);
    if (f.accountId) assertUuid('filter.accountId', f.accountId);
    const rows = await this.db.tenant(s.db, (tx) => alertRepository.list(tx, s.tenantId, s.portfolios, f, first + 1, beforeId));
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  async acknowledge(actor: TenantActor, rawId: string): Promise<AlertRow> {
    const id = assertUuid('id', rawId);
    const s = scopeOf(actor);
    return this.db.tenant(s.db, async (tx) => {
      const current = await alertRepository.find(tx, s.tenantId, s.portfolios, id);
      if (!current) throw AppError.notFound('Alert', id);
      if (current.acknowledgedAt) return current;
      const updated = await alertRepository.acknowledge(tx, s.tenantId, id, this.clock.now(), actor.principal.actorId);
      await this.audit.record(tx, actor, { action: 'alert.acknowledge', entityType: 'alert', entityId: id, before: { acknowledgedAt: null }, after: { acknowledgedAt: updated.acknowledgedAt?.toISOString() } });
      return updated;
    });
  }
}
