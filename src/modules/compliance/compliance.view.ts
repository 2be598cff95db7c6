import type { ContactRules } from './contact-rules.presets.js';
import type { ContactRow, ContactRulesRow, PreferenceRow } from './contact.repository.js';
import type { Judgement } from './contact.service.js';
import { hhmm } from './contact.logic.js';
import type { ContactAttempt, ContactEligibility, ContactPreference, ContactRulesView, TenantContactRules } from './contact.type.js';
import type { Dispute, ValidationNotice } from './dispute.type.js';
import type { DisputeRow, NoticeRow } from './dispute.repository.js';

export function contactView(c: ContactRow): ContactAttempt {
  return { ...c, debtorLocalTime: c.debtorLocalTime || null, timeZone: c.timeZone || null } as unknown as ContactAttempt;
}

export function rulesView(r: ContactRules): ContactRulesView {
  return {
    windowStart: hhmm(r.windowStart),
    windowEnd: hhmm(r.windowEnd),
    blockedWeekdays: r.blockedWeekdays,
    caps: r.caps.map((c) => ({ channel: c.channel, max: c.max, days: c.days })) as ContactRulesView['caps'],
    quietDaysAfterConversation: r.quietDaysAfterConversation,
  };
}

export function eligibilityView(j: Judgement): ContactEligibility {
  return {
    allowed: j.allowed,
    blocks: j.blocks,
    warnings: j.warnings,
    localDate: j.localDate,
    localTime: j.localTime,
    timeZone: j.timeZone,
    timeZoneSource: j.timeZoneSource,
    jurisdiction: j.jurisdiction,
    attemptsInPeriod: j.attemptsInPeriod,
    nextAllowedAt: j.nextAllowedAt,
    rules: rulesView(j.rules),
  } as unknown as ContactEligibility;
}

export function tenantRulesView(r: ContactRulesRow): TenantContactRules {
  return { id: r.id, jurisdiction: r.jurisdiction, version: r.version, rules: rulesView(r.rules as ContactRules), updatedAt: r.updatedAt };
}

export function preferenceView(p: PreferenceRow): ContactPreference {
  return { debtorId: p.debtorId, channel: p.channel, state: p.state, source: p.source, actorKind: p.actorKind, recordedAt: p.createdAt } as unknown as ContactPreference;
}

export function disputeView(d: DisputeRow): Dispute {
  return d as unknown as Dispute;
}

export function noticeView(n: NoticeRow): ValidationNotice {
  return n;
}
