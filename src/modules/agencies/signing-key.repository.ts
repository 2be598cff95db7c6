import type { Database } from '../../db/client.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, string> | string;
  /** base64: a portable way through both drivers. */
  sealed_b64: string;
  seal_key_id: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}

/**
 * signing_keys is platform-wide and not granted to the app role: these statements run as the connecting role
 * outside any tenant transaction (Database.query).
 */
export const signingKeyRepository = {
  /** Keys still worth publishing: unretired, or retired after `retiredAfter` (tokens they signed may live); unretired first, newest first. */
  async published(db: Database, retiredAfter: Date): Promise<SigningKeyRow[]> {
    return db.query<SigningKeyRow & Record<string, unknown>>(
      "select kid, alg, public_jwk, encode(private_key_sealed, 'base64') as sealed_b64, seal_key_id, created_at, retired_at from signing_keys where retired_at is null or retired_at > $1 order by retired_at is null desc, created_at desc, kid desc",
      [retiredAfter.toISOString()],
    );
  },

  async insert(db: Database, row: { kid: string; alg: string; publicJwk: Record<string, string>; sealed: Buffer; sealKeyId: string; createdAt: Date }): Promise<void> {
    await db.query("insert into signing_keys (kid, alg, public_jwk, private_key_sealed, seal_key_id, created_at) values ($1, $2, $3::text::jsonb, decode($4, 'base64'), $5, $6)", [
      row.kid,
      row.alg,
      JSON.stringify(row.publicJwk),
      row.sealed.toString('base64'),
      row.sealKeyId,
      row.createdAt.toISOString(),
    ]);
  },

  /** Retires every key but `kid`; returns the retired kids. */
  async retireAllBut(db: Database, kid: string, at: Date): Promise<string[]> {
    const rows = await db.query<{ kid: string }>('update signing_keys set retired_at = $2 where retired_at is null and kid <> $1 returning kid', [kid, at.toISOString()]);
    return rows.map((r) => r.kid);
  },
};
