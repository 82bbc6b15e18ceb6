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

describe("machine vault decider: changing the master password", () => {
  const kdf = { algorithm: "scrypt" as const, logN: 15, r: 8, p: 1, salt: "c2FsdHNhbHRzYWx0c2FsdA==" }
  const kdf2 = { ...kdf, salt: "bmV3c2FsdG5ld3NhbHRuZXc=" }
  const created: MachineVaultEvent = { type: "MachineVaultCreated", data: { ownerId: "u1", kdf, check: sealed("b2xk") } }
  const machines = [
    { domain: "ops", machineId: 1, secrets: { password: sealed("bmV3MQ") } },
    { domain: "lab", machineId: 1, secrets: { privateKey: sealed("a2V5"), passphrase: sealed("cGhy") } }
  ]
  const change = { type: "changeMasterPassword" as const, ownerId: "u1", previousCheck: sealed("b2xk"), kdf: kdf2, check: sealed("bmV3"), machines }
  const changed: MachineVaultEvent = { type: "MasterPasswordChanged", data: { ownerId: "u1", kdf: kdf2, check: sealed("bmV3"), machines } }

  it("records the new derivation, check value and every re-sealed machine in one event", () => {
    spec(machineVaultDecider).given([created]).when(change).then([changed])
  })

  it("refuses a change based on a superseded password (a concurrent change won)", () => {
    spec(machineVaultDecider).given([created, changed]).when(change).rejects("conflict")
  })

  it("refuses a change without a vault, with the old salt, or with anything unsealed", () => {
    spec(machineVaultDecider).given([]).when(change).rejects("not_found")
    spec(machineVaultDecider).given([created]).when({ ...change, kdf }).rejects("invalid")
    spec(machineVaultDecider).given([created]).when({ ...change, check: "plaintext" }).rejects("invalid")
    spec(machineVaultDecider).given([created]).when({ ...change, machines: [{ domain: "ops", machineId: 1, secrets: { password: "hunter2" } }] })
      .rejects("invalid")
    spec(machineVaultDecider).given([created]).when({ ...change, machines: [machines[0]!, machines[0]!] }).rejects("invalid")
    spec(machineVaultDecider).given([created]).when({ ...change, machines: [{ domain: "", machineId: 1, secrets: machines[0]!.secrets }] })
      .rejects("invalid")
  })

  it("the new check value is the one a later change must name", () => {
    spec(machineVaultDecider).given([created, changed])
      .when({ ...change, previousCheck: sealed("bmV3"), kdf: { ...kdf, salt: "dGhpcmRzYWx0dGhpcmRzYWw=" }, check: sealed("dGhpcmQ") })
      .then([{ type: "MasterPasswordChanged", data: { ownerId: "u1", kdf: { ...kdf, salt: "dGhpcmRzYWx0dGhpcmRzYWw=" }, check: sealed("dGhpcmQ"), machines } }])
  })

  it("re-seals machines that raced a change, only under the current check value", () => {
    const straggler = [{ domain: "ops", machineId: 9, secrets: { password: sealed("bGF0ZQ") } }]
    spec(machineVaultDecider).given([created, changed]).when({ type: "resealMachines", ownerId: "u1", check: sealed("bmV3"), machines: straggler })
      .then([{ type: "MachineSecretsResealed", data: { ownerId: "u1", machines: straggler } }])
    spec(machineVaultDecider).given([created, changed]).when({ type: "resealMachines", ownerId: "u1", check: sealed("b2xk"), machines: straggler })
      .rejects("conflict")
    spec(machineVaultDecider).given([created, changed]).when({ type: "resealMachines", ownerId: "u1", check: sealed("bmV3"), machines: [] }).then([])
  })
})

describe("machine id allocator", () => {
  it("hands out 1, 2, 3 …", () => {
    spec(machineIdsDecider).given([]).when({ type: "allocateMachineId" }).then([{ type: "MachineIdAllocated", data: { machineId: 1 } }])
    spec(machineIdsDecider).given([{ type: "MachineIdAllocated", data: { machineId: 1 } }, { type: "MachineIdAllocated", data: { machineId: 2 } }])
      .when({ type: "allocateMachineId" }).then([{ type: "MachineIdAllocated", data: { machineId: 3 } }])
  })
})
