/**
 * Answers of complete audit pages, by query. The log is append-only: a page that is full (it has a
 * `next`) covers a range of positions that can never change, so its answer can be kept and served
 * again as is; only the last page of a query (next = null) can still grow and is never kept. Bounded
 * by the characters held, least recently used out first.
 */
export class PageCache {
  private readonly pages = new Map<string, string>()
  private size = 0

  constructor(private readonly maxChars: number) {}

  get(key: string): string | undefined {
    const body = this.pages.get(key)
    if (body !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the front is the least recently used.
      this.pages.delete(key)
      this.pages.set(key, body)
    }
    return body
  }

  set(key: string, body: string): void {
    if (body.length > this.maxChars / 8 || this.pages.has(key)) return
    this.pages.set(key, body)
    this.size += body.length + key.length
    for (const [oldest, old] of this.pages) {
      if (this.size <= this.maxChars) break
      this.pages.delete(oldest)
      this.size -= old.length + oldest.length
    }
  }
}
