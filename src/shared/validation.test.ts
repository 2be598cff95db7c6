import { describe, expect, it } from 'vitest';
import {
  codePointLength,
  countryCode,
  dateOfBirth,
  email,
  freeText,
  isCalendarDate,
  languageTag,
  lineText,
  phoneE164,
  Problems,
  timeZone,
} from './validation.js';

/** Runs one validator and returns what it produced and the problems it reported. */
function run<T>(fn: (p: Problems) => T): { value: T; problems: Problems['list'] } {
  const p = new Problems();
  const value = fn(p);
  return { value, problems: p.list };
}

const ok = <T>(fn: (p: Problems) => T): T => {
  const r = run(fn);
  expect(r.problems).toEqual([]);
  return r.value;
};

const bad = (fn: (p: Problems) => unknown, field = 'f'): string => {
  const r = run(fn);
  expect(r.problems).toHaveLength(1);
  expect(r.problems[0]!.field).toBe(field);
  return r.problems[0]!.message;
};

describe('Problems', () => {
  it('collects every problem with its field, in order', () => {
    const p = new Problems();
    expect(p.empty).toBe(true);
    p.add('input.a', 'first');
    p.add('input.b', 'second');
    expect(p.empty).toBe(false);
    expect(p.list).toEqual([
      { field: 'input.a', message: 'first' },
      { field: 'input.b', message: 'second' },
    ]);
  });
});

describe('timeZone', () => {
  it.each([
    ['Asia/Shanghai', 'Asia/Shanghai'],
    ['asia/shanghai', 'Asia/Shanghai'],
    ['ASIA/SHANGHAI', 'Asia/Shanghai'],
    ['america/los_angeles', 'America/Los_Angeles'],
    ['Europe/Berlin', 'Europe/Berlin'],
    ['UTC', 'UTC'],
  ])('accepts %s as %s', (input, canonical) => {
    expect(ok((p) => timeZone(p, 'f', input))).toBe(canonical);
  });

  it.each(['Mars/Base', '+08:00', '-05:00', 'GMT+8 ', '', 'Asia/', '../etc/passwd', 'Asia/Shanghai\u0000'])('refuses %j', (input) => {
    expect(bad((p) => timeZone(p, 'f', input))).toMatch(/IANA time zone/);
  });

  it('gives the same answer when asked twice (cached)', () => {
    expect(ok((p) => timeZone(p, 'f', 'asia/tokyo'))).toBe('Asia/Tokyo');
    expect(ok((p) => timeZone(p, 'f', 'asia/tokyo'))).toBe('Asia/Tokyo');
    bad((p) => timeZone(p, 'f', 'Mars/Base'));
    bad((p) => timeZone(p, 'f', 'Mars/Base'));
  });
});

describe('languageTag', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh-cn', 'zh-CN'],
    ['EN-us', 'en-US'],
    ['zh-Hant-TW', 'zh-Hant-TW'],
    ['de', 'de'],
  ])('accepts %s as %s', (input, canonical) => {
    expect(ok((p) => languageTag(p, 'f', input))).toBe(canonical);
  });

  it.each(['zz_invalid!!', 'en_US', '', 'x', 'a'.repeat(40), 'en-US-' + 'abcdefgh-'.repeat(4) + 'x'])('refuses %j', (input) => {
    expect(bad((p) => languageTag(p, 'f', input))).toMatch(/BCP 47/);
  });
});

describe('isCalendarDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '1999-12-31', '2026-01-01', '2026-04-30'])('accepts %s', (d) => {
    expect(isCalendarDate(d)).toBe(true);
  });

  it.each([
    '2026-02-30', // never
    '2026-02-29', // not a leap year
    '1900-02-29', // century, not divisible by 400
    '2100-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-1-01',
    '26-01-01',
    '2026-01-01T00:00:00Z',
    '2026/01/01',
    '',
    ' 2026-01-01',
  ])('refuses %j', (d) => {
    expect(isCalendarDate(d)).toBe(false);
  });
});

describe('dateOfBirth', () => {
  const today = new Date('2026-03-15T12:00:00Z');
  it('accepts a past date and today', () => {
    expect(ok((p) => dateOfBirth(p, 'f', '1990-03-07', today))).toBe('1990-03-07');
    expect(ok((p) => dateOfBirth(p, 'f', '2026-03-15', today))).toBe('2026-03-15');
    expect(ok((p) => dateOfBirth(p, 'f', '1900-01-01', today))).toBe('1900-01-01');
  });
  it('refuses impossible, future and implausibly old dates', () => {
    expect(bad((p) => dateOfBirth(p, 'f', '2026-02-30', today))).toMatch(/real date/);
    expect(bad((p) => dateOfBirth(p, 'f', '2026-03-16', today))).toMatch(/future/);
    expect(bad((p) => dateOfBirth(p, 'f', '1899-12-31', today))).toMatch(/1900/);
  });
});

describe('email', () => {
  it.each(['xm@example.cn', 'first.last+tag@sub.example.co.uk', "o'brien@example.ie", '  padded@example.com  '])('accepts %j', (e) => {
    expect(ok((p) => email(p, 'f', e))).toBe(e.trim());
  });

  it.each([
    'plainaddress',
    '@example.com',
    'user@',
    'user@example',
    'user@example.c',
    'user@@example.com',
    'user..dots@example.com',
    '.user@example.com',
    'user.@example.com',
    'user@-example.com',
    'user name@example.com',
    'a'.repeat(65) + '@example.com',
    'user@' + 'a'.repeat(250) + '.com',
    '用户@例子.中国',
  ])('refuses %j', (e) => {
    expect(bad((p) => email(p, 'f', e))).toMatch(/email address/);
  });
});

describe('phoneE164', () => {
  it.each([
    ['+8613800138000', '+8613800138000'],
    ['+14155552671', '+14155552671'],
    ['+442071838750', '+442071838750'],
    [' +8613800138000 ', '+8613800138000'],
  ])('accepts %j as %s', (input, e164) => {
    expect(ok((p) => phoneE164(p, 'f', input))).toBe(e164);
  });

  it.each([
    '13800138000', // no country code
    '008613800138000',
    '+86 138 0013 8000', // formatted, not E.164
    '+86-138-0013-8000',
    '+0123456789',
    '+1234', // too short
    '+1234567890123456', // too long
    '+8612345', // not a valid Chinese number
    '+10000000000', // invalid NANP
    'tel:+8613800138000',
    '',
  ])('refuses %j', (input) => {
    expect(bad((p) => phoneE164(p, 'f', input))).toMatch(/E\.164/);
  });
});

describe('countryCode', () => {
  it.each([
    ['CN', 'CN'],
    ['cn', 'CN'],
    [' us ', 'US'],
    ['DE', 'DE'],
    ['GB', 'GB'],
    ['HK', 'HK'],
    ['TW', 'TW'],
    ['SS', 'SS'],
    ['AX', 'AX'],
  ])('accepts %j as %s', (input, code) => {
    expect(ok((p) => countryCode(p, 'f', input))).toBe(code);
  });

  // ZZ, EU, UN, UK, XA, the withdrawn and the CLDR-only codes are all named by Intl.DisplayNames: not a test.
  it.each(['XX', 'ZZ', 'EU', 'UN', 'UK', 'EZ', 'QO', 'XA', 'AN', 'YU', 'SU', 'ZR', 'AC', 'IC', 'CHN', 'C', '', '12', 'U S'])('refuses %j', (input) => {
    expect(bad((p) => countryCode(p, 'f', input))).toMatch(/ISO 3166-1/);
  });
});

describe('codePointLength', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('王小明')).toBe(3);
    expect('😀'.length).toBe(2);
    expect(codePointLength('😀')).toBe(1);
    expect(codePointLength('𠀀𠀁')).toBe(2); // CJK Extension B, outside the BMP
  });
});

describe('lineText', () => {
  it('trims and NFC-normalises', () => {
    expect(ok((p) => lineText(p, 'f', '  Jose\u0301  ', 10))).toBe('José');
  });

  it('counts the limit in code points: 200 CJK or emoji characters fit in 200', () => {
    expect(ok((p) => lineText(p, 'f', '王'.repeat(200), 200))).toBe('王'.repeat(200));
    expect(ok((p) => lineText(p, 'f', '😀'.repeat(200), 200))).toHaveLength(400);
    expect(ok((p) => lineText(p, 'f', '𠀀'.repeat(200), 200))).toHaveLength(400);
    expect(bad((p) => lineText(p, 'f', '王'.repeat(201), 200))).toMatch(/at most 200/);
    expect(bad((p) => lineText(p, 'f', '😀'.repeat(201), 200))).toMatch(/at most 200/);
    expect(bad((p) => lineText(p, 'f', 'a'.repeat(201), 200))).toMatch(/at most 200/);
  });

  it('refuses empty and whitespace-only values', () => {
    expect(bad((p) => lineText(p, 'f', '', 10))).toMatch(/empty/);
    expect(bad((p) => lineText(p, 'f', '   \t ', 10))).toMatch(/empty/);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['newline', 'a\nb'],
    ['tab', 'a\tb'],
    ['DEL', 'a\u007Fb'],
    ['C1', 'a\u0085b'],
    ['RLO', 'evil\u202Etxt.exe'],
    ['LRE', 'a\u202Ab'],
    ['isolate', 'a\u2066b'],
  ])('refuses control character %s', (_name, value) => {
    expect(bad((p) => lineText(p, 'f', value, 100))).toMatch(/control characters/);
  });

  it('reports under the field it was given', () => {
    expect(bad((p) => lineText(p, 'input.phones.2.label', '', 10), 'input.phones.2.label')).toMatch(/empty/);
  });
});

describe('freeText', () => {
  it('keeps newlines, tabs and leading/trailing space', () => {
    const v = '  line 1\nline 2\r\n\tindented  ';
    expect(ok((p) => freeText(p, 'f', v, 100))).toBe(v);
  });

  it('counts code points against the limit', () => {
    expect(ok((p) => freeText(p, 'f', '债'.repeat(10_000), 10_000))).toHaveLength(10_000);
    expect(bad((p) => freeText(p, 'f', '债'.repeat(10_001), 10_000))).toMatch(/at most 10000/);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['vertical tab', 'a\u000Bb'],
    ['RLO', 'a\u202Eb'],
  ])('refuses control character %s', (_name, value) => {
    expect(bad((p) => freeText(p, 'f', value, 100))).toMatch(/control characters/);
  });
});
