import { describe, expect, it } from 'vitest';
import { DEFAULT_STRATEGY_RULES, riskRating, scoreBand, suggestStrategy } from './credit-check.logic.js';
import { CircuitBreakers, withRetries } from './credit-check.resilience.js';
import { normalize } from './providers/http-json.provider.js';
import { BureauError } from './providers/provider.js';

describe('bands and ratings', () => {
  it('bands at their boundaries', () => {
    expect([850, 750, 749, 700, 699, 650, 649, 550, 549, 300].map(scoreBand)).toEqual([
      'excellent', 'excellent', 'good', 'good', 'fair', 'fair', 'poor', 'poor', 'very_poor', 'very_poor',
    ]);
    expect(scoreBand(null)).toBe('unscored');
  });

  it('rating from the band, one step up for 3+ delinquencies or a public record, capped at critical', () => {
    expect(riskRating({ score: 760, delinquencies: 0, publicRecords: 0 })).toBe('low');
    expect(riskRating({ score: 760, delinquencies: 3, publicRecords: 0 })).toBe('medium');
    expect(riskRating({ score: 660, delinquencies: 0, publicRecords: 1 })).toBe('high');
    expect(riskRating({ score: 600, delinquencies: 0, publicRecords: 0 })).toBe('high');
    expect(riskRating({ score: 500, delinquencies: 5, publicRecords: 2 })).toBe('critical');
    expect(riskRating({ score: null, delinquencies: 0, publicRecords: 0 })).toBe('medium');
  });

  it('default strategy rules: fraud first, then by rating, public records before plain escalation', () => {
    const s = (riskRating: 'low' | 'medium' | 'high' | 'critical', fraudAlert = false, publicRecords = 0) =>
      suggestStrategy(DEFAULT_STRATEGY_RULES, { riskRating, scoreBand: 'fair', fraudAlert, publicRecords })!.strategy;
    expect(s('low', true)).toBe('verify_identity');
    expect(s('low')).toBe('self_service');
    expect(s('medium')).toBe('standard');
    expect(s('high', false, 1)).toBe('legal_review');
    expect(s('critical')).toBe('early_escalation');
    expect(suggestStrategy([{ scoreBands: ['poor'], strategy: 'standard' }], { riskRating: 'low', scoreBand: 'fair', fraudAlert: false, publicRecords: 0 })).toBeNull();
  });
});

describe('normalising a bureau answer', () => {
  it('reads the default and mapped paths; absent counts are 0', () => {
    const r = normalize({ score: { value: 712, model: 'FICO8' }, summary: { delinquencies: 1, tradelines: 7 } }, {});
    expect(r).toMatchObject({ score: 712, scoreModel: 'FICO8', delinquencies: 1, tradelines: 7, publicRecords: 0, inquiries: 0, noHit: false, fraudAlert: false, thinFile: false });
    const m = normalize({ risk: { s: 640 }, flags: { fraud: true } }, { score: 'risk.s', fraudAlert: 'flags.fraud' });
    expect(m).toMatchObject({ score: 640, fraudAlert: true, thinFile: true });
  });

  it('refuses wrong types as malformed, never a partial report', () => {
    for (const doc of [{ score: { value: '700' } }, { summary: { tradelines: -1 } }, { noHit: 'no' }, [1, 2], 'x', null]) {
      expect(() => normalize(doc, {})).toThrow(BureauError);
    }
    try {
      normalize({ score: { value: 1.5 } }, {});
    } catch (e) {
      expect((e as BureauError).code).toBe('malformed');
      expect((e as BureauError).retryable).toBe(false);
    }
  });

  it('a no-hit has no score', () => {
    expect(normalize({ noHit: true, score: { value: 700 } }, {})).toMatchObject({ noHit: true, score: null, thinFile: false });
  });
});

describe('retries', () => {
  const policy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000 };

  it('retries retryable failures only, with jittered exponential waits', async () => {
    const waits: number[] = [];
    let calls = 0;
    const out = await withRetries(async () => {
      calls++;
      throw new BureauError('http_5xx', '503', true);
    }, policy, async (ms) => void waits.push(ms), () => 0.5);
    expect(calls).toBe(3);
    expect(out.attempts).toBe(3);
    expect(waits).toEqual([50, 100]); // 0.5 × 100, 0.5 × 200
    calls = 0;
    const fatal = await withRetries(async () => {
      calls++;
      throw new BureauError('http_4xx', '400', false);
    }, policy, async () => {});
    expect(calls).toBe(1);
    expect(fatal.error?.code).toBe('http_4xx');
  });

  it('honours Retry-After, and gives up when it asks for longer than the cap', async () => {
    const waits: number[] = [];
    let n = 0;
    const ok = await withRetries(async () => {
      if (n++ === 0) throw new BureauError('rate_limited', '429', true, 300);
      return 'fine';
    }, policy, async (ms) => void waits.push(ms));
    expect(ok).toEqual({ value: 'fine', attempts: 2 });
    expect(waits).toEqual([300]);
    n = 0;
    const long = await withRetries(async () => {
      n++;
      throw new BureauError('rate_limited', '429', true, 60_000);
    }, policy, async () => {});
    expect(n).toBe(1);
    expect(long.error?.code).toBe('rate_limited');
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, lets one trial through after the pause, closes on success, reopens on failure', () => {
    let now = 0;
    const b = new CircuitBreakers(3, 1000, () => now);
    for (let i = 0; i < 2; i++) {
      expect(b.acquire('k')).toBeNull();
      b.failure('k');
    }
    expect(b.stateOf('k')).toBe('closed');
    b.failure('k');
    expect(b.stateOf('k')).toBe('open');
    expect(b.acquire('k')).toBe(1000);
    now = 1000;
    expect(b.acquire('k')).toBeNull(); // the trial
    expect(b.acquire('k')).not.toBeNull(); // only one at a time
    b.failure('k');
    expect(b.stateOf('k')).toBe('open');
    now = 2000;
    expect(b.acquire('k')).toBeNull();
    b.success('k');
    expect(b.stateOf('k')).toBe('closed');
    expect(b.acquire('other')).toBeNull(); // per key
  });
});
