import { describe, expect, it } from 'vitest';
import { addDays, addMonths, daysBetween, endOfMonth } from './dates.js';

/** The arithmetic versions must agree with the Date-based definitions they replace, day by day. */
const viaDate = (d: string, n: number) => new Date((Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 86_400_000 + n) * 86_400_000).toISOString().slice(0, 10);

describe('dates', () => {
  it('addDays and daysBetween agree with Date for every day from 1900 to 2119', () => {
    let d = '1900-01-01';
    for (let i = 0; i < 80_000; i++) {
      expect(addDays(d, 1)).toBe(viaDate(d, 1));
      expect(addDays(d, -400)).toBe(viaDate(d, -400));
      expect(daysBetween('1970-01-01', d)).toBe(Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 86_400_000);
      d = viaDate(d, 1);
    }
  });

  it('month ends and month arithmetic clamp to the last day', () => {
    expect(endOfMonth('2028-02-10')).toBe('2028-02-29');
    expect(endOfMonth('2100-02-01')).toBe('2100-02-28');
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2027-01-31', 2)).toBe('2027-03-31');
    expect(addMonths('2027-12-15', 1)).toBe('2028-01-15');
    expect(addMonths('2027-03-31', -1)).toBe('2027-02-28');
  });
});
