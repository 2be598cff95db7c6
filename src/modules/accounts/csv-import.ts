import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import type { Database } from '../../db/client.js';
import type { TenantActor } from '../tenancy/principal.js';
import {
  addCounts,
  AtomicAbort,
  emptyCounts,
  IMPORT_COLUMNS,
  REQUIRED_COLUMNS,
  WRITE_CHUNK,
  type AccountImportService,
  type CleanImportRow,
  type ImportColumn,
  type ImportCounts,
  type ImportRowError,
  type RawImportRow,
} from './account-import.service.js';
import { scopeOf } from './scope.js';

export type Encoding = 'utf-8' | 'gb18030';

/**
 * Decodes a byte stream to text: strips a UTF-8 BOM; with no encoding given, reads UTF-8 and falls back to
 * GB18030 (what Chinese Excel exports) if the first 64 KiB are not valid UTF-8. Also hashes the raw bytes,
 * for the audit record.
 */
export class DecodeStream extends Transform {
  private decoder: InstanceType<typeof TextDecoder> | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;
  readonly hash = createHash('sha256');
  encoding: Encoding | null;
  bytes = 0;

  constructor(encoding: Encoding | null) {
    super({ readableObjectMode: false });
    this.encoding = encoding;
  }

  private start(buf: Buffer): void {
    let body = buf;
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      this.encoding = 'utf-8';
      body = buf.subarray(3);
    }
    if (!this.encoding) {
      try {
        // Cut at the last complete line so a multi-byte character split by the sample does not count.
        const cut = body.lastIndexOf(0x0a);
        new TextDecoder('utf-8', { fatal: true }).decode(cut > 0 ? body.subarray(0, cut) : body);
        this.encoding = 'utf-8';
      } catch {
        this.encoding = 'gb18030';
      }
    }
    this.decoder = new TextDecoder(this.encoding, { fatal: this.encoding === 'utf-8' });
    this.push(this.decoder.decode(body, { stream: true }));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      if (this.decoder) this.push(this.decoder.decode(chunk, { stream: true }));
      else {
        this.head.push(chunk);
        this.headBytes += chunk.length;
        if (this.headBytes >= 65536) this.start(Buffer.concat(this.head));
      }
      cb();
    } catch {
      cb(new CsvFileError(`the file is not valid ${this.encoding ?? 'UTF-8'} text; pass --encoding gb18030 (or utf-8) if it was detected wrongly`));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.decoder) this.start(Buffer.concat(this.head));
      this.push(this.decoder!.decode());
      cb();
    } catch {
      cb(new CsvFileError(`the file is not valid ${this.encoding ?? 'UTF-8'} text`));
    }
  }
}

/** A problem with the file as a whole (encoding, header): nothing can be imported. */
export class CsvFileError extends Error {}

/** The delimiter that splits the header line into the most known column names. */
export function sniffDelimiter(headerLine: string): string {
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t', '|']) {
    const names = headerLine.split(d).map(normaliseHeader);
    const score = names.filter((n) => (IMPORT_COLUMNS as readonly string[]).includes(n)).length;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

export function normaliseHeader(h: string): string {
  return h.trim().replace(/^"|"$/g, '').trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** Checks the header and says exactly what is wrong: missing, unknown and duplicated columns. */
export function checkHeader(header: string[], delimiter: string): ImportColumn[] {
  const names = header.map(normaliseHeader);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n));
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (missing.length || unknown.length || dupes.length) {
    const parts = [
      missing.length ? `missing column(s): ${missing.join(', ')}` : '',
      unknown.length ? `unknown column(s): ${unknown.slice(0, 5).map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}` : '',
      dupes.length ? `duplicated column(s): ${dupes.join(', ')}` : '',
    ].filter(Boolean);
    const hint = names.length === 1 ? ` (the header did not split on "${delimiter === '\t' ? '\\t' : delimiter}": is the delimiter right?)` : '';
    throw new CsvFileError(`bad header: ${parts.join('; ')}${hint}. Expected columns: ${IMPORT_COLUMNS.join(', ')}`);
  }
  return names as ImportColumn[];
}

export interface CsvImportOptions {
  file: string;
  portfolioId: string;
  atomic: boolean;
  encoding: Encoding | null;
  delimiter: string | null;
  batchSize?: number;
  onProgress?: (p: { rows: number; bytes: number; totalBytes: number; counts: ImportCounts; errors: number }) => void;
}

export interface CsvImportResult extends ImportCounts {
  errors: ImportRowError[];
  errorCount: number;
  written: boolean;
  encoding: Encoding | null;
  delimiter: string;
  fileSha256: string;
}

/**
 * The line of the file a record starts on. csv-parse's `info.lines` is the line the record ends on, and inside a
 * quoted field it counts every CR and every LF as a line break, so a CRLF there counts twice and shifts every
 * later record. What it counted inside the fields (CR and LF characters) against the real breaks (CRLF, CR or
 * LF) gives the drift, which accumulates over the file.
 */
export class LineCounter {
  private drift = 0;

  startOf(rec: { record: string[]; info: { lines: number } }): number {
    let counted = 0;
    let breaks = 0;
    for (const f of rec.record) {
      if (f.indexOf('\n') < 0 && f.indexOf('\r') < 0) continue;
      for (let i = 0; i < f.length; i++) {
        const c = f.charCodeAt(i);
        if (c === 10 || c === 13) {
          counted++;
          if (!(c === 13 && f.charCodeAt(i + 1) === 10)) breaks++;
        }
      }
    }
    this.drift += counted - breaks;
    return rec.info.lines - this.drift - breaks;
  }
}

/** The first line of the file, for sniffing the delimiter (header names are ASCII in any supported encoding). */
function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('latin1').replace(/^\xef\xbb\xbf/, '').split(/\r?\n/)[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Streams a CSV of any size into a portfolio in batches (one transaction each), reporting every bad row
 * with its line and column. With `atomic`, a first pass validates the whole file and a second writes it in
 * one transaction, so either every row lands or none does. Each batch's audit event carries the file's hash.
 */
export async function importCsv(db: Database, service: AccountImportService, actor: TenantActor, opts: CsvImportOptions): Promise<CsvImportResult> {
  const { portfolio, today } = await service.target(actor, opts.portfolioId);
  const totalBytes = statSync(opts.file).size;
  const batchSize = opts.batchSize ?? WRITE_CHUNK;
  const delimiter = opts.delimiter ?? sniffDelimiter(firstLine(opts.file));
  const sha256 = await fileSha256(opts.file);
  const s = scopeOf(actor);
  const errors: ImportRowError[] = [];
  let errorCount = 0;
  const keepError = (e: ImportRowError) => {
    errorCount++;
    if (errors.length < 10_000) errors.push(e);
  };

  type Writer = (rows: CleanImportRow[], batchNo: number) => Promise<ImportCounts & { errors: ImportRowError[] }>;
  async function pass(write: Writer | null): Promise<{ counts: ImportCounts; encoding: Encoding | null }> {
    const decode = new DecodeStream(opts.encoding);
    const parser = createReadStream(opts.file)
      .pipe(decode)
      .pipe(parse({ delimiter, relax_column_count: true, skip_empty_lines: true, info: true }));
    decode.on('error', (err) => parser.destroy(err));
    const counts = emptyCounts();
    const seen = new Map<string, number>();
    const failedLines = new Set<number>();
    let columns: ImportColumn[] | null = null;
    let batch: RawImportRow[] = [];
    let batchNo = 0;
    const fail = (e: ImportRowError) => {
      keepError(e);
      failedLines.add(e.line);
    };
    const flush = async () => {
      if (!batch.length) return;
      const { clean, errors: bad } = service.validate(batch, portfolio, today, seen);
      bad.forEach(fail);
      if (write && clean.length) {
        const c = await write(clean, ++batchNo);
        addCounts(counts, c);
        c.errors.forEach(fail);
      }
      counts.failed = failedLines.size;
      batch = [];
      opts.onProgress?.({ rows: counts.rows, bytes: decode.bytes, totalBytes, counts, errors: errorCount });
    };
    const lines = new LineCounter();
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = lines.startOf(rec);
      if (!columns) {
        columns = checkHeader(rec.record, delimiter);
        continue;
      }
      counts.rows++;
      if (rec.record.length !== columns.length) {
        fail({ line, field: '(row)', message: `has ${rec.record.length} fields; the header has ${columns.length}` });
        continue;
      }
      const values: RawImportRow['values'] = {};
      columns.forEach((c, i) => (values[c] = rec.record[i]));
      batch.push({ line, values });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    if (!columns) throw new CsvFileError('the file is empty: no header row');
    return { counts, encoding: decode.encoding };
  }

  const result = (r: { counts: ImportCounts; encoding: Encoding | null }, written: boolean): CsvImportResult => ({
    ...r.counts,
    errors,
    errorCount,
    written,
    encoding: r.encoding,
    delimiter,
    fileSha256: sha256,
  });

  if (opts.atomic) {
    const check = await pass(null);
    if (errorCount > 0) return result(check, false);
    try {
      return await db.tenant(s.db, async (tx) => {
        const r = await pass(async (rows) => {
          const c = await service.writeBatch(tx, actor, portfolio, rows);
          if (c.errors.length) throw new AtomicAbort(c.errors);
          return c;
        });
        await service.recordBatch(tx, actor, portfolio, r.counts, { source: 'csv', fileSha256: sha256 });
        return result(r, true);
      });
    } catch (err) {
      if (!(err instanceof AtomicAbort)) throw err;
      err.errors.forEach(keepError);
      return result({ counts: { ...emptyCounts(), rows: check.counts.rows, failed: new Set(err.errors.map((e) => e.line)).size }, encoding: check.encoding }, false);
    }
  }

  const r = await pass((rows, batchNo) =>
    db.tenant(s.db, async (tx) => {
      const c = await service.writeBatch(tx, actor, portfolio, rows);
      await service.recordBatch(tx, actor, portfolio, { ...c, rows: rows.length, failed: c.errors.length }, { source: 'csv', batch: batchNo, fileSha256: sha256 });
      return c;
    }),
  );
  return result(r, true);
}
