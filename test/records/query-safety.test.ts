import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parseListQuery, QueryError, toSql, type ParsedRecordRow } from "@machhub/projections"
import { baseSeed, compareEngines, createRecordsTable, fill, openTempDatabase, prng, runSql, type Rng } from "./queryHarness.js"
import { randomQuery, randomRecords } from "./queryGenerators.js"

/**
 * Hostile input: field names that try to break out of the JSON path literal are QueryErrors (never a
 * SQLite error), values are only ever bound data, and garbled query strings do nothing but parse,
 * fail with a QueryError, or run (and then agree with the in-memory evaluation).
 */
const seed = baseSeed()
const database = openTempDatabase()
const db = database.db
const TABLE = "acme.orders"

const row = (id: string, data: Record<string, unknown>): ParsedRecordRow => ({
  id,
  data,
  creator: "alice",
  created: "2024-01-01T00:00:00.000Z",
  updated: "2024-01-01T00:00:00.000Z",
  version: 1
})
const HOSTILE = ["'; DROP TABLE \"acme.orders\"; --", "$.a') OR 1=1 --", "\" OR \"\"=\"", "x' || 'y", "%", "_", "\\", "\u0000", "?", ":a", "@a", "$a"]
const rows = [row("plain", { name: "plain", n: 1 }), ...HOSTILE.map((value, i) => row(`h${i}`, { name: value, n: i }))]

beforeAll(() => {
  createRecordsTable(db, TABLE)
  createRecordsTable(db, "other")
  fill(db, TABLE, rows)
  fill(db, "other", [row("secret", { name: "secret" })])
})
afterAll(() => database.close())

const tablesIntact = () => {
  expect((db.prepare(`SELECT count(*) AS n FROM "${TABLE}"`).get() as { n: number }).n).toBe(rows.length)
  expect((db.prepare("SELECT count(*) AS n FROM other").get() as { n: number }).n).toBe(1)
}

describe("injection", () => {
  it("refuses field names that are not plain dotted names, as QueryError, in filters, sorts, fields and expand", () => {
    const names = [
      "a') OR 1=1 --", "a'", "'; DROP TABLE t; --", "$.a') OR 1=1 --", "$", "$.a", "a[0]", "a[#-1]", "a..b", "a.\"b\"", "a\u0000",
      "a\u0001b", "a\nb", "a\u202eb", "a b", "x".repeat(100_000), Array.from({ length: 9 }, () => "a").join("."), "a.*", "a->b", "a->>'$'"
    ]
    for (const name of names) {
      const cases: ReadonlyArray<Array<[string, string]>> = [
        [[`filter[${name}][eq][string]`, "x"]],
        [["sort", `[${name}][asc]`]],
        [["sort", name]],
        [["fields", name]],
        [["expand", name]]
      ]
      for (const params of cases) {
        const parsed = parseListQuery(new URLSearchParams(params))
        expect(parsed, JSON.stringify(params).slice(0, 200)).toBeInstanceOf(QueryError)
        expect((parsed as QueryError).message.length).toBeLessThan(400)
      }
    }
  })

  it("binds hostile values as plain data: each matches exactly its own record", () => {
    for (const [i, value] of HOSTILE.entries()) {
      for (const [op, type] of [["eq", "string"], ["contains", "string"], ["in", "string"], ["~", "string"], ["CONTAINSANY", "string"], ["INSIDE", "object"]]) {
        const query = parseListQuery(new URLSearchParams([[`filter[name][${op}][${type}]`, value]]))
        if (query instanceof QueryError) throw new Error(query.message)
        const sql = toSql(query, TABLE)
        // nothing of the value ever reaches the SQL text
        if (value.length > 1) expect(sql.sql).not.toContain(value)
        const result = runSql(db, TABLE, query)
        if (op === "contains" || op === "~" || op === "CONTAINSANY") expect(result.ids).toContain(`h${i}`)
        else expect(result.ids).toEqual([`h${i}`])
      }
    }
    tablesIntact()
  })

  it("quotes the table name, so a name with quotes or dots addresses exactly that table", () => {
    const query = parseListQuery(new URLSearchParams("filter[name][ne][string]=x")) as Exclude<ReturnType<typeof parseListQuery>, QueryError>
    expect(toSql(query, "a\"b").sql).toContain("FROM \"a\"\"b\"")
    expect(runSql(db, TABLE, query).count).toBe(rows.length)
    expect(() => toSql(query, "a\u0000b")).toThrow(/invalid SQL identifier/)
  })
})

/** A garbled query string: fragments of the grammar, SQL, percent escapes and noise, glued at random. */
const FRAGMENTS = [
  "filter", "[", "]", "][", "=", "&", "&&", "eq", "ne", "gt", "lt", "gte", "lte", "in", "IN", "contains", "Contains", "%3D", "%3E%3D", "%21%3D",
  "<", ">", "!", "string", "number", "boolean", "date", "a", "b.c", "obj.x", "id", "_meta.version", "_meta.created", "_meta", "__proto__",
  "sort", "-", "asc", "desc", "limit", "offset", "fields", "expand", "asOf", ",", ".", "..", "%", "%5B", "%5D", "%00", "%FF", "%E2%82", "%F0%9F%98%80",
  "'", "\"", ";", "--", "/*", "DROP TABLE t", "OR 1=1", "$.a", "$", "a[0]", "\u0000", "😀", "é", "0", "1", "-1", "1.5", "1e999", "1e3", "NaN",
  "Infinity", "0x10", "true", "false", "2024-01-01", "2024-02-30", "T10:00", "Z", "+", "+02:00", " ", "\n", "x".repeat(70), "1000", "1001", "99999999",
  "filter_or", "[0]", "[12]", "_or", "~", "!~", "%7E", "@@", "%40%40", "CONTAINSANY", "CONTAINSALL", "INSIDE", "NOT IN", "NOT+IN", "NOTINSIDE",
  "ALLINSIDE", "ARRAY_WHERE_", "ARRAY_WHERE_%3D", "object", "?=", "@1@", "lines.x", "tags"
]
const garble = (rng: Rng): string => {
  if (rng.chance(0.25)) {
    // a valid query whose values (and now and then names) are replaced by noise
    const params = new URLSearchParams()
    for (const [key, value] of randomQuery(rng)) {
      const noise = () => Array.from({ length: rng.int(0, 4) }, () => rng.pick(FRAGMENTS)).join("")
      params.append(rng.chance(0.05) ? noise() : key, rng.chance(0.3) ? noise() : value)
    }
    return params.toString()
  }
  if (rng.chance(0.5)) {
    // a valid query, then a few character-level edits
    const chars = [...randomQuery(rng).toString()]
    for (let edits = rng.int(1, 2); edits > 0; edits--) {
      const at = rng.int(0, chars.length)
      const roll = rng.int(0, 2)
      if (roll === 0) chars.splice(at, 1)
      else if (roll === 1) chars.splice(at, 0, rng.pick(FRAGMENTS))
      else chars.splice(at, 1, rng.pick(["[", "]", "=", "&", "%", ".", ","]))
    }
    return chars.join("")
  }
  return Array.from({ length: rng.int(1, 30) }, () => rng.pick(FRAGMENTS)).join("")
}

describe(`fuzz (seed ${seed})`, () => {
  it("garbled query strings only ever parse or fail with QueryError; those that parse run and agree", () => {
    const rng = prng(seed)
    const records = randomRecords(rng, 60)
    fill(db, "other", records)
    let accepted = 0
    for (let i = 0; i < 4_000; i++) {
      const text = garble(rng)
      let outcome: ReturnType<typeof compareEngines>
      try {
        outcome = compareEngines(db, ["other"], records, new URLSearchParams(text))
      } catch (cause) {
        expect.fail(`seed ${seed} case ${i}: ${JSON.stringify(text)} threw ${String(cause)}`)
      }
      if (outcome.mismatch !== undefined) expect.fail(`seed ${seed} case ${i}: engines disagree\n${outcome.mismatch}`)
      if (!(outcome.parsed instanceof QueryError)) accepted++
    }
    // Both paths are exercised: most garbled strings are refused (the grammar is strict), and some
    // hundreds still parse and run.
    expect(accepted).toBeGreaterThan(200)
    expect(accepted).toBeLessThan(3_600)
    fill(db, "other", [row("secret", { name: "secret" })])
    tablesIntact()
  })
})
