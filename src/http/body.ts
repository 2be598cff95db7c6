import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

/** The client closed the connection before its request body was read: there is no one left to answer. */
export class ClientClosed extends Error {}

/** Reads the body up to `limit` bytes; stops reading (and rejects) as soon as it is over. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readRawBody(req, limit)).toString('utf8');
}

/** The body's exact bytes (a signature is computed over them, not over a re-decoded string). */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    // A request whose connection closed before its body was read (say, while the handler awaited the key
    // lookup) emits nothing more: no 'data', 'end' or 'error'. Unsettled, the promise would keep the
    // request in flight forever, and shutdown would wait out its whole grace period for it.
    if (req.destroyed && !req.readableEnded) {
      reject(new ClientClosed());
      return;
    }
    req.on('close', () => {
      if (!req.readableEnded) reject(new ClientClosed());
    });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
