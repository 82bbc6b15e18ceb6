import { describe, expect, it } from "vitest"
import { commandOf, knownCommand, uuidv7, type CommandReply, type KnownCommand, type ReplyOf } from "@machhub/core"

/**
 * The edge builds commands from the aggregates' Schemas: a misspelt type or a payload that does not
 * fit its type fails to compile. The `@ts-expect-error` lines are checked by `npm run typecheck`: were
 * the typing loosened, they would no longer be errors and the typecheck would fail.
 */
describe("commands as the edge builds them", () => {
  const target = { id: uuidv7(), category: "user", domain: "acme", aggregateId: "u-1", actor: { kind: "user", id: "admin" }, correlationId: uuidv7() } as const

  it("accepts a declared command with its payload", () => {
    const command = knownCommand({ ...target, type: "changePassword", payload: { passwordHash: "scrypt$x" } })
    expect(command).toMatchObject({ type: "changePassword", payload: { passwordHash: "scrypt$x" } })
    expect(commandOf("disableUser", {})).toEqual({ type: "disableUser", payload: {} })
  })

  it("refuses at compile time a misspelt type, a wrong field type, a missing field and a field the envelope fills in", () => {
    // @ts-expect-error a misspelt command type
    knownCommand({ ...target, type: "disableUsr", payload: {} })
    // @ts-expect-error passwordHash is a string
    knownCommand({ ...target, type: "changePassword", payload: { passwordHash: 42 } })
    // @ts-expect-error memberships is missing
    knownCommand({ ...target, type: "registerUser", payload: { userId: "u-1", username: "ada", passwordHash: "h" } })
    // @ts-expect-error the home domain is the envelope's, never the caller's
    knownCommand({ ...target, type: "removeMembership", payload: { domain: "beta", homeDomain: "acme" } })
    // @ts-expect-error a command union member pairs a type with its own payload only
    const mismatched: KnownCommand = { type: "openSession", payload: { passwordHash: "h" } }
    expect(mismatched.type).toBe("openSession")
  })

  it("types each command's reply by its aggregate", () => {
    const reply: CommandReply<ReplyOf<"createGroup">> = { stream: "group-acme-ops", version: 1, position: 1, eventCount: 1, result: { permissions: [] } }
    expect(reply.result.permissions).toEqual([])
    // @ts-expect-error a group command answers the group's permissions, not a user id
    const wrong: ReplyOf<"createGroup"> = { userId: "u-1" }
    expect(wrong).toBeDefined()
  })

  it("types the reply per command where an aggregate's commands answer differently", () => {
    const login: ReplyOf<"login"> = { ok: false }
    const disabled: ReplyOf<"disableUser"> = { userId: "u-1" }
    const verdict: ReplyOf<"connectMachine"> = { accepted: true, pinned: null }
    const deleted: ReplyOf<"deleteMachine"> = { machineId: 7 }
    // @ts-expect-error a login answers a login result, not the user id every other user command answers
    const loginAsId: ReplyOf<"login"> = { userId: "u-1" }
    // @ts-expect-error deleting a machine answers its id, not a host-key verdict
    const deletedAsVerdict: ReplyOf<"deleteMachine"> = { accepted: true, pinned: null }
    expect([login, disabled, verdict, deleted, loginAsId, deletedAsVerdict]).toHaveLength(6)
  })
})
