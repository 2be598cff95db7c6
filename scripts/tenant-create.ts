import { SCOPES } from '../src/modules/tenancy/principal.js';
import { argValue, runCli, withServices } from './cli.js';

/** npm run tenant:create -- --name "Acme Lending" [--time-zone Asia/Shanghai] */
const name = argValue('--name');
if (!name) {
  console.error('usage: npm run tenant:create -- --name "Acme Lending" [--time-zone Asia/Shanghai]');
  process.exit(2);
}
await runCli(() =>
  withServices(async (services) => {
    const { tenant, key } = await services.tenancy.createTenant(
      { principal: { kind: 'platform', tenantId: null, actorId: 'cli', scopes: new Set(SCOPES) }, requestId: 'cli', ip: null, userAgent: null },
      { name, timeZone: argValue('--time-zone') ?? null },
    );
    console.log(`Created tenant "${tenant.name}" (${tenant.id}).\nAdmin API key (shown once, store it now):\n\n  ${key.secret}\n`);
  }),
);
