import { Result } from "effect"
import type { Command } from "../../commands/Command.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider, DomainEvent } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"

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
export type KeyUsed = DomainEvent<"KeyUsed", {
  readonly keyId: string
  /** When the request arrived (ISO 8601), which may precede the event's `meta.at`. */
  readonly at: string
  /** `<METHOD> <path>` of the request, without its query string. */
  readonly route: string
  /** The caller's address, when known. */
  readonly address: string | null
}>

export interface RecordKeyUse {
  readonly type: "recordKeyUse"
  readonly keyId: string
  readonly at: string
  readonly route: string
  readonly address: string | null
}

export interface ApiKeyUseState {
  /** Milliseconds since the epoch of the last recorded use; 0 before any. */
  readonly lastAt: number
}

const reject = (message: string) => Result.fail(new CommandRejected({ reason: "invalid", message }))

export const apiKeyUseDecider: Decider<ApiKeyUseState, RecordKeyUse, KeyUsed> = {
  initialState: () => ({ lastAt: 0 }),
  evolve: (state, event) => ({ lastAt: Math.max(state.lastAt, Date.parse(event.data.at)) }),
  decide: (command, state) => {
    if (typeof command.keyId !== "string" || command.keyId === "") return reject("a key use needs the key id")
    const at = typeof command.at === "string" ? Date.parse(command.at) : Number.NaN
    if (!Number.isFinite(at)) return reject("a key use needs its time (ISO 8601)")
    if (typeof command.route !== "string" || command.route === "") return reject("a key use needs its route")
    // Another process recorded this minute already (or a late sample arrived): nothing new to say.
    if (at < state.lastAt + KEY_USE_SAMPLE_MILLIS) return Result.succeed([])
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
  toCommand: (command: Command): RecordKeyUse | undefined => {
    const payload = command.payload as Record<string, unknown> | null
    if (command.type !== "recordKeyUse" || payload === null || typeof payload !== "object") return undefined
    // The stream names the key: an id in the payload cannot point elsewhere.
    return { ...payload, type: "recordKeyUse", keyId: command.aggregateId } as RecordKeyUse
  }
})
