import { expect } from 'vitest';
import { pgErrorOf } from '../src/shared/db-errors.js';
import type { AdminQuery, Harness } from './harness.js';

/**
 * Raw SQL below the application layer, for the RLS and append-only tests: every helper runs in one admin
 * transaction on one connection that is always rolled back (on PGlite it also holds the database's queue).
 */

/** Runs `fn` as the superuser (the tables' owner) in a transaction that is always rolled back. */
export async function rolledBack<T>(h: Harness, fn: (q: AdminQuery) => Promise<T>): Promise<T> {
  const ROLLBACK = Symbol('rollback');
  let result: T | undefined;
  try {
    await h.db.admin.transaction(async (q) => {
      result = await fn(q);
      throw ROLLBACK;
    });
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
  return result as T;
}

/** Runs `fn` as the app role with `tenant` set (or nothing set), role and tenant transaction-local as the app does. */
export function asApp<T>(h: Harness, tenant: string | null, fn: (q: AdminQuery) => Promise<T>): Promise<T> {
  return rolledBack(h, async (q) => {
    await q(`select set_config('role', 'arrears_app', true)`);
    if (tenant !== null) await q(`select set_config('app.tenant_id', $1, true)`, [tenant]);
    const [who] = await q<{ u: string; s: boolean }>(`select current_user as u, current_setting('is_superuser') = 'on' as s`);
    expect(who).toEqual({ u: 'arrears_app', s: false });
    return fn(q);
  });
}

export async function count(q: AdminQuery, sql: string, params: unknown[] = []): Promise<number> {
  const rows = await q<{ n: number }>(sql, params);
  return Number(rows[0]!.n);
}

/** The database error a statement must fail with: its SQLSTATE and message. */
export async function failure(p: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    let root: unknown = err;
    while (root && typeof root === 'object' && 'cause' in root && (root as { cause?: unknown }).cause) root = (root as { cause: unknown }).cause;
    return { code: pgErrorOf(err)?.code, message: String((root as Error).message) };
  }
  throw new Error('expected the statement to fail, but it succeeded');
}
