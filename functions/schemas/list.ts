/**
 * The list reads' query and answer: `limit` (1..100, default 20) and an opaque `cursor` (the
 * previous page's nextCursor); `{ data, nextCursor }`. A cursor is a position in the newest-first
 * order (created time, id), so a client walking the pages sees each row once however many are
 * added meanwhile. It names no user and no filter: the rows stay the key's user's.
 */
import { z } from "zod";
import { GENERATION_STATUSES } from "../stores/generation-store.ts";
import type { Page, PagePosition, PageRequest } from "../stores/page.ts";
import { GenerationSchema } from "./generation.ts";
import { IdentitySchema } from "./identity.ts";

export const LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;

const CURSOR_BODY = /^([0-9]{1,15}):([A-Za-z0-9_-]{1,64})$/;

/** base64url (no padding) of `createdMs:id`: opaque to clients, cheap to check. */
export function encodeCursor(p: PagePosition): string {
  return btoa(`${p.createdMs}:${p.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The position a cursor names; undefined for anything encodeCursor did not make. */
export function decodeCursor(cursor: string): PagePosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(cursor)) return undefined;
  let body: string;
  try {
    body = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const m = CURSOR_BODY.exec(body);
  if (!m) return undefined;
  const position = { createdMs: Number(m[1]), id: m[2] };
  // One spelling per position: a cursor is exactly what encodeCursor wrote.
  return encodeCursor(position) === cursor ? position : undefined;
}

const PageQuery = {
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`)
    .transform(Number)
    .pipe(z.number().int().min(LIST_LIMIT.min).max(LIST_LIMIT.max))
    .optional()
    .transform((n) => n ?? LIST_LIMIT.default),
  cursor: z
    .string()
    .transform((s, ctx) => {
      const position = decodeCursor(s);
      if (!position) {
        ctx.addIssue({ code: "custom", message: "not a cursor from a previous page's nextCursor" });
        return z.NEVER;
      }
      return position;
    })
    .optional(),
};

/** GET /v1/identities. Unknown parameters are refused: a misspelt filter must not list everything. */
export const ListIdentitiesQuerySchema = z.object(PageQuery).strict();

/** GET /v1/generations. */
export const ListGenerationsQuerySchema = z
  .object({
    ...PageQuery,
    identityId: z.string().min(1).max(64).optional(),
    status: z.enum(GENERATION_STATUSES).optional(),
  })
  .strict();
export type ListGenerationsQuery = z.infer<typeof ListGenerationsQuerySchema>;

/** The store's page request for a parsed query. */
export function pageRequestOf(q: { limit: number; cursor?: PagePosition | undefined }): PageRequest {
  return { limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) };
}

/** The answer for a store page: its items as views, and the cursor of the next page. */
export function pageBody<T, V>(page: Page<T>, view: (item: T) => V): { data: V[]; nextCursor: string | null } {
  return { data: page.items.map(view), nextCursor: page.next ? encodeCursor(page.next) : null };
}

const nextCursor = z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page." });

export const IdentityListSchema = z.object({ data: z.array(IdentitySchema), nextCursor });
export const GenerationListSchema = z.object({ data: z.array(GenerationSchema), nextCursor });
export type IdentityListView = z.infer<typeof IdentityListSchema>;
export type GenerationListView = z.infer<typeof GenerationListSchema>;
