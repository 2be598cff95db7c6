import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './env.js';

const key32 = () => randomBytes(32).toString('base64');

/** The ConfigError parseConfig throws for `env`, failing the test when it does not throw one. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected parseConfig to throw for ' + JSON.stringify(env));
}

describe('parseConfig', () => {
  it('has working defaults for an empty environment', () => {
    const c = parseConfig({});
    expect(c.NODE_ENV).toBe('development');
    expect(c.PORT).toBe(4000);
    expect(c.HOST).toBe('0.0.0.0');
    expect(c.DATA_DIR).toBe('./data');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATABASE_POOL_SIZE).toBe(10);
    expect(c.PLATFORM_ADMIN_TOKEN).toBeUndefined();
    expect(c.PII_ENCRYPTION_KEY).toBeUndefined();
    expect(c.PII_ENCRYPTION_KEY_ID).toBe('k1');
    expect(c.PII_ENCRYPTION_OLD_KEYS).toEqual([]);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.SEED_DEMO).toBe('auto');
    expect(c.GRAPHQL_MAX_DEPTH).toBe(10);
    expect(c.GRAPHQL_MAX_ALIASES).toBe(30);
    expect(c.GRAPHQL_MAX_COST).toBe(20_000);
    expect(c.SHUTDOWN_GRACE_MS).toBe(10_000);
  });

  it('coerces numbers from strings', () => {
    const c = parseConfig({ PORT: '8080', DATABASE_POOL_SIZE: '25', GRAPHQL_MAX_DEPTH: '3', SHUTDOWN_GRACE_MS: '0' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_POOL_SIZE).toBe(25);
    expect(c.GRAPHQL_MAX_DEPTH).toBe(3);
    expect(c.SHUTDOWN_GRACE_MS).toBe(0);
  });

  it.each(['abc', '-1', '65536', '80.5', '1e10'])('refuses PORT=%s, naming PORT', (port) => {
    const e = configError({ PORT: port });
    expect(e.message).toMatch(/^Invalid configuration:/);
    expect(e.message).toMatch(/^\s+PORT: /m);
  });

  it('accepts postgres:// and postgresql:// URLs', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://u:p@db:5432/arrears' }).DATABASE_URL).toBe('postgres://u:p@db:5432/arrears');
    expect(parseConfig({ DATABASE_URL: 'postgresql://db/arrears' }).DATABASE_URL).toBe('postgresql://db/arrears');
  });

  it.each(['mysql://db/arrears', 'db:5432', 'http://db', ''])('refuses DATABASE_URL=%j, naming it', (url) => {
    expect(configError({ DATABASE_URL: url }).message).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('refuses a PLATFORM_ADMIN_TOKEN shorter than 24 characters and accepts 24', () => {
    expect(configError({ PLATFORM_ADMIN_TOKEN: 'x'.repeat(23) }).message).toMatch(/PLATFORM_ADMIN_TOKEN: must be at least 24 characters/);
    expect(parseConfig({ PLATFORM_ADMIN_TOKEN: 'x'.repeat(24) }).PLATFORM_ADMIN_TOKEN).toBe('x'.repeat(24));
  });

  it('never puts a secret value in the error message', () => {
    const token = 'short-secret-' + randomBytes(4).toString('hex');
    expect(configError({ PLATFORM_ADMIN_TOKEN: token }).message).not.toContain(token);
    const key = randomBytes(16).toString('base64');
    expect(configError({ PII_ENCRYPTION_KEY: key }).message).not.toContain(key);
  });

  it('accepts a 32-byte base64 PII_ENCRYPTION_KEY and refuses other lengths', () => {
    const k = key32();
    expect(parseConfig({ PII_ENCRYPTION_KEY: k }).PII_ENCRYPTION_KEY).toBe(k);
    for (const bytes of [16, 31, 33, 64]) {
      expect(configError({ PII_ENCRYPTION_KEY: randomBytes(bytes).toString('base64') }).message).toMatch(/PII_ENCRYPTION_KEY: must be 32 bytes/);
    }
  });

  it('validates PII_ENCRYPTION_KEY_ID', () => {
    expect(parseConfig({ PII_ENCRYPTION_KEY_ID: 'key-2026_01' }).PII_ENCRYPTION_KEY_ID).toBe('key-2026_01');
    expect(configError({ PII_ENCRYPTION_KEY_ID: 'has space' }).message).toMatch(/PII_ENCRYPTION_KEY_ID/);
    expect(configError({ PII_ENCRYPTION_KEY_ID: 'x'.repeat(33) }).message).toMatch(/PII_ENCRYPTION_KEY_ID/);
  });

  it('parses PII_ENCRYPTION_OLD_KEYS as id:key pairs, ignoring blanks and spaces', () => {
    const a = key32();
    const b = key32();
    expect(parseConfig({ PII_ENCRYPTION_OLD_KEYS: '' }).PII_ENCRYPTION_OLD_KEYS).toEqual([]);
    expect(parseConfig({ PII_ENCRYPTION_OLD_KEYS: `k0:${a}` }).PII_ENCRYPTION_OLD_KEYS).toEqual([{ id: 'k0', key: a }]);
    expect(parseConfig({ PII_ENCRYPTION_OLD_KEYS: ` k0:${a} , ,old-2:${b},` }).PII_ENCRYPTION_OLD_KEYS).toEqual([
      { id: 'k0', key: a },
      { id: 'old-2', key: b },
    ]);
  });

  it.each([
    ['no key', 'k0'],
    ['no id', `:${randomBytes(32).toString('base64')}`],
    ['short key', `k0:${randomBytes(16).toString('base64')}`],
    ['bad id', `bad id:${randomBytes(32).toString('base64')}`],
  ])('refuses PII_ENCRYPTION_OLD_KEYS with %s', (_what, value) => {
    const e = configError({ PII_ENCRYPTION_OLD_KEYS: value });
    expect(e.message).toMatch(/PII_ENCRYPTION_OLD_KEYS: entry .* must look like id:base64-32-byte-key/);
    expect(e.message).not.toContain(value.split(':')[1] || '\u0000');
  });

  it('refuses NODE_ENV=production without DATABASE_URL', () => {
    expect(configError({ NODE_ENV: 'production' }).message).toMatch(/DATABASE_URL: required when NODE_ENV=production/);
    expect(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/arrears' }).NODE_ENV).toBe('production');
  });

  it('refuses unknown enum values', () => {
    expect(configError({ NODE_ENV: 'staging' }).message).toMatch(/NODE_ENV/);
    expect(configError({ LOG_LEVEL: 'verbose' }).message).toMatch(/LOG_LEVEL/);
    expect(configError({ SEED_DEMO: 'yes' }).message).toMatch(/SEED_DEMO/);
  });

  it('bounds the GraphQL limits', () => {
    expect(configError({ GRAPHQL_MAX_DEPTH: '1' }).message).toMatch(/GRAPHQL_MAX_DEPTH/);
    expect(configError({ GRAPHQL_MAX_DEPTH: '51' }).message).toMatch(/GRAPHQL_MAX_DEPTH/);
    expect(configError({ GRAPHQL_MAX_ALIASES: '0' }).message).toMatch(/GRAPHQL_MAX_ALIASES/);
    expect(configError({ GRAPHQL_MAX_COST: '9' }).message).toMatch(/GRAPHQL_MAX_COST/);
    expect(configError({ DATABASE_POOL_SIZE: '0' }).message).toMatch(/DATABASE_POOL_SIZE/);
  });

  it('reports every bad variable at once', () => {
    const e = configError({ PORT: 'x', DATABASE_URL: 'mysql://db', LOG_LEVEL: 'loud' });
    expect(e.message).toMatch(/PORT:/);
    expect(e.message).toMatch(/DATABASE_URL:/);
    expect(e.message).toMatch(/LOG_LEVEL:/);
  });

  it('ignores unrelated variables', () => {
    expect(parseConfig({ PATH: '/usr/bin', HOME: '/root' }).PORT).toBe(4000);
  });
});
