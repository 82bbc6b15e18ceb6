import type { RecordedEvent } from "@machhub/core"
import { Effect, Option } from "effect"
import { UsageError } from "../errors.js"

/**
 * Which events `export` and `tail` print. Streams and types are answered by SQLite (see
 * SqliteLogReader.select); domain, actor and time live in the msgpack'ed `meta` and are checked on the
 * decoded event here. `since` and `until` are both inclusive, as in GET /api/audit/events.
 */
export interface EventFilter {
  readonly streams: ReadonlyArray<string>
  readonly types: ReadonlyArray<string>
  readonly domains: ReadonlyArray<string>
  readonly actors: ReadonlyArray<string>
  /** Milliseconds since the epoch. */
  readonly since: number | undefined
  readonly until: number | undefined
}

export interface FilterFlags {
  readonly domain: ReadonlyArray<string>
  readonly stream: ReadonlyArray<string>
  readonly type: ReadonlyArray<string>
  readonly actor: ReadonlyArray<string>
  readonly since: Option.Option<string>
  readonly until: Option.Option<string>
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** An ISO-8601 date or instant ("2025-03-01", "2025-03-01T12:00:00Z"); a date alone is midnight UTC. */
export const parseInstant = (flag: string, value: string): Effect.Effect<number, UsageError> => {
  const millis = ISO_INSTANT.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN
  return Number.isNaN(millis)
    ? Effect.fail(new UsageError({ message: `--${flag} must be an ISO-8601 date or time such as 2025-03-01 or 2025-03-01T12:00:00Z, got "${value}"` }))
    : Effect.succeed(millis)
}

/** A position flag: an integer >= 1 when given. */
export const parsePosition = (flag: string, value: Option.Option<number>): Effect.Effect<number | undefined, UsageError> =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (n) =>
      Number.isSafeInteger(n) && n >= 1
        ? Effect.succeed(n)
        : Effect.fail(new UsageError({ message: `--${flag} must be a log position (an integer >= 1), got ${n}` }))
  })

const optionalInstant = (flag: string, value: Option.Option<string>) =>
  Option.match(value, { onNone: () => Effect.succeed(undefined), onSome: (v) => parseInstant(flag, v) })

export const parseFilter = (flags: FilterFlags): Effect.Effect<EventFilter, UsageError> =>
  Effect.gen(function*() {
    const since = yield* optionalInstant("since", flags.since)
    const until = yield* optionalInstant("until", flags.until)
    const badActor = flags.actor.find((actor) => actor.endsWith(":"))
    if (badActor !== undefined) return yield* new UsageError({ message: `--actor must be kind:id or id, got "${badActor}"` })
    return { streams: flags.stream, types: flags.type, domains: flags.domain, actors: flags.actor, since, until }
  })

/** The checks SQLite cannot make (see EventFilter); always true when none of them was asked for. */
export const metaMatcher = (filter: EventFilter): ((event: RecordedEvent) => boolean) => {
  const domains = new Set(filter.domains)
  const actors = new Set(filter.actors)
  const { since, until } = filter
  if (domains.size === 0 && actors.size === 0 && since === undefined && until === undefined) return () => true
  return (event) => {
    const meta = event.meta
    if (domains.size > 0 && !domains.has(meta.domain)) return false
    if (actors.size > 0 && !actors.has(meta.actor.id) && !actors.has(`${meta.actor.kind}:${meta.actor.id}`)) return false
    if (since !== undefined || until !== undefined) {
      const at = Date.parse(meta.at)
      if (since !== undefined && !(at >= since)) return false
      if (until !== undefined && !(at <= until)) return false
    }
    return true
  }
}
