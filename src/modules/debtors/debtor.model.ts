import type { PostalAddressData } from './debtor.table.js';

export const DEBTOR_KINDS = ['person', 'business'] as const;
export type DebtorKind = (typeof DEBTOR_KINDS)[number];
export const RISK_RATINGS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];
export const DEBTOR_FLAGS = ['deceased', 'bankrupt', 'ceaseCommunication', 'vulnerable'] as const;
export type DebtorFlag = (typeof DEBTOR_FLAGS)[number];

export interface ContactInput {
  value: string;
  label?: string | null;
}

export interface AddressInput {
  label?: string | null;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode?: string | null;
  country: string;
}

/** Everything a create may set. Updates use the same shape with every member optional. */
export interface DebtorFields {
  kind: DebtorKind;
  legalName: string;
  displayName?: string | null;
  externalRef?: string | null;
  emails?: ContactInput[] | null;
  phones?: ContactInput[] | null;
  addresses?: AddressInput[] | null;
  preferredLanguage?: string | null;
  timeZone?: string | null;
  dateOfBirth?: string | null;
  nationalId?: string | null;
  deceased?: boolean | null;
  bankrupt?: boolean | null;
  ceaseCommunication?: boolean | null;
  vulnerable?: boolean | null;
  tags?: string[] | null;
  notes?: string | null;
  riskRating?: RiskRating | null;
}

export type DebtorPatch = Partial<DebtorFields>;

export interface CleanContact {
  value: string;
  searchValue: string;
  label: string | null;
}

/** A validated, normalised debtor: what the repository writes. */
export interface CleanDebtor {
  kind: DebtorKind;
  legalName: string;
  displayName: string;
  externalRef: string | null;
  emails: CleanContact[];
  phones: CleanContact[];
  addresses: PostalAddressData[];
  preferredLanguage: string | null;
  timeZone: string | null;
  dateOfBirth: string | null;
  deceased: boolean;
  bankrupt: boolean;
  ceaseCommunication: boolean;
  vulnerable: boolean;
  tags: string[];
  notes: string | null;
  riskRating: RiskRating | null;
}

export const LIMITS = {
  name: 200,
  notes: 10_000,
  externalRef: 100,
  contacts: 10,
  addresses: 5,
  addressLine: 200,
  label: 50,
  tags: 30,
  tag: 50,
  nationalId: 64,
  archiveReason: 500,
} as const;
