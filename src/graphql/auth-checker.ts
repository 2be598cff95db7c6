import type { AuthChecker } from 'type-graphql';
import { AppError } from '../shared/errors.js';
import type { GraphQLContext } from './context.js';

/**
 * `@Authorized('write')`: a tenant principal holding every listed scope. `@Authorized('platform')`: the
 * platform operator only. Tenant data is never reachable with the platform token, and vice versa.
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context, info }, required) => {
  const p = context.actor.principal;
  const op = `${info.parentType.name}.${info.fieldName}`;
  if (required.includes('platform')) {
    if (p.kind !== 'platform') throw AppError.forbidden(`${op} is a platform operation`);
    return true;
  }
  if (p.tenantId === null) throw AppError.forbidden(`${op} needs a tenant API key`);
  const missing = required.filter((s) => !p.scopes.has(s as never));
  if (missing.length) throw AppError.forbidden(`${op} needs the ${missing.join(', ')} scope${missing.length > 1 ? 's' : ''}`, { missingScopes: missing });
  return true;
};
