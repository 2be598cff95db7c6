import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PrivateAddressError, publicOnlyLookup } from '../../shared/network.js';
import { checkReceiverUrl, type UrlPolicy } from './webhook.logic.js';

/** What the delivery log keeps of an answer. */
export const EXCERPT_BYTES = 1024;
/**
 * Read (and throw away) at most this much of an answer so the keep-alive connection can carry the next request;
 * past it the connection is dropped. A receiver has nothing to tell us beyond its status.
 */
const DRAIN_BYTES = 64 * 1024;
export const USER_AGENT = 'Arrears-Webhooks/1';

export interface SendResult {
  /** null: no answer (refused, timed out, connection failed). */
  statusCode: number | null;
  /** The answer arrived whole (or we stopped reading it on purpose, past DRAIN_BYTES). */
  complete: boolean;
  /** Why the attempt failed to get a whole answer, in words; null when it got one. */
  error: string | null;
  /** The first EXCERPT_BYTES of the answer, as text. */
  excerpt: string | null;
  durationMs: number;
}

export interface SenderOptions extends UrlPolicy {
  timeoutMs: number;
}

// PostgreSQL text cannot hold NUL; other controls are harmless but unreadable in a log.
const UNPRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function excerptOf(bytes: Buffer): string | null {
  if (!bytes.length) return null;
  // A multi-byte character cut at the limit decodes as U+FFFD: acceptable in an excerpt.
  return bytes.subarray(0, EXCERPT_BYTES).toString('utf8').replace(UNPRINTABLE, '');
}

function describe(err: unknown, timedOut: boolean, timeoutMs: number, phase: 'connect' | 'body'): string {
  if (timedOut) return phase === 'connect' ? `timeout: no answer within ${timeoutMs} ms` : `timeout: the answer did not finish within ${timeoutMs} ms`;
  if (err instanceof PrivateAddressError) return `refused: ${err.message}`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (phase === 'body') return `connection closed before the answer was complete${code ? ` (${code})` : ''}`;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset before an answer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${code})`;
    default:
      return code ? `connection failed (${code})` : 'connection failed';
  }
}

/**
 * Sends webhook requests with node:http(s): POST, no redirects followed (a 3xx is an answer like any other),
 * one deadline for the whole exchange (connect, request, answer), at most EXCERPT_BYTES of the answer kept.
 * Unless private addresses are allowed, the URL is checked again before each attempt and the connection is made
 * through a lookup that refuses private addresses (a public name pointing at 169.254.169.254 is caught there).
 * One keep-alive agent per sender: a worker reuses its connections to a receiver across deliveries.
 */
export class WebhookSender {
  private readonly http = new HttpAgent({ keepAlive: true, maxFreeSockets: 256 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 });

  constructor(private readonly options: SenderOptions) {}

  async send(rawUrl: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const checked = checkReceiverUrl(rawUrl, this.options);
    if ('problem' in checked) return { statusCode: null, complete: false, error: `refused: the URL ${checked.problem}`, excerpt: null, durationMs: 0 };
    const url = new URL(checked.url);
    const secure = url.protocol === 'https:';
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const post = () =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = (secure ? httpsRequest : httpRequest)(
          url,
          {
            method: 'POST',
            agent: secure ? this.https : this.http,
            signal,
            headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT, accept: '*/*' },
            ...(this.options.allowPrivateUrls ? {} : { lookup: publicOnlyLookup }),
          },
          resolve,
        );
        req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
        req.end(body);
      });
    let res: IncomingMessage;
    try {
      try {
        res = await post();
      } catch (err) {
        // A kept-alive connection the receiver closed while idle fails as soon as it is reused, before the receiver
        // saw anything: one more try on a fresh connection, within the same deadline.
        const e = err as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (!e.reusedSocket || signal.aborted || (e.code !== 'ECONNRESET' && e.code !== 'EPIPE')) throw err;
        res = await post();
      }
    } catch (err) {
      return { statusCode: null, complete: false, error: describe(err, signal.aborted, this.options.timeoutMs, 'connect'), excerpt: null, durationMs: elapsed() };
    }
    const statusCode = res.statusCode ?? 0;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let read = 0;
    try {
      for await (const chunk of res) {
        const b = chunk as Buffer;
        read += b.length;
        if (keptBytes < EXCERPT_BYTES) {
          kept.push(b.subarray(0, EXCERPT_BYTES - keptBytes));
          keptBytes += Math.min(b.length, EXCERPT_BYTES - keptBytes);
        }
        if (read > DRAIN_BYTES) {
          // Enough: the status is what counts. The connection cannot be reused with an unread body on it.
          res.destroy();
          return { statusCode, complete: true, error: null, excerpt: excerptOf(Buffer.concat(kept)), durationMs: elapsed() };
        }
      }
      if (!res.complete) throw Object.assign(new Error('incomplete'), { code: 'ECONNRESET' });
    } catch (err) {
      res.destroy();
      return { statusCode, complete: false, error: describe(err, signal.aborted, this.options.timeoutMs, 'body'), excerpt: excerptOf(Buffer.concat(kept)), durationMs: elapsed() };
    }
    return { statusCode, complete: true, error: null, excerpt: excerptOf(Buffer.concat(kept)), durationMs: elapsed() };
  }

  /** Closes idle keep-alive connections (a stopping worker). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
