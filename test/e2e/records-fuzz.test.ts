import Database from "better-sqlite3"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MAX_JSON_DEPTH, openSqliteLogReader } from "@machhub/adapters"
import { RECORD_CATEGORY, recordAggregateId, streamName } from "@machhub/core"
import { allProjections, openScratchReadModelDatabase, replayProjections } from "@machhub/projections"
import { adminApi, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/** A small seeded PRNG (mulberry32), so a failure names a seed that reproduces it. */
const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261122)

describe("data plane fuzz: thousands of generated queries and bodies", () => {
  let server: TestServer
  let acme: Api
  beforeAll(async () => {
    server = await startTestServer()
    const admin = await adminApi(server.url)
    await admin.json("POST", "/api/domains", { name: "acme" })
    acme = admin.inDomain("acme")
    for (let i = 0; i < 20; i++) await acme.json("POST", "/machhub/things", { n: i, s: `v${i}`, b: i % 2 === 0, d: `2024-01-${String(i + 1).padStart(2, "0")}` })
  })
  afterAll(() => server.dispose())

  it(`never answers 5xx, and still answers correctly afterwards (seed ${SEED})`, async () => {
    const random = prng(SEED)
    const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
    const junk = () => {
      const alphabet = ["a", "Z", "0", ".", "[", "]", "'", "\"", ";", "--", " ", "%", "%00", "%ff", "\\", "$", "*", "(", ")", "=", "<", ">", "&", "é", "😀", "\u0001"]
      return Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(alphabet)).join("")
    }
    const fields = ["n", "s", "b", "d", "missing", "a.b.c", "_meta.version", "id", "$.n", "n'", junk()]
    const ops = ["eq", "ne", "gt", "lt", "gte", "lte", "contains", "in", "=", "!=", ">", "<", ">=", "<=", "like", junk()]
    const types = ["string", "number", "boolean", "date", "int", junk()]
    const values = ["1", "-2.5", "true", "x", "2024-01-05", "1e309", "a,b,c", "' OR 1=1 --", "", junk()]
    const query = () => {
      const parts: Array<string> = []
      for (let i = Math.floor(random() * 4); i > 0; i--) {
        parts.push(`filter[${encodeURIComponent(pick(fields))}][${encodeURIComponent(pick(ops))}][${encodeURIComponent(pick(types))}]=${encodeURIComponent(pick(values))}`)
      }
      if (random() < 0.5) parts.push(`sort=[${encodeURIComponent(pick(fields))}][${pick(["asc", "desc", "up", junk()])}]`)
      if (random() < 0.3) parts.push(`limit=${pick(["0", "5", "1000", "1001", "-1", "1e3", junk()])}`)
      if (random() < 0.3) parts.push(`offset=${pick(["0", "3", "99999999", "-4", junk()])}`)
      if (random() < 0.2) parts.push(`fields=${encodeURIComponent(pick(fields))}`)
      if (random() < 0.2) parts.push(`expand=${encodeURIComponent(pick(fields))}`)
      if (random() < 0.1) parts.push(junk())
      return parts.join("&")
    }
    const body = (): string | Buffer => {
      switch (Math.floor(random() * 7)) {
        case 0: return JSON.stringify({ n: random(), s: junk(), nested: { deep: [1, { x: junk() }] } })
        case 1: return JSON.stringify(Array.from({ length: 3 }, () => junk()))
        case 2: return "{".repeat(Math.floor(random() * 200))
        case 3: return Buffer.from([0xff, 0xfe, 0x7b, 0x7d])
        case 4: return JSON.stringify({ [junk()]: junk(), id: junk(), _meta: junk() })
        case 5: return `${"[".repeat(100)}${"]".repeat(100)}`
        default: return junk()
      }
    }
    const failures: Array<string> = []
    const send = async (i: number) => {
      const roll = random()
      let response: Response
      let label: string
      if (roll < 0.5) {
        label = `GET /machhub/things/all?${query()}`
        response = await acme.request("GET", label.slice(4))
      } else if (roll < 0.6) {
        label = `GET /machhub/things/count?${query()}`
        response = await acme.request("GET", label.slice(4))
      } else if (roll < 0.85) {
        label = `POST /machhub/${pick(["things", "other", junk()])}`
        response = await fetch(`${server.url}${encodeURI(label.slice(5))}`, {
          method: "POST",
          headers: { authorization: `Bearer ${acme.token}`, domain: "domains:acme", "content-type": pick(["application/json", "text/plain", "multipart/form-data; boundary=x"]) },
          body: body()
        })
      } else {
        label = `PUT /machhub/${pick(["acme.things:nope", "globex.things:x", junk()])}`
        response = await fetch(`${server.url}${encodeURI(label.slice(4))}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${acme.token}`, domain: "domains:acme", "content-type": "application/json" },
          body: body()
        })
      }
      if (response.status >= 500) failures.push(`#${i} ${label} → ${response.status} ${await response.text()}`)
      else await response.arrayBuffer()
    }
    const total = 3_000
    let next = 0
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < total) await send(next++)
    }))
    expect(failures).toEqual([])

    // Still correct afterwards: the seeded records answer a precise query, and writes still work.
    const page = await acme.json("GET", "/machhub/things/all?filter[n][gte][number]=15&sort=[n][desc]&limit=3")
    expect(page.status).toBe(200)
    expect(page.body.map((r: { n: number }) => r.n)).toEqual([19, 18, 17])
    const created = await acme.json("POST", "/machhub/things", { n: 100 })
    expect(created.status).toBe(201)
    expect((await acme.json("GET", `/machhub/${created.body.id}`)).body.n).toBe(100)
  }, 120_000)

  // What the log holds is exactly what was acknowledged: the answer, the read model, ?asOf=, the audit
  // routes, the log file and a replay of it agree byte for byte; what the log could not hold exactly
  // (a __proto__ key, a lone surrogate) is refused before anything is appended.

  /** JSON written out by hand, so a body can hold a key no JavaScript object literal keeps (`__proto__`). */
  type Json = { readonly entries: ReadonlyArray<readonly [string, Json]> } | { readonly items: ReadonlyArray<Json> } | { readonly leaf: unknown }
  const jsonText = (node: Json, key: (k: string) => string = (k) => JSON.stringify(k)): string =>
    "entries" in node
      ? `{${node.entries.map(([k, v]) => `${key(k)}:${jsonText(v, key)}`).join(",")}}`
      : "items" in node ? `[${node.items.map((v) => jsonText(v, key)).join(",")}]` : JSON.stringify(node.leaf)

  /** Odd but valid: astral characters, noncharacters, NUL and controls, combining marks, JSON's own escapes. */
  const ODD_PIECES = ["a", "Z", " ", "😀", "𝄞", "\u{10ffff}", "\uffff", "\ufffe", "\ufffd", "\u0000", "\u001f", "\u007f", "\u2028", "é", "e\u0301", "中", "\"", "\\", "/", "<"]
  const ODD_KEYS = ["constructor", "toString", "valueOf", "hasOwnProperty", "", "a.b", "__proto_", "___proto__", "__proto__ ", "😀", "\u0000", "\uffff", "0", "10", "length", "$", "[0]", "name"]
  const NUMBERS = [0, -1, 1.5, 2 ** 53, -(2 ** 53), 1e308, 5e-324, 0.1, 123456789.125]

  const oddGenerators = (random: () => number) => {
    const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
    const shortOdd = (): string => Array.from({ length: Math.floor(random() * 3) }, () => pick(ODD_PIECES)).join("")
    const oddString = (): string => {
      const text = Array.from({ length: Math.floor(random() * 8) }, () => pick(ODD_PIECES)).join("")
      // msgpackr writes strings of 64 characters and more by another route: cover both.
      return random() < 0.2 ? text.repeat(1 + Math.floor(64 / Math.max(1, text.length))) : text
    }
    const oddValue = (depth: number): unknown => {
      const roll = random()
      if (depth < 4 && roll < 0.15) return oddObject(depth + 1, 3)
      if (depth < 4 && roll < 0.25) return Array.from({ length: Math.floor(random() * 4) }, () => oddValue(depth + 1))
      if (roll < 0.6) return oddString()
      if (roll < 0.8) return pick(NUMBERS)
      if (roll < 0.9) return random() < 0.5
      return null
    }
    const oddObject = (depth: number, size: number): Record<string, unknown> => {
      const object: Record<string, unknown> = {}
      for (let i = 1 + Math.floor(random() * size); i > 0; i--) object[random() < 0.6 ? pick(ODD_KEYS) : shortOdd()] = oddValue(depth)
      return object
    }
    return { pick, shortOdd, oddString, oddValue, oddRecord: () => oddObject(0, 6) }
  }

  const BOUNDARY = "oddBoundary7MA4YWxkTrZu0gW"
  type Encoding = "json" | "escaped" | "multipart"
  /** `escaped` writes every non-ASCII code unit as \uXXXX (a pair as two escapes): the same JSON value. */
  const send = (method: "POST" | "PUT", path: string, json: string, encoding: Encoding) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${acme.token}`,
        domain: "domains:acme",
        "content-type": encoding === "multipart" ? `multipart/form-data; boundary=${BOUNDARY}` : "application/json"
      },
      body: encoding === "escaped"
        ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
        : encoding === "multipart"
        ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="record"\r\nContent-Type: application/json\r\n\r\n${json}\r\n--${BOUNDARY}--\r\n`
        : json
    })

  /** A path as the server names it: `a.b[2]["x y"]`. */
  const pathText = (segments: ReadonlyArray<string | number>): string =>
    segments.map((s, i) => typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`).join("")

  it(`refuses with 400 naming the field what the log could not hold exactly, and appends nothing (seed ${SEED})`, async () => {
    const random = prng(SEED + 1)
    const { pick, shortOdd, oddString, oddValue } = oddGenerators(random)
    const guarded = await acme.json("POST", "/machhub/guarded", { keep: "me" })
    expect(guarded.status).toBe(201)
    const head = () => Effect.runPromise(server.store.headPosition)
    const before = await head()

    /** Puts `inner` at `segment` of a new container, between valid siblings. */
    const wrap = (inner: Json, segment: string | number): Json => {
      if (typeof segment === "number") {
        const items = Array.from({ length: segment + Math.floor(random() * 3) }, (): Json => ({ leaf: oddValue(2) }))
        items.splice(segment, 0, inner)
        return { items }
      }
      const entries: Array<readonly [string, Json]> = Array.from({ length: Math.floor(random() * 3) }, (_, i) => [`sibling${i}`, { leaf: oddValue(2) }] as const)
      entries.splice(Math.floor(random() * (entries.length + 1)), 0, [segment, inner])
      return { entries }
    }
    const lone = (): string => String.fromCharCode(0xd800 + Math.floor(random() * 0x800))
    const hex = (unit: string) => `\\u${unit.charCodeAt(0).toString(16)}`

    const failures: Array<string> = []
    for (let i = 0; i < 300; i++) {
      // The container the poison sits in: a path from an object at the top, at most 5 deep.
      const segments: Array<string | number> = []
      for (let n = Math.floor(random() * 5); n > 0; n--) {
        segments.push(segments.length > 0 && random() < 0.4 ? Math.floor(random() * 3) : random() < 0.5 ? pick(["a", "b", "items", "x_1", "$ref"]) : pick(ODD_KEYS))
      }
      const kind = pick(["value", "key", "__proto__", "escaped __proto__"] as const)
      const at = segments.length === 0 ? "" : `at "${pathText(segments)}" `
      let body: Json
      let expected: string
      if (kind === "value") {
        const unit = lone()
        const own = segments.length > 0 && random() < 0.4 ? Math.floor(random() * 3) : pick(["s", "text", "😀", "a.b", ""])
        // Pieces start with a high surrogate or none and end with a low one or none: the unit stays unpaired.
        body = wrap({ leaf: `${oddString()}${unit}${oddString()}` }, own)
        segments.push(own)
        expected = `Field "${pathText(segments)}" holds a lone surrogate (${hex(unit)}); send valid Unicode`
        segments.pop()
      } else {
        const unit = lone()
        const key = kind === "key" ? `${shortOdd()}${unit}${shortOdd()}` : "__proto__"
        body = { entries: [["ok", { leaf: oddValue(2) }], [key, { leaf: oddValue(2) }]] }
        expected = kind === "key"
          ? `Key ${JSON.stringify(key)} ${at}holds a lone surrogate (${hex(unit)}); send valid Unicode`
          : `Key "__proto__" ${at}is not allowed; rename the field`
      }
      for (let s = segments.length - 1; s >= 0; s--) body = wrap(body, segments[s]!)
      const text = jsonText(body, kind === "escaped __proto__" ? (k) => (k === "__proto__" ? '"\\u005f\\u005fproto__"' : JSON.stringify(k)) : undefined)
      const encoding = pick(["json", "escaped", "multipart"] as const)
      const update = random() < 0.3
      const response = await send(update ? "PUT" : "POST", update ? `/machhub/${guarded.body.id}` : "/machhub/odd", text, encoding)
      const answer = await response.text()
      if (response.status !== 400 || answer !== expected || !response.headers.get("content-type")?.startsWith("text/plain")) {
        failures.push(`#${i} ${update ? "PUT" : "POST"} ${encoding} ${text.slice(0, 300)} → ${response.status} ${answer.slice(0, 300)}; expected ${expected}`)
      }
    }
    expect(failures).toEqual([])

    // Every JSON body the server reads follows the same rule, management routes and login included.
    const admin = acme.inDomain(undefined)
    const refusals: ReadonlyArray<readonly [Api, string, string, string | RegExp]> = [
      [acme, "/api/collections", '{"name":"c1","schema":{"properties":{"\\ud800":{}}}}', 'Key "\\ud800" at "schema.properties" holds a lone surrogate (\\ud800); send valid Unicode'],
      [acme, "/api/collections", '{"name":"c2","schema":{"__proto__":{"type":"object"}}}', 'Key "__proto__" at "schema" is not allowed; rename the field'],
      [acme, "/api/groups", '{"name":"g\\udfff","permissions":[]}', 'Field "name" holds a lone surrogate (\\udfff); send valid Unicode'],
      [admin, "/api/users", '{"username":"u1","password":"a long enough password","__proto__":{"groups":["superuser"]}}', 'Key "__proto__" is not allowed; rename the field'],
      [admin, "/api/domains", '{"name":"d\\ud83d"}', 'Field "name" holds a lone surrogate (\\ud83d); send valid Unicode'],
      [acme, "/api/collections", `{"name":"c3","schema":${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}}`, new RegExp(`^Request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep \\(at "schema`)],
      [acme, "/machhub/odd", `{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, new RegExp(`^Request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`)]
    ]
    for (const [caller, path, body, message] of refusals) {
      const sent = await fetch(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${caller.token}`, ...(caller.domain === undefined ? {} : { domain: `domains:${caller.domain}` }), "content-type": "application/json" }, body })
      expect(sent.status, path).toBe(400)
      if (typeof message === "string") expect(await sent.text()).toBe(message)
      else expect(await sent.text()).toMatch(message)
    }
    // Login too: the username is refused before any credential check (so no LoginFailed either).
    const login = await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"admin\\udc00","password":"x"}' })
    expect(login.status).toBe(400)
    expect(await login.text()).toBe('Field "username" holds a lone surrogate (\\udc00); send valid Unicode')

    expect(await head()).toBe(before)
    expect((await acme.json("GET", "/machhub/odd/count")).body).toEqual({ count: 0 })
    const unchanged = await acme.json("GET", `/machhub/${guarded.body.id}`)
    expect(unchanged.body).toEqual(guarded.body.record)
  }, 120_000)

  it(`keeps odd but valid JSON exactly: answer, read model, ?asOf=, audit log, log file and a replay agree (seed ${SEED})`, async () => {
    const random = prng(SEED + 2)
    const { pick, oddRecord } = oddGenerators(random)
    interface Written { data: Record<string, unknown>; position: number }
    const written = new Map<string, Written>()
    /** A record's own fields as the server wrote them, for a byte-for-byte comparison. */
    const own = (record: Record<string, unknown>): string => {
      const { id: _id, _meta: _meta, ...data } = record
      return JSON.stringify(data)
    }
    const failures: Array<string> = []
    for (let i = 0; i < 150; i++) {
      const encoding = pick(["json", "escaped", "multipart"] as const)
      const ids = [...written.keys()]
      const update = ids.length > 0 && random() < 0.3
      const id = update ? pick(ids) : undefined
      const fields = oddRecord()
      const response = await send(update ? "PUT" : "POST", update ? `/machhub/${encodeURIComponent(id!)}` : "/machhub/odd", JSON.stringify(fields), encoding)
      const text = await response.text()
      if (response.status !== (update ? 200 : 201)) {
        failures.push(`#${i} ${encoding} ${JSON.stringify(fields).slice(0, 300)} → ${response.status} ${text.slice(0, 300)}`)
        continue
      }
      const answer = JSON.parse(text) as { id: string; record: Record<string, unknown> }
      // A partial update merges: fields already there keep their place, new ones come last.
      const expected = update ? { ...written.get(id!)!.data, ...fields } : fields
      if (own(answer.record) !== JSON.stringify(expected)) failures.push(`#${i} answered ${own(answer.record)}, sent ${JSON.stringify(expected)}`)
      // An update that changes nothing appends nothing: the record is then as of its last position.
      const position = response.headers.get("app-event-position")
      written.set(answer.id, { data: expected, position: position === null ? written.get(answer.id)!.position : Number(position) })
    }
    expect(failures).toEqual([])
    expect(written.size).toBeGreaterThan(80)

    type LoggedEvent = { readonly type: string; readonly data: unknown }
    const fold = (events: ReadonlyArray<LoggedEvent>): string => {
      let data: Record<string, unknown> = {}
      for (const event of events) {
        if (event.type === "RecordCreated") data = { ...(event.data as { data: Record<string, unknown> }).data }
        if (event.type === "RecordUpdated") data = { ...data, ...(event.data as { changes: Record<string, unknown> }).changes }
      }
      return JSON.stringify(data)
    }
    const log = openSqliteLogReader(join(server.dataDir, "events.db"))
    try {
      for (const [publicId, { data, position }] of written) {
        const expected = JSON.stringify(data)
        const localId = publicId.slice(publicId.indexOf(":") + 1)
        const stream = streamName(RECORD_CATEGORY, "acme", recordAggregateId("odd", localId))
        const read = await acme.json("GET", `/machhub/${encodeURIComponent(publicId)}`)
        const asOf = await acme.json("GET", `/machhub/${encodeURIComponent(publicId)}?asOf=${position}`)
        const audited = await acme.json("GET", `/api/audit/streams/${encodeURIComponent(stream)}`)
        const stored = log.select({ streams: [stream] })(1, 1_000).events
        expect(own(read.body), `read model ${publicId}`).toBe(expected)
        expect(own(asOf.body), `?asOf=${position} ${publicId}`).toBe(expected)
        expect(fold(audited.body.events), `audit stream ${stream}`).toBe(expected)
        expect(fold(stored), `log file ${stream}`).toBe(expected)
      }

      // A replay of the log into empty read models builds the very rows the server holds.
      const scratchDir = tempDir()
      try {
        const scratch = openScratchReadModelDatabase(join(scratchDir.path, "readmodels.db"))
        const live = new Database(join(server.dataDir, "readmodels.db"), { readonly: true })
        try {
          const upTo = log.head()
          await Effect.runPromise(replayProjections(scratch, allProjections, log.select({ upTo }), { upTo }))
          const rows = (db: Database.Database) => {
            const table = db.prepare<[string, string], { name: string }>("SELECT name FROM record_tables WHERE domain = ? AND tbl = ?").get("acme", "odd")!.name
            return db.prepare(`SELECT id, data, creator, created, updated, version FROM "${table}" ORDER BY id`).all()
          }
          const replayed = rows(scratch)
          expect(replayed).toHaveLength(written.size)
          expect(replayed).toEqual(rows(live))
        } finally {
          live.close()
          scratch.close()
        }
      } finally {
        scratchDir.cleanup()
      }
    } finally {
      log.close()
    }

    // Field names in queries: the grammar admits `__proto__` and `constructor`, and they address a
    // record's own fields only (no record can hold a `__proto__` key, so it matches nothing).
    const marked = await acme.json("POST", "/machhub/odd", { constructor: "ctor-1", toString: 3 })
    expect(marked.status).toBe(201)
    const count = (query: string) => acme.json("GET", `/machhub/odd/count?${query}`).then((r) => r.body.count as number)
    expect(await count("filter[__proto__][ne][string]=x")).toBe(written.size + 1)
    expect(await count("filter[__proto__][eq][string]=x")).toBe(0)
    const withCtor = await acme.json("GET", "/machhub/odd/all?filter[constructor][eq][string]=ctor-1&fields=constructor,toString&sort=[toString][desc]")
    expect(withCtor.status).toBe(200)
    expect(withCtor.body).toEqual([{ constructor: "ctor-1", toString: 3, id: marked.body.id, _meta: marked.body.record._meta }])
    const sorted = await acme.json("GET", "/machhub/odd/all?sort=[__proto__][asc]&sort=[constructor][desc]&limit=1000")
    expect(sorted.status).toBe(200)
    expect(sorted.body).toHaveLength(written.size + 1)
  }, 180_000)
})
