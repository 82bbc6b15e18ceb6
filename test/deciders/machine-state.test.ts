import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  fold,
  MACHINE_CATEGORY,
  machineAggregate,
  machineDecider,
  machineIdsDecider,
  machineVaultDecider,
  type Command,
  type HostKey,
  type MachineEvent,
  type MachineVaultEvent
} from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const sealed = (tag: string) => `gcm1.AAAAAAAAAAAAAAAA.${tag}.AAAAAAAAAAAAAAAAAAAAAA`
const keyA: HostKey = { algorithm: "ssh-ed25519", fingerprint: "SHA256:aaaa" }
const registration = {
  machineId: 7,
  ownerId: "u1",
  ownerName: "ada",
  name: "Production Server",
  hostname: "192.168.1.100",
  port: "22",
  username: "ubuntu",
  organization: null,
  secrets: { password: sealed("cGFzcw") }
}
const registered: MachineEvent = { type: "MachineRegistered", data: registration }
const pinned: MachineEvent = { type: "HostKeyPinned", data: { machineId: 7, hostKey: keyA } }
const deleted: MachineEvent = { type: "MachineDeleted", data: { machineId: 7, ownerId: "u1" } }

describe("machine state", () => {
  it("is absent, then active with its pinned key, then deleted", () => {
    expect(fold(machineDecider, [])).toEqual({ _tag: "Absent" })
    expect(fold(machineDecider, [registered])).toEqual({ _tag: "Active", machineId: 7, ownerId: "u1", hostKey: null })
    expect(fold(machineDecider, [registered, pinned])).toEqual({ _tag: "Active", machineId: 7, ownerId: "u1", hostKey: keyA })
    expect(fold(machineDecider, [registered, pinned, deleted])).toEqual({ _tag: "Deleted", machineId: 7, ownerId: "u1", hostKey: keyA })
  })

  it("refuses every owner's command on a machine never registered", () => {
    spec(machineDecider).given([]).when({ type: "deleteMachine", ownerId: "u1" }).rejects("not_found")
    spec(machineDecider).given([]).when({ type: "connectMachine", ownerId: "u1", ticket: "t1", hostKey: keyA }).rejects("not_found")
    spec(machineDecider).given([]).when({ type: "recordConnectOutcome", ownerId: "u1", ticket: "t1", failure: null }).rejects("not_found")
  })

  it("refuses a connection without a ticket or host key, and an outcome without a ticket", () => {
    spec(machineDecider).given([registered]).when({ type: "connectMachine", ownerId: "u1", ticket: "", hostKey: keyA }).rejects("invalid")
    spec(machineDecider).given([registered]).when({ type: "connectMachine", ownerId: "u1", ticket: "t1", hostKey: { algorithm: "", fingerprint: "" } })
      .rejects("invalid")
    spec(machineDecider).given([registered]).when({ type: "recordConnectOutcome", ownerId: "u1", ticket: " ", failure: null }).rejects("invalid")
  })

  it("refuses a registration with an empty field or an id that is not a positive integer", () => {
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration, hostname: " " }).rejects("invalid")
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration, machineId: 0 }).rejects("invalid")
  })
})

describe("machine aggregate replies", () => {
  const command = (type: string, payload: unknown, aggregateId = "7"): Command => ({
    id: "c1",
    type,
    category: MACHINE_CATEGORY,
    domain: "acme",
    aggregateId,
    actor: { kind: "user", id: "u1" },
    payload,
    correlationId: "corr"
  })

  it("registers under the id its stream names and answers it", () => {
    const decision = Effect.runSync(machineAggregate.handle(command("registerMachine", { ...registration, machineId: 99 }), machineAggregate.initialState()))
    expect(decision.events).toEqual([registered])
    expect(decision.result).toEqual({ machineId: 7 })
  })

  it("answers a connection with the verdict and the pinned key", () => {
    const state = fold(machineDecider, [registered, pinned])
    const accepted = Effect.runSync(machineAggregate.handle(command("connectMachine", { ownerId: "u1", ticket: "t1", hostKey: keyA }), state))
    expect(accepted.result).toEqual({ accepted: true, pinned: keyA })
    const other = { algorithm: "ssh-ed25519", fingerprint: "SHA256:bbbb" }
    const refused = Effect.runSync(machineAggregate.handle(command("connectMachine", { ownerId: "u1", ticket: "t2", hostKey: other }), state))
    expect(refused.result).toEqual({ accepted: false, pinned: keyA })
  })
})

describe("machine vault state", () => {
  const kdf = { algorithm: "scrypt" as const, logN: 15, r: 8, p: 1, salt: "c2FsdHNhbHRzYWx0c2FsdA==" }
  const created: MachineVaultEvent = { type: "MachineVaultCreated", data: { ownerId: "u1", kdf, check: sealed("b2xk") } }

  it("is absent until created, then holds the current check value and salt", () => {
    expect(fold(machineVaultDecider, [])).toEqual({ _tag: "Absent" })
    expect(fold(machineVaultDecider, [created])).toEqual({ _tag: "Active", ownerId: "u1", check: sealed("b2xk"), salt: kdf.salt })
  })

  it("refuses to record a rejected password or re-seal machines without a vault", () => {
    spec(machineVaultDecider).given([]).when({ type: "rejectMasterPassword", ownerId: "u1", machineId: null, address: null }).rejects("not_found")
    spec(machineVaultDecider).given([]).when({ type: "resealMachines", ownerId: "u1", check: sealed("b2xk"), machines: [] }).rejects("not_found")
  })
})

describe("machine id allocator state", () => {
  it("is absent until the first id, then remembers the last one", () => {
    expect(fold(machineIdsDecider, [])).toEqual({ _tag: "Absent" })
    expect(fold(machineIdsDecider, [{ type: "MachineIdAllocated", data: { machineId: 4 } }])).toEqual({ _tag: "Active", last: 4 })
  })
})
