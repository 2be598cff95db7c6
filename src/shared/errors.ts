/**
 * The closed set of error codes (ARCHITECTURE.md §7). Every error a client sees carries exactly one of
 * these in `extensions.code`; formatError maps everything else to INTERNAL.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'PLAN_LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'COMPLIANCE_BLOCKED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldProblem {
  /** Dotted path from the operation's arguments, e.g. `input.phones.1.number`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  static badInput(field: string, message: string): AppError {
    return new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field, problems: [{ field, message }] });
  }

  static badInputMany(problems: FieldProblem[]): AppError {
    const first = problems[0];
    if (!first) throw new Error('badInputMany needs at least one problem');
    const message =
      problems.length === 1 ? `${first.field}: ${first.message}` : `${problems.length} invalid fields: ${problems.map((p) => p.field).join(', ')}`;
    return new AppError('BAD_USER_INPUT', message, { field: first.field, problems });
  }

  static notFound(entity: string, id: string): AppError {
    // Deliberately the same answer whether the id is unknown or belongs to someone else.
    return new AppError('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
  }

  static conflict(message: string, details: Record<string, unknown> = {}): AppError {
    return new AppError('CONFLICT', message, details);
  }

  static forbidden(message: string, details: Record<string, unknown> = {}): AppError {
    return new AppError('FORBIDDEN', message, details);
  }

  static unauthenticated(message = 'Missing or invalid credentials'): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
