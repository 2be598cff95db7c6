import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretKey, sign, signatureHeader, signedHeaders, verify } from './webhook.signature.js';

// The test vector of the Standard Webhooks reference library (libraries/javascript/src/webhook.test.ts, "sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signatures', () => {
  it('matches the reference test vector, with or without the whsec_ prefix', () => {
    expect(sign(VECTOR.secret, VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(sign(VECTOR.secret.slice('whsec_'.length), VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('new secrets are whsec_ + base64 of 32 random bytes, all different', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('signs id.timestamp.body with the decoded key (computed independently here)', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: 'payment.recorded', timestamp: '2026-06-15T10:00:00.000Z', data: { id: 'x', 中: '文' } });
    const independent = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(Buffer.from(`evt-1.1700000000.${body}`, 'utf8')).digest('base64');
    expect(sign(secret, 'evt-1', 1700000000, body)).toBe(`v1,${independent}`);
  });

  it('during a rotation both secrets sign, space-separated, and either verifies', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const h = signedHeaders([current, previous], 'evt-2', 1700000000, '{}');
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(h['webhook-signature']).toBe(signatureHeader([current, previous], 'evt-2', 1700000000, '{}'));
    expect(verify(current, h, '{}', 1700000010)).toBe(true);
    expect(verify(previous, h, '{}', 1700000010)).toBe(true);
    expect(verify(generateSecret(), h, '{}', 1700000010)).toBe(false);
  });

  it('verification fails for a changed body, id or timestamp, a stale timestamp, or a mangled signature', () => {
    const secret = generateSecret();
    const h = signedHeaders([secret], 'evt-3', 1700000000, '{"a":1}');
    expect(verify(secret, h, '{"a":1}', 1700000000)).toBe(true);
    expect(verify(secret, h, '{"a":2}', 1700000000)).toBe(false);
    expect(verify(secret, { ...h, 'webhook-id': 'evt-4' }, '{"a":1}', 1700000000)).toBe(false);
    expect(verify(secret, { ...h, 'webhook-timestamp': '1700000001' }, '{"a":1}', 1700000001)).toBe(false);
    expect(verify(secret, h, '{"a":1}', 1700000000 + 301)).toBe(false);
    expect(verify(secret, { ...h, 'webhook-timestamp': 'soon' }, '{"a":1}', 1700000000)).toBe(false);
    expect(verify(secret, { ...h, 'webhook-signature': h['webhook-signature'].slice(0, 10) }, '{"a":1}', 1700000000)).toBe(false);
    expect(verify(secret, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }, '{"a":1}', 1700000000)).toBe(false);
  });
});
