/** `retryAfterSeconds` is whole seconds (≥ 1), as `Retry-After` wants. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number }

export interface KeyRateLimiter {
  take(keyId: string): RateDecision
}

interface Bucket {
  tokens: number
  at: number
}

/** Buckets kept before idle (refilled) ones are swept; only valid keys ever get one. */
const SWEEP_THRESHOLD = 10_000

/**
 * A token bucket per API key, in memory: `perSecond` tokens are added each second up to `burst`, each
 * request takes one. In memory because it is on every keyed request's path; with several server
 * processes each enforces the limit on the requests it serves.
 */
export const makeKeyRateLimiter = (options: {
  readonly perSecond: number
  readonly burst: number
  readonly now?: () => number
}): KeyRateLimiter => {
  const { perSecond, burst } = options
  const now = options.now ?? (() => performance.now())
  const buckets = new Map<string, Bucket>()

  const sweep = (at: number) => {
    for (const [keyId, bucket] of buckets) {
      if (bucket.tokens + ((at - bucket.at) / 1000) * perSecond >= burst) buckets.delete(keyId)
    }
  }

  return {
    take: (keyId) => {
      const at = now()
      let bucket = buckets.get(keyId)
      if (bucket === undefined) {
        if (buckets.size >= SWEEP_THRESHOLD) sweep(at)
        bucket = { tokens: burst, at }
        buckets.set(keyId, bucket)
      } else {
        bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond)
        bucket.at = at
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return { allowed: true }
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) }
    }
  }
}
