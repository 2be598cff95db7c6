/** The driver's error under drizzle's wrapper (DrizzleQueryError carries it as `cause`). */
export interface PgErrorInfo {
  code: string;
  constraint: string | null;
}

export function pgErrorOf(err: unknown): PgErrorInfo | null {
  for (let e = err as { code?: unknown; constraint_name?: unknown; constraint?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
      const c = e.constraint_name ?? e.constraint;
      return { code: e.code, constraint: typeof c === 'string' ? c : null };
    }
  }
  return null;
}

export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const pg = pgErrorOf(err);
  return pg?.code === '23505' && pg.constraint === constraint;
}
