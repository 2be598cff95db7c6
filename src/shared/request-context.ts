import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/** Request-scoped facts that code far from the HTTP layer needs (error formatting, logging). */
export interface RequestScope {
  requestId: string;
  log: Logger;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();
