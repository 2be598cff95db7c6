/**
 * Search normalisation, shared by writes (what is indexed) and reads (what is asked), so both sides fold
 * text the same way: NFKD (full-width → ASCII, ligatures apart), combining marks stripped (é → e),
 * lower case, whitespace collapsed.
 */
export function foldText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

/** Keys for queries shorter than a trigram: every CJK character and CJK pair, and 1–2 letter word prefixes. */
export function searchKeys(folded: string): string[] {
  const keys = new Set<string>();
  for (const run of folded.match(CJK_RUN) ?? []) {
    const chars = [...run];
    chars.forEach((c, i) => {
      keys.add(c);
      if (i + 1 < chars.length) keys.add(c + chars[i + 1]);
    });
  }
  for (const word of folded.replace(CJK_RUN, ' ').split(/[^\p{L}\p{N}]+/u)) {
    const chars = [...word];
    if (chars.length >= 1) keys.add('^' + chars[0]);
    if (chars.length >= 2) keys.add('^' + chars[0] + chars[1]);
  }
  return [...keys];
}

export type SearchPlan =
  | { kind: 'email'; prefix: string }
  | { kind: 'phone'; reversedDigits: string; folded: string }
  | { kind: 'text'; folded: string; like: string | null; keys: string[] };

/** Escapes LIKE metacharacters so a user's % or _ is matched literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

export function planSearch(raw: string): SearchPlan | null {
  const folded = foldText(raw);
  if (!folded) return null;
  if (folded.includes('@')) return { kind: 'email', prefix: folded };
  // Phone-like: digits with the usual separators, enough digits to be selective.
  if (/^\+?[\d\s().-]+$/.test(folded)) {
    const digits = folded.replace(/\D/g, '');
    // Digits are also tried as an email prefix (numeric local parts, e.g. QQ addresses) and an external reference.
    if (digits.length >= 4) return { kind: 'phone', reversedDigits: [...digits].reverse().join(''), folded };
  }
  const compact = folded.replace(/ /g, '');
  const length = [...compact].length;
  if (length >= 3) return { kind: 'text', folded, like: `%${escapeLike(folded)}%`, keys: [] };
  // Too short for trigrams: a CJK query matches any name containing it; a Latin one, word starts.
  const keys = CJK.test(compact) ? [compact] : folded.split(' ').filter(Boolean).map((w) => '^' + w);
  return { kind: 'text', folded, like: null, keys };
}

/** The two indexed search columns of a debtor row, from its names. */
export function debtorSearchColumns(legalName: string, displayName: string): { searchText: string; searchKeys: string[] } {
  const searchText = foldText([legalName, displayName === legalName ? '' : displayName].filter(Boolean).join(' '));
  return { searchText, searchKeys: searchKeys(searchText) };
}
