import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { pgErrorOf } from '../shared/db-errors.js';
import { ERROR_CODES, isAppError, type ErrorCode, type FieldProblem } from '../shared/errors.js';
import { safeError } from '../shared/logger.js';
import { requestScope } from '../shared/request-context.js';

/** Apollo's and graphql-js's own codes for a bad request, all of which mean "fix your request". */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

function flatten(errors: ValidationError[], prefix: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field: path, message: message.replace(`${e.property} `, 'must ').replace(/^must must/, 'must') });
    if (e.children?.length) out.push(...flatten(e.children, path));
  }
  return out;
}

/** graphql-js messages quote the offending value; a national id sent as a number must not come back. */
function scrubValue(message: string): { message: string; field?: string } {
  const v = /^Variable "\$([^"]+)" got invalid value .*? at "([^"]+)"; (.*)$/s.exec(message);
  if (v) return { field: v[2], message: `${v[2]}: ${scrubReason(v[3]!)}` };
  const w = /^Variable "\$([^"]+)" got invalid value .*?; (.*)$/s.exec(message);
  if (w) return { field: w[1], message: `${w[1]}: ${scrubReason(w[2]!)}` };
  const f = /^Field "([^"]+)" of required type .* was not provided\.$/.exec(message);
  if (f) return { field: f[1], message };
  return { message: scrubReason(message) };
}

function scrubReason(reason: string): string {
  return reason.replace(/(cannot represent a non [a-z ]+ value): .*/i, '$1').replace(/(cannot represent value): .*/i, '$1');
}

/**
 * The one mapping from anything thrown to the closed set of codes (ARCHITECTURE.md §7). Unknown errors are
 * logged with the request id and answered as INTERNAL with that id, never with SQL, stacks or secrets.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const scope = requestScope.getStore();
  const requestId = scope?.requestId;
  const original = unwrapResolverError(error);
  const base = { path: formatted.path, locations: formatted.locations };

  const answer = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLFormattedError => ({
    ...base,
    message,
    extensions: { code, requestId, ...extra },
  });

  if (isAppError(original)) return answer(original.code, original.message, original.details);

  if (original instanceof ArgumentValidationError) {
    const problems = flatten(original.extensions.validationErrors as ValidationError[], '');
    const first = problems[0];
    return answer('BAD_USER_INPUT', first ? `${first.field}: ${first.message}` : 'Invalid arguments', { field: first?.field, problems });
  }

  const existing = formatted.extensions?.code;
  if (typeof existing === 'string' && CLIENT_CODES.has(existing)) {
    const { message, field } = scrubValue(formatted.message);
    const { limit, value, max } = formatted.extensions ?? {};
    return answer('BAD_USER_INPUT', message, { ...(field ? { field } : {}), ...(limit ? { limit, value, max } : {}) });
  }
  if (typeof existing === 'string' && (ERROR_CODES as readonly string[]).includes(existing) && existing !== 'INTERNAL' && !(original instanceof Error && pgErrorOf(original))) {
    return answer(existing as ErrorCode, formatted.message, { ...(formatted.extensions ?? {}), code: existing, requestId });
  }

  // Serialization failures and deadlocks are the client's to retry, not our bug.
  const pg = pgErrorOf(original);
  if (pg && (pg.code === '40001' || pg.code === '40P01')) return answer('CONFLICT', 'Concurrent update; retry the request', { retryable: true });

  scope?.log.error({ err: safeError(original), path: formatted.path }, 'unhandled error in GraphQL request');
  return answer('INTERNAL', `Internal error; quote request id ${requestId ?? 'unknown'} when reporting it`);
}
