/**
 * Mutations a read-only tenant (unpaid past its grace, or canceled) may still make. Read-only refuses new work,
 * never the way out of it, nor what protects debtors or the tenant's security:
 *  - paying: the billing sessions;
 *  - security: revoking keys and agency credentials, recalling portfolios, suspending or ending agencies, disabling endpoints;
 *  - debtors' rights: recording an opt-out or consent change, a dispute, and a payment the debtor made (late
 *    fees keep accruing on schedule, so a payment left unrecorded would charge them for our billing);
 *  - reading: the two reads that are mutations only because they are audited.
 */
export const READ_ONLY_ALLOWED_MUTATIONS: ReadonlySet<string> = new Set([
  'createCheckoutSession',
  'createBillingPortalSession',
  'revokeApiKey',
  'revokeAgencyCredential',
  'recallPortfolio',
  'setAgencyStatus',
  'disableWebhookEndpoint',
  'setContactPreference',
  'openDispute',
  'recordPayment',
  'revealDebtorNationalId',
  'readCreditReportPayload',
]);
