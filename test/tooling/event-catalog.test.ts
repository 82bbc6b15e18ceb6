import { spawnSync } from "node:child_process"
import { appendFileSync, cpSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { eventCatalog } from "../../apps/server/src/generated/eventCatalog.js"
import { tempDir } from "../support/temp.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

describe("the event catalog (docs/events.md, GET /api/events/catalog)", () => {
  it("is up to date with the event declarations in core (run `npm run build` or scripts/generate-event-catalog.mjs)", () => {
    const run = spawnSync(process.execPath, ["scripts/generate-event-catalog.mjs", "--check"], { cwd: root, encoding: "utf8" })
    expect(run.stderr + run.stdout).toMatch(/up to date/)
    expect(run.status).toBe(0)
  }, 60_000)

  it("fails the check once an event declaration changes without regenerating", () => {
    const dir = tempDir("machhub-catalog-")
    try {
      // package.json files too: they say the sources are ES modules.
      for (const path of ["package.json", "core/package.json", "core/src", "core/tsconfig.json", "tsconfig.base.json", "docs", "apps/server/src/generated"]) {
        cpSync(join(root, path), join(dir.path, path), { recursive: true })
      }
      symlinkSync(join(root, "node_modules"), join(dir.path, "node_modules"))
      const check = () => spawnSync(process.execPath, [join(root, "scripts/generate-event-catalog.mjs"), "--check", "--root", dir.path], { encoding: "utf8" })
      expect(check().status).toBe(0)
      appendFileSync(
        join(dir.path, "core/src/terminal/TerminalEvents.ts"),
        [
          "",
          'import { Schema as ProbeSchema } from "effect"',
          'import { EventSchema as probeEvent } from "../decider/Schemas.js"',
          'export const CatalogProbe = probeEvent("CatalogProbe", { x: ProbeSchema.String })',
          ""
        ].join("\n")
      )
      const stale = check()
      expect(stale.status).toBe(1)
      expect(stale.stderr).toMatch(/stale: docs\/events\.md, apps\/server\/src\/generated\/eventCatalog\.ts/)
    } finally {
      dir.cleanup()
    }
  }, 60_000)

  it("names a subject and fields for every event, and documents the envelope", () => {
    expect(eventCatalog.events.length).toBeGreaterThanOrEqual(40)
    for (const event of eventCatalog.events) {
      expect(event.subjects.length, event.type).toBeGreaterThan(0)
      for (const subject of event.subjects) expect(subject).toMatch(new RegExp(`^mh\\.evt\\.<domain>\\.[a-z][a-z0-9_]*\\.${event.type}$`))
    }
    const loginFailed = eventCatalog.events.find((e) => e.type === "LoginFailed")!
    // Recorded by the user aggregate, and for unknown usernames on the login stream.
    expect(loginFailed.subjects).toEqual(["mh.evt.<domain>.login.LoginFailed", "mh.evt.<domain>.user.LoginFailed"])
    expect(loginFailed.fields.map((f) => f.name)).toEqual(["userId", "username", "reason", "address"])
    expect(eventCatalog.envelope.map((f) => f.name).sort()).toEqual(["data", "id", "meta", "position", "stream", "type", "version"])
    expect(eventCatalog.types.find((t) => t.name === "LoginFailureReason")).toMatchObject({ definition: expect.stringContaining("bad_password") })
  })
})
