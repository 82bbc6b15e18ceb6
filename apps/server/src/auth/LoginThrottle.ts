import { text, type HttpResponse } from "@machhub/adapters"
import { usernameKey } from "@machhub/core"

export interface LoginThrottleOptions {
  /** Failures allowed per username within the window before further attempts are refused. */
  readonly maxFailuresPerUsername: number
  /** Failures allowed from one address (any usernames) within the window. */
  readonly maxFailuresPerAddress: number
  readonly windowSeconds: number
  /** Keys tracked at most per counter; beyond it the oldest idle ones are forgotten (bounded memory under a spray). */
  readonly maxTrackedKeys?: number
  /** Attempts allowed to queue behind one key; beyond it they are refused at once. */
  readonly maxWaitingPerKey?: number
  readonly nowMillis?: () => number
}

/** How an admitted attempt ended; it must be settled exactly once. */
export type AttemptOutcome = "succeeded" | "failed" | "abandoned"

export interface LoginAttempt {
  settle(outcome: AttemptOutcome): void
}

export type ThrottleVerdict =
  | { readonly allowed: true; readonly attempt: LoginAttempt }
  | { readonly allowed: false; readonly retryAfterSeconds: number }

export interface LoginThrottle {
  /** Call before checking a password: a refused attempt must not check it at all. */
  begin(username: string, address: string): Promise<ThrottleVerdict>
}

type Standing = { readonly kind: "admit" } | { readonly kind: "wait" } | { readonly kind: "refuse"; readonly retryAfterSeconds: number }

interface Entry {
  /** Times (ms) of the most recent failures, oldest first; never more than the limit. */
  failures: Array<number>
  /** Attempts admitted and not yet settled. */
  pending: number
  /** Attempts waiting for pending ones to settle, re-evaluated each time one does. */
  waiters: Array<() => void>
}

const ADMIT: Standing = { kind: "admit" }
const WAIT: Standing = { kind: "wait" }

/**
 * Failures per key in a sliding window. Attempts in flight count against the limit, otherwise a burst
 * of parallel guesses would all be admitted before the first of them is recorded as a failure. An
 * attempt that finds the budget taken by attempts in flight waits for them rather than being refused:
 * they may well succeed (many clients logging in at once is normal), and only failures refuse.
 */
class FailureWindow {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly max: number,
    private readonly windowMillis: number,
    private readonly maxKeys: number,
    private readonly maxWaiting: number
  ) {}

  standing(key: string, now: number): Standing {
    const entry = this.entries.get(key)
    if (entry === undefined) return ADMIT
    this.expire(entry, now)
    const failures = entry.failures.length
    if (failures >= this.max) {
      // Admitted again once enough failures have left the window to drop below the limit.
      const freedAt = entry.failures[failures - this.max]! + this.windowMillis
      return { kind: "refuse", retryAfterSeconds: Math.max(1, Math.ceil((freedAt - now) / 1000)) }
    }
    return failures + entry.pending >= this.max ? WAIT : ADMIT
  }

  admit(key: string): void {
    this.entryFor(key).pending++
  }

  /** False when too many attempts already wait on this key. */
  enqueue(key: string, retry: () => void): boolean {
    const entry = this.entryFor(key)
    if (entry.waiters.length >= this.maxWaiting) return false
    entry.waiters.push(retry)
    return true
  }

  settle(key: string, outcome: AttemptOutcome, now: number, resetOnSuccess: boolean): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    entry.pending = Math.max(0, entry.pending - 1)
    if (outcome === "failed") {
      entry.failures.push(now)
      if (entry.failures.length > this.max) entry.failures.shift()
    } else if (outcome === "succeeded" && resetOnSuccess) {
      entry.failures = []
    }
    this.expire(entry, now)
    const waiters = entry.waiters
    entry.waiters = []
    if (entry.failures.length === 0 && entry.pending === 0) this.entries.delete(key)
    for (const retry of waiters) retry()
  }

  private expire(entry: Entry, now: number): void {
    const horizon = now - this.windowMillis
    while (entry.failures.length > 0 && entry.failures[0]! <= horizon) entry.failures.shift()
  }

  private entryFor(key: string): Entry {
    let entry = this.entries.get(key)
    if (entry === undefined) {
      if (this.entries.size >= this.maxKeys) this.forgetOldestIdle()
      entry = { failures: [], pending: 0, waiters: [] }
      this.entries.set(key, entry)
    }
    return entry
  }

  /** Map iteration follows insertion order: the first idle key is the one tracked longest. */
  private forgetOldestIdle(): void {
    for (const [key, entry] of this.entries) {
      if (entry.pending === 0 && entry.waiters.length === 0) {
        this.entries.delete(key)
        return
      }
    }
  }
}

/**
 * Throttles password guessing (SPEC §2) per username and per address, in memory on this node.
 * Only failures count; a throttled attempt is refused before the password is checked (it neither
 * costs a hash nor counts as a failure); a success clears the username's failures but not the
 * address's, so one valid account cannot launder guesses against others from the same address.
 */
export const makeLoginThrottle = (options: LoginThrottleOptions): LoginThrottle => {
  const now = options.nowMillis ?? Date.now
  const windowMillis = options.windowSeconds * 1000
  const maxKeys = options.maxTrackedKeys ?? 100_000
  const maxWaiting = options.maxWaitingPerKey ?? 1_000
  const byUsername = new FailureWindow(options.maxFailuresPerUsername, windowMillis, maxKeys, maxWaiting)
  const byAddress = new FailureWindow(options.maxFailuresPerAddress, windowMillis, maxKeys, maxWaiting)

  const admitted = (user: string, address: string): ThrottleVerdict => {
    byUsername.admit(user)
    byAddress.admit(address)
    let settled = false
    return {
      allowed: true,
      attempt: {
        settle: (outcome) => {
          if (settled) return
          settled = true
          const at = now()
          byUsername.settle(user, outcome, at, true)
          byAddress.settle(address, outcome, at, false)
        }
      }
    }
  }

  return {
    begin: (username, address) =>
      new Promise((resolve) => {
        const user = usernameKey(username).slice(0, 256)
        const evaluate = (): void => {
          const at = now()
          const forUser = byUsername.standing(user, at)
          const forAddress = byAddress.standing(address, at)
          if (forUser.kind === "refuse" || forAddress.kind === "refuse") {
            const wait = Math.max(
              forUser.kind === "refuse" ? forUser.retryAfterSeconds : 0,
              forAddress.kind === "refuse" ? forAddress.retryAfterSeconds : 0
            )
            return resolve({ allowed: false, retryAfterSeconds: wait })
          }
          const queued = forUser.kind === "wait"
            ? byUsername.enqueue(user, evaluate)
            : forAddress.kind === "wait"
            ? byAddress.enqueue(address, evaluate)
            : undefined
          if (queued === undefined) return resolve(admitted(user, address))
          if (!queued) resolve({ allowed: false, retryAfterSeconds: 1 })
        }
        evaluate()
      })
  }
}

/** 429 with `Retry-After` in whole seconds (SPEC §2). */
export const throttledResponse = (retryAfterSeconds: number): HttpResponse =>
  text(429, `Too many failed login attempts; retry in ${retryAfterSeconds} seconds`, { "Retry-After": String(retryAfterSeconds) })
