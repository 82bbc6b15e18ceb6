import { Result } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import type { ActorRef } from "../../eventstore/EventEnvelope.js"
import type { RecordCommand } from "./RecordCommands.js"
import type { RecordData, RecordEvent } from "./RecordEvents.js"

/** What an existing record holds, deleted or not. */
export interface RecordFields {
  readonly table: string
  readonly id: string
  readonly data: RecordData
  readonly creator: ActorRef
  /** Idempotency keys already honoured on this record (the most recent ones), so a retry appends nothing. */
  readonly idempotencyKeys: ReadonlyArray<string>
}

/**
 * A record's lifecycle: never created, live, or deleted. A deleted record keeps its last data and
 * creator: a retried delete is answered as the first one was, and its id can never be created again.
 */
export type RecordState =
  | { readonly _tag: "Absent" }
  | ({ readonly _tag: "Active" } & RecordFields)
  | ({ readonly _tag: "Deleted" } & RecordFields)

const REMEMBERED_KEYS = 64

const remember = (keys: ReadonlyArray<string>, key: string | undefined): ReadonlyArray<string> =>
  key === undefined ? keys : [...keys.slice(-(REMEMBERED_KEYS - 1)), key]

/** Shared: every new record starts here, and nothing mutates a state. */
const ABSENT: RecordState = Object.freeze({ _tag: "Absent" })

const initialState = (): RecordState => ABSENT

const evolve = (state: RecordState, event: RecordEvent): RecordState => {
  switch (event.type) {
    case "RecordCreated":
      return {
        _tag: "Active",
        table: event.data.table,
        id: event.data.id,
        data: event.data.data,
        creator: event.data.creator,
        idempotencyKeys: remember(state._tag === "Absent" ? [] : state.idempotencyKeys, event.data.idempotencyKey)
      }
    case "RecordUpdated":
      // Only a created record is ever updated or deleted; anything else in a stream is ignored.
      if (state._tag === "Absent") return state
      return { ...state, data: { ...state.data, ...event.data.changes }, idempotencyKeys: remember(state.idempotencyKeys, event.data.idempotencyKey) }
    case "RecordDeleted":
      if (state._tag === "Absent") return state
      return { ...state, _tag: "Deleted", idempotencyKeys: remember(state.idempotencyKeys, event.data.idempotencyKey) }
  }
}

/** Values compare as JSON: key order inside objects does not make a change. */
const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** `<kind>:<id>` of the creator, the form `requireCreator` names (a self-scope caller's own records). */
const creatorKeyOf = (state: RecordFields): string => `${state.creator.kind}:${state.creator.id}`

const notFound = new CommandRejected({ reason: "not_found", message: "no such record" })

const decide = (command: RecordCommand, state: RecordState): Result.Result<ReadonlyArray<RecordEvent>, CommandRejected> => {
  // A retried request (same Idempotency-Key) gets the first answer and appends nothing.
  if (command.idempotencyKey !== undefined && state._tag !== "Absent" && state.idempotencyKeys.includes(command.idempotencyKey)) return Result.succeed([])
  switch (command.type) {
    case "createRecord": {
      if (state._tag !== "Absent") return Result.fail(new CommandRejected({ reason: "conflict", message: `record ${command.table}:${command.id} already exists` }))
      return Result.succeed([{
        type: "RecordCreated",
        data: {
          table: command.table,
          id: command.id,
          data: command.data,
          creator: command.creator,
          ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey })
        }
      }])
    }
    case "updateRecord": {
      if (state._tag !== "Active") return Result.fail(notFound)
      if (command.requireCreator !== undefined && creatorKeyOf(state) !== command.requireCreator) return Result.fail(notFound)
      const changes: Record<string, unknown> = {}
      for (const [field, value] of Object.entries(command.changes)) {
        if (!sameJson(state.data[field], value) || !Object.hasOwn(state.data, field)) changes[field] = value
      }
      if (Object.keys(changes).length === 0 && command.idempotencyKey === undefined) return Result.succeed([])
      return Result.succeed([{
        type: "RecordUpdated",
        data: {
          table: state.table,
          id: state.id,
          changes,
          ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey })
        }
      }])
    }
    case "deleteRecord": {
      if (state._tag !== "Active") return Result.fail(notFound)
      if (command.requireCreator !== undefined && creatorKeyOf(state) !== command.requireCreator) return Result.fail(notFound)
      return Result.succeed([{
        type: "RecordDeleted",
        data: { table: state.table, id: state.id, ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey }) }
      }])
    }
  }
}

export const recordDecider: Decider<RecordState, RecordCommand, RecordEvent> = { initialState, evolve, decide }
