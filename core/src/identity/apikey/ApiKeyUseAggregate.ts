import { Result, Schema } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../../decider/Schemas.js"

/**
 * When an API key is used (SPEC §11 `KeyUsed`). Stream `apikeyuse-<domain>-<keyId>`, apart from the
 * key's own stream on purpose: the key's stream version is its ETag, and a use must not make an
 * administrator's `If-Match` stale (nor contend with suspending a key that is being hammered).
 * Uses are sampled: the edge sends at most one per key per minute per process, and the decider keeps
 * at most one per key per minute across processes.
 */
export const API_KEY_USE_CATEGORY = "apikeyuse"

/** The smallest gap between two recorded uses of one key. */
export const KEY_USE_SAMPLE_MILLIS = 60_000

/** A key authenticated a request (the first of its minute). */
export const KeyUsed = EventSchema("KeyUsed", {
  keyId: Schema.String,
  at: Schema.String.annotate({ description: "When the request arrived (ISO 8601), which may precede the event's `meta.at`." }),
  route: Schema.String.annotate({ description: "`<METHOD> <path>` of the request, without its query string." }),
  address: Schema.NullOr(Schema.String).annotate({ description: "The caller's address, when known." })
}, "A key authenticated a request (the first of its minute).")
export type KeyUsed = typeof KeyUsed.Type

/** The key id is the aggregate id (filled in from the envelope). */
export const RecordKeyUse = CommandSchema("recordKeyUse", {
  keyId: Schema.String,
  at: Schema.String,
  route: Schema.String,
  address: Schema.optional(Schema.NullOr(Schema.String))
})
export type RecordKeyUse = typeof RecordKeyUse.Type

/** The uses of one key: none yet, or the time of the last one recorded. */
export type ApiKeyUseState =
  | { readonly _tag: "Unused" }
  | {
    readonly _tag: "Used"
    /** Milliseconds since the epoch of the last recorded use. */
    readonly lastAt: number
  }

const reject = (message: string) => Result.fail(new CommandRejected({ reason: "invalid", message }))

export const apiKeyUseDecider: Decider<ApiKeyUseState, RecordKeyUse, KeyUsed> = {
  initialState: () => ({ _tag: "Unused" }),
  evolve: (state, event) => {
    const at = Date.parse(event.data.at)
    return { _tag: "Used", lastAt: state._tag === "Used" ? Math.max(state.lastAt, at) : at }
  },
  decide: (command, state) => {
    if (command.keyId === "") return reject("a key use needs the key id")
    const at = Date.parse(command.at)
    if (!Number.isFinite(at)) return reject("a key use needs its time (ISO 8601)")
    if (command.route === "") return reject("a key use needs its route")
    // Another process recorded this minute already (or a late sample arrived): nothing new to say.
    if (state._tag === "Used" && at < state.lastAt + KEY_USE_SAMPLE_MILLIS) return Result.succeed([])
    return Result.succeed([{
      type: "KeyUsed",
      data: {
        keyId: command.keyId,
        at: new Date(at).toISOString(),
        route: command.route.slice(0, 200),
        address: typeof command.address === "string" && command.address !== "" ? command.address.slice(0, 100) : null
      }
    }])
  }
}

export const apiKeyUseAggregate = fromDecider({
  category: API_KEY_USE_CATEGORY,
  decider: apiKeyUseDecider,
  commands: [RecordKeyUse],
  events: [KeyUsed],
  // The stream names the key: an id in the payload cannot point elsewhere.
  fromEnvelope: (command) => ({ keyId: command.aggregateId })
})
