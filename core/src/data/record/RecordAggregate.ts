import { fromDecider } from "../../decider/fromDecider.js"
import type { ActorRef } from "../../eventstore/EventEnvelope.js"
import { RECORD_COMMANDS } from "./RecordCommands.js"
import { recordDecider, type RecordState } from "./RecordDecider.js"
import { RECORD_EVENTS, type RecordData } from "./RecordEvents.js"

/** Records of collections. Stream `record-<domain>-<table>:<id>`; the public id is `<domain>.<table>:<id>`. */
export const RECORD_CATEGORY = "record"

export const recordAggregateId = (table: string, id: string): string => `${table}:${id}`

export interface RecordReply {
  readonly exists: boolean
  readonly deleted: boolean
  readonly data: RecordData
  readonly creator: ActorRef | undefined
}

/** The caller's answer: the flat shape the edge reads, whatever state the record is in. */
export const recordReply = (state: RecordState): RecordReply =>
  state._tag === "Absent"
    ? { exists: false, deleted: false, data: {}, creator: undefined }
    : { exists: true, deleted: state._tag === "Deleted", data: state.data, creator: state.creator }

export const recordAggregate = fromDecider({
  category: RECORD_CATEGORY,
  decider: recordDecider,
  commands: RECORD_COMMANDS,
  events: RECORD_EVENTS,
  reply: recordReply
})
