import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * A credit bureau played by a node:http server on 127.0.0.1 (port 0). Each request is recorded (method, path,
 * headers, body) and answered by the next scripted reply, or by the standing reply once the queue is empty.
 */

export interface BureauRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

/** How to answer one request. `n` is the request's position (0-based). */
export type Reply = (res: ServerResponse, req: BureauRequest, n: number) => void | Promise<void>;

export interface FakeBureau {
  /** The endpoint to give createCreditBureau. */
  url: string;
  requests: BureauRequest[];
  /** Replies used in order, one per request. */
  queue(...replies: Reply[]): void;
  /** The reply once the queue is empty (default: 500). */
  always(reply: Reply): void;
  close(): Promise<void>;
}

/** Also plays a webhook receiver (standing reply 204): one error listener per connection, so kept-alive connections do not pile up listeners. */
export async function startFakeBureau(path = '/v1/credit-profile', standingReply: Reply = status(500, 'no reply scripted')): Promise<FakeBureau> {
  const requests: BureauRequest[] = [];
  const queued: Reply[] = [];
  let standing: Reply = standingReply;
  const server = createServer((req, res) => {
    res.on('error', () => {});
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const rec: BureauRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      const n = requests.push(rec) - 1;
      const reply = queued.shift() ?? standing;
      Promise.resolve(reply(res, rec, n)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    queue: (...r) => void queued.push(...r),
    always: (r) => void (standing = r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1/credit-profile`;
}

// Replies

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function json(body: unknown, code = 200, headers: Record<string, string> = {}): Reply {
  return (res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };
}

/** A JSON answer computed from the request (e.g. echoing the consumer back, as bureaus do). */
export function jsonFrom(build: (req: BureauRequest) => unknown): Reply {
  return (res, req, n) => json(build(req))(res, req, n);
}

export function status(code: number, text = '', headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(code, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };
}

export function html(code: number, page: string): Reply {
  return (res) => {
    res.writeHead(code, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(page)) });
    res.end(page);
  };
}

/** Never answers (the client's timeout ends it). */
export const hang: Reply = () => {};

/** Answers `reply` after `ms`. */
export function delayed(ms: number, reply: Reply): Reply {
  return async (res, req, n) => {
    await sleep(ms);
    await reply(res, req, n);
  };
}

/** Headers and the start of a JSON body, then the connection is destroyed mid-body. */
export const cutMidBody: Reply = (res) => {
  const text = JSON.stringify({ score: { value: 700, model: 'X' }, summary: { tradelines: 4 }, padding: 'x'.repeat(2000) });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.write(text.slice(0, 40));
  setTimeout(() => res.socket?.destroy(), 30);
};

/** Headers and the start of a body, then nothing more (the body stalls until the client gives up). */
export const stallMidBody: Reply = (res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
  res.write('{"score": {"value": 7');
};

/** A JSON answer of `bytes` bytes, declared with content-length or streamed chunked without one. */
export function huge(bytes: number, declared: boolean): Reply {
  return (res) => {
    const head = '{"score":{"value":700},"padding":"';
    const tail = '"}';
    const fill = bytes - head.length - tail.length;
    res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(bytes) } : {}) });
    res.write(head);
    const chunk = 'x'.repeat(64 * 1024);
    let left = fill;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(chunk.slice(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(tail);
    };
    res.socket?.on('close', () => {
      left = 0;
    });
    pump();
  };
}

/** A gzip-encoded JSON answer that is small on the wire and `bytes` long once inflated. */
export function gzipBomb(bytes: number): Reply {
  const doc = `{"score":{"value":700},"padding":"${'0'.repeat(bytes)}"}`;
  const body = gzipSync(doc);
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
    res.end(body);
  };
}
