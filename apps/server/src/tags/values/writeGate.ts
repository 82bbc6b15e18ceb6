import type { Principal } from "../../auth/Principal.js"

/** Why values cannot be written: an HTTP status and a message naming the tag. */
export interface WriteRefusal {
  readonly status: 403 | 404 | 409 | 503
  readonly message: string
}

/**
 * What a write must pass besides the route's permission, per tag: a tag with access `R` refuses
 * client writes, and a topic with no definition gets one (autocreate) unless the server forbids it.
 * Synchronous when every tag is already defined (the hot path), a promise when definitions are made.
 */
export type WriteGate = (
  principal: Principal,
  domain: string,
  topics: ReadonlyArray<string>
) => WriteRefusal | undefined | Promise<WriteRefusal | undefined>
