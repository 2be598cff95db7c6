import 'reflect-metadata';
import { parseConfig, ConfigError } from './config/env.js';
import { loadPiiCipher } from './config/pii-keys.js';
import { openDatabase } from './db/open.js';
import { Scheduler } from './jobs/scheduler.js';
import { WebhookWorker } from './modules/webhooks/webhook.worker.js';
import { buildServices } from './services.js';
import { backgroundServiceOptions } from './config/service-options.js';
import { systemClock } from './shared/clock.js';
import { createLogger, safeError } from './shared/logger.js';

/** `npm run worker`: the background jobs without the HTTP server (run any number of these). */
async function main(): Promise<void> {
  const config = parseConfig();
  const log = createLogger(config.LOG_LEVEL);
  const db = await openDatabase(config);
  await db.migrate();
  // The platform operator acts through the API only.
  const services = buildServices({ ...backgroundServiceOptions(config), platformAdminToken: undefined, database: db, clock: systemClock, pii: loadPiiCipher(config), onBackgroundError: (e) => log.error({ err: safeError(e) }) });
  const scheduler = new Scheduler(db, services, log, Math.max(config.JOBS_INTERVAL_MS, 1000));
  // Webhook delivery runs here whatever WEBHOOK_WORKER_IN_API says: that setting is about the API process.
  const webhooks = new WebhookWorker(services.webhooks, log, { concurrency: config.WEBHOOK_CONCURRENCY, pollMs: config.WEBHOOK_POLL_MS });
  webhooks.start();
  await scheduler.tick();
  scheduler.start();
  log.info({ intervalMs: config.JOBS_INTERVAL_MS, webhookWorker: webhooks.id }, 'worker running');
  const stop = async () => {
    await scheduler.stop();
    await webhooks.stop();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : safeError(err));
  process.exit(err instanceof ConfigError ? 2 : 1);
});
