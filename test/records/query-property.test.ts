import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { QueryError } from "@machhub/projections"
import { isoInstantMs, sqlInstant, sqlIsDate } from "../../projections/src/records/query/dates.js"
import { baseSeed, compareEngines, createFieldIndex, createRecordsTable, fill, openTempDatabase, prng } from "./queryHarness.js"
import { ALL_OPS, DATA_FIELDS, randomDateText, randomQuery, randomRecords, randomString } from "./queryGenerators.js"

/**
 * SQL (toSql over a real SQLite table) and the in-memory evaluator must agree on every query: same ids,
 * same order, same count. Replay a failure with QUERY_SEED=<seed printed in the failure>.
 */
const DATASETS = 30
const QUERIES_PER_DATASET = 200

const seed = baseSeed()
const database = openTempDatabase()
const db = database.db

beforeAll(() => {
  // "plain" has no expression indexes; "indexed" has one per field (some with id appended, as advised),
  // so the planner takes index paths there, and results must not depend on the plan.
  createRecordsTable(db, "plain")
  createRecordsTable(db, "in\"dexed")
  for (const field of [...DATA_FIELDS, "obj.x", "lines.x"]) createFieldIndex(db, "in\"dexed", field, field.length % 2 === 0 ? ", id" : "")
})
afterAll(() => database.close())

describe(`list query: SQL and in-memory evaluation agree (seed ${seed})`, () => {
  it(`${DATASETS * QUERIES_PER_DATASET} random queries over random records`, () => {
    let matched = 0
    let selective = 0 // the count is neither 0 nor everything: the filters really discriminate
    let empty = 0
    // How often each operator, ARRAY_WHERE, an OR group and a multi-entry group ran and selected something.
    const runs = new Map<string, { runs: number; selective: number }>()
    const tally = (name: string, isSelective: boolean) => {
      const entry = runs.get(name) ?? { runs: 0, selective: 0 }
      entry.runs++
      if (isSelective) entry.selective++
      runs.set(name, entry)
    }
    for (let dataset = 0; dataset < DATASETS; dataset++) {
      const rng = prng(seed + dataset)
      const rows = randomRecords(rng, rng.int(0, 80))
      fill(db, "plain", rows)
      fill(db, "in\"dexed", rows)
      for (let q = 0; q < QUERIES_PER_DATASET; q++) {
        const params = randomQuery(rng, rows)
        const result = compareEngines(db, ["plain", "in\"dexed"], rows, params)
        if (result.parsed instanceof QueryError) {
          expect.fail(`seed ${seed} dataset ${dataset}: generated query refused: ${result.parsed.message}\n  ${params.toString()}`)
        }
        if (result.mismatch !== undefined) expect.fail(`seed ${seed} dataset ${dataset} query ${q}: engines disagree\n${result.mismatch}`)
        matched++
        const isSelective = result.count !== undefined && result.count > 0 && result.count < rows.length
        if (isSelective) selective++
        if (result.count === 0) empty++
        const all = [...result.parsed.filters, ...result.parsed.anyOf.flat()]
        for (const op of new Set(all.map((f) => f.op))) tally(op, isSelective)
        if (all.some((f) => f.arrayWhere === true)) tally("ARRAY_WHERE", isSelective)
        if (all.some((f) => f.type === "object")) tally("type object", isSelective)
        if (result.parsed.anyOf.length > 0) tally("filter_or", isSelective)
        if (result.parsed.anyOf.some((group) => group.length > 1)) tally("filter_or group of 2+", isSelective)
      }
    }
    expect(matched).toBe(DATASETS * QUERIES_PER_DATASET)
    expect(selective, `selective ${selective}, empty ${empty} of ${matched}`).toBeGreaterThan(matched / 5)
    const report = [...runs].map(([name, r]) => `${name} ${r.runs} (${r.selective} selective)`).join(", ")
    console.info(`list query property (seed ${seed}): ${matched} queries, ${selective} selective, ${empty} empty; ${report}`)
    // Every operator and form must really be exercised, and must discriminate now and then.
    for (const name of [...ALL_OPS, "ARRAY_WHERE", "type object", "filter_or", "filter_or group of 2+"]) {
      expect(runs.get(name)?.runs ?? 0, `${name} ran too rarely: ${report}`).toBeGreaterThan(60)
      expect(runs.get(name)?.selective ?? 0, `${name} never discriminated: ${report}`).toBeGreaterThan(5)
    }
  })
})

describe(`dates: one definition on both sides (seed ${seed})`, () => {
  it("isoInstantMs agrees with the SQL validity check and unixepoch on random date-like text", () => {
    const rng = prng(seed)
    const sql = db.prepare(`SELECT CASE WHEN ${sqlIsDate("@text")} THEN ${sqlInstant("@text")} END AS instant`)
    let valid = 0
    for (let i = 0; i < 20_000; i++) {
      const text = rng.chance(0.9) ? randomDateText(rng) : randomString(rng)
      const expected = isoInstantMs(text)
      const actual = (sql.get({ text }) as { instant: number | null }).instant
      if ((expected === undefined ? null : expected / 1000) !== actual) {
        expect.fail(`seed ${seed}: ${JSON.stringify(text)}: JS ${expected} ms, SQLite ${actual} s`)
      }
      if (actual !== null) valid++
    }
    expect(valid).toBeGreaterThan(2_000)
  })
})
