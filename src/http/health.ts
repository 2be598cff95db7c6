import type { ServerResponse } from 'node:http';
import type { Database } from '../db/client.js';
import { expectedMigrationCount } from '../db/paths.js';
import { sendJson } from './respond.js';

let expectedCount: number | undefined;

export function healthz(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/** Ready when the database answers and every migration this build ships has been applied. */
export async function readyz(res: ServerResponse, db: Database, shuttingDown: boolean): Promise<void> {
  if (shuttingDown) return sendJson(res, 503, { status: 'shutting_down' });
  try {
    const rows = await db.query<{ n: string | number }>('select count(*) as n from drizzle.__drizzle_migrations');
    const applied = Number(rows[0]?.n ?? 0);
    const expected = (expectedCount ??= expectedMigrationCount());
    if (applied < expected) return sendJson(res, 503, { status: 'migrations_pending', applied, expected });
    sendJson(res, 200, { status: 'ready', migrations: applied });
  } catch {
    sendJson(res, 503, { status: 'database_unreachable' });
  }
}
