import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import { log } from "../../apps/server/src/log.js"
import { processRunner, runFor, runningOn, runPromise } from "../../apps/server/src/runtime.js"
import { adminApi } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/** Every line written to stdout and stderr while `body` runs, by stream. */
const captured = async (body: () => Promise<void>): Promise<{ out: Array<string>; err: Array<string> }> => {
  const lines = { out: [] as Array<string>, err: [] as Array<string> }
  const stdout = process.stdout.write
  const stderr = process.stderr.write
  process.stdout.write = ((chunk: string) => (lines.out.push(...String(chunk).split("\n").filter(Boolean)), true)) as typeof stdout
  process.stderr.write = ((chunk: string) => (lines.err.push(...String(chunk).split("\n").filter(Boolean)), true)) as typeof stderr
  try {
    await body()
  } finally {
    process.stdout.write = stdout
    process.stderr.write = stderr
  }
  return lines
}

const request = (correlationId: string): HttpRequest =>
  ({ method: "GET", path: "/test", query: {}, headers: {}, params: {}, correlationId, remoteAddress: "127.0.0.1" }) as unknown as HttpRequest

describe("one logger: Effect logs and log() print the same JSON lines", () => {
  it("prints an Effect log like log() does: at, level, message, then its annotations as fields; warnings on stderr", async () => {
    const lines = await captured(async () => {
      log("warn", "plain warning", { correlationId: "c-1" })
      await runFor(processRunner, "c-1", Effect.logWarning("effect warning"))
      await runFor(processRunner, undefined, Effect.logInfo("effect info", { extra: 1 }).pipe(Effect.annotateLogs({ stream: "record-acme-1" })))
      await runFor(processRunner, undefined, Effect.logError("it failed").pipe(Effect.annotateLogs({ step: "x" })))
    })
    const [plain, warning, failed] = lines.err.map((line) => JSON.parse(line))
    expect(Object.keys(plain)).toEqual(["at", "level", "message", "correlationId"])
    expect(Object.keys(warning)).toEqual(["at", "level", "message", "correlationId"])
    expect(warning).toMatchObject({ level: "warn", message: "effect warning", correlationId: "c-1" })
    expect(new Date(warning.at).toISOString()).toBe(warning.at)
    expect(failed).toMatchObject({ level: "error", message: "it failed", step: "x" })
    expect(lines.out.map((line) => JSON.parse(line))).toEqual([
      { at: expect.any(String), level: "info", message: "effect info", stream: "record-acme-1", detail: '{"extra":1}' }
    ])
  })

  it("annotates what a handler runs with its request's correlation id, on the runner it was given", async () => {
    const started: Array<string> = []
    const runner = {
      runPromise: <A, E>(effect: Effect.Effect<A, E>) => (started.push("promise"), processRunner.runPromise(effect)),
      runFork: <A, E>(effect: Effect.Effect<A, E>) => (started.push("fork"), processRunner.runFork(effect))
    }
    const handler = runningOn(runner, () =>
      runPromise(Effect.log("handled").pipe(Effect.as<HttpResponse>({ status: 204, body: "" }))))
    const lines = await captured(async () => {
      await handler(request("req-42"))
      // Outside any handler: the process runner, no correlation id of a request long gone.
      await runPromise(Effect.log("later"))
    })
    expect(started).toEqual(["promise"])
    expect(lines.out.map((line) => JSON.parse(line))).toEqual([
      { at: expect.any(String), level: "info", message: "handled", correlationId: "req-42" },
      { at: expect.any(String), level: "info", message: "later" }
    ])
  })
})

describe("one runtime per server", () => {
  const servers: Array<TestServer> = []
  afterEach(async () => {
    // In order: a server sharing another's data directory stops before that directory is removed.
    for (const server of servers.splice(0)) await server.dispose()
  })

  it("stopping one server of a process leaves the commands of another running to completion", async () => {
    const first = await startTestServer()
    servers.push(first)
    // Started last: were programs run on the most recent runtime, the first server's would be this one's.
    const second = await startTestServer()
    servers.push(second)
    const admin = await adminApi(first.url)
    const creations = Array.from({ length: 20 }, (_, i) => admin.json("POST", "/api/domains", { name: `d${i}` }))
    await second.stop()
    const answers = await Promise.all(creations)
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201))
    const listed = await admin.json("GET", "/api/domains")
    expect(listed.status).toBe(200)
    expect(JSON.stringify(listed.body)).toContain('"d19"')
  })

  it("after stop, the data directory's store and lock are released: a new server starts on it and sees what the first wrote", async () => {
    const first = await startTestServer()
    const admin = await adminApi(first.url)
    expect((await admin.json("POST", "/api/domains", { name: "kept" })).status).toBe(201)
    await first.stop()
    const again = await startTestServer({ dataDir: first.dataDir })
    servers.push(again, first)
    const listed = await (await adminApi(again.url)).json("GET", "/api/domains")
    expect(JSON.stringify(listed.body)).toContain('"kept"')
  })
})
