import type { BureauProviderCode } from '../credit-check.table.js';
import { httpJsonProvider } from './http-json.provider.js';
import type { BureauProvider } from './provider.js';
import { sandboxProvider } from './sandbox.provider.js';

/** Every adapter, by the code stored in credit_bureaus.provider. Adding a bureau: see README.md here. */
export const PROVIDERS: Readonly<Record<BureauProviderCode, BureauProvider>> = {
  sandbox: sandboxProvider,
  http_json: httpJsonProvider,
};
