/**
 * The audit index stores domains, event types and actors as 32-bit hashes (FNV-1a) instead of text:
 * index entries of 4 bytes instead of up to 40 keep the index small and its inserts fast (measured:
 * text keys cost about twice the write time). Nothing needs the hash to be unique: the events found
 * are read from the store and checked against the real values, so a collision only costs a wasted read.
 */
export const auditKey = (kind: "domain" | "type" | "actor", value: string): number => {
  let hash = kind === "domain" ? 0x811c9dc5 : kind === "type" ? 0x050c5d1f : 0x2f6b3c9d
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash | 0
}
