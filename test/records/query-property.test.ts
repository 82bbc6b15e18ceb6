import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { QueryError } from "@machhub/projections"
import { isoInstantMs, sqlInstant, sqlIsDate } from "../../projections/src/records/query/dates.js"
import { baseSeed, compareEngines, createFieldIndex, createRecordsTable, fill, openTempDatabase, prng } from "./queryHarness.js"
import { DATA_FIELDS, randomDateText, randomQuery, randomRecords, randomString } from "./queryGenerators.js"

/**
 * SQL (toSql over a real SQLite table) and the in-memory evaluator must agree on every query: same ids,
 * same order, same count. Replay a failure with QUERY_SEED=<seed printed in the failure>.
 */
const DATASETS = 30
const QUERIES_PER_DATASET = 120

const seed = baseSeed()
const database = openTempDatabase()
const db = database.db

beforeAll(() => {
  // "plain" has no expression indexes; "indexed" has one per field (some with id appended, as advised),
  // so the planner takes index paths there, and results must not depend on the plan.
  createRecordsTable(db, "plain")
  createRecordsTable(db, "in\"dexed")
  for (const field of [...DATA_FIELDS, "obj.x"]) createFieldIndex(db, "in\"dexed", field, field.length % 2 === 0 ? ", id" : "")
})
afterAll(() => database.close())

describe(`list query: SQL and in-memory evaluation agree (seed ${seed})`, () => {
  it(`${DATASETS * QUERIES_PER_DATASET} random queries over random records`, () => {
    let matched = 0
    let selective = 0 // the count is neither 0 nor everything: the filters really discriminate
    let empty = 0
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
        if (result.count !== undefined && result.count > 0 && result.count < rows.length) selective++
        if (result.count === 0) empty++
      }
    }
    expect(matched).toBe(DATASETS * QUERIES_PER_DATASET)
    expect(selective, `selective ${selective}, empty ${empty} of ${matched}`).toBeGreaterThan(matched / 5)
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
