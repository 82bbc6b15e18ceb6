import type { RecordedEvent } from "@machhub/core"

/**
 * Answers of list and count queries, kept per collection until that collection changes. Dashboards
 * poll the same page over and over; between two writes to a collection its pages cannot change, so a
 * repeated query costs a Map lookup instead of a walk of the collection's index. Any RecordCreated,
 * RecordUpdated or RecordDeleted of a collection drops that collection's answers, and a
 * CollectionDefined drops everything (access policies may have changed); the projection runner
 * reports each applied batch before a writer's response goes out, so a caller still reads its own
 * writes. Bounded in entries per collection and in total.
 */
export class PageCache {
  private readonly byCollection = new Map<string, Map<string, string>>()
  private entries = 0

  constructor(private readonly maxPerCollection = 256, private readonly maxEntries = 20_000) {}

  get(collection: string, query: string): string | undefined {
    return this.byCollection.get(collection)?.get(query)
  }

  set(collection: string, query: string, body: string): void {
    if (this.entries >= this.maxEntries) this.clear()
    let pages = this.byCollection.get(collection)
    if (pages === undefined) this.byCollection.set(collection, (pages = new Map()))
    if (pages.size >= this.maxPerCollection) {
      pages.delete(pages.keys().next().value!)
      this.entries--
    }
    if (!pages.has(query)) this.entries++
    pages.set(query, body)
  }

  /** Feed it every applied batch (ProjectionRunner.onApplied). */
  readonly observe = (events: ReadonlyArray<RecordedEvent>): void => {
    if (this.entries === 0) return
    for (const event of events) {
      if (event.type === "CollectionDefined") return this.clear()
      if (event.type === "RecordCreated" || event.type === "RecordUpdated" || event.type === "RecordDeleted") {
        const key = collectionKey(event.meta.domain, (event.data as { table: string }).table)
        const pages = this.byCollection.get(key)
        if (pages !== undefined) {
          this.entries -= pages.size
          this.byCollection.delete(key)
        }
      }
    }
  }

  private clear(): void {
    this.byCollection.clear()
    this.entries = 0
  }
}

export const collectionKey = (domain: string, table: string): string => `${domain}\u0000${table}`
