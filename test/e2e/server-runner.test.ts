import { Context, Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import { jsonLinesLogger } from "../../apps/server/src/log.js"
import { runFor, runnerOf, runningOn, runPromise } from "../../apps/server/src/runtime.js"

/** Every line written to stdout while `body` runs. */
const captured = async (body: () => Promise<void>): Promise<Array<Record<string, unknown>>> => {
  const lines: Array<string> = []
  const stdout = process.stdout.write
  process.stdout.write = ((chunk: string) => (lines.push(...String(chunk).split("\n").filter(Boolean)), true)) as typeof stdout
  try {
    await body()
  } finally {
    process.stdout.write = stdout
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>)
}

const request = (correlationId: string): HttpRequest =>
  ({ method: "GET", path: "/test", query: {}, headers: {}, params: {}, correlationId, remoteAddress: "127.0.0.1" }) as unknown as HttpRequest

describe("a server's runner", () => {
  // As a server's runner Layer makes it: from a context holding the JSON lines logger.
  const runner = runnerOf(Context.make(Logger.CurrentLoggers, new Set([jsonLinesLogger])) as Context.Context<any>, () => {
    throw new Error("not forked here")
  })

  it("annotates the logs of a request's programs with its correlation id, given when the program starts", async () => {
    const handler = runningOn(runner, () => runPromise(Effect.log("handled").pipe(Effect.as<HttpResponse>({ status: 204, body: "" }))))
    const lines = await captured(async () => {
      await handler(request("req-7"))
      await runFor(runner, "req-8", Effect.log("after an await").pipe(Effect.annotateLogs("step", "two")))
      await runFor(runner, undefined, Effect.log("no request"))
    })
    expect(lines).toEqual([
      { at: expect.any(String), level: "info", message: "handled", correlationId: "req-7" },
      { at: expect.any(String), level: "info", message: "after an await", correlationId: "req-8", step: "two" },
      { at: expect.any(String), level: "info", message: "no request" }
    ])
  })
})
