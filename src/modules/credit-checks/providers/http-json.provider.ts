import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { PrivateAddressError, publicOnlyLookup } from '../../../shared/network.js';
import type { FieldMapping } from '../credit-check.table.js';
import { BureauError, type BureauProvider, type NormalizedReport, type PullRequest } from './provider.js';

/** Bureau answers larger than this are refused unread: a report is a few kilobytes. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_RETRY_AFTER_MS = 60_000;

/** Defaults follow a common shape; each tenant maps its bureau's own paths (credit_bureaus.field_mapping). */
export const DEFAULT_MAPPING: Required<{ [K in keyof FieldMapping]: string }> = {
  score: 'score.value',
  scoreModel: 'score.model',
  delinquencies: 'summary.delinquencies',
  tradelines: 'summary.tradelines',
  publicRecords: 'summary.publicRecords',
  inquiries: 'summary.inquiries',
  noHit: 'noHit',
  fraudAlert: 'fraudAlert',
};

function at(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const s = Number(header);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, Math.min(ms, MAX_RETRY_AFTER_MS)) : null;
}

interface BureauResponse {
  status: number;
  header(name: string): string | null;
  /** The decoded body, at most MAX_RESPONSE_BYTES (too_large beyond, read no further). */
  text(): Promise<string>;
  discard(): void;
}

/**
 * One POST with node:http(s): no redirects followed, the caller's signal as the deadline, and (unless private
 * addresses are allowed) a lookup that refuses to connect to loopback, private or link-local addresses.
 */
function post(url: URL, body: string, headers: Record<string, string>, signal: AbortSignal, allowPrivate: boolean): Promise<BureauResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'accept-encoding': 'gzip, deflate, br' }, signal, ...(allowPrivate ? {} : { lookup: publicOnlyLookup }) },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? NaN);
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          discard: () => res.destroy(),
          text: async () => {
            if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) {
              res.destroy();
              throw new BureauError('too_large', `bureau answer of ${declared} bytes exceeds ${MAX_RESPONSE_BYTES}`, false);
            }
            const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
            const decoded: Readable =
              encoding === 'gzip' ? res.pipe(createGunzip()) : encoding === 'deflate' ? res.pipe(createInflate()) : encoding === 'br' ? res.pipe(createBrotliDecompress()) : res;
            // A reset connection surfaces on the response; make it surface on the stream being read too.
            if (decoded !== res) res.on('error', (e) => decoded.destroy(e));
            const chunks: Buffer[] = [];
            let size = 0;
            for await (const chunk of decoded) {
              size += (chunk as Buffer).length;
              if (size > MAX_RESPONSE_BYTES) {
                res.destroy();
                decoded.destroy();
                throw new BureauError('too_large', `bureau answer exceeds ${MAX_RESPONSE_BYTES} bytes`, false);
              }
              chunks.push(chunk as Buffer);
            }
            if (!res.complete) throw new BureauError('network', 'the connection closed before the answer was complete', true);
            return Buffer.concat(chunks).toString('utf8');
          },
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A count the bureau must give as a whole number ≥ 0 (absent: 0, as bureaus omit empty sections). */
function count(doc: unknown, path: string, name: string): number {
  const v = at(doc, path);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000_000) throw new BureauError('malformed', `bureau answer: ${name} at "${path}" is not a whole number ≥ 0`, false);
  return v;
}

function flag(doc: unknown, path: string, name: string): boolean {
  const v = at(doc, path);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new BureauError('malformed', `bureau answer: ${name} at "${path}" is not true/false`, false);
  return v;
}

export function normalize(doc: unknown, mapping: FieldMapping): NormalizedReport {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new BureauError('malformed', 'bureau answer is not a JSON object', false);
  const m = { ...DEFAULT_MAPPING, ...Object.fromEntries(Object.entries(mapping).filter(([, v]) => v)) };
  const noHit = flag(doc, m.noHit, 'noHit');
  const rawScore = at(doc, m.score);
  let score: number | null = null;
  if (rawScore !== undefined && rawScore !== null) {
    if (typeof rawScore !== 'number' || !Number.isInteger(rawScore) || rawScore < 0 || rawScore > 1000) throw new BureauError('malformed', `bureau answer: score at "${m.score}" is not a whole number from 0 to 1000`, false);
    score = rawScore;
  }
  const model = at(doc, m.scoreModel);
  if (model !== undefined && model !== null && typeof model !== 'string') throw new BureauError('malformed', `bureau answer: scoreModel at "${m.scoreModel}" is not text`, false);
  const tradelines = count(doc, m.tradelines, 'tradelines');
  return {
    noHit,
    thinFile: !noHit && (score === null || tradelines < 2),
    fraudAlert: flag(doc, m.fraudAlert, 'fraudAlert'),
    score: noHit ? null : score,
    scoreModel: typeof model === 'string' ? model.slice(0, 100) : null,
    delinquencies: count(doc, m.delinquencies, 'delinquencies'),
    tradelines,
    publicRecords: count(doc, m.publicRecords, 'publicRecords'),
    inquiries: count(doc, m.inquiries, 'inquiries'),
    raw: doc,
  };
}

/**
 * A bureau that speaks JSON over HTTPS: one POST per pull to the configured URL, with the credential as a
 * bearer token, the subscriber code, permissible purpose and inquiry type, and the consumer's identity (the
 * request shape follows Experian's Credit Profile API). Redirects are not followed; unless private addresses
 * are allowed, the connection is refused when the host resolves to one (a check of the URL alone would miss a
 * public name pointing at 169.254.169.254).
 */
export const httpJsonProvider: BureauProvider = {
  code: 'http_json',
  requiredFields: ['legalName', 'dateOfBirth', 'address'],
  async pull(req: PullRequest, config, signal): Promise<NormalizedReport> {
    if (!config.baseUrl) throw new BureauError('bureau_error', 'the bureau has no URL configured', false);
    const body = JSON.stringify({
      subscriberCode: config.subscriberCode,
      permissiblePurpose: req.purpose,
      inquiryType: req.pullType,
      consentReference: req.consentReference,
      consumer: {
        name: req.subject.legalName,
        dob: req.subject.dateOfBirth,
        nationalId: req.subject.nationalId,
        currentAddress: req.subject.address,
      },
    });
    let res: BureauResponse;
    try {
      res = await post(new URL(config.baseUrl), body, { 'content-type': 'application/json', accept: 'application/json', ...(config.credential ? { authorization: `Bearer ${config.credential}` } : {}) }, signal, config.allowPrivateAddresses);
    } catch (err) {
      if (err instanceof PrivateAddressError) throw new BureauError('bureau_error', `refused to connect: ${err.message}`, false);
      if (signal.aborted) throw new BureauError('timeout', `no answer within ${config.timeoutMs} ms`, true);
      throw new BureauError('network', `could not reach the bureau (${(err as NodeJS.ErrnoException).code ?? 'connection error'})`, true);
    }
    let text: string;
    try {
      if (res.status === 429) {
        res.discard();
        throw new BureauError('rate_limited', 'bureau answered 429 Too Many Requests', true, retryAfterMs(res.header('retry-after')));
      }
      if (res.status >= 500) {
        res.discard();
        throw new BureauError('http_5xx', `bureau answered ${res.status}`, true, retryAfterMs(res.header('retry-after')));
      }
      if (res.status < 200 || res.status >= 300) {
        res.discard();
        throw new BureauError('http_4xx', `bureau answered ${res.status}`, false);
      }
      const type = (res.header('content-type') ?? '').toLowerCase();
      if (!type.includes('json')) {
        res.discard();
        throw new BureauError('not_json', `bureau answered ${type || 'no content type'} instead of JSON (an error page?)`, false);
      }
      text = await res.text();
    } catch (err) {
      if (err instanceof BureauError) throw err;
      if (signal.aborted) throw new BureauError('timeout', `the answer did not finish within ${config.timeoutMs} ms`, true);
      throw new BureauError('network', 'the connection failed while reading the answer', true);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new BureauError('malformed', 'bureau answer is not valid JSON', false);
    }
    return normalize(doc, config.fieldMapping);
  },
};
