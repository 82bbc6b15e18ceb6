import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fold, RECORD_CATEGORY, recordAggregate, recordDecider, type ActorRef, type Command, type RecordEvent } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const ada: ActorRef = { kind: "user", id: "u1" }
const created: RecordEvent = {
  type: "RecordCreated",
  data: { table: "items", id: "r1", data: { name: "bolt", price: 3, size: { w: 1, h: 2 } }, creator: ada }
}
const deleted: RecordEvent = { type: "RecordDeleted", data: { table: "items", id: "r1" } }
const create = { type: "createRecord" as const, table: "items", id: "r1", data: { name: "bolt", price: 3, size: { w: 1, h: 2 } }, creator: ada }

describe("record decider", () => {
  it("creates a record that does not exist yet", () => {
    spec(recordDecider).given([]).when(create).then([created])
  })

  it("keeps the request's idempotency key in the creation", () => {
    spec(recordDecider).given([]).when({ ...create, idempotencyKey: "k1" })
      .then([{ type: "RecordCreated", data: { ...created.data, idempotencyKey: "k1" } } as RecordEvent])
  })

  it("refuses to create a record that exists, or existed and was deleted", () => {
    spec(recordDecider).given([created]).when(create).rejects("conflict")
    spec(recordDecider).given([created, deleted]).when(create).rejects("conflict")
  })

  it("records only the fields an update really changes (values compare as JSON)", () => {
    spec(recordDecider).given([created])
      .when({ type: "updateRecord", changes: { name: "bolt", price: 4, size: { h: 2, w: 1 }, color: "red" } })
      .then([{ type: "RecordUpdated", data: { table: "items", id: "r1", changes: { price: 4, color: "red" } } }])
  })

  it("appends nothing for an update that changes nothing", () => {
    spec(recordDecider).given([created]).when({ type: "updateRecord", changes: { name: "bolt" } }).then([])
  })

  it("still records a keyed update that changes nothing, so a retry is recognised", () => {
    spec(recordDecider).given([created]).when({ type: "updateRecord", changes: { name: "bolt" }, idempotencyKey: "k2" })
      .then([{ type: "RecordUpdated", data: { table: "items", id: "r1", changes: {}, idempotencyKey: "k2" } }])
  })

  it("answers a retried command (same key) with no new event", () => {
    const keyedCreate: RecordEvent = { type: "RecordCreated", data: { ...created.data, idempotencyKey: "k1" } } as RecordEvent
    const keyedUpdate: RecordEvent = { type: "RecordUpdated", data: { table: "items", id: "r1", changes: { price: 4 }, idempotencyKey: "k2" } }
    const keyedDelete: RecordEvent = { type: "RecordDeleted", data: { table: "items", id: "r1", idempotencyKey: "k3" } }
    spec(recordDecider).given([keyedCreate]).when({ ...create, idempotencyKey: "k1" }).then([])
    spec(recordDecider).given([keyedCreate, keyedUpdate]).when({ type: "updateRecord", changes: { price: 4 }, idempotencyKey: "k2" }).then([])
    spec(recordDecider).given([keyedCreate, keyedUpdate, keyedDelete]).when({ type: "deleteRecord", idempotencyKey: "k3" }).then([])
  })

  it("forgets all but the 64 most recent keys", () => {
    const updates: Array<RecordEvent> = Array.from({ length: 64 }, (_, i) => ({
      type: "RecordUpdated",
      data: { table: "items", id: "r1", changes: {}, idempotencyKey: `u${i}` }
    }))
    const history: Array<RecordEvent> = [{ type: "RecordCreated", data: { ...created.data, idempotencyKey: "first" } } as RecordEvent, ...updates]
    spec(recordDecider).given(history).when({ type: "updateRecord", changes: {}, idempotencyKey: "u0" }).then([])
    spec(recordDecider).given(history).when({ type: "updateRecord", changes: {}, idempotencyKey: "first" })
      .then([{ type: "RecordUpdated", data: { table: "items", id: "r1", changes: {}, idempotencyKey: "first" } }])
  })

  it("refuses to update or delete a record that never existed or was deleted", () => {
    spec(recordDecider).given([]).when({ type: "updateRecord", changes: { price: 4 } }).rejects("not_found")
    spec(recordDecider).given([]).when({ type: "deleteRecord" }).rejects("not_found")
    spec(recordDecider).given([created, deleted]).when({ type: "updateRecord", changes: { price: 4 } }).rejects("not_found")
    spec(recordDecider).given([created, deleted]).when({ type: "deleteRecord" }).rejects("not_found")
  })

  it("deletes a record", () => {
    spec(recordDecider).given([created]).when({ type: "deleteRecord" }).then([deleted])
    spec(recordDecider).given([created]).when({ type: "deleteRecord", idempotencyKey: "k3" })
      .then([{ type: "RecordDeleted", data: { table: "items", id: "r1", idempotencyKey: "k3" } }])
  })

  it("lets a caller limited to its own records change only those; others look missing", () => {
    spec(recordDecider).given([created]).when({ type: "updateRecord", changes: { price: 4 }, requireCreator: "user:u1" })
      .then([{ type: "RecordUpdated", data: { table: "items", id: "r1", changes: { price: 4 } } }])
    spec(recordDecider).given([created]).when({ type: "updateRecord", changes: { price: 4 }, requireCreator: "user:u2" }).rejects("not_found")
    spec(recordDecider).given([created]).when({ type: "deleteRecord", requireCreator: "apikey:u1" }).rejects("not_found")
    spec(recordDecider).given([created]).when({ type: "deleteRecord", requireCreator: "user:u1" }).then([deleted])
  })
})

describe("record state", () => {
  it("is absent, then active with merged data, then deleted keeping its last data", () => {
    expect(fold(recordDecider, [])._tag).toBe("Absent")
    const updated: RecordEvent = { type: "RecordUpdated", data: { table: "items", id: "r1", changes: { price: 4 } } }
    expect(fold(recordDecider, [created, updated])).toEqual({
      _tag: "Active",
      table: "items",
      id: "r1",
      data: { name: "bolt", price: 4, size: { w: 1, h: 2 } },
      creator: ada,
      idempotencyKeys: []
    })
    const gone = fold(recordDecider, [created, updated, deleted])
    expect(gone._tag).toBe("Deleted")
    expect(gone._tag === "Deleted" && gone.data).toEqual({ name: "bolt", price: 4, size: { w: 1, h: 2 } })
  })
})

describe("record aggregate", () => {
  const command = (type: string, payload: unknown): Command => ({
    id: "c1",
    type,
    category: RECORD_CATEGORY,
    domain: "acme",
    aggregateId: "items:r1",
    actor: ada,
    payload,
    correlationId: "corr"
  })

  it("answers a creation with the record's data and creator", () => {
    const decision = Effect.runSync(recordAggregate.handle(command("createRecord", { table: "items", id: "r1", data: create.data, creator: ada }), recordAggregate.initialState()))
    expect(decision.events).toEqual([created])
    expect(decision.result).toEqual({ exists: true, deleted: false, data: create.data, creator: ada })
  })

  it("answers a deletion with the deleted record", () => {
    const state = fold(recordDecider, [created])
    const decision = Effect.runSync(recordAggregate.handle(command("deleteRecord", {}), state))
    expect(decision.result).toEqual({ exists: true, deleted: true, data: create.data, creator: ada })
  })

  it("refuses an unknown command type or a payload that is not an object as invalid", () => {
    for (const bad of [command("renameRecord", {}), command("createRecord", null), command("updateRecord", "changes")]) {
      const refusal = Effect.runSync(Effect.flip(recordAggregate.handle(bad, recordAggregate.initialState())))
      expect(refusal.reason).toBe("invalid")
    }
  })
})
