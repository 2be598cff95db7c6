import { describe, expect, it } from 'vitest';
import { validateDebtor } from '../modules/debtors/debtor.validation.js';
import { demoDebtors } from './seed.js';

describe('demo data', () => {
  it('is about fifty debtors that all pass the same validation as the API', () => {
    const list = demoDebtors();
    expect(list.length).toBeGreaterThanOrEqual(45);
    for (const d of list) expect(() => validateDebtor(d, d.nationalId, new Date())).not.toThrow();
    expect(list.some((d) => /\p{Script=Han}/u.test(d.legalName))).toBe(true);
    expect(new Set(list.map((d) => d.timeZone)).size).toBeGreaterThan(10);
    expect(list.filter((d) => d.ceaseCommunication || d.deceased || d.bankrupt || d.vulnerable).length).toBeGreaterThan(3);
  });
});
