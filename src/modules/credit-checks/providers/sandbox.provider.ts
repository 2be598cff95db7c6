import { createHash } from 'node:crypto';
import { BureauError, type BureauProvider, type NormalizedReport, type PullRequest } from './provider.js';

/**
 * A deterministic bureau for demos and tests: the same subject always gets the same report, computed from a
 * hash of the national id (or name and date of birth). Test subjects, chosen by the national id's last four
 * characters (documented in providers/README.md):
 *   0000 no hit · 0001 thin file · 0002 high risk · 0003 fraud alert · 0500 bureau error (retryable, always)
 *   0400 request refused (not retryable)
 * Anything else: a score from 300 to 850 with figures that agree with it.
 */
export const sandboxProvider: BureauProvider = {
  code: 'sandbox',
  requiredFields: ['legalName', 'nationalId'],
  async pull(req: PullRequest, _config, signal): Promise<NormalizedReport> {
    if (signal.aborted) throw new BureauError('timeout', 'sandbox: aborted', true);
    const id = req.subject.nationalId ?? '';
    const tail = id.slice(-4);
    if (tail === '0500') throw new BureauError('http_5xx', 'sandbox: bureau answered 500', true);
    if (tail === '0400') throw new BureauError('http_4xx', 'sandbox: bureau refused the request (400)', false);
    const seed = createHash('sha256').update(`${id}|${req.subject.legalName}|${req.subject.dateOfBirth ?? ''}`).digest();
    const base = { noHit: false, thinFile: false, fraudAlert: false, scoreModel: 'SANDBOX-FICO8', raw: null as unknown };
    let r: Omit<NormalizedReport, 'raw'> & { raw: unknown };
    if (tail === '0000') r = { ...base, noHit: true, score: null, scoreModel: null, delinquencies: 0, tradelines: 0, publicRecords: 0, inquiries: 0 };
    else if (tail === '0001') r = { ...base, thinFile: true, score: null, delinquencies: 0, tradelines: 1, publicRecords: 0, inquiries: 1 };
    else if (tail === '0002') r = { ...base, score: 512, delinquencies: 4, tradelines: 9, publicRecords: 1, inquiries: 6 };
    else if (tail === '0003') r = { ...base, fraudAlert: true, score: 700, delinquencies: 0, tradelines: 5, publicRecords: 0, inquiries: 2 };
    else {
      const score = 300 + (seed.readUInt16BE(0) % 551);
      const delinquencies = score >= 700 ? 0 : score >= 600 ? seed[2]! % 2 : 1 + (seed[2]! % 4);
      r = { ...base, score, delinquencies, tradelines: 2 + (seed[3]! % 12), publicRecords: score < 550 ? seed[4]! % 2 : 0, inquiries: seed[5]! % 5 };
    }
    r.raw = {
      bureau: 'sandbox',
      reportNumber: seed.subarray(0, 6).toString('hex'),
      permissiblePurpose: req.purpose,
      inquiryType: req.pullType,
      consumer: { name: req.subject.legalName, dob: req.subject.dateOfBirth },
      summary: { ...r, raw: undefined },
    };
    return r as NormalizedReport;
  },
};
