import { existsSync } from 'node:fs';
import { importCsv, CsvFileError, type Encoding } from '../src/modules/accounts/csv-import.js';
import { systemActor } from '../src/modules/tenancy/principal.js';
import { isUuid } from '../src/shared/ids.js';
import { argValue, runCli, withServices } from './cli.js';

/**
 * npm run import -- --tenant <id> --portfolio <id> file.csv [--atomic] [--encoding utf-8|gb18030] [--delimiter ,]
 * Streams the file; bad rows are listed with line and column; exit 1 if any row failed.
 */
const USAGE = 'usage: npm run import -- --tenant <tenant id> --portfolio <portfolio id> <file.csv> [--atomic] [--encoding utf-8|gb18030] [--delimiter ","]';
const tenant = argValue('--tenant');
const portfolio = argValue('--portfolio');
const encoding = argValue('--encoding');
const delimiterArg = argValue('--delimiter');
const flagsWithValue = new Set(['--tenant', '--portfolio', '--encoding', '--delimiter']);
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !flagsWithValue.has(all[i - 1] ?? ''));
const file = positional[0];

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
if (!tenant || !portfolio || !file) fail(USAGE);
if (!isUuid(tenant)) fail('--tenant must be a tenant id (UUID)');
if (!existsSync(file)) fail(`no such file: ${file}`);
if (encoding && encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'gb18030') fail('--encoding must be utf-8 or gb18030');
const delimiter = delimiterArg === '\\t' || delimiterArg === 'tab' ? '\t' : (delimiterArg ?? null);
if (delimiter !== null && delimiter.length !== 1) fail('--delimiter must be one character (or "tab")');

function duration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

const started = Date.now();
const tty = process.stderr.isTTY;
let lastDraw = 0;

await runCli(() =>
  withServices(async (services, _config, db) => {
    const actor = systemActor(tenant, 'csv-import', `import-${started}`);
    try {
      const r = await importCsv(db, services.accountImport, actor, {
        file,
        portfolioId: portfolio,
        atomic: process.argv.includes('--atomic'),
        encoding: encoding ? ((encoding === 'utf8' ? 'utf-8' : encoding) as Encoding) : null,
        delimiter,
        onProgress: ({ rows, bytes, totalBytes, errors }) => {
          const now = Date.now();
          if (now - lastDraw < 200) return;
          lastDraw = now;
          const secs = (now - started) / 1000;
          const rate = rows / Math.max(secs, 0.001);
          const frac = totalBytes ? bytes / totalBytes : 0;
          const eta = frac > 0 ? secs / frac - secs : Infinity;
          const width = 30;
          const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
          const line = `[${bar}] ${(frac * 100).toFixed(1)}%  ${rows.toLocaleString('en')} rows  ${Math.round(rate).toLocaleString('en')} rows/s  ETA ${duration(eta)}  errors ${errors}`;
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      const secs = (Date.now() - started) / 1000;
      for (const e of r.errors.slice(0, 200)) console.error(`line ${e.line}: ${e.field}: ${e.message}`);
      if (r.errorCount > 200) console.error(`… and ${r.errorCount - 200} more errors`);
      console.log(
        `${r.written ? '' : 'NOTHING WRITTEN (atomic import with errors). '}` +
          `rows ${r.rows}, accounts created ${r.accountsCreated}, unchanged ${r.accountsUnchanged}, debtors created ${r.debtorsCreated}, updated ${r.debtorsUpdated}, ` +
          `failed rows ${r.failed}; ${secs.toFixed(1)} s (${Math.round(r.rows / Math.max(secs, 0.001))} rows/s); encoding ${r.encoding}, delimiter ${JSON.stringify(r.delimiter)}, sha256 ${r.fileSha256}`,
      );
      if (r.errorCount > 0) process.exitCode = 1;
    } catch (err) {
      if (err instanceof CsvFileError) fail(`${file}: ${err.message}`);
      throw err;
    }
  }),
);
