/**
 * The part of D1's API the api-key store uses, declared structurally (no workers-types globals) so
 * that Node tools can drive the same store over wrangler's platform proxy (the keys CLI with
 * --edge=workers). A Worker's D1Database satisfies it.
 */
export interface D1LikeResult {
  readonly meta: { readonly changes: number };
}

export interface D1LikeStatement {
  bind(...values: unknown[]): D1LikeStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  run(): Promise<D1LikeResult>;
  all<T = Record<string, unknown>>(): Promise<{ readonly results: T[] }>;
}

export interface D1Like {
  prepare(query: string): D1LikeStatement;
}
