import { describe, expect, it } from 'vitest';
import { backoffMs, checkReceiverUrl, DEFAULT_BACKOFF, verdictOf } from './webhook.logic.js';

describe('backoff', () => {
  it('doubles from 5 s up to the 6 h cap, with equal jitter (between half and all of the nominal delay)', () => {
    const nominal = (n: number) => Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** (n - 1));
    for (let n = 1; n <= 40; n++) {
      expect(backoffMs(n, DEFAULT_BACKOFF, () => 0), `attempt ${n}, low`).toBe(nominal(n) / 2);
      expect(backoffMs(n, DEFAULT_BACKOFF, () => 1), `attempt ${n}, high`).toBe(nominal(n));
    }
    expect(backoffMs(1, DEFAULT_BACKOFF, () => 0.5)).toBe(3_750);
    expect(backoffMs(13, DEFAULT_BACKOFF, () => 1)).toBe(5_000 * 4096);
    expect(backoffMs(14, DEFAULT_BACKOFF, () => 1)).toBe(6 * 3_600_000);
  });

  it('retries for about three days come to roughly two dozen attempts', () => {
    // The expected schedule (jitter at its mean): attempts until 72 h have passed.
    let t = 0;
    let attempts = 0;
    while (t < 72 * 3_600_000) {
      attempts++;
      t += backoffMs(attempts, DEFAULT_BACKOFF, () => 0.5);
    }
    expect(attempts).toBeGreaterThanOrEqual(20);
    expect(attempts).toBeLessThanOrEqual(30);
  });
});

describe('receiver URLs', () => {
  const open = { allowPrivateUrls: true, requireHttps: false };
  const strict = { allowPrivateUrls: false, requireHttps: false };
  const production = { allowPrivateUrls: false, requireHttps: true };

  it('accepts absolute http(s) URLs and normalises them', () => {
    expect(checkReceiverUrl(' https://Hooks.Example.com:8443/a/../in?x=1 ', production)).toEqual({ url: 'https://hooks.example.com:8443/in?x=1' });
    expect(checkReceiverUrl('http://hooks.example.com/in', strict)).toEqual({ url: 'http://hooks.example.com/in' });
    expect(checkReceiverUrl('http://127.0.0.1:9999/in', open)).toEqual({ url: 'http://127.0.0.1:9999/in' });
  });

  it('refuses other schemes, plain http in production, credentials, fragments, private hosts and overlong URLs', () => {
    const problem = (url: string, policy = strict) => {
      const r = checkReceiverUrl(url, policy);
      return 'problem' in r ? r.problem : null;
    };
    expect(problem('ftp://hooks.example.com/')).toMatch(/https or http/);
    expect(problem('http://hooks.example.com/', production)).toBe('must use https');
    expect(problem('https://u:p@hooks.example.com/', production)).toMatch(/credentials/);
    expect(problem('https://u@hooks.example.com/', production)).toMatch(/credentials/);
    expect(problem('https://hooks.example.com/#x')).toMatch(/fragment/);
    for (const host of ['127.0.0.1', '127.1', '2130706433', '10.0.0.1', '169.254.169.254', '[::1]', '[::ffff:7f00:1]', 'localhost', 'x.internal', '0.0.0.0']) {
      expect(problem(`http://${host}/`), host).toMatch(/loopback, private or link-local/);
      expect(problem(`http://${host}/`, open), host).toBeNull();
    }
    expect(problem('https://hooks.example.com/' + 'a'.repeat(2048))).toMatch(/2048/);
    expect(problem('hooks.example.com/in')).toMatch(/absolute URL/);
  });
});

describe('verdicts', () => {
  it('2xx delivers when the answer is whole; 410 is gone; everything else is retried', () => {
    expect(verdictOf(200, true)).toBe('delivered');
    expect(verdictOf(204, true)).toBe('delivered');
    expect(verdictOf(299, true)).toBe('delivered');
    expect(verdictOf(200, false)).toBe('retry');
    expect(verdictOf(410, true)).toBe('gone');
    expect(verdictOf(410, false)).toBe('gone');
    for (const code of [null, 100, 301, 302, 307, 308, 400, 401, 404, 429, 500, 503]) expect(verdictOf(code, true), String(code)).toBe('retry');
  });
});
