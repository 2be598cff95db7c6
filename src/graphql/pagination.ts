import { Field, ObjectType } from 'type-graphql';
import { AppError } from '../shared/errors.js';
import { isUuid } from '../shared/ids.js';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Always false: pagination is forward-only (first/after).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw AppError.badInput('first', `must be between 1 and ${MAX_PAGE}`);
  return first;
}

/** Opaque to clients; tied to the sort order so a cursor from another ordering is refused, not misread. */
export function encodeCursor(order: string, key: string, id: string): string {
  return Buffer.from(JSON.stringify([order, key, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, order: string): { key: string; id: string } | null {
  if (cursor == null) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && v[0] === order && typeof v[1] === 'string' && typeof v[2] === 'string' && isUuid(v[2])) {
      return { key: v[1], id: v[2] };
    }
  } catch {
    /* reported below */
  }
  throw AppError.badInput('after', 'is not a cursor from this list and ordering');
}

export function pageInfo<T>(rows: T[], hasNextPage: boolean, cursorOf: (row: T) => string): PageInfo {
  return {
    hasNextPage,
    hasPreviousPage: false,
    startCursor: rows.length ? cursorOf(rows[0]!) : null,
    endCursor: rows.length ? cursorOf(rows[rows.length - 1]!) : null,
  };
}
