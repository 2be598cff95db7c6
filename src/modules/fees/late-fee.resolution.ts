import { createHash } from 'node:crypto';
import type { AttachmentRow, CapRow, PolicyRow, PolicyVersionRow } from './late-fee.repository.js';

export const LEVELS = ['account', 'portfolio_product', 'portfolio', 'product_type', 'tenant'] as const;
export type Level = (typeof LEVELS)[number];

export interface Candidate {
  level: Level;
  policyId: string | null;
  target: string;
  /** The attachment's charge-from date, if it has one. */
  chargeFrom: string | null;
}

export interface Resolution {
  policyId: string;
  level: Level;
  chargeFrom: string | null;
  reason: string;
  /** Every level, most specific first, with what (if anything) is attached there. */
  candidates: Candidate[];
}

export function levelOf(a: Pick<AttachmentRow, 'accountId' | 'portfolioId' | 'productType'>): Level {
  if (a.accountId) return 'account';
  if (a.portfolioId && a.productType) return 'portfolio_product';
  if (a.portfolioId) return 'portfolio';
  if (a.productType) return 'product_type';
  return 'tenant';
}

/**
 * The most specific attachment wins: the account itself; then its portfolio narrowed to its product type;
 * its portfolio; its product type tenant-wide; the tenant default. A portfolio ranks above a product type
 * because it is a set of accounts somebody chose on purpose (a placement, a hardship programme), where a
 * product type is a category across the tenant; "this portfolio's loans" outranks both.
 */
export interface AccountTarget {
  portfolioId: string;
  productType: string;
  accountPolicyId: string | null;
  accountChargeFrom?: string | null;
}

export function candidatesFor(shared: readonly AttachmentRow[], account: AccountTarget): Candidate[] {
  const at = (level: Level, target: string, portfolioId: string | null, productType: string | null): Candidate => {
    const a = shared.find((x) => x.portfolioId === portfolioId && x.productType === productType);
    return { level, policyId: a?.policyId ?? null, target, chargeFrom: a?.chargeFrom ?? null };
  };
  const candidates: Candidate[] = [
    { level: 'account', policyId: account.accountPolicyId, target: 'this account', chargeFrom: account.accountChargeFrom ?? null },
    at('portfolio_product', `portfolio ${account.portfolioId}, product type ${account.productType}`, account.portfolioId, account.productType),
    at('portfolio', `portfolio ${account.portfolioId}`, account.portfolioId, null),
    at('product_type', `product type ${account.productType}`, null, account.productType),
    at('tenant', 'tenant default', null, null),
  ];
  return candidates;
}

export function resolvePolicy(shared: readonly AttachmentRow[], account: AccountTarget): Resolution | null {
  const candidates = candidatesFor(shared, account);
  const win = candidates.find((c) => c.policyId !== null);
  if (!win) return null;
  const beaten = candidates.filter((c) => c.policyId !== null && c !== win).map((c) => c.level);
  const reason = `attached to ${win.target}${beaten.length ? `; more specific than the ${beaten.join(', ')} attachment${beaten.length > 1 ? 's' : ''}` : ''}`;
  return { policyId: win.policyId!, level: win.level, chargeFrom: win.chargeFrom, reason: win.chargeFrom ? `${reason}; charging periods due from ${win.chargeFrom}` : reason, candidates };
}

/**
 * A fingerprint of everything tenant-wide that decides what an account owes: shared attachments, each
 * policy's current version, and the tenant's own legal caps. Accounts remember the fingerprint they were
 * last assessed under; when it changes, the next run re-examines them all.
 */
export function rulesFingerprint(shared: readonly AttachmentRow[], current: readonly { policy: PolicyRow; version: PolicyVersionRow }[], caps: readonly CapRow[]): string {
  const h = createHash('sha256');
  for (const a of [...shared].sort((x, y) => (x.id < y.id ? -1 : 1))) h.update(`a|${a.policyId}|${a.portfolioId ?? ''}|${a.productType ?? ''}|${a.chargeFrom ?? ''}\n`);
  for (const c of [...current].sort((x, y) => (x.policy.id < y.policy.id ? -1 : 1))) h.update(`p|${c.policy.id}|${c.version.id}\n`);
  for (const c of caps) h.update(`c|${c.code}|${c.annualRateBps ?? ''}|${c.currency ?? ''}|${c.maxFirstAssessment ?? ''}|${c.maxLaterAssessment ?? ''}\n`);
  return h.digest('hex').slice(0, 32);
}
