import type { NewEvent, RecordedEvent } from "@machhub/core"
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node"
import { Predicate } from "effect"
import { CONTENT_TYPE_HEADER, contentTypes, decodeMsgpack, encodeMsgpack } from "../../nats/codec.js"
import { positionOf } from "./positions.js"

/**
 * One JetStream message per append ("commit"): all its events travel together, so an append is atomic.
 *
 * Body (MessagePack, plain maps): `{ stream, events: [{ id, type, data, meta }] }`.
 * Headers, readable without decoding the body:
 * - `Nats-Msg-Id`: the first event's id (de-duplication of retried appends, see JetStreamEventStore);
 * - `Mh-Version`: the stream version of the commit's LAST event. `Nats-Expected-Last-Subject-Sequence`
 *   checks stream sequences, not versions, so the version has to be written down: the expected-sequence
 *   discipline guarantees the message it was computed from is still the subject's last one;
 * - `Mh-Events`: how many events the commit holds, so the versions and positions of all of them follow.
 */
export const VERSION_HEADER = "Mh-Version"
export const EVENTS_HEADER = "Mh-Events"
export const MSG_ID_HEADER = "Nats-Msg-Id"

/** What the headers of a stream's last commit say: enough to append after it or report its version. */
export interface CommitHead {
  /** Stream sequence of the commit; 0 for a stream without commits. */
  readonly seq: number
  /** Stream version after the commit (the version of its last event). */
  readonly version: number
  /** Number of events in the commit. */
  readonly count: number
  readonly firstId: string | undefined
}

export const emptyHead: CommitHead = { seq: 0, version: 0, count: 0, firstId: undefined }

/** Position of the head's last event; 0 for an empty stream. */
export const lastPositionOf = (head: CommitHead): number => (head.seq === 0 ? 0 : positionOf(head.seq, head.count - 1))

export const commitHeaders = (version: number, events: ReadonlyArray<NewEvent>): MsgHdrs => {
  const headers = natsHeaders()
  headers.set(VERSION_HEADER, String(version))
  headers.set(EVENTS_HEADER, String(events.length))
  headers.set(CONTENT_TYPE_HEADER, contentTypes.msgpack)
  return headers
}

export const encodeCommit = (stream: string, events: ReadonlyArray<NewEvent>): Uint8Array =>
  encodeMsgpack({ stream, events: events.map((e) => ({ id: e.id, type: e.type, data: e.data, meta: e.meta })) })

/** Thrown by the decoders below; callers turn it into EventStoreUnavailable naming the sequence. */
export class MalformedCommit extends Error {}

const positiveInteger = (headers: MsgHdrs | undefined, name: string): number => {
  const value = Number(headers?.get(name))
  if (!Number.isSafeInteger(value) || value < 1) throw new MalformedCommit(`header ${name} is missing or not a positive integer`)
  return value
}

export const headOf = (seq: number, headers: MsgHdrs | undefined): CommitHead => {
  const version = positiveInteger(headers, VERSION_HEADER)
  const count = positiveInteger(headers, EVENTS_HEADER)
  if (count > version) throw new MalformedCommit(`${count} events cannot end at version ${version}`)
  const firstId = headers?.get(MSG_ID_HEADER)
  return { seq, version, count, firstId: firstId === undefined || firstId === "" ? undefined : firstId }
}

export interface CommitBody {
  readonly stream: string
  readonly events: ReadonlyArray<NewEvent>
}

/**
 * A light structural check rather than a Schema: these messages are written by this adapter, and
 * catch-up decodes every event of the log, so the check stays on what the code below relies on.
 */
export const decodeCommit = (data: Uint8Array): CommitBody => {
  let body: unknown
  try {
    body = decodeMsgpack(data)
  } catch (error) {
    throw new MalformedCommit(`body is not MessagePack: ${String(error)}`)
  }
  if (!Predicate.isObject(body)) throw new MalformedCommit("body is not a map")
  const { stream, events } = body as { stream?: unknown; events?: unknown }
  if (!Predicate.isString(stream) || !Array.isArray(events)) throw new MalformedCommit("body lacks stream or events")
  for (const event of events as Array<Partial<NewEvent> | null>) {
    if (!Predicate.isObject(event) || !Predicate.isString(event.id) || !Predicate.isString(event.type)) {
      throw new MalformedCommit("an event lacks its id or type")
    }
  }
  return { stream, events: events as ReadonlyArray<NewEvent> }
}

/** The recorded events of one commit message, with their versions and positions. */
export const recordedEvents = (seq: number, headers: MsgHdrs | undefined, data: Uint8Array): Array<RecordedEvent> => {
  const head = headOf(seq, headers)
  const body = decodeCommit(data)
  if (body.events.length !== head.count) {
    throw new MalformedCommit(`${EVENTS_HEADER} says ${head.count} events, the body holds ${body.events.length}`)
  }
  const firstVersion = head.version - head.count + 1
  return body.events.map((event, i) => ({
    id: event.id,
    type: event.type,
    data: event.data,
    meta: event.meta,
    stream: body.stream,
    version: firstVersion + i,
    position: positionOf(seq, i)
  }))
}
