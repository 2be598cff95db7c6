import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PiiCipher } from '../shared/pii-crypto.js';
import { ConfigError, type Config } from './env.js';

/**
 * The PII key comes from the environment. Only on the embedded database (a laptop demo) is one generated
 * into the data folder when absent, so `npm start` works with no setup; with DATABASE_URL it is required,
 * because a generated key living beside a remote database would be lost with the container.
 */
export function loadPiiCipher(config: Config): PiiCipher {
  const retired = config.PII_ENCRYPTION_OLD_KEYS.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') }));
  if (config.PII_ENCRYPTION_KEY) {
    return new PiiCipher({ id: config.PII_ENCRYPTION_KEY_ID, key: Buffer.from(config.PII_ENCRYPTION_KEY, 'base64') }, retired);
  }
  if (config.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  PII_ENCRYPTION_KEY: required with DATABASE_URL (generate one with: openssl rand -base64 32)');
  }
  const file = join(config.DATA_DIR, 'pii-key.json');
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify({ id: 'local1', key: randomBytes(32).toString('base64') }), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { id: string; key: string };
  return new PiiCipher({ id: stored.id, key: Buffer.from(stored.key, 'base64') }, retired);
}
