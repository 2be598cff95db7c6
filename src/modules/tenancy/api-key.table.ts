import { foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tenantPolicy, tstz } from '../../db/columns.js';
import { tenants } from './tenant.table.js';

export const apiKeys = pgTable(
  'api_keys',
  {
    tenantId: tenantId(),
    id: id(),
    publicId: text('public_id').notNull(),
    name: text('name').notNull(),
    /** SHA-256 of the whole key, hex. The secret itself is never stored. */
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    /** null: every portfolio; otherwise the key reaches only these portfolios' accounts. */
    portfolioIds: uuid('portfolio_ids').array(),
    createdAt: createdAt(),
    createdByKind: text('created_by_kind').notNull(),
    createdById: text('created_by_id').notNull(),
    expiresAt: tstz('expires_at'),
    revokedAt: tstz('revoked_at'),
    revokedById: text('revoked_by_id'),
    lastUsedAt: tstz('last_used_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('api_keys_public_id_key').on(t.tenantId, t.publicId),
    index('api_keys_created_idx').on(t.tenantId, t.createdAt),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id], name: 'api_keys_tenant_fk' }),
    tenantPolicy('api_keys'),
  ],
).enableRLS();

