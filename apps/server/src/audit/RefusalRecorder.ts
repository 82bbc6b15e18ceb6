import { Effect } from "effect"
import {
  ADMIN_DOMAIN,
  isDomainName,
  REFUSAL_CATEGORY,
  streamName,
  uuidv7,
  type Command,
  type CommandBusService,
  type CommandRefused,
  type CommandRejected,
  type EventStoreService
} from "@machhub/core"
import { log } from "../log.js"
import { RefusalFloodGuard } from "./RefusalFloodGuard.js"

export interface RefusalRecorderOptions {
  readonly store: EventStoreService
  /** Names the caller's address for a correlation id, when the command came from an HTTP request. */
  readonly addressOf: (correlationId: string) => string | null
  /** Refusals one caller may have recorded at once (default 30), then per minute (default 30). */
  readonly burst?: number
  readonly perMinute?: number
  readonly now?: () => number
}

export interface RefusalRecorder {
  /** The bus with refusals recorded: hand this to every route. */
  readonly commands: CommandBusService
  /** Records counted refusals of callers whose budget refilled (run every minute; at stop). */
  readonly sweep: Effect.Effect<void>
}

interface Refusal {
  readonly command: Command
  readonly error: CommandRejected
  readonly address: string | null
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Records every command a rule refused (CommandRejected) as `CommandRefused` on its own stream
 * `refusal-<domain>-<commandId>`, in ONE place: a decorator of the command bus the edge dispatches on,
 * so every route, the login flows and the machine flows are covered without any of them knowing, and
 * a command refused on another node (NATS) is recorded once, by the node whose caller it refused.
 *
 * All reasons are recorded, `not_found` included: deciders answer "not found" on purpose for an
 * object the caller may not touch (another owner's machine or record), so a not_found refusal can be
 * an authorization decision. Flooding is bounded instead by a budget per caller (RefusalFloodGuard):
 * past it refusals are counted and the count lands in the log with the caller's next recorded one.
 *
 * The append is awaited before the refusal is answered (so the log has it when the caller sees the
 * error) but can never change the answer: if it fails, that is logged and the refusal goes out as is.
 */
export const makeRefusalRecorder = (bus: CommandBusService, options: RefusalRecorderOptions): RefusalRecorder => {
  const now = options.now ?? Date.now
  const guard = new RefusalFloodGuard<Refusal>(
    { burst: options.burst ?? 30, perMinute: options.perMinute ?? 30, maxCallers: 10_000 },
    (caller, unrecorded) => log("warn", "refusals of a caller were counted but could not be recorded (too many callers refused at once)", { caller, unrecorded })
  )

  const write = (refusal: Refusal, unrecorded: number): Effect.Effect<void> => {
    const { command, error, address } = refusal
    const domain = isDomainName(command.domain) ? command.domain : ADMIN_DOMAIN
    const commandId = SAFE_ID.test(command.id) ? command.id : uuidv7()
    const data: CommandRefused["data"] = {
      commandId,
      commandType: command.type.slice(0, 128),
      target: streamName(command.category, command.domain, command.aggregateId).slice(0, 512),
      reason: error.reason,
      message: error.message.slice(0, 1000),
      address,
      unrecorded
    }
    const at = now()
    return options.store.append(streamName(REFUSAL_CATEGORY, domain, commandId), "no_stream", [{
      id: uuidv7(at),
      type: "CommandRefused",
      data,
      meta: {
        domain,
        actor: command.actor,
        correlationId: command.correlationId,
        causationId: command.id,
        commandId: command.id,
        at: new Date(at).toISOString()
      }
    }]).pipe(
      Effect.asVoid,
      Effect.catch((failure) => Effect.sync(() =>
        log("warn", "a refused command could not be recorded", { commandId: command.id, correlationId: command.correlationId, error: failure.message })))
    )
  }

  const refused = (command: Command, error: CommandRejected): Effect.Effect<void> =>
    Effect.suspend(() => {
      const address = options.addressOf(command.correlationId)
      const refusal: Refusal = { command, error, address }
      const admission = guard.admit(`${command.actor.kind}:${command.actor.id}@${address ?? ""}`, refusal, now())
      return admission.record ? write(refusal, admission.unrecorded) : Effect.void
    })

  return {
    commands: {
      dispatch: (command) =>
        bus.dispatch(command).pipe(Effect.tapError((error) => (error._tag === "CommandRejected" ? refused(command, error) : Effect.void)))
    },
    sweep: Effect.suspend(() => Effect.forEach(guard.pending(now()), ({ refusal, unrecorded }) => write(refusal, unrecorded), { discard: true }))
  }
}
