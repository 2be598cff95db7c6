import pino, { type Logger } from 'pino';
import { pgErrorOf } from './db-errors.js';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'arrears' },
      // Belt and braces: nothing logs these, and if someone starts to, they come out censored.
      redact: {
        paths: ['authorization', 'headers.authorization', 'req.headers.authorization', '*.secret', '*.nationalId', '*.key', 'secret', 'nationalId', 'password'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * What an unexpected error may put in a log line. drizzle's wrapper message carries the SQL *and its
 * parameters* (names, emails, ciphertexts), so only the driver's own message, code and a stack without
 * the first line are kept.
 */
export function safeError(err: unknown): Record<string, unknown> {
  const pg = pgErrorOf(err);
  let root: unknown = err;
  while (root && typeof root === 'object' && 'cause' in root && (root as { cause?: unknown }).cause) root = (root as { cause: unknown }).cause;
  const e = root as { name?: string; message?: string; stack?: string };
  const top = err as { stack?: string; name?: string };
  return {
    type: top?.name ?? typeof err,
    pgCode: pg?.code,
    constraint: pg?.constraint,
    message: pg ? e.message : top === root ? e?.message : `${e?.name ?? 'Error'}: ${e?.message ?? ''}`,
    // Frames only: a message can span lines (drizzle's is "Failed query: …\nparams: …"), so dropping just the
    // first line of the stack would still log the query's parameters.
    stack: (top?.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 11).join('\n'),
  };
}
