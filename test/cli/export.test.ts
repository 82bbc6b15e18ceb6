import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir } from "../support/temp.js"
import { runCli } from "./cliProcess.js"
import { appendAll, newEvent, withStore } from "./logFixture.js"

interface Line {
  position: number
  id: string
  stream: string
  version: number
  type: string
  data: any
  meta: { domain: string; actor: { kind: string; id: string }; at: string }
}

describe("machhub export", () => {
  const dir = tempDir("machhub-cli-export-")
  // position: [stream, event]
  const log = [
    ["domain-machhub_admin-acme", newEvent("DomainCreated", { name: "acme" }, { domain: "machhub_admin", actor: "system:system", at: "2025-01-01T00:00:00.000Z" })],
    ["domain-machhub_admin-globex", newEvent("DomainCreated", { name: "globex" }, { domain: "machhub_admin", actor: "system:system", at: "2025-01-01T00:00:01.000Z" })],
    ["record-acme-products:p1", newEvent("RecordCreated", { table: "products", id: "p1", data: { name: "bolt" }, creator: { kind: "user", id: "u1" } }, { domain: "acme", actor: "user:u1", at: "2025-01-02T00:00:00.000Z" })],
    ["record-acme-products:p1", newEvent("RecordUpdated", { table: "products", id: "p1", changes: { price: 3 } }, { domain: "acme", actor: "user:u1", at: "2025-01-03T00:00:00.000Z" })],
    ["record-globex-parts:q1", newEvent("RecordCreated", { table: "parts", id: "q1", data: { blob: Buffer.from("hello") }, creator: { kind: "user", id: "u2" } }, { domain: "globex", actor: "user:u2", at: "2025-01-04T00:00:00.000Z" })],
    ["user-acme-u1", newEvent("LoginSucceeded", { userId: "u1", username: "alice", address: "10.0.0.1" }, { domain: "acme", actor: "user:u1", at: "2025-01-05T00:00:00.000Z" })],
    ["record-acme-products:p1", newEvent("RecordDeleted", { table: "products", id: "p1" }, { domain: "acme", actor: "key:k9", at: "2025-01-06T00:00:00.000Z" })]
  ] as const

  beforeAll(() => withStore(join(dir.path, "events.db"), (store) => appendAll(store, log)))
  afterAll(() => dir.cleanup())

  const exportLines = async (...args: Array<string>) => {
    const result = await runCli(["export", "--data-dir", dir.path, ...args])
    expect(result.stderr).toMatch(/^export: \d+ events from positions/m)
    expect(result.code).toBe(0)
    return result.stdout === "" ? [] : result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Line)
  }
  const positions = (lines: ReadonlyArray<Line>) => lines.map((line) => line.position)

  it("writes every event as one JSON envelope per line, in log order", async () => {
    const lines = await exportLines()
    expect(positions(lines)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(lines[3]).toEqual({
      position: 4,
      id: log[3][1].id,
      stream: "record-acme-products:p1",
      version: 2,
      type: "RecordUpdated",
      data: { table: "products", id: "p1", changes: { price: 3 } },
      meta: { ...log[3][1].meta }
    })
    // Binary values, which JSON has no type for, are written as base64.
    expect(lines[4]!.data.data.blob).toBe(Buffer.from("hello").toString("base64"))
  })

  it("filters by position, type, domain, stream, actor and time, combined with AND", async () => {
    expect(positions(await exportLines("--from", "3", "--to", "5"))).toEqual([3, 4, 5])
    expect(positions(await exportLines("--type", "RecordCreated,RecordDeleted"))).toEqual([3, 5, 7])
    expect(positions(await exportLines("--type", "RecordCreated", "--type", "LoginSucceeded"))).toEqual([3, 5, 6])
    expect(positions(await exportLines("--domain", "acme"))).toEqual([3, 4, 6, 7])
    expect(positions(await exportLines("--stream", "record-acme-products:p1"))).toEqual([3, 4, 7])
    expect(positions(await exportLines("--actor", "key:k9"))).toEqual([7])
    expect(positions(await exportLines("--actor", "u2"))).toEqual([5])
    expect(positions(await exportLines("--since", "2025-01-03", "--until", "2025-01-05T00:00:00Z"))).toEqual([4, 5, 6])
    expect(positions(await exportLines("--domain", "acme", "--type", "RecordCreated,RecordUpdated", "--from", "4"))).toEqual([4])
    expect(await exportLines("--domain", "nowhere")).toEqual([])
  })

  it("writes to --out instead of stdout", async () => {
    const out = join(dir.path, "export.ndjson")
    const result = await runCli(["export", "--data-dir", dir.path, "--type", "RecordCreated", "--out", out])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain(`export: 2 events from positions 1..7 to ${out}`)
    expect(readFileSync(out, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line).position)).toEqual([3, 5])
  })
})
