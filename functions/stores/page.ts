/**
 * Keyset pagination for the list reads: newest first, ordered by (createdMs, id) descending. A page
 * ends at a position, not an offset, so rows inserted meanwhile (always newer) neither shift nor
 * repeat the pages after it.
 */

/** A position in the newest-first order: the next page starts strictly after (older than) it. */
export interface PagePosition {
  readonly createdMs: number;
  readonly id: string;
}

export interface PageRequest {
  /** 1..100 (the API's bound); the store returns at most this many. */
  readonly limit: number;
  /** The last item of the previous page; absent: the first page. */
  readonly after?: PagePosition;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** The last item's position when more may follow; null at the end. */
  readonly next: PagePosition | null;
}

/** Items from a query that read `limit + 1` rows in order: the extra row only says another page exists. */
export function pageOf<T extends PagePosition>(rows: readonly T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: { createdMs: last.createdMs, id: last.id } };
}

/** The newest-first order, for stores that sort in code. */
export const newestFirst = (a: PagePosition, b: PagePosition): number => b.createdMs - a.createdMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** True when `p` comes after `after` in the newest-first order. */
export const isAfter = (p: PagePosition, after: PagePosition | undefined): boolean =>
  after === undefined || p.createdMs < after.createdMs || (p.createdMs === after.createdMs && p.id < after.id);
