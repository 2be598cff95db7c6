import type { AgencyScope } from './agency.table.js';

/**
 * Every operation an agency token may call, and the scope its grant must carry. Anything not listed is
 * FORBIDDEN to agencies, so a new resolver is closed to them until someone decides otherwise here.
 * Reads need a read scope; each mutation needs its own. What an operation returns is further limited to the
 * portfolios whose grant carries that scope (tenantActor(ctx, scope)), and the database limits every
 * statement to the agency's granted portfolios whatever the application asks for.
 */
export const AGENCY_OPERATIONS: Readonly<Record<string, AgencyScope>> = {
  'Query.debtor': 'debtors:read',
  'Query.debtors': 'debtors:read',
  'Mutation.revealDebtorNationalId': 'pii:reveal',
  'Query.portfolio': 'accounts:read',
  'Query.portfolios': 'accounts:read',
  'Query.portfolioAnalytics': 'accounts:read',
  'Query.account': 'accounts:read',
  'Query.accounts': 'accounts:read',
  'Query.alerts': 'accounts:read',
  'Query.effectiveLateFeePolicy': 'accounts:read',
  'Query.plan': 'accounts:read',
  'Query.plans': 'accounts:read',
  'Query.planRules': 'plans:propose',
  'Query.previewPlan': 'plans:propose',
  'Mutation.proposePlan': 'plans:propose',
  'Query.promise': 'accounts:read',
  'Query.promises': 'accounts:read',
  'Mutation.createPromise': 'promises:write',
  'Mutation.cancelPromise': 'promises:write',
  'Query.settlementOffer': 'accounts:read',
  'Query.settlementOffers': 'accounts:read',
  'Query.payment': 'accounts:read',
  'Query.payments': 'accounts:read',
  'Mutation.recordPayment': 'payments:record',
  'Query.auditEvents': 'accounts:read',
  'Query.agencyPerformance': 'accounts:read',
  'Query.agencyGrants': 'accounts:read',
  // Lawful contact: the guard applies to agencies exactly as to the creditor (the log is shared, so caps
  // count every caller's attempts). An agency records disputes and consent it hears of; the creditor resolves.
  'Query.contactEligibility': 'contacts:write',
  'Query.effectiveContactRules': 'contacts:write',
  'Mutation.logContact': 'contacts:write',
  'Mutation.setContactPreference': 'contacts:write',
  'Mutation.openDispute': 'contacts:write',
  'Mutation.recordValidationNotice': 'contacts:write',
  'Query.contactAttempt': 'accounts:read',
  'Query.contactAttempts': 'accounts:read',
  'Query.dispute': 'accounts:read',
  'Query.disputes': 'accounts:read',
};
