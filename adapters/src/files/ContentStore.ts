/**
 * Where the bytes of files uploaded with records live: content-addressed by SHA-256, each domain in
 * a space of its own, so one domain's bytes are never reachable, nor even detectable, from another's.
 * The data dir keeps them (DataDirContentStore); an object store could stand behind the same port.
 *
 * The store knows nothing of records: which record field names which bytes, and whether anything
 * still does, is kept beside it by the server (apps/server/src/data/files).
 */
export interface ContentStore {
  /**
   * Stores `bytes` under `sha256` (their SHA-256, lower-case hex, computed by the caller) in the
   * domain's space, durably before it resolves. `created` is false when the same bytes were there.
   */
  readonly put: (domain: string, sha256: string, bytes: Uint8Array) => Promise<{ readonly created: boolean }>
  /** The stored bytes as chunks, read as they are consumed; undefined when absent. */
  readonly open: (domain: string, sha256: string) => Promise<StoredContent | undefined>
  /** Removes the bytes; nothing when already absent. */
  readonly remove: (domain: string, sha256: string) => Promise<void>
}

export interface StoredContent {
  readonly size: number
  readonly chunks: AsyncIterable<Uint8Array>
}

/** SHA-256 in lower-case hex: the only names the store accepts, so no caller-made path ever reaches the disk. */
export const isSha256Hex = (value: string): boolean => /^[0-9a-f]{64}$/.test(value)
