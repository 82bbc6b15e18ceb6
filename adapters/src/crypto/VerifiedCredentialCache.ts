/**
 * Remembers credentials that passed verification, keyed by a hash of the credential, until they
 * expire. Bounded: when full, the oldest entry goes first (Map keeps insertion order).
 */
export class VerifiedCredentialCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expiresAt: number }>()

  constructor(private readonly capacity: number) {}

  get(key: string, nowSeconds: number): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= nowSeconds) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: V, expiresAt: number): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { value, expiresAt })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }
}
