import 'reflect-metadata';
import { validate, type ValidatorOptions } from 'class-validator';
import { getNamedType, type GraphQLSchema } from 'graphql';
import { ArgumentValidationError, buildSchema, type ValidatorFn } from 'type-graphql';
import { AccountResolver, DebtorAccountsResolver } from '../modules/accounts/account.resolver.js';
import { AlertResolver } from '../modules/accounts/alert.resolver.js';
import { DelinquencyResolver } from '../modules/accounts/delinquency.resolver.js';
import { PortfolioResolver } from '../modules/accounts/portfolio.resolver.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { AccountLateFeesResolver, LateFeeExplanationResolver, LateFeePolicyResolver, LateFeeResolver, LedgerEntryLateFeeResolver } from '../modules/fees/late-fee.resolver.js';
import { DebtorResolver } from '../modules/debtors/debtor.resolver.js';
import { TenancyResolver } from '../modules/tenancy/tenancy.resolver.js';
import { PaymentResolver } from '../modules/plans/payment.resolver.js';
import { PlanResolver } from '../modules/plans/plan.resolver.js';
import { PromiseResolver } from '../modules/plans/promise.resolver.js';
import { SettlementResolver } from '../modules/plans/settlement.resolver.js';
import { AccountPlacementResolver, AgencyGrantResolver, AgencyResolver } from '../modules/agencies/agency.resolver.js';
import { CreditCheckResolver, CreditReportResolver, DebtorRiskResolver } from '../modules/credit-checks/credit-check.resolver.js';
import { WebhookResolver } from '../modules/webhooks/webhook.resolver.js';
import { ContactResolver, DebtorContactPreferencesResolver } from '../modules/compliance/contact.resolver.js';
import { AccountComplianceResolver, DisputeResolver, PlanDisputeResolver } from '../modules/compliance/dispute.resolver.js';
import { BillingResolver } from '../modules/billing/billing.resolver.js';
import { authChecker } from './auth-checker.js';

let cached: Promise<GraphQLSchema> | null = null;

const VALIDATOR_OPTIONS: ValidatorOptions = {
  skipMissingProperties: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

/**
 * type-graphql's class-validator step, plus the argument's name on the error, so formatError can report
 * `input.legalName` (the same path the services use) rather than a bare `legalName`.
 */
const validateArgument: ValidatorFn = async (value: unknown, _type, { info }) => {
  if (value === null || typeof value !== 'object') return;
  for (const [i, item] of (Array.isArray(value) ? value : [value]).entries()) {
    if (item === null || typeof item !== 'object') continue;
    const errors = await validate(item as object, VALIDATOR_OPTIONS);
    if (!errors.length) continue;
    const typeName = (item as object).constructor.name;
    const args = info.parentType.getFields()[info.fieldName]?.args.filter((a) => getNamedType(a.type).name === typeName) ?? [];
    const err = new ArgumentValidationError(errors);
    if (args.length === 1) (err.extensions as Record<string, unknown>).argument = Array.isArray(value) ? `${args[0]!.name}.${i}` : args[0]!.name;
    throw err;
  }
};

/** Built once per process: the schema is static, and type-graphql's build is not cheap. */
export function getSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [
      TenancyResolver,
      DebtorResolver,
      AgencyResolver,
      AgencyGrantResolver,
      AccountPlacementResolver,
      CreditCheckResolver,
      CreditReportResolver,
      DebtorRiskResolver,
      AuditResolver,
      WebhookResolver,
      BillingResolver,
      ContactResolver,
      DebtorContactPreferencesResolver,
      DisputeResolver,
      AccountComplianceResolver,
      PlanDisputeResolver,
      PortfolioResolver,
      AccountResolver,
      DebtorAccountsResolver,
      DelinquencyResolver,
      AlertResolver,
      LateFeePolicyResolver,
      LateFeeResolver,
      AccountLateFeesResolver,
      LedgerEntryLateFeeResolver,
      LateFeeExplanationResolver,
      PlanResolver,
      PaymentResolver,
      PromiseResolver,
      SettlementResolver,
    ],
    authChecker,
    // Unauthorized fields throw from the checker with our own codes; this only sets the default.
    authMode: 'error',
    validateFn: validateArgument,
  });
  return cached;
}
