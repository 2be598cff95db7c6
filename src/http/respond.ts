import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../shared/errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A GraphQL-shaped error for failures before GraphQL runs (auth, body), so clients parse one format. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, requestId: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, requestId, ...extra } }] });
}
