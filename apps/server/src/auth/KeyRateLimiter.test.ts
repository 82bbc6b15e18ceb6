import { describe, expect, it } from "vitest"
import { makeKeyRateLimiter } from "./KeyRateLimiter.js"

describe("key rate limiter (token bucket)", () => {
  it("allows a burst, then refuses with a whole-second Retry-After, then refills at the rate", () => {
    let now = 0
    const limiter = makeKeyRateLimiter({ perSecond: 2, burst: 4, now: () => now })
    for (let i = 0; i < 4; i++) expect(limiter.take("k").allowed).toBe(true)
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 })
    now += 500 // one token back
    expect(limiter.take("k").allowed).toBe(true)
    expect(limiter.take("k").allowed).toBe(false)
    // Keys do not share buckets.
    expect(limiter.take("other").allowed).toBe(true)
  })

  it("rounds Retry-After up for slow rates", () => {
    let now = 0
    const limiter = makeKeyRateLimiter({ perSecond: 0.25, burst: 1, now: () => now })
    expect(limiter.take("k").allowed).toBe(true)
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 4 })
    now += 4_000
    expect(limiter.take("k").allowed).toBe(true)
  })
})
