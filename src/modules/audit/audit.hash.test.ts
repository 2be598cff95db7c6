import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashEvent, hashParts, type HashableEvent } from './audit.hash.js';

/** The database computes the hash from hashParts; it must be the very hash hashEvent computes. */
describe('hashParts', () => {
  const base: HashableEvent = {
    tenantId: '0190a0f0-0000-7000-8000-000000000001',
    seq: 0,
    id: '0190a0f0-0000-7000-8000-000000000002',
    occurredAt: new Date('2026-06-15T12:00:00.123Z'),
    actorKind: 'api_key',
    actorId: 'key-1',
    action: 'plan.installments_missed',
    entityType: 'plan',
    entityId: 'p-1',
    // Nested "seq" members (with the same value, too) must not be taken for the event's own.
    before: { seq: 0, note: 'a "seq":0, inside a string' },
    after: { installments: [{ seq: 0, dueOn: '2026-06-01' }, { seq: 12 }], text: '统一 ✓ \u0001' },
    requestId: 'req-1',
    ip: '127.0.0.1',
    userAgent: 'agent "seq":0,',
  };

  for (const seq of [1, 9, 10, 123456789]) {
    it(`prefix + ${seq} + suffix hashes as hashEvent does`, () => {
      const { prefix, suffix } = hashParts(base);
      const prev = 'ab'.repeat(32);
      const viaParts = createHash('sha256').update(prefix + String(seq) + suffix).update('\n').update(prev).digest('hex');
      expect(viaParts).toBe(hashEvent({ ...base, seq }, prev));
    });
  }

  it('events without before/after or optional fields split the same way', () => {
    const e = { ...base, before: null, after: null, requestId: null, ip: null, userAgent: null };
    const { prefix, suffix } = hashParts(e);
    expect(createHash('sha256').update(`${prefix}7${suffix}`).update('\n').update('0'.repeat(64)).digest('hex')).toBe(hashEvent({ ...e, seq: 7 }, '0'.repeat(64)));
  });
});
