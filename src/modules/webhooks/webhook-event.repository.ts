import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';
import { uuidv7 } from '../../shared/ids.js';
import type { WebhookEventType } from './webhook.table.js';

/** A thin payload: the object's kind and id, and the ids a receiver needs to route it. Never personal data. */
export type WebhookEventData = Record<string, string | number | boolean | null>;

export const webhookEventRepository = {
  /**
   * Writes events to the outbox in the caller's transaction and queues one delivery per subscribed endpoint
   * (arrears_webhook_emit, migration 0016). `tenantId` must be the transaction's tenant: the function takes
   * the tenant from the session, so it cannot write another tenant's outbox whatever is passed.
   */
  async emit(tx: Tx, _tenantId: string, type: WebhookEventType, items: readonly WebhookEventData[]): Promise<number> {
    if (!items.length) return 0;
    const ids = items.map(() => uuidv7());
    // One jsonb array parameter, split in SQL: both drivers pass it the same way, with no array-literal quoting.
    const r = rowsOf<{ n: number }>(
      await tx.execute(
        sql`select arrears_webhook_emit(${type}, ${`{${ids.join(',')}}`}::uuid[], array(select e from jsonb_array_elements(${JSON.stringify(items)}::jsonb) with ordinality as x(e, o) order by o)) as n`,
      ),
    );
    return Number(r[0]?.n ?? 0);
  },
};
