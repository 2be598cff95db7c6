import { describe, expect, it } from 'vitest';
import { currencyExponent, formatDecimal, parseDecimalAmount, parseMinorUnits } from './money.js';

describe('money', () => {
  it('knows exponents from ISO 4217', () => {
    expect([currencyExponent('JPY'), currencyExponent('EUR'), currencyExponent('KWD'), currencyExponent('XXX')]).toEqual([0, 2, 3, null]);
  });

  it('parses decimal strings exactly, refusing the wrong number of decimals', () => {
    expect(parseDecimalAmount('1234.56', 'EUR')).toBe(123456n);
    expect(parseDecimalAmount('1234.5', 'EUR')).toBe(123450n);
    expect(parseDecimalAmount('1234', 'JPY')).toBe(1234n);
    expect(parseDecimalAmount('1.234', 'KWD')).toBe(1234n);
    expect(parseDecimalAmount('1.234', 'EUR')).toMatch(/2 decimal places; got 3/);
    expect(parseDecimalAmount('100.5', 'JPY')).toMatch(/no decimals/);
    expect(parseDecimalAmount('-5', 'EUR')).toMatch(/negative/);
    expect(parseDecimalAmount('1e5', 'EUR')).toMatch(/decimal number/);
    expect(parseDecimalAmount('0.1', 'ABC')).toMatch(/unknown currency/);
    expect(parseDecimalAmount('99999999999999999999', 'EUR')).toMatch(/range/);
  });

  it('handles amounts beyond 2^53 without precision loss', () => {
    expect(parseDecimalAmount('90071992547409.93', 'USD')).toBe(9007199254740993n);
    expect(formatDecimal(9007199254740993n, 'USD')).toBe('90071992547409.93');
    expect(parseMinorUnits('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseMinorUnits('9223372036854775808')).toMatch(/range/);
  });

  it('formats minor units', () => {
    expect(formatDecimal(5n, 'EUR')).toBe('0.05');
    expect(formatDecimal(-123456n, 'EUR')).toBe('-1234.56');
    expect(formatDecimal(1234n, 'KWD')).toBe('1.234');
    expect(formatDecimal(1234n, 'JPY')).toBe('1234');
    expect(parseMinorUnits('12.5')).toMatch(/not a decimal/);
  });
});
