import { defineConfig } from 'drizzle-kit';

// drizzle-kit only generates SQL here; migrations are applied by src/db/migrate.ts (npm run db:migrate).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
  entities: { roles: { provider: '', include: [] } },
});
