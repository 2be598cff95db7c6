import { parseConfig } from '../src/config/env.js';
import { openDatabase } from '../src/db/open.js';
import { runCli } from './cli.js';

/** Applies pending migrations to DATABASE_URL (or the embedded database under DATA_DIR). */
await runCli(async () => {
  const config = parseConfig();
  const db = await openDatabase(config);
  try {
    await db.migrate();
    console.log(`migrations applied (${db.kind})`);
  } finally {
    await db.close();
  }
});
