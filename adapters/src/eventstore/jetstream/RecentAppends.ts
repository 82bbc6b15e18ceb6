import type { CommitHead } from "./commitMessage.js"

/** An append known to be stored: where, and with which event ids. */
export interface StoredAppend {
  readonly stream: string
  readonly ids: ReadonlyArray<string>
  /** The commit's stream sequence and head, from which its result is computed again. */
  readonly head: CommitHead
}

export type Recollection =
  | { readonly kind: "unknown" }
  | { readonly kind: "repeat"; readonly stored: StoredAppend }
  | { readonly kind: "reused"; readonly id: string; readonly stored: StoredAppend }

const unknown: Recollection = { kind: "unknown" }

export const sameAppend = (stored: StoredAppend, stream: string, ids: ReadonlyArray<string>): boolean =>
  stored.stream === stream && stored.ids.length === ids.length && stored.ids.every((id, i) => id === ids[i])

/**
 * The appends this process stored (or saw answered as duplicates) most recently, by event id.
 *
 * JetStream has no index on event ids: `Nats-Msg-Id` (the first event's id) de-duplicates a whole
 * append, and only within the stream's duplicate window. This memory answers what the window cannot,
 * for appends made through this process: an exact retry (answered without a round trip, even after
 * the window), a partial repeat, or an id reused in another append (both refused, as the port wants).
 * Bounded; whole appends are forgotten together, so a repeat is never mistaken for a partial one.
 */
export class RecentAppends {
  private readonly byId = new Map<string, StoredAppend>()

  constructor(private readonly capacity: number) {}

  remember(stored: StoredAppend): void {
    for (const id of stored.ids) this.byId.set(id, stored)
    while (this.byId.size > this.capacity) {
      const oldest = this.byId.values().next().value
      if (oldest === undefined) break
      for (const id of oldest.ids) this.byId.delete(id)
    }
  }

  recall(stream: string, ids: ReadonlyArray<string>): Recollection {
    const first = this.byId.get(ids[0]!)
    if (first !== undefined) {
      return sameAppend(first, stream, ids) ? { kind: "repeat", stored: first } : { kind: "reused", id: ids[0]!, stored: first }
    }
    for (const id of ids) {
      const stored = this.byId.get(id)
      if (stored !== undefined) return { kind: "reused", id, stored }
    }
    return unknown
  }
}

/**
 * The last known commit of recently used subjects. It only chooses the sequence an append sends in
 * `Nats-Expected-Last-Subject-Sequence`: a stale entry makes the server refuse the append, after which
 * the head is read again. It never decides a conflict by itself.
 */
export class StreamHeads {
  private readonly bySubject = new Map<string, CommitHead>()

  constructor(private readonly capacity: number) {}

  get(subject: string): CommitHead | undefined {
    const head = this.bySubject.get(subject)
    if (head !== undefined) {
      // Refresh its place in the eviction order (least recently used goes first).
      this.bySubject.delete(subject)
      this.bySubject.set(subject, head)
    }
    return head
  }

  /** Records a head unless a later one is already known (answers can arrive out of order). */
  advance(subject: string, head: CommitHead): void {
    const known = this.bySubject.get(subject)
    if (known !== undefined && known.seq > head.seq) return
    this.bySubject.delete(subject)
    this.bySubject.set(subject, head)
    if (this.bySubject.size > this.capacity) {
      const oldest = this.bySubject.keys().next().value
      if (oldest !== undefined) this.bySubject.delete(oldest)
    }
  }
}
