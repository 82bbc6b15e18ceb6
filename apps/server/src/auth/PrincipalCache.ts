import type { RecordedEvent } from "@machhub/core"
import type { Principal } from "./Principal.js"

/** Categories whose events can change who a caller is or what it may do. */
const ACCESS_CATEGORIES = new Set(["user", "group", "session", "domain", "apikey", "username"])

/**
 * Events of those categories that cannot change an existing principal: they record an attempt or
 * add something new. Anything not listed here (including event types added later) empties the cache,
 * so a forgotten entry costs speed, never a stale grant.
 */
const HARMLESS_TYPES = new Set([
  "LoginSucceeded",
  "LoginFailed",
  "SessionOpened",
  "SessionRefreshed",
  "UsernameClaimed",
  "UserRegistered",
  "DomainCreated",
  "KeyIssued"
])

const categoryOf = (stream: string): string => stream.slice(0, stream.indexOf("-"))

/**
 * Principals already worked out for a (credential, domain) pair, so an authenticated request costs a
 * Map lookup. Correctness rests on invalidation: the projection runner reports every applied batch
 * before releasing anyone waiting on it, and any access-related event that could change an existing
 * principal empties the cache.
 */
export class PrincipalCache {
  // Keyed by the credential string as it arrived, then by domain: no key is built per request.
  private readonly entries = new Map<string, Map<string, { readonly principal: Principal; readonly expiresAt: number }>>()

  constructor(private readonly capacity = 50_000) {}

  get(credential: string, domain: string, nowSeconds: number): Principal | undefined {
    const entry = this.entries.get(credential)?.get(domain)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= nowSeconds) {
      this.entries.delete(credential)
      return undefined
    }
    return entry.principal
  }

  set(credential: string, domain: string, principal: Principal, expiresAt: number): void {
    if (this.entries.size >= this.capacity) this.entries.clear()
    let byDomain = this.entries.get(credential)
    if (byDomain === undefined) this.entries.set(credential, (byDomain = new Map()))
    byDomain.set(domain, { principal, expiresAt })
  }

  /** Feed it every applied batch (ProjectionRunner.onApplied). */
  readonly observe = (events: ReadonlyArray<RecordedEvent>): void => {
    if (this.entries.size === 0) return
    for (const event of events) {
      if (ACCESS_CATEGORIES.has(categoryOf(event.stream)) && !HARMLESS_TYPES.has(event.type)) {
        this.entries.clear()
        return
      }
    }
  }
}
