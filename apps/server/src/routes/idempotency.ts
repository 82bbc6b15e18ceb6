import { createHash } from "node:crypto"
import { text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { uuidv7, type ActorRef } from "@machhub/core"

/**
 * `Idempotency-Key` on mutations (SPEC §1): a retry with the same key, by the same caller, gets the
 * first answer and appends nothing. The key travels in the command (see runCommand) and is recorded in
 * the meta of the events it appends; the actor system answers a later command to the same aggregate
 * with the same key and caller from those events, so it holds across restarts and nodes. A route that
 * creates an aggregate under a fresh id derives that id from the key instead (keyedId), so that the
 * retry reaches the aggregate the first try created (keyedId).
 */

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/

export const IDEMPOTENCY_KEY_PROBLEM = "Idempotency-Key must be 1 to 128 visible ASCII characters"

export const isIdempotencyKey = (key: string): boolean => IDEMPOTENCY_KEY.test(key)

/** The request's `Idempotency-Key`: absent → undefined; malformed → a 400 saying what a key looks like. */
export const idempotencyKeyOf = (request: HttpRequest): { ok: true; key: string | undefined } | { ok: false; response: HttpResponse } => {
  const key = request.headers["idempotency-key"]
  if (key === undefined) return { ok: true, key: undefined }
  return isIdempotencyKey(key) ? { ok: true, key } : { ok: false, response: text(400, IDEMPOTENCY_KEY_PROBLEM) }
}

const hex: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/**
 * The id a keyed creation gives its new aggregate: a hash of (domain, caller, kind of aggregate, key),
 * so that the same request retried lands on the same aggregate while another caller's, another
 * domain's or another kind's never does. Shaped as a UUID (version 8, RFC 9562's form for ids built
 * from other data) so that routes checking ids as UUIDs take it. Undefined without a valid key: the
 * caller then generates an id as usual (and runCommand refuses a malformed key).
 */
export const derivedId = (domain: string, actor: ActorRef, kind: string, key: string | undefined): string | undefined => {
  if (key === undefined || !isIdempotencyKey(key)) return undefined
  const bytes = createHash("sha256").update(`${domain}\u0000${actor.kind}:${actor.id}\u0000${kind}\u0000${key}`).digest()
  bytes[6] = 0x80 | (bytes[6]! & 0x0f)
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  let id = ""
  for (let i = 0; i < 16; i++) {
    id += hex[bytes[i]!]
    if (i === 3 || i === 5 || i === 7 || i === 9) id += "-"
  }
  return id
}

/** derivedId from the request's `Idempotency-Key`, or a fresh UUIDv7 when it carries none. */
export const keyedId = (request: HttpRequest, domain: string, actor: ActorRef, kind: string): string =>
  derivedId(domain, actor, kind, request.headers["idempotency-key"]) ?? uuidv7()
