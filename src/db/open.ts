import { join } from 'node:path';
import type { Config } from '../config/env.js';
import { openPglite, openPostgres, type Database } from './client.js';

/** postgres.js when DATABASE_URL is set; otherwise PGlite stored under DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) return openPostgres({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, prepare: config.DATABASE_PREPARED_STATEMENTS });
  return openPglite(join(config.DATA_DIR, 'pglite'));
}
