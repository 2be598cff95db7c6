import { describe, expect, it } from 'vitest';
import { foldText, planSearch, searchKeys } from './debtor.search.js';

describe('search folding', () => {
  it('folds case, accents and full-width forms', () => {
    expect(foldText('  José   ÁLVAREZ ')).toBe('jose alvarez');
    expect(foldText('ＡＢＣ１２３')).toBe('abc123');
    expect(foldText('Zoë Ørsted')).toBe('zoe ørsted');
  });

  it('indexes CJK unigrams and bigrams and Latin word prefixes', () => {
    const keys = searchKeys(foldText('王小明 Wang Xiaoming'));
    expect(keys).toEqual(expect.arrayContaining(['王', '小', '明', '王小', '小明', '^w', '^wa', '^x', '^xi']));
    expect(keys).not.toContain('王明');
  });

  it('plans email, phone, long and short queries', () => {
    expect(planSearch('Wang@Example.com')).toEqual({ kind: 'email', prefix: 'wang@example.com' });
    expect(planSearch('+86 138-0013')).toEqual({ kind: 'phone', reversedDigits: '310083168', folded: '+86 138-0013' });
    expect(planSearch('小明')).toEqual({ kind: 'text', folded: '小明', like: null, keys: ['小明'] });
    expect(planSearch('li')).toEqual({ kind: 'text', folded: 'li', like: null, keys: ['^li'] });
    expect(planSearch('50%_off')?.kind).toBe('text');
    expect(planSearch('50%_off')).toMatchObject({ like: '%50\\%\\_off%' });
    expect(planSearch('   ')).toBeNull();
  });
});
