import type { DomainEvent } from "../../decider/Decider.js"
import type { ActorRef } from "../../eventstore/EventEnvelope.js"

/** A record's own fields: a JSON object. */
export type RecordData = Readonly<Record<string, unknown>>

export type RecordCreated = DomainEvent<"RecordCreated", {
  readonly table: string
  readonly id: string
  readonly data: RecordData
  readonly creator: ActorRef
  readonly idempotencyKey?: string
}>

/** Only the fields that changed, with their new values (SPEC §6: partial merge). */
export type RecordUpdated = DomainEvent<"RecordUpdated", {
  readonly table: string
  readonly id: string
  readonly changes: RecordData
  readonly idempotencyKey?: string
}>

export type RecordDeleted = DomainEvent<"RecordDeleted", {
  readonly table: string
  readonly id: string
  readonly idempotencyKey?: string
}>

export type RecordEvent = RecordCreated | RecordUpdated | RecordDeleted
