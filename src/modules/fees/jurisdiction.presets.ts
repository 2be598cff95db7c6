import type { JurisdictionCap } from './late-fee.logic.js';

/**
 * Legal ceilings shipped as data. They change (rates move, amounts are re-indexed), so a tenant's own row
 * for the same code replaces a preset entirely (`setJurisdictionFeeCap`); the values below are as of
 * late 2026 and each names its source. The engine applies them to the late charges it adds itself.
 */
export const JURISDICTION_PRESETS: readonly JurisdictionCap[] = [
  {
    // Supreme People's Court, Provisions on Private Lending (2020 amendment), Art. 25: interest and other
    // charges above four times the one-year Loan Prime Rate at contract time are not supported. The one-year
    // LPR has been 3.00 % since 20 May 2025 (PBOC / National Interbank Funding Center), so 4 × 3.00 % = 12 %.
    code: 'CN',
    name: 'China private lending limit (4 × one-year LPR)',
    annualRateBps: 1200n,
    currency: null,
    maxFirstAssessment: null,
    maxLaterAssessment: null,
    source: 'SPC Provisions on Private Lending (2020) art. 25; one-year LPR 3.00 % (20 May 2025)',
  },
  {
    // Late Payment of Commercial Debts (Interest) Act 1998 and the Late Payment of Commercial Debts
    // (Rate of Interest) (No. 3) Order 2002: statutory interest at 8 % over the Bank of England reference
    // rate. Bank Rate 4.00 % (MPC decision of 7 August 2025) gives 12 %. Business-to-business debts only.
    code: 'GB',
    name: 'UK statutory interest on business debts (BoE base rate + 8 %)',
    annualRateBps: 1200n,
    currency: null,
    maxFirstAssessment: null,
    maxLaterAssessment: null,
    source: 'Late Payment of Commercial Debts (Interest) Act 1998; SI 2002/1675; Bank Rate 4.00 % (Aug 2025)',
  },
  {
    // Regulation Z, 12 CFR 1026.52(b)(1)(ii): credit-card late-fee safe harbour, $30 for a first late
    // payment and $41 for another within the next six billing cycles (2024 inflation adjustment; the CFPB's
    // 2024 $8 rule was vacated in April 2025, so these amounts apply).
    code: 'US',
    name: 'US card late-fee safe harbour (Reg. Z 1026.52(b))',
    annualRateBps: null,
    currency: 'USD',
    maxFirstAssessment: 3000n,
    maxLaterAssessment: 4100n,
    source: '12 CFR 1026.52(b)(1)(ii)(A)-(B), as adjusted for 2024',
  },
];
