import 'reflect-metadata';
import pino from 'pino';
import { ConfigError, parseConfig, type Config } from '../src/config/env.js';
import { AppError } from '../src/shared/errors.js';
import { loadPiiCipher } from '../src/config/pii-keys.js';
import type { Database } from '../src/db/client.js';
import { openDatabase } from '../src/db/open.js';
import { buildServices, type Services } from '../src/services.js';
import { systemClock } from '../src/shared/clock.js';
import { backgroundServiceOptions } from '../src/config/service-options.js';

/** Services for a one-shot command, on the same configuration the server would use. */
export async function withServices<T>(fn: (services: Services, config: Config, db: Database) => Promise<T>): Promise<T> {
  const config = parseConfig();
  const pii = loadPiiCipher(config);
  const db = await openDatabase(config);
  const log = pino({ level: 'warn' });
  try {
    await db.migrate();
    // The server's configuration (plans and their limits included), so an import meets the same limits as the API.
    const services = buildServices({ ...backgroundServiceOptions(config), database: db, clock: systemClock, pii, platformAdminToken: undefined, onBackgroundError: (e) => log.error(e) });
    const result = await fn(services, config, db);
    await services.lastUsed.stop();
    return result;
  } finally {
    await db.close();
  }
}

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + '='));
  return eq?.slice(name.length + 1);
}

/** Runs a command; configuration and input errors print their message (exit 2) instead of a stack trace. */
export async function runCli(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AppError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
