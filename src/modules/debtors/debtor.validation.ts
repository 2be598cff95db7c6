import { AppError } from '../../shared/errors.js';
import {
  countryCode,
  dateOfBirth,
  email,
  freeText,
  languageTag,
  lineText,
  phoneE164,
  Problems,
  timeZone,
} from '../../shared/validation.js';
import type { PostalAddressData } from './debtor.table.js';
import { LIMITS, type AddressInput, type CleanContact, type CleanDebtor, type ContactInput, type DebtorFields } from './debtor.model.js';

const opt = (v: string | null | undefined): string | null => (v == null || v.trim() === '' ? null : v);

function contacts(p: Problems, field: string, list: ContactInput[], kind: 'email' | 'phone'): CleanContact[] {
  if (list.length > LIMITS.contacts) p.add(field, `at most ${LIMITS.contacts} entries`);
  const seen = new Set<string>();
  return list.map((c, i) => {
    const f = `${field}.${i}`;
    const value = kind === 'email' ? email(p, `${f}.address`, c.value) : phoneE164(p, `${f}.number`, c.value);
    const searchValue = kind === 'email' ? value.toLowerCase() : [...value.replace(/\D/g, '')].reverse().join('');
    if (seen.has(searchValue)) p.add(f, 'duplicates an earlier entry');
    seen.add(searchValue);
    const label = opt(c.label) === null ? null : lineText(p, `${f}.label`, c.label!, LIMITS.label);
    return { value, searchValue, label };
  });
}

function addresses(p: Problems, field: string, list: AddressInput[]): PostalAddressData[] {
  if (list.length > LIMITS.addresses) p.add(field, `at most ${LIMITS.addresses} entries`);
  return list.map((a, i) => {
    const f = `${field}.${i}`;
    const o = (name: keyof AddressInput, max: number) => {
      const v = opt(a[name] as string | null | undefined);
      return v === null ? null : lineText(p, `${f}.${name}`, v, max);
    };
    return {
      label: o('label', LIMITS.label),
      line1: lineText(p, `${f}.line1`, a.line1, LIMITS.addressLine),
      line2: o('line2', LIMITS.addressLine),
      city: lineText(p, `${f}.city`, a.city, 100),
      region: o('region', 100),
      postalCode: o('postalCode', 20),
      country: countryCode(p, `${f}.country`, a.country),
    };
  });
}

function tags(p: Problems, field: string, list: string[]): string[] {
  if (list.length > LIMITS.tags) p.add(field, `at most ${LIMITS.tags} tags`);
  const out: string[] = [];
  list.forEach((t, i) => {
    const v = lineText(p, `${field}.${i}`, t, LIMITS.tag);
    if (v && !/^[\p{L}\p{N}][\p{L}\p{N} _.:/-]*$/u.test(v)) p.add(`${field}.${i}`, 'may contain letters, digits, space, _ . : / - and must start with a letter or digit');
    if (!out.includes(v)) out.push(v);
  });
  return out;
}

export interface ValidatedDebtor {
  debtor: CleanDebtor;
  /** undefined: leave as is; null: remove; string: set (normalised, not yet encrypted). */
  nationalId: string | null | undefined;
}

/**
 * Validates a whole debtor (after merging a patch onto the stored one) and reports every problem at once,
 * each under `input.<field>` so clients can point at the form field.
 */
export function validateDebtor(input: DebtorFields, nationalId: string | null | undefined, today: Date): ValidatedDebtor {
  const p = new Problems();
  const legalName = lineText(p, 'input.legalName', input.legalName, LIMITS.name);
  const displayName = opt(input.displayName) === null ? legalName : lineText(p, 'input.displayName', input.displayName!, LIMITS.name);
  const externalRef = opt(input.externalRef) === null ? null : lineText(p, 'input.externalRef', input.externalRef!, LIMITS.externalRef);
  let cleanNationalId = nationalId;
  if (typeof nationalId === 'string') {
    // Spaces and dashes are formatting; what remains must look like an identifier. The value is never echoed.
    const v = nationalId.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
    if (!/^[A-Z0-9]{4,64}$/.test(v)) p.add('input.nationalId', 'must be 4 to 64 letters or digits (spaces and dashes are ignored)');
    cleanNationalId = v;
  }
  const debtor: CleanDebtor = {
    kind: input.kind,
    legalName,
    displayName,
    externalRef,
    emails: contacts(p, 'input.emails', input.emails ?? [], 'email'),
    phones: contacts(p, 'input.phones', input.phones ?? [], 'phone'),
    addresses: addresses(p, 'input.addresses', input.addresses ?? []),
    preferredLanguage: opt(input.preferredLanguage) === null ? null : languageTag(p, 'input.preferredLanguage', input.preferredLanguage!),
    timeZone: opt(input.timeZone) === null ? null : timeZone(p, 'input.timeZone', input.timeZone!),
    dateOfBirth: opt(input.dateOfBirth) === null ? null : dateOfBirth(p, 'input.dateOfBirth', input.dateOfBirth!, today),
    deceased: input.deceased ?? false,
    bankrupt: input.bankrupt ?? false,
    ceaseCommunication: input.ceaseCommunication ?? false,
    vulnerable: input.vulnerable ?? false,
    tags: tags(p, 'input.tags', input.tags ?? []),
    notes: input.notes == null || input.notes === '' ? null : freeText(p, 'input.notes', input.notes, LIMITS.notes),
    riskRating: input.riskRating ?? null,
  };
  if (debtor.kind === 'business' && debtor.dateOfBirth) p.add('input.dateOfBirth', 'a business has no date of birth');
  if (!p.empty) throw AppError.badInputMany(p.list);
  return { debtor, nationalId: cleanNationalId };
}
