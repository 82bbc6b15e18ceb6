import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { compositeIndexKey, indexKeys, parseListQuery, QueryError, RecordTables, toSql, type ListQuery } from "@machhub/projections"
import { baseSeed, compareEngines, createRecordsTable, fill, openTempDatabase, prng } from "./queryHarness.js"
import { DATA_FIELDS, randomQuery, randomRecords } from "./queryGenerators.js"

/**
 * The composite indexes that list pages get (equality fields, then sort fields, then id; see
 * compositeIndexKey) are a second storage path SQLite may answer from: its results must be exactly the
 * in-memory evaluator's, and the page the issue measured must seek that index instead of sorting.
 */
const database = openTempDatabase()
const db = database.db
const tables = new RecordTables(db)

beforeAll(() => {
  tables.setup()
  createRecordsTable(db, "plain")
})
afterAll(() => database.close())

const parse = (text: string): ListQuery => {
  const query = parseListQuery(new URLSearchParams(text))
  if (query instanceof QueryError) throw new Error(query.message)
  return query
}

describe("composite index keys", () => {
  it("are the equality fields (by name), then the data sort keys, or unsorted the range field", () => {
    expect(compositeIndexKey(parse("filter[kind][eq][string]=b&filter[price][lt][number]=5&sort=[price][desc]"))).toBe("kind,price")
    expect(compositeIndexKey(parse("filter[z][eq][number]=1&filter[a][=][boolean]=true&sort=s&sort=-t"))).toBe("a,z,s,t")
    expect(compositeIndexKey(parse("filter[kind][eq][string]=b&filter[price][gte][number]=5"))).toBe("kind,price")
    expect(compositeIndexKey(parse("filter[kind][IN][string]=b&sort=site.area"))).toBe("kind,site.area")
    // Sort keys after a column key cannot follow the index's order.
    expect(compositeIndexKey(parse("filter[kind][eq][string]=b&sort=_meta.created&sort=price"))).toBeUndefined()
  })

  it("are absent where no equality fixes a prefix or nothing orders after it", () => {
    expect(compositeIndexKey(parse("filter[price][lt][number]=5&sort=-price"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][eq][string]=b"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][eq][string]=b&sort=kind"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][IN][string]=a,b&sort=price"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][ne][string]=b&sort=price"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][eq][date]=2024-01-01&sort=price"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter[kind][IN][object]=b&sort=price"))).toBeUndefined()
    expect(compositeIndexKey(parse("filter_or[0][kind][eq][string]=b&filter_or[1][kind][eq][string]=c&sort=price"))).toBeUndefined()
    expect(indexKeys(parse("filter[kind][eq][string]=b&filter[price][lt][number]=5&sort=[price][desc]"))).toEqual(["kind", "price", "kind,price"])
  })
})

describe("composite index plans", () => {
  it("a page with an equality, a range and a descending sort on the range's field seeks the composite index, no sort step", () => {
    const name = tables.ensure("plans", "items")
    const insert = db.prepare(`INSERT INTO "${name}" VALUES (?, ?, 'u', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1)`)
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert.run(`r${i}`, JSON.stringify({ price: (i * 7919) % 1000, kind: `k${i % 5}`, name: `n${i}` }))
    })()
    const query = parse("filter[kind][eq][string]=k1&filter[price][lt][number]=500&sort=[price][desc]&limit=20")
    for (const key of indexKeys(query)) tables.ensureIndex(name, key)
    const sql = toSql(query, name)
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql.sql}`).all(...sql.params).map((row) => (row as { detail: string }).detail).join(" | ")
    expect(plan).toMatch(/SEARCH .* USING INDEX .*_ix3 \(<expr>=\? AND <expr>>\? AND <expr><\?\)/)
    expect(plan).not.toContain("TEMP B-TREE")
    const rows = db.prepare(sql.sql).all(...sql.params) as Array<{ data: string }>
    const prices = rows.map((row) => (JSON.parse(row.data) as { price: number; kind: string }))
    expect(prices).toHaveLength(20)
    expect(prices.every((p) => p.kind === "k1" && p.price < 500)).toBe(true)
    expect(prices.map((p) => p.price)).toEqual([...prices.map((p) => p.price)].sort((a, b) => b - a))
  })
})

const DATASETS = 30
const QUERIES_PER_DATASET = 200
const seed = baseSeed()

describe(`list query over composite indexes: SQL and in-memory evaluation agree (seed ${seed})`, () => {
  it(`${DATASETS * QUERIES_PER_DATASET} random queries, each with the indexes the list route would create`, () => {
    let composite = 0
    for (let dataset = 0; dataset < DATASETS; dataset++) {
      const rng = prng(seed + dataset)
      const rows = randomRecords(rng, rng.int(0, 80))
      // A fresh collection table per dataset, so its indexes come from this dataset's queries.
      const name = tables.ensure("property", `t${dataset}`)
      fill(db, "plain", rows)
      fill(db, name, rows)
      for (let q = 0; q < QUERIES_PER_DATASET; q++) {
        const params = randomQuery(rng, rows)
        // Every other query gets the shape the composite index is for: an equality on a value some
        // record holds, and a sort on another field.
        if (q % 2 === 1 && rows.length > 0) {
          const field = rng.pick(DATA_FIELDS)
          const value = rng.pick(rows).data[field]
          const type = typeof value === "string" ? "string" : typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : undefined
          if (type !== undefined) params.append(`filter[${field}][${rng.pick(["eq", "=", "IN"])}][${type}]`, String(value))
          params.append("sort", `[${rng.pick(DATA_FIELDS)}][${rng.chance(0.5) ? "desc" : "asc"}]`)
        }
        const parsed = parseListQuery(params)
        // A record's value may not read back as its type (a number too large to write plainly, a string
        // with a comma for IN): such a shaped query is refused, and nothing is left to compare.
        if (parsed instanceof QueryError) {
          if (q % 2 === 1) continue
          expect.fail(`seed ${seed} dataset ${dataset}: generated query refused: ${parsed.message}\n  ${params.toString()}`)
        }
        // The route's calls, with room for every key the dataset's queries name.
        for (const key of indexKeys(parsed)) tables.ensureIndex(name, key, 1_000)
        if (compositeIndexKey(parsed) !== undefined) composite++
        const result = compareEngines(db, ["plain", name], rows, params)
        if (result.mismatch !== undefined) expect.fail(`seed ${seed} dataset ${dataset} query ${q}: engines disagree\n${result.mismatch}`)
      }
    }
    const created = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM record_indexes WHERE path LIKE '%,%'").get()!.n
    console.info(`composite index property (seed ${seed}): ${composite} queries with a composite key, ${created} composite indexes`)
    expect(composite).toBeGreaterThan(400)
    expect(created).toBeGreaterThan(300)
  }, 600_000) // thousands of queries and index builds: a loaded machine takes minutes
})
