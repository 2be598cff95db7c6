import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, parse, visit, type ASTNode, type DocumentNode, type GraphQLFormattedError, type ValueNode } from 'graphql';
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

/**
 * graphql-js messages about variables read `Variable "$v" got invalid value <value>[ at "v.path"]; <reason>`, and
 * <value> is the client's whole input (a national id, a note). Strings in it are JSON-quoted, so the end of the
 * value is the first `;` outside quotes; a plain regex would stop at a `;` inside the client's own text.
 */
function parseVariableMessage(message: string): { variable: string; path: string | null; reason: string } | null {
  const head = /^Variable "\$([^"]+)" got invalid value /.exec(message);
  if (!head) return null;
  let i = head[0].length;
  let quoted = false;
  for (; i < message.length; i++) {
    const c = message[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ';' || message.startsWith(' at "', i)) break;
  }
  const rest = /^(?: at "([^"]+)")?; ([\s\S]*)$/.exec(message.slice(i));
  if (!rest) return null;
  return { variable: head[1]!, path: rest[1] ?? null, reason: rest[2]! };
}

/** `v.emails[1].number` → `.emails.1.number` (the services' dotted form), without the variable's name. */
function subPath(variable: string, path: string | null): string {
  const p = (path ?? variable).replace(/\[(\d+)\]/g, '.$1');
  return p.slice(variable.length);
}

/**
 * The dotted path, from the field's argument, of an input value in the request's document (`input.kind`), or of
 * where a variable is used (`$input` in `createDebtor(input: $input)` → `input`). Null when not exactly one.
 */
function argumentPath(error: unknown, match: (node: ASTNode) => boolean): string | null {
  const source = error instanceof GraphQLError ? error.source : undefined;
  if (!source) return null;
  let doc: DocumentNode;
  try {
    doc = parse(source);
  } catch {
    return null;
  }
  const found: string[] = [];
  const walk = (node: ValueNode, path: string): void => {
    if (match(node)) found.push(path);
    else if (node.kind === Kind.OBJECT) {
      for (const f of node.fields) {
        const p = `${path}.${f.name.value}`;
        if (match(f)) found.push(p);
        else walk(f.value, p);
      }
    } else if (node.kind === Kind.LIST) node.values.forEach((v, i) => walk(v, `${path}.${i}`));
  };
  visit(doc, { Argument: (arg) => walk(arg.value, arg.name.value) });
  return found.length === 1 ? found[0]! : null;
}

function sameNode(target: ASTNode | undefined): (node: ASTNode) => boolean {
  return (node) => target !== undefined && node.kind === target.kind && node.loc?.start === target.loc?.start;
}

/** What a field-level graphql-js reason adds to the path: the input field it names. */
function reasonField(reason: string): string {
  const m = /^Field "(?:[^"]*\.)?([^".]+)" (?:is not defined by type|of required type)/.exec(reason);
  return m ? `.${m[1]}` : '';
}

/** graphql-js messages quote the offending value; a national id sent as a number must not come back. */
function scrubValue(message: string, error: unknown): { message: string; field?: string } {
  const v = parseVariableMessage(message);
  if (v) {
    const used = argumentPath(error, (n) => n.kind === Kind.VARIABLE && n.name.value === v.variable);
    const field = (used ?? v.variable) + subPath(v.variable, v.path) + reasonField(v.reason);
    return { field, message: `${field}: ${scrubReason(v.reason)}` };
  }
  const reason = scrubReason(message);
  // A problem with a literal in the document: name the argument path it sits at.
  const node = error instanceof GraphQLError ? error.nodes?.[0] : undefined;
  const at = node && node.kind !== Kind.VARIABLE_DEFINITION ? argumentPath(error, sameNode(node)) : null;
  if (at) {
    const field = node!.kind === Kind.OBJECT_FIELD ? at : at + reasonField(reason);
    return { field, message: `${field}: ${reason}` };
  }
  const f = /^Field "([^"]+)" of required type .* was not provided\.$/.exec(message);
  if (f) return { field: f[1], message };
  const m = /^Variable "\$([^"]+)" of required type .* was not provided\.$/.exec(message);
  if (m) {
    const used = argumentPath(error, (n) => n.kind === Kind.VARIABLE && n.name.value === m[1]);
    return { field: used ?? m[1], message };
  }
  const a = /^Field "[^"]+" argument "([^"]+)" of type .* is required, but it was not provided\.$/.exec(message) ?? /^Unknown argument "([^"]+)" on field /.exec(message);
  if (a) return { field: a[1], message };
  return { message: reason };
}

function scrubReason(reason: string): string {
  return reason
    .replace(/(cannot represent a non [a-z ]+ value): .*/is, '$1')
    .replace(/(cannot represent value): .*/is, '$1')
    .replace(/(cannot represent non-integer value): .*/is, '$1')
    .replace(/^(Expected value of type "[^"]+"), found .*/s, '$1.');
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
    const argument = original.extensions.argument;
    const problems = flatten(original.extensions.validationErrors as ValidationError[], typeof argument === 'string' ? argument : '');
    const first = problems[0];
    return answer('BAD_USER_INPUT', first ? `${first.field}: ${first.message}` : 'Invalid arguments', { field: first?.field, problems });
  }

  const existing = formatted.extensions?.code;
  if (typeof existing === 'string' && CLIENT_CODES.has(existing)) {
    const { message, field } = scrubValue(formatted.message, error);
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
