import { describe, it } from "vitest"
import { machineDecider, machineIdsDecider, machineVaultDecider, type HostKey, type MachineEvent, type MachineVaultEvent } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const sealed = (tag: string) => `gcm1.AAAAAAAAAAAAAAAA.${tag}.AAAAAAAAAAAAAAAAAAAAAA`
const keyA: HostKey = { algorithm: "ssh-ed25519", fingerprint: "SHA256:aaaa" }
const keyB: HostKey = { algorithm: "ssh-ed25519", fingerprint: "SHA256:bbbb" }

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

describe("machine decider", () => {
  it("registers a machine with sealed secrets", () => {
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration }).then([registered])
  })

  it("refuses a plaintext secret, a missing credential, or a passphrase without a key", () => {
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration, secrets: { password: "hunter2" } }).rejects("invalid")
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration, secrets: {} }).rejects("invalid")
    spec(machineDecider).given([]).when({ type: "registerMachine", ...registration, secrets: { passphrase: sealed("cA") } }).rejects("invalid")
  })

  it("never reuses an id, not even after a delete", () => {
    spec(machineDecider).given([registered]).when({ type: "registerMachine", ...registration }).rejects("conflict")
    spec(machineDecider).given([registered, { type: "MachineDeleted", data: { machineId: 7, ownerId: "u1" } }])
      .when({ type: "registerMachine", ...registration }).rejects("conflict")
  })

  it("lets only the owner delete, and only once; others see no machine", () => {
    spec(machineDecider).given([registered]).when({ type: "deleteMachine", ownerId: "u1" })
      .then([{ type: "MachineDeleted", data: { machineId: 7, ownerId: "u1" } }])
    spec(machineDecider).given([registered]).when({ type: "deleteMachine", ownerId: "u2" }).rejects("not_found")
    spec(machineDecider).given([registered, { type: "MachineDeleted", data: { machineId: 7, ownerId: "u1" } }])
      .when({ type: "deleteMachine", ownerId: "u1" }).rejects("not_found")
  })

  it("pins the host key on the first connection", () => {
    spec(machineDecider).given([registered]).when({ type: "connectMachine", ownerId: "u1", ticket: "t1", hostKey: keyA }).then([
      pinned,
      { type: "HostKeyVerified", data: { machineId: 7, ticket: "t1", hostKey: keyA } }
    ])
  })

  it("accepts the pinned key later, and refuses another one with a recorded mismatch", () => {
    spec(machineDecider).given([registered, pinned]).when({ type: "connectMachine", ownerId: "u1", ticket: "t2", hostKey: keyA })
      .then([{ type: "HostKeyVerified", data: { machineId: 7, ticket: "t2", hostKey: keyA } }])
    spec(machineDecider).given([registered, pinned]).when({ type: "connectMachine", ownerId: "u1", ticket: "t3", hostKey: keyB })
      .then([{ type: "HostKeyMismatch", data: { machineId: 7, ticket: "t3", presented: keyB, pinned: keyA } }])
  })

  it("refuses to connect another owner's or a deleted machine", () => {
    spec(machineDecider).given([registered]).when({ type: "connectMachine", ownerId: "u2", ticket: "t1", hostKey: keyA }).rejects("not_found")
    spec(machineDecider).given([registered, { type: "MachineDeleted", data: { machineId: 7, ownerId: "u1" } }])
      .when({ type: "connectMachine", ownerId: "u1", ticket: "t1", hostKey: keyA }).rejects("not_found")
  })

  it("records how a verified connection ended", () => {
    spec(machineDecider).given([registered, pinned]).when({ type: "recordConnectOutcome", ownerId: "u1", ticket: "t1", failure: null })
      .then([{ type: "MachineConnected", data: { machineId: 7, ticket: "t1" } }])
    spec(machineDecider).given([registered, pinned]).when({ type: "recordConnectOutcome", ownerId: "u1", ticket: "t1", failure: "refused credentials" })
      .then([{ type: "MachineConnectFailed", data: { machineId: 7, ticket: "t1", reason: "refused credentials" } }])
  })
})

describe("machine vault decider", () => {
  const kdf = { algorithm: "scrypt" as const, logN: 15, r: 8, p: 1, salt: "c2FsdHNhbHRzYWx0c2FsdA==" }
  const created: MachineVaultEvent = { type: "MachineVaultCreated", data: { ownerId: "u1", kdf, check: sealed("Y2hlY2s") } }

  it("creates a vault once; a second creation conflicts", () => {
    spec(machineVaultDecider).given([]).when({ type: "createVault", ownerId: "u1", kdf, check: sealed("Y2hlY2s") }).then([created])
    spec(machineVaultDecider).given([created]).when({ type: "createVault", ownerId: "u1", kdf, check: sealed("Y2hlY2s") }).rejects("conflict")
  })

  it("refuses a vault without a sealed check value or with a weak derivation", () => {
    spec(machineVaultDecider).given([]).when({ type: "createVault", ownerId: "u1", kdf, check: "plaintext" }).rejects("invalid")
    spec(machineVaultDecider).given([]).when({ type: "createVault", ownerId: "u1", kdf: { ...kdf, logN: 4 }, check: sealed("Y2hlY2s") }).rejects("invalid")
  })

  it("records rejected master passwords", () => {
    spec(machineVaultDecider).given([created]).when({ type: "rejectMasterPassword", ownerId: "u1", machineId: 3, address: "127.0.0.1" })
      .then([{ type: "MasterPasswordRejected", data: { ownerId: "u1", machineId: 3, address: "127.0.0.1" } }])
  })
})

describe("machine id allocator", () => {
  it("hands out 1, 2, 3 …", () => {
    spec(machineIdsDecider).given([]).when({ type: "allocateMachineId" }).then([{ type: "MachineIdAllocated", data: { machineId: 1 } }])
    spec(machineIdsDecider).given([{ type: "MachineIdAllocated", data: { machineId: 1 } }, { type: "MachineIdAllocated", data: { machineId: 2 } }])
      .when({ type: "allocateMachineId" }).then([{ type: "MachineIdAllocated", data: { machineId: 3 } }])
  })
})
