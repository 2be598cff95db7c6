import type { AuthChecker } from 'type-graphql';
import { AGENCY_OPERATIONS } from '../modules/agencies/agency.access.js';
import { AppError } from '../shared/errors.js';
import type { GraphQLContext } from './context.js';

/**
 * `@Authorized('write')`: a tenant principal holding every listed scope. `@Authorized('platform')`: the
 * platform operator only. Tenant data is never reachable with the platform token, and vice versa.
 * Agency tokens are judged by AGENCY_OPERATIONS instead: the operation must be listed there and one of the
 * agency's active grants must carry its scope.
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context, info }, required) => {
  const p = context.actor.principal;
  const op = `${info.parentType.name}.${info.fieldName}`;
  if (required.includes('platform')) {
    if (p.kind !== 'platform') throw AppError.forbidden(`${op} is a platform operation`);
    return true;
  }
  if (p.tenantId === null) throw AppError.forbidden(`${op} needs a tenant API key`);
  if (p.kind === 'agency') {
    const scope = AGENCY_OPERATIONS[op];
    if (!scope) throw AppError.forbidden(`${op} is not available to agency tokens`);
    if (!p.agencyScopes?.get(scope)?.length) throw AppError.forbidden(`${op} needs a grant with the ${scope} scope`, { missingScopes: [scope] });
    return true;
  }
  const missing = required.filter((s) => !p.scopes.has(s as never));
  if (missing.length) throw AppError.forbidden(`${op} needs the ${missing.join(', ')} scope${missing.length > 1 ? 's' : ''}`, { missingScopes: missing });
  return true;
};
