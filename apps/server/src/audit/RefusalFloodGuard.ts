/**
 * Bounds how many refusals one caller (actor + address) can write into the log: a token bucket per
 * caller, `burst` refusals at once and `perMinute` after that. Refusals beyond it are counted, not
 * lost: the next recorded refusal of that caller carries the count (`unrecorded`), and `pending()`
 * hands out the last counted one of each caller whose bucket has refilled, so a flood that stops is
 * still summed up in the log. Pure bookkeeping with an injected clock; the recorder does the writing.
 */
export interface FloodGuardOptions {
  readonly burst: number
  readonly perMinute: number
  /** Callers tracked at most; the least recently refused beyond it are forgotten (their counts logged). */
  readonly maxCallers: number
}

interface Bucket<T> {
  tokens: number
  updated: number
  unrecorded: number
  /** The last refusal that was only counted. */
  last: T | undefined
}

export type Admission = { readonly record: true; readonly unrecorded: number } | { readonly record: false }

export class RefusalFloodGuard<T> {
  private readonly buckets = new Map<string, Bucket<T>>()
  constructor(private readonly options: FloodGuardOptions, private readonly onForget: (caller: string, unrecorded: number) => void = () => {}) {}

  private refill(bucket: Bucket<T>, now: number): void {
    const earned = ((now - bucket.updated) / 60_000) * this.options.perMinute
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + earned)
    bucket.updated = now
  }

  /** Whether to record this refusal now, and how many of the caller's were only counted since the last one. */
  admit(caller: string, refusal: T, now: number): Admission {
    let bucket = this.buckets.get(caller)
    if (bucket === undefined) {
      bucket = { tokens: this.options.burst, updated: now, unrecorded: 0, last: undefined }
      this.forgetBeyondCap()
    } else {
      this.buckets.delete(caller) // re-inserted below: the Map's order is least recently refused first
      this.refill(bucket, now)
    }
    this.buckets.set(caller, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      const unrecorded = bucket.unrecorded
      bucket.unrecorded = 0
      bucket.last = undefined
      return { record: true, unrecorded }
    }
    bucket.unrecorded++
    bucket.last = refusal
    return { record: false }
  }

  /** For each caller with counted refusals and a token again: its last counted refusal and how many came before it. */
  pending(now: number): Array<{ readonly caller: string; readonly refusal: T; readonly unrecorded: number }> {
    const out: Array<{ caller: string; refusal: T; unrecorded: number }> = []
    for (const [caller, bucket] of this.buckets) {
      this.refill(bucket, now)
      if (bucket.last !== undefined && bucket.tokens >= 1) {
        bucket.tokens -= 1
        out.push({ caller, refusal: bucket.last, unrecorded: bucket.unrecorded - 1 })
        bucket.unrecorded = 0
        bucket.last = undefined
      } else if (bucket.last === undefined && bucket.tokens >= this.options.burst) {
        this.buckets.delete(caller) // full again and nothing owed: nothing left to remember
      }
    }
    return out
  }

  get size(): number {
    return this.buckets.size
  }

  private forgetBeyondCap(): void {
    while (this.buckets.size >= this.options.maxCallers) {
      const [caller, bucket] = this.buckets.entries().next().value as [string, Bucket<T>]
      this.buckets.delete(caller)
      if (bucket.unrecorded > 0) this.onForget(caller, bucket.unrecorded)
    }
  }
}
