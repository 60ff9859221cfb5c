/** Generated images' bytes (files on one machine, R2 at scale). */

export interface ResultImageStore {
  /** Returns the key to read it back with. */
  put(generationId: string, index: number, extension: string, bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes the bytes (no error when already gone, nor for a key it never gave out). */
  delete(key: string): Promise<void>;
}
