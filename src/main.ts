import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { ConfigError, parseConfig } from './config/env.js';
import { loadPiiCipher } from './config/pii-keys.js';
import { openDatabase } from './db/open.js';
import { agencyTokenExample, curlExample, seedDemo, writeDemoKey } from './demo/seed.js';
import { Scheduler } from './jobs/scheduler.js';
import { WebhookWorker } from './modules/webhooks/webhook.worker.js';
import { createLogger, safeError } from './shared/logger.js';

async function main(): Promise<void> {
  const config = parseConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const pii = loadPiiCipher(config);
  const database = await openDatabase(config);
  await database.migrate();
  logger.info({ database: database.kind }, 'migrations applied');

  const app = await buildApp({ config, database, logger, pii });
  const url = await app.listen(config.PORT);
  const local = url.replace('0.0.0.0', '127.0.0.1');
  logger.info({ url: `${local}/graphql` }, 'Arrears is listening');

  const embedded = database.kind === 'pglite';
  const seed = config.SEED_DEMO === 'always' || (config.SEED_DEMO === 'auto' && embedded);
  if (seed) {
    // On PGlite we connect as its superuser, so this sees every tenant: "is this a fresh database?"
    const [row] = await database.query<{ any: boolean }>('select exists(select 1 from tenants) as any');
    const keyFile = join(config.DATA_DIR, 'demo-api-key.txt');
    if (!row?.any || config.SEED_DEMO === 'always') {
      const demo = await seedDemo(app.services, (r) => writeDemoKey(config.DATA_DIR, r));
      const file = keyFile;
      console.log(`\nSeeded demo tenant "Demo Lending Co." with ${demo.debtors} debtors, each with an account in the portfolio "Demo placements 2026".\nAPI key (also saved to ${file}):\n\n  ${demo.apiKey}\n\nTry it:\n\n  ${curlExample(local, demo.apiKey)}\n`);
      if (demo.agency) {
        console.log(`The portfolio is placed with the agency "Demo Recoveries Ltd". Its client credentials (shown once):\n\n  ${demo.agency.clientId}\n  ${demo.agency.clientSecret}\n\nGet an agency token:\n\n  ${agencyTokenExample(local, demo.agency)}\n`);
      }
    } else if (existsSync(keyFile)) {
      const key = readFileSync(keyFile, 'utf8').trim();
      console.log(`\nDemo API key (from ${keyFile}). Try it:\n\n  ${curlExample(local, key)}\n`);
    }
  }

  // Jobs run in-process too: one process is the whole deployment on the embedded database.
  const scheduler = new Scheduler(database, app.services, logger, config.JOBS_INTERVAL_MS);
  scheduler.start();
  // Webhook delivery too, unless dedicated workers (`npm run worker`) do it.
  const webhooks = config.WEBHOOK_WORKER_IN_API
    ? new WebhookWorker(app.services.webhooks, logger, { concurrency: config.WEBHOOK_CONCURRENCY, pollMs: config.WEBHOOK_POLL_MS })
    : null;
  webhooks?.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.close();
      await scheduler.stop();
      // Before the database closes: the requests in flight are recorded and the leases released.
      await webhooks?.stop();
      await database.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err: safeError(err) }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error('Arrears failed to start:', safeError(err));
  process.exit(1);
});
