import { afterAll, describe, expect, it } from "vitest"
import {
  compileCode,
  maxLogLineChars,
  maxLogLines,
  maxResultChars,
  SandboxPool,
  type HostApi,
  type Language,
  type SandboxLimits,
  type SandboxOutcome
} from "../../apps/server/src/sandbox/index.js"

// A host kept in memory: it records what the code asked for, and answers like the domain would.
const recordingHost = () => {
  const calls: Array<{ readonly name: string; readonly args: ReadonlyArray<unknown> }> = []
  const values = new Map<string, unknown>([["line1/temp", 21.5]])
  const host: HostApi = {
    tags: {
      read: async (topic) => {
        calls.push({ name: "tags.read", args: [topic] })
        return values.get(topic) ?? null
      },
      publish: async (topic, value) => {
        calls.push({ name: "tags.publish", args: [topic, value] })
        values.set(topic, value)
      }
    },
    collections: {
      get: async (id) => {
        calls.push({ name: "collections.get", args: [id] })
        if (id === "fails") throw new Error("record fails is not readable")
        return { id, value: 1 }
      },
      list: async (collection, query) => {
        calls.push({ name: "collections.list", args: [collection, query] })
        return [{ id: `${collection}:1` }, { id: `${collection}:2` }]
      },
      create: async (collection, data) => {
        calls.push({ name: "collections.create", args: [collection, data] })
        return { id: `${collection}:3`, ...(data as object) }
      },
      update: async (id, data) => {
        calls.push({ name: "collections.update", args: [id, data] })
        // A host answer that is not JSON: the code gets a rejected promise, not the value.
        if (id === "bigint") return 1n
        return { id }
      },
      delete: async (id) => {
        calls.push({ name: "collections.delete", args: [id] })
        return undefined
      }
    },
    log: () => {}
  }
  return { host, calls, values }
}

const pool = new SandboxPool({ workers: 2 })
afterAll(() => pool.close())

const limits: SandboxLimits = { memoryBytes: 64 * 1024 * 1024, cpuMillis: 500 }

const run = async (
  code: string,
  options: { context?: unknown; host?: HostApi; limits?: SandboxLimits; language?: Language; on?: SandboxPool } = {}
): Promise<SandboxOutcome> => {
  const compiled = compileCode(code, options.language ?? "javascript")
  if (!compiled.ok) throw new Error(`does not compile: ${compiled.message}`)
  return (options.on ?? pool).run({
    js: compiled.js,
    context: options.context ?? { inputs: {} },
    host: options.host ?? recordingHost().host,
    limits: options.limits ?? limits
  })
}

const reason = (outcome: SandboxOutcome): string => (outcome.ok ? `succeeded with ${JSON.stringify(outcome.result)}` : outcome.reason)

describe("the sandbox runs code", () => {
  it("runs the body of execute(context) with a copy of the context and answers its result", async () => {
    const context = { inputs: { a: 2, list: [1, 2, 3] }, trigger: { type: "manual" }, domain_id: "acme" }
    const outcome = await run("return { sum: context.inputs.a + context.inputs.list.reduce((s, n) => s + n, 0), domain: context.domain_id }", { context })
    expect(outcome).toEqual({ ok: true, result: { sum: 8, domain: "acme" }, logs: [] })
  })

  it("runs TypeScript", async () => {
    const outcome = await run("type Reading = { value: number }\nconst r: Reading = { value: 4 }\nreturn r.value ** 2", { language: "typescript" })
    expect(outcome).toMatchObject({ ok: true, result: 16 })
  })

  it("answers null when execute returns nothing", async () => {
    expect(await run("const x = 1")).toMatchObject({ ok: true, result: null })
  })

  it("bridges sdk calls to the host with JSON in and out, under both the sandbox's and MACHHUB's names", async () => {
    const { host, calls, values } = recordingHost()
    const outcome = await run(
      `
      const before = await sdk.tags.read("line1/temp")
      await sdk.tag.publish("line1/avg", { value: before, at: [1, 2] })
      const rows = await sdk.collection("readings").filter("value", ">", 10).sort("at", "desc").limit(5).offset(2).getAll()
      const count = await sdk.collection("readings").count()
      const one = await sdk.collections.get("readings:1")
      const made = await sdk.collections.create("readings", { value: 3 })
      await sdk.collections.delete("readings:2")
      return { before, rows: rows.length, count, one, made }
      `,
      { host }
    )
    expect(outcome).toMatchObject({
      ok: true,
      result: { before: 21.5, rows: 2, count: 2, one: { id: "readings:1", value: 1 }, made: { id: "readings:3", value: 3 } }
    })
    expect(values.get("line1/avg")).toEqual({ value: 21.5, at: [1, 2] })
    expect(calls.map((call) => call.name)).toEqual([
      "tags.read",
      "tags.publish",
      "collections.list",
      "collections.list",
      "collections.get",
      "collections.create",
      "collections.delete"
    ])
    expect(calls[2]!.args).toEqual([
      "readings",
      { filters: [{ field: "value", operator: ">", value: 10 }], sort: [{ field: "at", direction: "desc" }], limit: 5, offset: 2 }
    ])
  })

  it("captures console and sdk.log lines with their level, and hands them to the host's log", async () => {
    const { host } = recordingHost()
    const seen: Array<string> = []
    const outcome = await run(
      `console.log("reading", 21.5, { unit: "C" }); console.warn("high"); sdk.log("plain"); sdk.log.error(new Error("bad")); return 1`,
      { host: { ...host, log: (level, ...args) => void seen.push(`${level} ${args.join(" ")}`) } }
    )
    expect(outcome.ok).toBe(true)
    expect(outcome.logs.map((line) => [line.level, line.message])).toEqual([
      ["info", 'reading 21.5 {"unit":"C"}'],
      ["warn", "high"],
      ["info", "plain"],
      ["error", "Error: bad"]
    ])
    expect(seen).toEqual(["info reading 21.5 {\"unit\":\"C\"}", "warn high", "info plain", "error Error: bad"])
  })

  it("keeps at most a bounded number of log lines, each of bounded length", async () => {
    const outcome = await run(`for (let i = 0; i < ${maxLogLines + 500}; i++) console.log("line " + i); console.log("x".repeat(100000)); return 1`)
    expect(outcome.ok).toBe(true)
    expect(outcome.logs).toHaveLength(maxLogLines + 1)
    expect(outcome.logs.at(-1)!.message).toBe(`501 more log lines dropped (at most ${maxLogLines} per run)`)
    expect(Math.max(...outcome.logs.map((line) => line.message.length))).toBeLessThanOrEqual(maxLogLineChars + 100)
  })
})

describe("the sandbox's limits", () => {
  it("stops an infinite loop at the CPU limit", async () => {
    const outcome = await run("while (true) {}")
    expect(reason(outcome)).toBe("CPU time limit exceeded (500 ms)")
  })

  it("stops a loop that catches everything, since the stop cannot be caught", async () => {
    const outcome = await run("for (;;) { try { while (true) {} } catch (e) {} }")
    expect(reason(outcome)).toBe("CPU time limit exceeded (500 ms)")
  })

  it("stops a loop of long built-in calls, which QuickJS does not interrupt, from the main thread", async () => {
    const outcome = await run(`const big = new Array(3e5).fill("abcdefgh"); for (;;) JSON.stringify(big)`)
    expect(reason(outcome)).toBe("CPU time limit exceeded (500 ms)")
    // The run's worker was replaced: the next run has one.
    expect(await run("return 1")).toMatchObject({ ok: true, result: 1 })
  })

  it("stops catastrophic regular expression backtracking", async () => {
    expect(reason(await run(`return /(a+)+b/.test("a".repeat(40))`))).toBe("CPU time limit exceeded (500 ms)")
  })

  it("does not count time spent waiting for the host against the CPU limit", async () => {
    const { host } = recordingHost()
    const slow: HostApi = { ...host, tags: { ...host.tags, read: () => new Promise((resolve) => setTimeout(() => resolve(1), 700)) } }
    expect(await run(`return await sdk.tags.read("a")`, { host: slow })).toMatchObject({ ok: true, result: 1 })
  })

  it("fails a run past its wall-clock limit (a host call that never answers)", async () => {
    const { host } = recordingHost()
    const stuck: HostApi = { ...host, tags: { ...host.tags, read: () => new Promise(() => {}) } }
    const outcome = await run(`return await sdk.tags.read("a")`, { host: stuck, limits: { ...limits, wallMillis: 300 } })
    expect(reason(outcome)).toBe("time limit exceeded (300 ms of wall-clock time)")
  })

  it("fails a 1 GiB allocation at the memory limit", async () => {
    // The default CPU limit, so a machine busy with other work does not stop the run before its memory does.
    const memoryOnly = { limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 5_000 } }
    expect(reason(await run("const b = new ArrayBuffer(1024 * 1024 * 1024); return b.byteLength", memoryOnly))).toBe("memory limit exceeded (64 MiB)")
    // Many allocations below the limit each add up to it too.
    expect(reason(await run("const kept = []; for (;;) kept.push(new Uint8Array(1024 * 1024))", memoryOnly))).toBe("memory limit exceeded (64 MiB)")
    expect(reason(await run("const kept = []; for (;;) kept.push('x'.repeat(1e5) + kept.length)", memoryOnly))).toBe("memory limit exceeded (64 MiB)")
  })

  it("honours a smaller memory limit per run", async () => {
    const outcome = await run("return new Array(2 * 1024 * 1024).fill(0).length", { limits: { memoryBytes: 8 * 1024 * 1024, cpuMillis: 5_000 } })
    expect(reason(outcome)).toBe("memory limit exceeded (8 MiB)")
  })

  it("fails deep recursion as a stack overflow", async () => {
    expect(reason(await run("const f = (n) => f(n + 1) + 1; return f(0)"))).toBe("stack overflow (the code recursed too deep)")
  })

  it("fails code that waits for a promise nothing will settle", async () => {
    expect(reason(await run("await new Promise(() => {})"))).toBe("the code waits for a promise that is never settled")
  })

  it("refuses too many sdk calls waiting at once", async () => {
    const outcome = await run(`await Promise.all(Array.from({ length: 100 }, () => sdk.tags.read("line1/temp")))`)
    expect(reason(outcome)).toBe("Error: too many sdk calls waiting at once (at most 64) (line 1)")
  })

  it("keeps other runs going while one runs away, and runs well after a run hit a limit", async () => {
    const runaway = run("while (true) {}", { limits: { ...limits, cpuMillis: 1500 } })
    expect(await run("return 'meanwhile'")).toMatchObject({ ok: true, result: "meanwhile" })
    expect(reason(await runaway)).toBe("CPU time limit exceeded (1500 ms)")
    expect(await run("return 'after'")).toMatchObject({ ok: true, result: "after" })
  })
})

describe("the sandbox's queue", () => {
  it("refuses runs beyond its queue while every worker is busy, and a context that is not JSON", async () => {
    const small = new SandboxPool({ workers: 1, maxQueued: 1 })
    try {
      // Once its worker has started, a run goes to it at once instead of waiting in the queue.
      await run("return 0", { on: small })
      const busy = run("while (true) {}", { on: small, limits: { ...limits, cpuMillis: 300 } })
      const waiting = run("return 'waited'", { on: small })
      expect(reason(await run("return 'refused'", { on: small }))).toBe("the sandbox is busy (1 runs waiting)")
      expect(reason(await busy)).toBe("CPU time limit exceeded (300 ms)")
      expect(reason(await waiting)).toBe("succeeded with \"waited\"")
      expect(reason(await run("return 1", { on: small, context: { big: 1n } }))).toBe("the context is not JSON: Do not know how to serialize a BigInt")
    } finally {
      await small.close()
    }
  })
})

describe("the sandbox's boundary", () => {
  it("has no require, process, module, timers, network or file access", async () => {
    const names = [
      "require", "process", "module", "exports", "global", "Buffer", "setTimeout", "setInterval", "setImmediate",
      "queueMicrotask", "fetch", "XMLHttpRequest", "WebSocket", "Deno", "Bun", "std", "os", "importScripts", "WebAssembly", "Atomics", "Worker"
    ]
    const outcome = await run(`return ${JSON.stringify(names)}.filter((name) => typeof globalThis[name] !== "undefined")`)
    expect(outcome).toMatchObject({ ok: true, result: [] })
    expect(reason(await run("return require('node:fs')"))).toBe("ReferenceError: 'require' is not defined (line 1)")
    expect(reason(await run("return process.env"))).toBe("ReferenceError: 'process' is not defined (line 1)")
  })

  it("cannot load a module with import()", async () => {
    expect(reason(await run("const fs = await import('node:fs'); return Object.keys(fs)"))).toMatch(/^ReferenceError: could not load module 'node:fs'/)
    expect(reason(await run("return await import('data:text/javascript,export default 1')"))).toMatch(/could not load module/)
  })

  it("keeps the bridge out of reach: only sdk and console are added to the global object", async () => {
    const outcome = await run(`
      const standard = new Set(${JSON.stringify(standardGlobals)})
      return Object.getOwnPropertyNames(globalThis).filter((name) => !standard.has(name)).sort()
    `)
    expect(outcome).toMatchObject({ ok: true, result: ["console", "execute", "sdk"] })
  })

  it("reaches nothing of the host through sdk's constructors", async () => {
    expect(reason(await run("return sdk.constructor.constructor('return process')()"))).toBe("ReferenceError: 'process' is not defined (line 1)")
    expect(reason(await run("return sdk.tags.read.constructor('return require')()('fs')"))).toBe("ReferenceError: 'require' is not defined (line 1)")
    const global = await run("const g = sdk.collection.constructor('return this')(); return typeof g.process + ',' + (g === globalThis)")
    expect(global).toMatchObject({ ok: true, result: "undefined,true" })
  })

  it("cannot change sdk, and prototype pollution stays inside the run", async () => {
    const frozen = await run(`
      "use strict"
      const attempts = []
      try { sdk.tags = {} } catch (e) { attempts.push(e.name) }
      try { sdk.tags.read = () => 1 } catch (e) { attempts.push(e.name) }
      try { sdk.collections.get = () => 1 } catch (e) { attempts.push(e.name) }
      sdk.__proto__.polluted = "yes"
      Object.prototype.isAdmin = true
      Array.prototype.injected = 1
      return attempts
    `)
    expect(frozen).toMatchObject({ ok: true, result: ["TypeError", "TypeError", "TypeError"] })
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined()
    expect(([] as unknown as { injected?: unknown }).injected).toBeUndefined()
  })

  it("hands the host plain data: a __proto__ key in an argument is only a key", async () => {
    const { host, calls } = recordingHost()
    const outcome = await run(
      `return await sdk.collections.create("things", JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"polluted": 1}}}'))`,
      { host }
    )
    expect(outcome.ok).toBe(true)
    const data = calls[0]!.args[1] as Record<string, unknown>
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    expect((data as { isAdmin?: unknown }).isAdmin).toBeUndefined()
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined()
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it("passes a host error to the code as a rejected promise with its message only", async () => {
    const caught = await run(`try { await sdk.collections.get("fails") } catch (e) { return [e.name, e.message, String(e.stack).includes("host")] }`)
    expect(caught).toMatchObject({ ok: true, result: ["Error", "record fails is not readable", false] })
    expect(reason(await run(`return await sdk.collections.get("fails")`))).toBe("Error: record fails is not readable (line 1)")
  })

  it("refuses a host answer that is not JSON, and arguments of the wrong kind", async () => {
    expect(reason(await run(`return await sdk.collections.update("bigint", {})`))).toBe("Error: Do not know how to serialize a BigInt (line 1)")
    expect(reason(await run(`return await sdk.tags.read(42)`))).toBe("TypeError: topic must be a string (line 1)")
    expect(reason(await run(`return await sdk.tags.read("")`))).toBe("Error: sdk.tags.read: topic must be a non-empty string (line 1)")
  })

  it("starts every run in a fresh context: nothing one run leaves reaches the next", async () => {
    const single = new SandboxPool({ workers: 1 })
    try {
      const first = await run("globalThis.leftover = 1; Object.prototype.polluted = 1; Math.random = () => 4; return 1", { on: single })
      expect(first.ok).toBe(true)
      const second = await run("return [typeof leftover, ({}).polluted === undefined, Math.random() !== 4]", { on: single })
      expect(second).toMatchObject({ ok: true, result: ["undefined", true, true] })
    } finally {
      await single.close()
    }
  })

  it("gives the memory a run used back for the next run on the same worker", async () => {
    const single = new SandboxPool({ workers: 1 })
    try {
      const code = "const kept = []; for (let i = 0; i < 50; i++) kept.push(new Uint8Array(1024 * 1024)); return kept.length"
      const options = { on: single, limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 5_000 } }
      for (let i = 0; i < 3; i++) expect(await run(code, options)).toMatchObject({ ok: true, result: 50 })
    } finally {
      await single.close()
    }
  })

  it("fails a result that is not JSON, with the reason", async () => {
    expect(reason(await run("return () => 1"))).toBe("the result is not JSON: a function has no JSON form")
    expect(reason(await run("return { big: 10n }"))).toBe("the result is not JSON: Do not know how to serialize a BigInt")
    expect(reason(await run("const a = {}; a.self = a; return a"))).toMatch(/^the result is not JSON: .*circular/i)
    const tooLarge = await run(`return "x".repeat(${maxResultChars})`, { limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 5_000 } })
    expect(reason(tooLarge)).toBe(`the result is too large (${maxResultChars + 2} characters of JSON; at most ${maxResultChars})`)
  })

  it("answers what the code throws, and a JSON.stringify the code replaced does not change the result", async () => {
    expect(reason(await run("throw new RangeError('out of range')"))).toBe("RangeError: out of range (line 1)")
    expect(reason(await run("throw 'plain'"))).toBe('threw plain')
    // The line is the body's, in both languages (TypeScript through the source map esbuild writes).
    expect(reason(await run("const a = 1\nconst f = () => {\n  return null.x\n}\nreturn f()"))).toBe("TypeError: cannot read property 'x' of null (line 3)")
    const typescript = "type A = { x: number }\ninterface B { y: string }\nconst f = (a: A): number => {\n\n  throw new Error('deep')\n}\nreturn f({ x: 1 })"
    expect(reason(await run(typescript, { language: "typescript" }))).toBe("Error: deep (line 5)")
    expect(reason(await run("throw null"))).toBe("threw null")
    expect(reason(await run("throw Promise.resolve(1)"))).toBe("threw {}")
    expect(await run("JSON.stringify = () => '{\"forged\":true}'; return { real: 1 }")).toMatchObject({ ok: true, result: { real: 1 } })
  })
})

// The global names of a fresh QuickJS context (ES2023 built-ins), against which added ones are found.
const standardGlobals = [
  "Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN", "undefined", "decodeURI",
  "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape", "isFinite", "isNaN", "globalThis",
  "Boolean", "String", "Symbol", "Math", "Reflect", "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError",
  "TypeError", "URIError", "InternalError", "AggregateError", "Iterator", "Date", "RegExp", "JSON", "Proxy", "Map", "Set",
  "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "ArrayBuffer", "SharedArrayBuffer", "Uint8ClampedArray",
  "Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array",
  "Float16Array", "Float32Array", "Float64Array", "DataView", "Atomics", "Promise", "BigInt", "eval", "performance",
  "queueMicrotask"
]
