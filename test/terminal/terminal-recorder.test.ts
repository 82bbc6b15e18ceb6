import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { makeTerminalRecorder, replayTerminal, type EventStoreService } from "@machhub/core"

describe("terminal recorder", () => {
  let dir: string
  let scope: Scope.Closeable
  let store: EventStoreService
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "machhub-recorder-"))
    scope = Effect.runSync(Scope.make())
    store = await Effect.runPromise(Scope.provide(scope)(makeSqliteEventStore({ path: join(dir, "events.db") })))
  })
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    rmSync(dir, { recursive: true, force: true })
  })

  const opened = {
    ticket: "t",
    machineId: 1,
    ownerId: "u1",
    hostname: "h",
    port: "22",
    username: "root",
    hostKey: { algorithm: "ssh-ed25519", fingerprint: "SHA256:x" },
    cols: 80,
    rows: 24
  }

  it("stores input, output, resizes and the close in order; output replays to the exact bytes, merged into few events", async () => {
    const stream = "sshsession-acme-t1"
    const recorder = makeTerminalRecorder({ store, stream, domain: "acme", actor: { kind: "user", id: "u1" }, correlationId: "c" })
    recorder.opened(opened)
    const sent: Array<Buffer> = []
    recorder.input(Buffer.from("ls\r"))
    for (let i = 0; i < 2_000; i++) {
      const chunk = Buffer.alloc(1 + (i % 700), i % 251)
      sent.push(chunk)
      recorder.output(chunk)
      if (i === 1000) recorder.resized(120, 40)
    }
    expect(recorder.pendingBytes()).toBeGreaterThan(0)
    await recorder.close("client", "bye")
    expect(recorder.pendingBytes()).toBe(0)
    const events = await Effect.runPromise(store.readStream(stream))
    const replay = replayTerminal(events)
    expect(Buffer.from(replay.output).equals(Buffer.concat(sent))).toBe(true)
    expect(Buffer.from(replay.input).toString()).toBe("ls\r")
    expect(replay.opened).toEqual(opened)
    expect(replay.closed).toMatchObject({ by: "client", reason: "bye" })
    expect(replay.frames.filter((f) => f.kind === "resize")).toMatchObject([{ cols: 120, rows: 40 }])
    // Chunks queued while an append was in flight were merged: far fewer events than chunks.
    expect(events.filter((e) => e.type === "TerminalOutput").length).toBeLessThan(200)
    // Offsets never go backwards.
    const times = replay.frames.map((f) => f.t)
    expect([...times].sort((a, b) => a - b)).toEqual(times)
  })

  it("reports a failure when its stream is written by someone else, and stops holding bytes", async () => {
    const stream = "sshsession-acme-t2"
    const failures: Array<string> = []
    const recorder = makeTerminalRecorder({ store, stream, domain: "acme", actor: { kind: "user", id: "u1" }, correlationId: "c", onFailure: (m) => failures.push(m) })
    await Effect.runPromise(store.append(stream, 0, [{ id: "0190f3c2-0000-7000-8000-000000000001", type: "Intruder", data: {}, meta: { domain: "acme", actor: { kind: "system", id: "system" }, correlationId: "c", causationId: null, commandId: null, at: new Date().toISOString() } }]))
    recorder.opened(opened)
    recorder.output(Buffer.from("x"))
    await recorder.close("client", "bye")
    expect(failures).toHaveLength(1)
    expect(recorder.pendingBytes()).toBe(0)
  })
})
