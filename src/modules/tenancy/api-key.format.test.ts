import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../shared/ids.js';
import { generateApiKey, hashApiKey, parseApiKey } from './api-key.format.js';

describe('API key format', () => {
  it('round-trips the tenant and public id, and carries at least 128 random bits', () => {
    const tenantId = uuidv7();
    const k = generateApiKey(tenantId);
    expect(k.key).toMatch(/^ark_[0-9A-Za-z]{22}_[0-9A-Za-z]{11}_[0-9A-Za-z]{39}$/);
    expect(parseApiKey(k.key)).toEqual({ tenantId, publicId: k.publicId });
    expect(k.secretHash).toBe(hashApiKey(k.key));
    expect(k.secretHash).not.toContain(k.key);
    // 33 base62 characters of secret: log2(62^33) ≈ 196 bits.
    expect(33 * Math.log2(62)).toBeGreaterThan(128);
  });

  it('rejects any single-character change through the checksum', () => {
    const { key } = generateApiKey(uuidv7());
    for (const pos of [5, 30, 40, key.length - 10, key.length - 1]) {
      const ch = key[pos] === 'a' ? 'b' : 'a';
      expect(parseApiKey(key.slice(0, pos) + ch + key.slice(pos + 1))).toBeNull();
    }
  });

  it('rejects malformed input', () => {
    for (const bad of ['', 'ark_', 'Bearer x', 'ark_' + 'a'.repeat(80), 'sk_live_123']) expect(parseApiKey(bad)).toBeNull();
  });

  it('generates distinct keys', () => {
    const t = uuidv7();
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey(t).key));
    expect(keys.size).toBe(200);
  });
});
