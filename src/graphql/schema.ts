import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { DebtorResolver } from '../modules/debtors/debtor.resolver.js';
import { TenancyResolver } from '../modules/tenancy/tenancy.resolver.js';
import { authChecker } from './auth-checker.js';

let cached: Promise<GraphQLSchema> | null = null;

/** Built once per process: the schema is static, and type-graphql's build is not cheap. */
export function getSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [TenancyResolver, DebtorResolver, AuditResolver],
    authChecker,
    // Unauthorized fields throw from the checker with our own codes; this only sets the default.
    authMode: 'error',
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
  return cached;
}
