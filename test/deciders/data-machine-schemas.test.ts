import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  COLLECTION_CATEGORY,
  collectionAggregate,
  foldAsOf,
  MACHINE_CATEGORY,
  MACHINE_VAULT_CATEGORY,
  machineAggregate,
  machineIdsAggregate,
  machineVaultAggregate,
  RECORD_CATEGORY,
  recordAggregate,
  type Aggregate,
  type Command,
  type RecordedEvent
} from "@machhub/core"

/** What a command from the bus looks like to an aggregate: any payload at all. */
const command = (category: string, aggregateId: string, type: string, payload: unknown): Command => ({
  id: "c1",
  type,
  category,
  domain: "acme",
  aggregateId,
  actor: { kind: "user", id: "u1" },
  payload,
  correlationId: "corr"
})

/** The refusal an aggregate answers, or a failure of the test when it decides instead. */
const refusalOf = <S>(aggregate: Pick<Aggregate<S, any>, "handle" | "initialState">, sent: Command) =>
  Effect.runSync(Effect.flip(aggregate.handle(sent, aggregate.initialState())))

const stored = (stream: string, version: number, type: string, data: unknown): RecordedEvent => ({
  stream,
  version,
  position: version,
  id: `e${version}`,
  type,
  data,
  meta: { domain: "acme", actor: { kind: "user", id: "u1" }, correlationId: "corr", causationId: null, commandId: null, at: `2026-01-01T00:00:0${version}.000Z` }
})

const ada = { kind: "user", id: "u1" }
const sealed = (tag: string) => `gcm1.AAAAAAAAAAAAAAAA.${tag}.AAAAAAAAAAAAAAAAAAAAAA`

describe("a malformed command payload is refused invalid, naming what is wrong", () => {
  it("records: data must be an object, the creator an actor, changes present", () => {
    const record = (type: string, payload: unknown) => refusalOf(recordAggregate, command(RECORD_CATEGORY, "items:r1", type, payload))
    const base = { table: "items", id: "r1", data: { name: "bolt" }, creator: ada }
    for (const data of [["bolt"], "bolt", null, 3]) {
      const refusal = record("createRecord", { ...base, data })
      expect(refusal.reason).toBe("invalid")
      expect(refusal.message).toContain("data")
    }
    expect(record("createRecord", { ...base, creator: { kind: "robot", id: "r2d2" } }).message).toContain("creator")
    expect(record("createRecord", { ...base, table: 7 }).message).toContain("table")
    expect(record("createRecord", { ...base, idempotencyKey: 42 }).message).toContain("idempotencyKey")
    expect(record("updateRecord", {}).message).toContain("changes")
    expect(record("deleteRecord", { requireCreator: false }).reason).toBe("invalid")
    expect(record("createRecord", [base]).message).toBe("createRecord: the payload must be an object")
  })

  it("records: the data's own values are the collection schema's business, not the command's", () => {
    const decision = Effect.runSync(recordAggregate.handle(
      command(RECORD_CATEGORY, "items:r1", "createRecord", { table: "items", id: "r1", data: { deep: { list: [1, "two", null, { x: true }] } }, creator: ada }),
      recordAggregate.initialState()
    ))
    expect(decision.events).toHaveLength(1)
  })

  it("collections: access rules must be complete and well-formed", () => {
    const define = (payload: unknown) => refusalOf(collectionAggregate, command(COLLECTION_CATEGORY, "items", "defineCollection", payload))
    expect(define({ schema: null, access: { owner: "everyone", publicRead: false, publicWrite: false } }).message).toContain("owner")
    expect(define({ access: { owner: "self", publicRead: "yes", publicWrite: false } }).message).toContain("publicRead")
  })

  it("machines: a connection needs a host key, a registration its fields and a secrets object", () => {
    const machine = (type: string, payload: unknown) => refusalOf(machineAggregate, command(MACHINE_CATEGORY, "7", type, payload))
    expect(machine("connectMachine", { ownerId: "u1", ticket: "t1" }).message).toContain("hostKey")
    expect(machine("connectMachine", { ownerId: "u1", ticket: "t1", hostKey: { algorithm: "ssh-ed25519" } }).message).toContain("fingerprint")
    expect(machine("recordConnectOutcome", { ownerId: "u1", ticket: "t1" }).message).toContain("failure")
    expect(machine("registerMachine", { ownerId: "u1", ownerName: "ada", name: "m", hostname: "h", port: 22, username: "u", organization: null, secrets: {} })
      .message).toContain("port")
    expect(machine("registerMachine", { ownerId: "u1", ownerName: "ada", name: "m", hostname: "h", port: "22", username: "u", organization: null, secrets: "x" })
      .message).toContain("secrets")
    expect(machine("deleteMachine", {}).reason).toBe("invalid")
    expect(machine("powerOff", {}).message).toBe("unknown command powerOff for machine")
  })

  it("vaults: a derivation must name scrypt and carry numbers and a salt", () => {
    const vault = (type: string, payload: unknown) => refusalOf(machineVaultAggregate, command(MACHINE_VAULT_CATEGORY, "u1", type, payload))
    expect(vault("createVault", { check: sealed("Y2hlY2s") }).message).toContain("kdf")
    expect(vault("createVault", { kdf: { algorithm: "md5", logN: 15, r: 8, p: 1, salt: "c2FsdA" }, check: sealed("Y2hlY2s") }).message).toContain("algorithm")
    expect(vault("changeMasterPassword", { previousCheck: sealed("b2xk"), kdf: { algorithm: "scrypt", logN: 15, r: 8, p: 1, salt: "c2FsdA" }, check: sealed("bmV3") })
      .message).toContain("machines")
  })

  it("the owner, machine id and table come from the stream, whatever the payload says", () => {
    const vault = Effect.runSync(machineVaultAggregate.handle(
      command(MACHINE_VAULT_CATEGORY, "u1", "createVault", {
        ownerId: "someone-else",
        kdf: { algorithm: "scrypt", logN: 15, r: 8, p: 1, salt: "c2FsdHNhbHRzYWx0c2FsdA==" },
        check: sealed("Y2hlY2s")
      }),
      machineVaultAggregate.initialState()
    ))
    expect(vault.events[0]!.data).toMatchObject({ ownerId: "u1" })
    const collection = Effect.runSync(collectionAggregate.handle(
      command(COLLECTION_CATEGORY, "items", "defineCollection", { table: "other", access: { owner: "self", publicRead: false, publicWrite: false } }),
      collectionAggregate.initialState()
    ))
    expect(collection.events[0]!.data).toMatchObject({ table: "items", schema: null })
  })

  it("the machine id allocator takes no payload fields and refuses another command", () => {
    expect(Effect.runSync(machineIdsAggregate.handle(command("machineids", "sequence", "allocateMachineId", undefined), machineIdsAggregate.initialState())).result)
      .toEqual({ machineId: 1 })
    expect(refusalOf(machineIdsAggregate, command("machineids", "sequence", "freeMachineId", {})).reason).toBe("invalid")
  })
})

describe("stored events are decoded before they are folded", () => {
  const stream = "record-acme-items:r1"
  const created = stored(stream, 1, "RecordCreated", { table: "items", id: "r1", data: { name: "bolt" }, creator: ada })

  it("a well-formed event decodes to what evolve folds", () => {
    const decoded = recordAggregate.decodeEvent!(created)
    expect(Result.isSuccess(decoded) && decoded.success).toEqual({ type: "RecordCreated", data: created.data })
  })

  it("an event with a wrong field, or of a type the aggregate does not know, fails naming stream, version and type", () => {
    const broken = recordAggregate.decodeEvent!(stored(stream, 2, "RecordUpdated", { table: "items", id: "r1", changes: "price=4" }))
    expect(Result.isFailure(broken)).toBe(true)
    if (Result.isFailure(broken)) {
      expect(broken.failure.message).toContain("stored event record-acme-items:r1 version 2 (RecordUpdated)")
      expect(broken.failure.message).toContain("changes")
    }
    const foreign = machineAggregate.decodeEvent!(stored("machine-acme-7", 1, "RecordCreated", created.data))
    expect(Result.isFailure(foreign)).toBe(true)
  })

  it("a fold as of a moment stops at an event that does not decode instead of showing a state", () => {
    const good = foldAsOf(recordAggregate, [created], { kind: "position", position: 1 })
    expect(Result.isSuccess(good) && good.success?.state).toMatchObject({ _tag: "Active", data: { name: "bolt" } })
    const bad = foldAsOf(recordAggregate, [created, stored(stream, 2, "RecordDeleted", { table: "items" })], { kind: "position", position: 2 })
    expect(Result.isFailure(bad)).toBe(true)
    // Before the damaged event the history is still readable.
    expect(Result.isSuccess(foldAsOf(recordAggregate, [created, stored(stream, 2, "RecordDeleted", { table: "items" })], { kind: "position", position: 1 })))
      .toBe(true)
  })
})
