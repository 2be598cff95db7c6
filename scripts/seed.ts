import { join } from 'node:path';
import { agencyTokenExample, curlExample, seedDemo, writeDemoKey } from '../src/demo/seed.js';
import { runCli, withServices } from './cli.js';

/** Seeds a demo tenant (about 50 debtors) and prints its API key. Safe to run repeatedly: each run adds a new tenant. */
await runCli(() =>
  withServices(async (services, config) => {
    const file = config.DATABASE_URL ? null : join(config.DATA_DIR, 'demo-api-key.txt');
    const demo = await seedDemo(services, (r) => file && writeDemoKey(config.DATA_DIR, r));
    console.log(`Seeded demo tenant ${demo.tenantId} with ${demo.debtors} debtors.\nAPI key${file ? ` (saved to ${file})` : ''}:\n\n  ${demo.apiKey}\n`);
    console.log(`Try it (with the server running):\n\n  ${curlExample(`http://127.0.0.1:${config.PORT}`, demo.apiKey)}\n`);
    if (demo.agency) {
      console.log(`Demo agency client credentials (shown once):\n\n  ${demo.agency.clientId}\n  ${demo.agency.clientSecret}\n\nAgency token:\n\n  ${agencyTokenExample(`http://127.0.0.1:${config.PORT}`, demo.agency)}\n`);
    }
  }),
);
