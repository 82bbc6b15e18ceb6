import { Worker } from "node:worker_threads"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/**
 * A tenant's regular expressions (collection schema `pattern`, `patternProperties`, `propertyNames`)
 * cannot stall the server every tenant shares. `^(a+)+$` against "aaa…a!" takes V8's backtracking
 * engine ~2^n steps: 5.5 s at 30 characters, about an hour and a half at 40, and a 100,000-character
 * value would never finish. The server here runs in this test's process, on the same event loop as
 * the test itself, so had any evil write backtracked, no request of this file (nor the file) would
 * finish within the test timeout (the watchdog below turns such a hang into a failure).
 */

/**
 * A thread that ends this test process if its event loop stops turning for `silentMs`: a backtracking
 * regression would otherwise hang here for hours (the test timeout itself needs the event loop).
 */
const startWatchdog = (silentMs: number): (() => Promise<number>) => {
  const worker = new Worker(`
    const { writeSync } = require("node:fs")
    const { parentPort, workerData } = require("node:worker_threads")
    let last = Date.now()
    parentPort.on("message", () => { last = Date.now() })
    setInterval(() => {
      if (Date.now() - last < workerData.silentMs) return
      writeSync(2, "regex-safety: the event loop was blocked for " + workerData.silentMs + " ms (a pattern backtracking?); ending the test process\\n")
      process.kill(process.pid, "SIGKILL")
    }, 500)
  `, { eval: true, workerData: { silentMs } })
  worker.unref()
  const beat = setInterval(() => worker.postMessage(0), 250)
  return () => {
    clearInterval(beat)
    return worker.terminate()
  }
}

describe("tenant regular expressions run in linear time", () => {
  let server: TestServer
  let acme: Api
  let globex: Api
  let stopWatchdog: () => Promise<number>
  beforeAll(async () => {
    stopWatchdog = startWatchdog(20_000)
    server = await startTestServer()
    const admin = await adminApi(server.url)
    for (const name of ["acme", "globex"]) expect((await admin.json("POST", "/api/domains", { name })).status).toBe(201)
    acme = admin.inDomain("acme")
    globex = admin.inDomain("globex")
  })
  afterAll(async () => {
    await server.dispose()
    await stopWatchdog()
  })

  const EVIL = "^(a+)+$"
  const evilValue = (length: number): string => `${"a".repeat(length - 1)}!`

  it("accepts the backtracking pattern and answers the evil writes at once, while other tenants and /healthz are served", async () => {
    const define = async (name: string, schema: object) => expect((await acme.json("POST", "/api/collections", { name, schema })).status).toBe(201)
    await define("evil_value", { type: "object", properties: { name: { type: "string", pattern: EVIL } } })
    await define("evil_keys", { type: "object", patternProperties: { [EVIL]: { type: "number" } }, additionalProperties: false })
    await define("evil_names", { type: "object", propertyNames: { pattern: EVIL } })
    const existing = await acme.json("POST", "/machhub/evil_value", { name: "aaaa" })
    expect(existing.status).toBe(201)

    const lengths = [30, 40, 100_000]
    const evilWrites = lengths.flatMap((length) => {
      const value = evilValue(length)
      const field = length > 100 ? `${value.slice(0, 20)}` : value
      return [
        { write: acme.json("POST", "/machhub/evil_value", { name: value }), expected: `field name: must match pattern "${EVIL}"` },
        { write: acme.json("PUT", `/machhub/${existing.body.id}`, { name: value }), expected: `field name: must match pattern "${EVIL}"` },
        { write: acme.json("POST", "/machhub/evil_keys", { [value]: 1 }), expected: `field ${field}` },
        { write: acme.json("POST", "/machhub/evil_names", { [value]: 1 }), expected: `field ${field}` }
      ]
    })
    // Another tenant's traffic and the health probe, sent while the evil writes are in flight and
    // repeated until every evil write has been answered.
    let settled = false
    const allEvil = Promise.all(evilWrites.map((entry) => entry.write)).finally(() => (settled = true))
    const healthz: number[] = []
    const bystander: number[] = []
    const traffic = (async () => {
      do {
        const [health, write] = await Promise.all([fetch(`${server.url}/healthz`), globex.json("POST", "/machhub/readings", { value: healthz.length })])
        healthz.push(health.status)
        bystander.push(write.status)
      } while (!settled)
    })()
    const answers = await allEvil
    await traffic

    for (const [index, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(answer.body).slice(0, 200)).toBe(422)
      expect(answer.body).toContain(evilWrites[index]!.expected)
    }
    expect(healthz.length).toBeGreaterThan(0)
    expect(healthz.every((status) => status === 200)).toBe(true)
    expect(bystander.every((status) => status === 201)).toBe(true)
    // The pattern still means what it says: a value it matches is stored.
    expect((await acme.json("POST", "/machhub/evil_value", { name: "a".repeat(40) })).status).toBe(201)
    expect((await acme.json("POST", "/machhub/evil_keys", { [`${"a".repeat(40)}`]: 1 })).status).toBe(201)
    expect((await acme.json("GET", `/machhub/${existing.body.id}`)).body.name).toBe("aaaa")
  }, 30_000)

  it("refuses, when the collection is defined, a pattern that only a backtracking engine can run, naming it and why", async () => {
    const lookahead = await acme.json("POST", "/api/collections", { name: "codes", schema: { type: "object", properties: { code: { type: "string", pattern: "^(?!tmp_)[a-z_]+$" } } } })
    expect(lookahead.status).toBe(422)
    expect(lookahead.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(lookahead.body).toBe(`schema pattern "^(?!tmp_)[a-z_]+$" is not supported: lookahead is not supported; patterns run in linear time, without lookahead, lookbehind or backreferences`)

    const backreference = await acme.json("POST", "/api/collections", { name: "pairs", schema: { type: "object", patternProperties: { "^(\\w)\\1$": { type: "number" } } } })
    expect(backreference.status).toBe(422)
    expect(backreference.body).toContain(`pattern "^(\\\\w)\\\\1$" is not supported: backreferences (\\1) are not supported`)

    const lookbehind = await acme.json("POST", "/api/collections", { name: "prices", schema: { type: "object", propertyNames: { pattern: "(?<=\\$)\\d+" } } })
    expect(lookbehind.status).toBe(422)
    expect(lookbehind.body).toContain("lookbehind is not supported")

    // Nothing was defined: writes to those names are not checked against any schema.
    expect((await acme.json("POST", "/machhub/codes", { code: "tmp_x" })).status).toBe(201)
  })

  it("answers at once a record that shared or endless $refs would evaluate without end", async () => {
    // 30 levels, each trying the next twice: 2^30 evaluations of one string (~half an hour).
    const defs: Record<string, unknown> = { a30: { type: "string", minLength: 5 } }
    for (let level = 29; level >= 0; level--) defs[`a${level}`] = { anyOf: [{ $ref: `#/$defs/a${level + 1}` }, { allOf: [{ $ref: `#/$defs/a${level + 1}` }] }] }
    expect((await acme.json("POST", "/api/collections", { name: "layered", schema: { $defs: defs, type: "object", properties: { x: { $ref: "#/$defs/a0" } } } })).status).toBe(201)
    expect((await acme.json("POST", "/api/collections", { name: "endless", schema: { $defs: { a: { anyOf: [{ $ref: "#/$defs/a" }] } }, properties: { x: { $ref: "#/$defs/a" } } } })).status).toBe(201)
    const [layered, endless, health] = await Promise.all([
      acme.json("POST", "/machhub/layered", { x: "ab" }),
      acme.json("POST", "/machhub/endless", { x: 1 }),
      fetch(`${server.url}/healthz`)
    ])
    expect(layered.status).toBe(422)
    expect(layered.body).toContain("would take more than 200000 steps")
    expect(endless.status).toBe(422)
    expect(endless.body).toContain("recurses without end")
    expect(health.status).toBe(200)
  })

  it("refuses a record whose values would cost the collection's patterns more than the step budget", async () => {
    // A pattern whose automaton is too large for RE2's cache, so it runs on its slowest path.
    const schema = { type: "object", properties: { bits: { type: "string", pattern: "^[ab]*a[ab]{100}$" } } }
    expect((await acme.json("POST", "/api/collections", { name: "bits", schema })).status).toBe(201)
    const long = await acme.json("POST", "/machhub/bits", { bits: "b".repeat(200_000) })
    expect(long.status).toBe(422)
    expect(long.body).toContain("would take more than 10000000 steps")
    expect((await acme.json("POST", "/machhub/bits", { bits: `a${"b".repeat(100)}` })).status).toBe(201)
  })
})
