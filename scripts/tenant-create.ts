import { SCOPES } from '../src/modules/tenancy/principal.js';
import { AppError } from '../src/shared/errors.js';
import { argValue, withServices } from './cli.js';

/** npm run tenant:create -- --name "Acme Lending" [--time-zone Asia/Shanghai] */
const name = argValue('--name');
if (!name) {
  console.error('usage: npm run tenant:create -- --name "Acme Lending" [--time-zone Asia/Shanghai]');
  process.exit(2);
}
try {
  await withServices(async (services) => {
    const { tenant, key } = await services.tenancy.createTenant(
      { principal: { kind: 'platform', tenantId: null, actorId: 'cli', scopes: new Set(SCOPES) }, requestId: 'cli', ip: null, userAgent: null },
      { name, timeZone: argValue('--time-zone') ?? null },
    );
    console.log(`Created tenant "${tenant.name}" (${tenant.id}).\nAdmin API key (shown once, store it now):\n\n  ${key.secret}\n`);
  });
} catch (err) {
  if (err instanceof AppError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
