/**
 * Commands and events as Schemas: how an aggregate declares what it accepts and what it records.
 *
 * Commands (in `<Name>Commands.ts`): one Schema per command, built with `CommandSchema(type, fields)`:
 * the command as the decider sees it. Fields the envelope says (the aggregate id, the domain, the
 * actor) are filled in by the aggregate's `fromEnvelope` and never sent by callers. The command's
 * TypeScript type is the Schema's type:
 *
 *     export const SuspendKey = CommandSchema("suspendKey", {
 *       reason: Schema.optional(Schema.String),
 *       onlyIssuedBy: Schema.optional(Schema.String)
 *     })
 *     export type SuspendKey = typeof SuspendKey.Type   // { readonly type: "suspendKey"; readonly reason?: ... }
 *
 * Prefer `Schema.optional` (absent or undefined) for optional payload fields: a payload built in
 * process may carry `undefined` where one sent over NATS has no key. Keep the schema as loose as the
 * old TypeScript type (e.g. `Schema.Number`, not an integer check) when the decider already refuses
 * bad values with its own reason: the schema refuses what is not the declared shape ("invalid"), the
 * decider keeps the business rules.
 *
 * Events (in `<Name>Events.ts`): one Schema per event, built with `EventSchema(type, fields, description)`;
 * `fields` describe `data`. Field and type documentation goes in `description` annotations (the event
 * catalog, docs/events.md, is generated from them); a reusable structure gets an `identifier`
 * annotation and is listed once under "Types" in the catalog:
 *
 *     export const KeySuspended = EventSchema("KeySuspended", {
 *       keyId: Schema.String,
 *       reason: Schema.optionalKey(Schema.String)
 *     }, "Temporary: an administrator stops an abused key; `KeyResumed` lifts it.")
 *     export type KeySuspended = typeof KeySuspended.Type   // { readonly type: "KeySuspended"; readonly data: {...} }
 *
 * Export every event Schema: the catalog finds events among core's exports. Its subject's category
 * is the `category` of every aggregate listing it in `events`; an event no aggregate folds (written
 * straight to the store) takes the `*_CATEGORY` constant exported by its own file.
 *
 * Aggregates (in `<Name>Aggregate.ts`): `fromDecider({ category, decider, commands, events,
 * fromEnvelope?, toCommand?, reply?, upcast? })`. `commands` lists the command Schemas: a transport
 * command's payload, with `fromEnvelope(command)` laid over it (e.g. `{ keyId: command.aggregateId }`:
 * the stream names the key, a payload cannot point elsewhere), is decoded by the Schema its `type`
 * names; an unknown type or a payload that does not decode is refused `CommandRejected("invalid")`
 * naming the problem, never cast. `toCommand(decoded, command)` may adjust the decoded command.
 * `events` lists the event Schemas: the actor system decodes every stored event by them before
 * `evolve`, after `upcast` (default: unchanged) has turned an old version into the current one.
 *
 * States are tagged unions where "not yet existing" is a case (`{ _tag: "Absent" }`), never an
 * `exists` flag beside placeholder values.
 *
 * The edge (`runCommand`) accepts `{ type, payload }` only as some aggregate declares them: the union
 * of every aggregate's commands (without the fields `fromEnvelope` fills in) is `KnownCommand` in
 * commands/KnownCommands.ts, and what each answers is `ReplyOf<type>`. Add a new aggregate there.
 */
import { Result, Schema, SchemaIssue } from "effect"
import type { Command } from "../commands/Command.js"
import { CommandRejected } from "../commands/errors.js"
import type { RecordedEvent } from "../eventstore/EventEnvelope.js"
import { precompiledDecoder } from "./precompiledDecoder.js"

/** The Schema of one command: a `type` literal and its payload's fields, flat (`{ type, ...payload }`). */
export interface AnyCommandSchema extends Schema.Decoder<{ readonly type: string }> {
  readonly fields: { readonly type: Schema.Literal<string> }
}

/** The Schema of one event: a `type` literal and its `data`. */
export interface AnyEventSchema extends Schema.Decoder<{ readonly type: string; readonly data: unknown }> {
  readonly fields: { readonly type: Schema.Literal<string>; readonly data: Schema.Top }
}

/** Marks event Schemas so the catalog can tell them from other exported Schemas. */
export const EVENT_ANNOTATION = "machhubEvent"

/** Declares a command: its `type` and the fields of its payload. */
export const CommandSchema = <const T extends string, const F extends Schema.Struct.Fields>(type: T, fields: F) =>
  Schema.Struct({ ...fields, type: Schema.Literal(type) })

/** Declares an event: its `type`, the fields of its `data`, and what it means (shown in the catalog). */
export const EventSchema = <const T extends string, const F extends Schema.Struct.Fields>(type: T, fields: F, description?: string) =>
  Schema.Struct({ type: Schema.Literal(type), data: Schema.Struct(fields) }).annotate({
    [EVENT_ANNOTATION]: type,
    ...(description === undefined ? {} : { description })
  })

/** Whether a value is an event Schema declared with `EventSchema`. */
export const isEventSchema = (value: unknown): value is AnyEventSchema =>
  Schema.isSchema(value) && typeof value.ast.annotations?.[EVENT_ANNOTATION] === "string"

/** The type literal a command or event Schema declares. */
export const schemaType = (schema: AnyCommandSchema | AnyEventSchema): string => schema.fields.type.literal

/**
 * A command of an aggregate that checks payloads itself (no command Schemas yet): its type is known,
 * its payload is not.
 */
export interface UndeclaredCommand<T extends string> {
  readonly type: T
  readonly "~undeclared": true
}

/**
 * An aggregate's answers when some of its commands answer differently from the rest (type-level
 * only): `Default` for every command, except the types `ByType` names.
 */
export interface RepliesByType<Default, ByType> {
  readonly "~default": Default
  readonly "~byType": ByType
}

/** What command type `T` answers, given an aggregate's declared replies. */
export type ReplyFor<Reply, T> = Reply extends RepliesByType<infer D, infer M> ? (T extends keyof M ? M[T] : D) : Reply

/** What a command declares, as the edge sends it: `{ type, payload }` (and, type-level only, its answer). */
export type CommandInputOf<C extends { readonly type: string }, Reply = unknown> = C extends UndeclaredCommand<infer T>
  ? T extends unknown ? { readonly type: T; readonly payload: unknown; readonly "~reply"?: ReplyFor<Reply, T> } : never
  : C extends unknown ? { readonly type: C["type"]; readonly payload: Omit<C, "type">; readonly "~reply"?: ReplyFor<Reply, C["type"]> }
  : never

/**
 * A Schema's decoder, with its precompiled checks in front (see precompiledDecoder.ts): a value they
 * accept is decoded as the Schema would, anything else goes to the Schema's decoder, which decides.
 */
const decoderOf = <T>(schema: Schema.Decoder<T>): ((input: unknown) => Result.Result<T, Schema.SchemaError>) => {
  const decode = Schema.decodeUnknownResult(schema)
  const precompiled = precompiledDecoder(schema)
  if (precompiled === undefined) return decode
  return (input) => {
    const decoded = precompiled(input)
    return decoded === undefined ? decode(input) : Result.succeed(decoded as T)
  }
}

const formatIssue = SchemaIssue.makeFormatterDefault()
/** One line naming what is wrong and where, e.g. `Expected string at ["name"]`. */
const describeIssue = (issue: SchemaIssue.Issue): string => formatIssue(issue).replace(/\s*\n\s*/g, " ")

/**
 * Decodes a transport command's payload by the Schema its type names; compiled once per aggregate.
 * Answers `undefined` for a type the aggregate does not declare, and a refusal naming the problem for
 * a payload that does not decode.
 */
export const makeCommandDecoder = <C extends { readonly type: string }>(
  category: string,
  schemas: ReadonlyArray<AnyCommandSchema>,
  fromEnvelope?: (command: Command) => object
) => {
  const decoders = new Map(schemas.map((schema) => [schemaType(schema), decoderOf(schema)] as const))
  return (command: Command): Result.Result<C, CommandRejected> => {
    const decode = decoders.get(command.type)
    if (decode === undefined) {
      return Result.fail(new CommandRejected({ reason: "invalid", message: `unknown command ${command.type} for ${category}` }))
    }
    const payload = command.payload ?? {}
    if (typeof payload !== "object" || Array.isArray(payload)) {
      return Result.fail(new CommandRejected({ reason: "invalid", message: `${command.type}: the payload must be an object` }))
    }
    const decoded = decode(fromEnvelope === undefined ? { ...payload, type: command.type } : { ...payload, ...fromEnvelope(command), type: command.type })
    if (Result.isFailure(decoded)) {
      return Result.fail(new CommandRejected({ reason: "invalid", message: `${command.type}: ${describeIssue(decoded.failure.issue)}` }))
    }
    return decoded as Result.Result<C, never>
  }
}

/** A stored event as `upcast` sees and returns it: its type and data (the envelope stays as stored). */
export interface StoredEvent {
  readonly type: string
  readonly data: unknown
}

/** Turns an old version of a stored event into the current one; events already current pass unchanged. */
export type Upcast = (event: RecordedEvent) => StoredEvent

/** A stored event that does not decode by its aggregate's Schemas: names where it is and what is wrong. */
export class StoredEventInvalid extends Schema.TaggedError<StoredEventInvalid>()("StoredEventInvalid", {
  stream: Schema.String,
  version: Schema.Number,
  type: Schema.String,
  problem: Schema.String
}) {
  override get message(): string {
    return `stored event ${this.stream} version ${this.version} (${this.type}) cannot be read: ${this.problem}`
  }
}

/**
 * Decodes stored events by an aggregate's event Schemas, after its `upcast`; compiled once per
 * aggregate. Decoding a plain-data event costs about as much as only checking it (`Schema.is`
 * measured the same), 0.5 to 2 µs for a user event with nested memberships: a third of what reading
 * it from SQLite costs, so a replay of a long stream is that much slower, and a fresh aggregate (a new
 * record) reads nothing at all.
 */
export const makeEventDecoder = <E extends StoredEvent>(schemas: ReadonlyArray<AnyEventSchema>, upcast?: Upcast) => {
  const decoders = new Map(schemas.map((schema) => [schemaType(schema), decoderOf(schema)] as const))
  return (event: RecordedEvent): Result.Result<E, StoredEventInvalid> => {
    const current = upcast === undefined ? event : upcast(event)
    const decode = decoders.get(current.type)
    const invalid = (problem: string) =>
      Result.fail(new StoredEventInvalid({ stream: event.stream, version: event.version, type: current.type, problem }))
    if (decode === undefined) return invalid("its aggregate declares no such event type")
    const decoded = decode(current)
    return Result.isFailure(decoded) ? invalid(describeIssue(decoded.failure.issue)) : (decoded as Result.Result<E, never>)
  }
}
