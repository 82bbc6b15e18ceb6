import { describe, expect, it } from "vitest"
import { makeLoginThrottle, type LoginThrottle, type ThrottleVerdict } from "./LoginThrottle.js"

const clock = () => {
  let now = 1_000_000
  return { now: () => now, advance: (seconds: number) => void (now += seconds * 1000) }
}

const admit = async (throttle: LoginThrottle, username: string, address = "10.0.0.1") => {
  const verdict = await throttle.begin(username, address)
  if (!verdict.allowed) throw new Error("unexpectedly throttled")
  return verdict.attempt
}
const fail = async (throttle: LoginThrottle, username: string, address = "10.0.0.1") => (await admit(throttle, username, address)).settle("failed")
const allowed = async (throttle: LoginThrottle, username: string, address: string) => (await throttle.begin(username, address)).allowed

/** Whether a promise has settled by the time queued callbacks ran. */
const settledYet = async <T>(promise: Promise<T>): Promise<boolean> => {
  let done = false
  void promise.then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe("login throttle", () => {
  const make = (time = clock()) => ({
    time,
    throttle: makeLoginThrottle({ maxFailuresPerUsername: 3, maxFailuresPerAddress: 5, windowSeconds: 60, nowMillis: time.now })
  })

  it("refuses a username after its limit of failures, until the oldest leaves the window", async () => {
    const { time, throttle } = make()
    await fail(throttle, "ada")
    time.advance(10)
    await fail(throttle, "ada")
    await fail(throttle, "Ada") // the same user, however spelled
    expect(await throttle.begin("ada", "10.0.0.2")).toEqual({ allowed: false, retryAfterSeconds: 50 })
    time.advance(50)
    expect(await allowed(throttle, "ada", "10.0.0.2")).toBe(true)
  })

  it("leaves other usernames alone", async () => {
    const { throttle } = make()
    for (let i = 0; i < 3; i++) await fail(throttle, "ada", `10.0.0.${i}`)
    expect(await allowed(throttle, "bob", "10.0.0.9")).toBe(true)
  })

  it("refuses an address after its limit, whatever the usernames", async () => {
    const { throttle } = make()
    for (let i = 0; i < 5; i++) await fail(throttle, `user${i}`)
    expect(await allowed(throttle, "someone-else", "10.0.0.1")).toBe(false)
    expect(await allowed(throttle, "someone-else", "10.0.0.2")).toBe(true)
  })

  it("clears a username's failures on success, but not its address's", async () => {
    const { throttle } = make()
    await fail(throttle, "ada")
    await fail(throttle, "ada")
    ;(await admit(throttle, "ada")).settle("succeeded")
    await fail(throttle, "ada")
    await fail(throttle, "ada")
    expect(await allowed(throttle, "ada", "10.0.0.7")).toBe(true)
    // The address saw four failures: one more and it is refused.
    await fail(throttle, "bob")
    expect(await allowed(throttle, "carol", "10.0.0.1")).toBe(false)
  })

  it("holds attempts beyond the budget until those in flight settle: failures refuse them", async () => {
    const { throttle } = make()
    const first = await Promise.all([admit(throttle, "ada"), admit(throttle, "ada"), admit(throttle, "ada")])
    const fourth = throttle.begin("ada", "10.0.0.1")
    expect(await settledYet(fourth)).toBe(false)
    first[0].settle("failed")
    first[1].settle("failed")
    expect(await settledYet(fourth)).toBe(false)
    first[2].settle("failed")
    expect((await fourth).allowed).toBe(false)
  })

  it("holds attempts beyond the budget until those in flight settle: successes let them in", async () => {
    const { throttle } = make()
    const first = await Promise.all([admit(throttle, "ada"), admit(throttle, "ada"), admit(throttle, "ada")])
    const waiting: Array<Promise<ThrottleVerdict>> = [1, 2, 3, 4, 5].map(() => throttle.begin("ada", "10.0.0.1"))
    for (const attempt of first) attempt.settle("succeeded")
    const verdicts = await Promise.all(waiting.slice(0, 3))
    expect(verdicts.every((v) => v.allowed)).toBe(true)
    for (const verdict of verdicts) if (verdict.allowed) verdict.attempt.settle("abandoned") // never judged: counts neither way
    expect((await Promise.all(waiting.slice(3))).every((v) => v.allowed)).toBe(true)
  })

  it("refuses at once when too many attempts already wait on a key", async () => {
    const throttle = makeLoginThrottle({ maxFailuresPerUsername: 1, maxFailuresPerAddress: 100, windowSeconds: 60, maxWaitingPerKey: 2 })
    await admit(throttle, "ada")
    void throttle.begin("ada", "10.0.0.1")
    void throttle.begin("ada", "10.0.0.1")
    expect(await throttle.begin("ada", "10.0.0.1")).toEqual({ allowed: false, retryAfterSeconds: 1 })
  })

  it("settles an attempt only once", async () => {
    const { throttle } = make()
    const attempt = await admit(throttle, "ada")
    for (let i = 0; i < 5; i++) attempt.settle("failed")
    await fail(throttle, "ada")
    expect(await allowed(throttle, "ada", "10.0.0.1")).toBe(true)
  })

  it("stays bounded under a spray of usernames", async () => {
    const time = clock()
    const throttle = makeLoginThrottle({
      maxFailuresPerUsername: 1, maxFailuresPerAddress: 1_000_000, windowSeconds: 60, maxTrackedKeys: 100, nowMillis: time.now
    })
    for (let i = 0; i < 1_000; i++) await fail(throttle, `spray${i}`)
    // The oldest were forgotten to make room; the newest are still refused.
    expect(await allowed(throttle, "spray0", "10.0.0.1")).toBe(true)
    expect(await allowed(throttle, "spray999", "10.0.0.1")).toBe(false)
  })
})
