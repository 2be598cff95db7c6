import { formatDecimal } from '../../shared/money.js';
import type { Money } from './account.type.js';

export function money(minor: bigint, currency: string): Money {
  return { minor, currency, decimal: formatDecimal(minor, currency) };
}
