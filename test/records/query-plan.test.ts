import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { indexableFields, parseListQuery, QueryError, toSql, type ListQuery } from "@machhub/projections"
import { createFieldIndex, createRecordsTable, openTempDatabase } from "./queryHarness.js"

/**
 * The SQL must use the expression `json_extract(data, '$.<field>')` exactly as the projection indexes
 * it, or SQLite's planner cannot match the index. Table "lead" has indexes as RecordTables declares
 * them (expression only), "tied" has the expression followed by id (spares the id tie-break sort).
 */
const database = openTempDatabase()
const db = database.db

beforeAll(() => {
  for (const table of ["lead", "tied"]) {
    createRecordsTable(db, table)
    const insert = db.prepare(`INSERT INTO ${table} VALUES (?, ?, 'u', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1)`)
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert.run(`r${i}`, JSON.stringify({ price: i % 97, category: `c${i % 13}`, tags: [`t${i % 5}`, `t${i % 7}`], site: { area: `a${i % 7}` } }))
    })()
    for (const field of ["price", "category", "site.area"]) createFieldIndex(db, table, field, table === "tied" ? ", id" : "")
  }
})
afterAll(() => database.close())

const parse = (text: string): ListQuery => {
  const query = parseListQuery(new URLSearchParams(text))
  if (query instanceof QueryError) throw new Error(query.message)
  return query
}
const explain = (statement: { readonly sql: string; readonly params: ReadonlyArray<unknown> }): string =>
  db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params).map((row) => (row as { detail: string }).detail).join(" | ")
const plan = (table: string, text: string): string => explain(toSql(parse(text), table))
const countPlan = (table: string, text: string): string => explain(toSql(parse(text), table).count)

describe("query plans", () => {
  it("a range filter plus a sort on an indexed field searches the index instead of scanning", () => {
    expect(plan("lead", "filter[price][gt][number]=5&sort=price")).toMatch(/^SEARCH lead USING INDEX lead_price \(<expr>>\? AND <expr><\?\)/)
    // With id in the index the rows come out in final order: no sort step at all.
    expect(plan("tied", "filter[price][gt][number]=5&sort=price")).toBe("SEARCH tied USING INDEX tied_price_id (<expr>>? AND <expr><?)")
    expect(plan("tied", "filter[price][lte][number]=5&sort=price")).toBe("SEARCH tied USING INDEX tied_price_id (<expr>>? AND <expr><?)")
    // Descending runs the id tie-breaker descending too: the index is read backwards, no sort step.
    expect(plan("tied", "filter[price][gt][number]=5&sort=-price")).toBe("SEARCH tied USING INDEX tied_price_id (<expr>>? AND <expr><?)")
    // Sorting on one indexed field while filtering on another walks the sort index and stops after a page.
    expect(plan("tied", "filter[price][gt][number]=5&sort=-category&limit=20")).not.toContain("TEMP B-TREE")
  })

  it("equality, in and string ranges on nested fields use the index too", () => {
    expect(plan("tied", "filter[category][eq][string]=c1")).toBe("SEARCH tied USING INDEX tied_category_id (<expr>=?)")
    expect(plan("tied", "filter[site.area][eq][string]=a1")).toBe("SEARCH tied USING INDEX tied_site.area_id (<expr>=?)")
    expect(plan("lead", "filter[category][in][string]=c1,c2")).toMatch(/^SEARCH lead USING INDEX lead_category \(<expr>=\?\)/)
    expect(plan("lead", "filter[category][lt][string]=c3")).toMatch(/^SEARCH lead USING INDEX lead_category \(<expr>>\? AND <expr><\?\)/)
    expect(plan("lead", "filter[price][lt][number]=5")).toMatch(/^SEARCH lead USING INDEX lead_price \(<expr>>\? AND <expr><\?\)/)
  })

  it("a sort alone walks the index", () => {
    expect(plan("tied", "sort=price&limit=10")).toBe("SCAN tied USING INDEX tied_price_id")
    expect(plan("lead", "sort=price&limit=10")).toMatch(/^SCAN lead USING INDEX lead_price/)
  })

  it("OR groups search each branch's index and merge (MULTI-INDEX OR), in the count too", () => {
    const orPlan = "MULTI-INDEX OR | INDEX 1 | SEARCH tied USING INDEX tied_category_id (<expr>=?) | INDEX 2 | SEARCH tied USING INDEX tied_price_id (<expr>>? AND <expr><?)"
    const query = "filter_or[0][category][%3D][string]=c1&filter_or[1][price][%3E][number]=90"
    expect(plan("tied", query)).toBe(`${orPlan} | USE TEMP B-TREE FOR ORDER BY`)
    expect(countPlan("tied", query)).toBe(orPlan)
    // A plain filter AND-ed with the groups: its index leads.
    expect(plan("tied", `filter[site.area][eq][string]=a1&${query}`)).toMatch(/^SEARCH tied USING INDEX tied_site.area_id \(<expr>=\?\)/)
    // A small page sorted by another indexed field walks that index and stops after the page.
    expect(plan("tied", `${query}&sort=-site.area&limit=20`)).toBe("SCAN tied USING INDEX tied_site.area_id")
  })

  it("IN over an untyped list (type object) uses the index, whatever types its texts read as", () => {
    expect(plan("tied", "filter[category][IN][object]=c1,c2")).toMatch(/^SEARCH tied USING INDEX tied_category_id \(<expr>=\?\)/)
    expect(plan("tied", "filter[price][INSIDE][object]=1,2,true")).toMatch(/^SEARCH tied USING INDEX tied_price_id \(<expr>=\?\)/)
  })

  it("array and text operators cannot use an expression index: a sorted page still walks the sort index", () => {
    expect(plan("tied", "filter[tags][CONTAINSANY][string]=t1,t2&sort=price&limit=20")).toMatch(/^SCAN tied USING INDEX tied_price_id/)
    expect(plan("tied", `filter[category][${encodeURIComponent("~")}][string]=C1&sort=price&limit=20`)).toBe("SCAN tied USING INDEX tied_price_id")
  })

  it("indexableFields names the fields those plans need, and only those an index can serve", () => {
    expect(indexableFields(parse("filter[price][gt][number]=5&sort=site.area&sort=-price&filter[category][in][string]=a"))).toEqual(["price", "category", "site.area"])
    expect(indexableFields(parse("filter[a][ne][number]=5&filter[b][contains][string]=x&filter[c][gt][date]=2024-01-01&filter[id][eq][string]=x&sort=_meta.created"))).toEqual([])
    expect(indexableFields(parse("filter[a][IN][object]=1,x&filter[b][~][string]=x&filter[c][CONTAINSANY][string]=x&filter[d][ANYINSIDE][number]=1&filter[e.f][ARRAY_WHERE_eq][number]=1&filter[g][NOT IN][string]=x"))).toEqual(["a"])
    // OR groups count when every group has an indexable filter (else SQLite scans anyway)
    expect(indexableFields(parse("filter_or[0][a][eq][string]=x&filter_or[0][b][~][string]=y&filter_or[1][c][gt][number]=1"))).toEqual(["a", "c"])
    expect(indexableFields(parse("filter_or[0][a][eq][string]=x&filter_or[1][b][~][string]=y&sort=s"))).toEqual(["s"])
  })
})
