import type { Command } from "../../commands/Command.js"
import type { ActorRef } from "../../eventstore/EventEnvelope.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { recordDecider, type RecordCommand, type RecordState } from "./RecordDecider.js"
import type { RecordData, RecordEvent } from "./RecordEvents.js"

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

export const recordAggregate = fromDecider<RecordState, RecordCommand, RecordEvent>({
  category: RECORD_CATEGORY,
  decider: recordDecider,
  toCommand: (command: Command): RecordCommand | undefined => {
    const payload = command.payload as Record<string, unknown> | null
    if (payload === null || typeof payload !== "object") return undefined
    switch (command.type) {
      case "createRecord":
      case "updateRecord":
      case "deleteRecord":
        return { ...payload, type: command.type } as RecordCommand
      default:
        return undefined
    }
  },
  reply: recordReply
})
