import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface PiiKey {
  id: string;
  key: Buffer;
}

/**
 * AES-256-GCM with a key ring: new values are sealed with the active key, old ones open with whichever
 * key id they were stored under, so keys rotate without a flag day. The associated data binds a
 * ciphertext to its row: copying it to another debtor or tenant makes it fail to open.
 */
export class PiiCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly active: PiiKey,
    retired: PiiKey[] = [],
  ) {
    for (const k of [active, ...retired]) if (k.key.length !== 32) throw new Error(`PII key ${k.id} must be 32 bytes`);
    this.byId = new Map([...retired, active].map((k) => [k.id, k.key]));
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  seal(plaintext: string, aad: string): { ciphertext: Buffer; keyId: string } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), ct]), keyId: this.active.id };
  }

  open(ciphertext: Buffer, keyId: string, aad: string): string {
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`PII key ${keyId} is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, 12));
    decipher.setAuthTag(ciphertext.subarray(12, 28));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    return Buffer.concat([decipher.update(ciphertext.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** What the API shows instead of a national id: its last four characters. */
export function maskNationalId(last4: string | null): string | null {
  return last4 === null ? null : `••••${last4}`;
}
