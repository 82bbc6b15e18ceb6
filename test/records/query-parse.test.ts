import { describe, expect, it } from "vitest"
import { DEFAULT_LIMIT, parseListQuery, project, QueryError, type ListQuery } from "@machhub/projections"

const parse = (query: string): ListQuery | QueryError => parseListQuery(new URLSearchParams(query))
const ok = (query: string): ListQuery => {
  const result = parse(query)
  if (result instanceof QueryError) throw new Error(`expected ${query} to parse, got: ${result.message}`)
  return result
}
const error = (query: string): string => {
  const result = parse(query)
  if (!(result instanceof QueryError)) throw new Error(`expected ${query} to be refused, got ${JSON.stringify(result)}`)
  return result.message
}
const enc = encodeURIComponent

describe("parseListQuery: filters", () => {
  it("takes every operator by symbol, by name and in any casing", () => {
    const forms: Record<string, ReadonlyArray<string>> = {
      eq: ["=", "eq", "EQ", "Eq"],
      ne: ["!=", "ne", "NE"],
      gt: [">", "gt", "GT"],
      lt: ["<", "lt", "LT"],
      gte: [">=", "gte", "GTE"],
      lte: ["<=", "lte", "LtE"],
      contains: ["contains", "CONTAINS"],
      in: ["in", "IN"]
    }
    for (const [op, spellings] of Object.entries(forms)) {
      for (const spelling of spellings) {
        const query = ok(`${enc(`filter[name][${spelling}][string]`)}=x`)
        expect(query.filters).toEqual([{ field: { kind: "data", name: "name", path: ["name"] }, op, type: "string", values: ["x"] }])
      }
    }
  })

  it("rejoins a filter whose =, !=, >=, <= was not percent-encoded", () => {
    // URLSearchParams splits `filter[a][>=][number]=5` at the first `=`.
    expect(ok("filter[a][>=][number]=5").filters[0]).toMatchObject({ op: "gte", values: [5] })
    expect(ok("filter[a][<=][number]=5").filters[0]).toMatchObject({ op: "lte", values: [5] })
    expect(ok("filter[a][!=][string]=x=y").filters[0]).toMatchObject({ op: "ne", values: ["x=y"] })
    expect(ok("filter[a][=][string]=").filters[0]).toMatchObject({ op: "eq", values: [""] })
    expect(ok("filter[a][>][number]=5").filters[0]).toMatchObject({ op: "gt", values: [5] })
    expect(ok("filter[a][<][number]=-5").filters[0]).toMatchObject({ op: "lt", values: [-5] })
  })

  it("parses each type and refuses values that are not of it", () => {
    expect(ok("filter[a][eq][string]=").filters[0]?.values).toEqual([""])
    expect(ok(`filter[a][eq][string]=${enc("it's 'quoted' -- ; DROP TABLE x")}`).filters[0]?.values).toEqual(["it's 'quoted' -- ; DROP TABLE x"])
    for (const [text, value] of [["0", 0], ["-12", -12], ["1.5", 1.5], [".5", 0.5], ["5.", 5], ["1e3", 1000], ["-2.5E-3", -0.0025]] as const) {
      expect(ok(`filter[a][eq][number]=${enc(text)}`).filters[0]?.values).toEqual([value])
    }
    for (const bad of ["", "abc", "1,5", "0x10", "Infinity", "NaN", "1e999", "--1", "1 ", " 1", "1e", "+1", "٣"]) {
      expect(error(`filter[a][eq][number]=${enc(bad)}`)).toMatch(/^filter\[a\]\[eq\]\[number\]: .* is not a finite decimal number$/)
    }
    expect(ok("filter[a][eq][boolean]=true").filters[0]?.values).toEqual([true])
    expect(ok("filter[a][eq][boolean]=FALSE").filters[0]?.values).toEqual([false])
    for (const bad of ["", "1", "yes", "t", "truee"]) expect(error(`filter[a][eq][boolean]=${bad}`)).toMatch(/^filter\[a\]\[eq\]\[boolean\]: .* is not true or false$/)
    expect(ok("filter[a][eq][date]=2024-02-29").filters[0]?.values).toEqual([Date.UTC(2024, 1, 29)])
    expect(ok(`filter[a][eq][date]=${enc("2024-01-01T10:00:00.5+02:00")}`).filters[0]?.values).toEqual([Date.UTC(2024, 0, 1, 8, 0, 0, 500)])
    // An unencoded `+` arrives as a space; the offset is still read as +02:00.
    expect(ok("filter[a][eq][date]=2024-01-01T10:00+02:00").filters[0]?.values).toEqual([Date.UTC(2024, 0, 1, 8)])
    expect(ok("filter[a][eq][date]=0001-01-01").filters[0]?.values).toEqual([new Date("0001-01-01T00:00:00Z").getTime()])
    for (const bad of [
      "", "2024", "2024-1-1", "2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-01T10:00",
      "2024-01-01T10:00:00", "2024-01-01T24:00Z", "2024-01-01T10:60Z", "2024-01-01T10:00:60Z", "2024-01-01T10:00:00.1234Z",
      "2024-01-01T10:00+15:00", "2024-01-01 10:00Z", "2024-01-01t10:00z", "+002024-01-01", "now", "1704067200", "9999-12-31T23:00-01:00"
    ]) {
      expect(error(`filter[a][eq][date]=${enc(bad)}`)).toMatch(/^filter\[a\]\[eq\]\[date\]: .* is not an ISO-8601 date/)
    }
  })

  it("splits in lists into typed values, at most 100", () => {
    expect(ok("filter[a][in][number]=1,2.5,-3").filters[0]?.values).toEqual([1, 2.5, -3])
    expect(ok("filter[a][in][string]=x,,y").filters[0]?.values).toEqual(["x", "", "y"])
    expect(ok("filter[a][in][boolean]=true").filters[0]?.values).toEqual([true])
    expect(error("filter[a][in][number]=1,x")).toBe("filter[a][in][number]: \"x\" is not a finite decimal number")
    expect(ok(`filter[a][in][number]=${Array.from({ length: 100 }, (_, i) => i).join(",")}`).filters[0]?.values).toHaveLength(100)
    expect(error(`filter[a][in][number]=${Array.from({ length: 101 }, (_, i) => i).join(",")}`)).toBe("filter[a][in][number]: at most 100 values in an in list")
  })

  it("allows contains on strings only", () => {
    expect(ok("filter[a][contains][string]=x").filters[0]?.op).toBe("contains")
    for (const type of ["number", "boolean", "date"]) {
      expect(error(`filter[a][contains][${type}]=1`)).toBe(`filter[a][contains][${type}]: contains only applies to type string`)
    }
  })

  it("refuses unknown operators and types, naming the parameter", () => {
    expect(error("filter[a][like][string]=x")).toBe("filter[a][like][string]: unknown operator \"like\" (= != > < >= <= contains in, or eq ne gt lt gte lte)")
    expect(error(`${enc("filter[a][==][string]")}=x`)).toMatch(/^filter\[a\]\[==\]\[string\]: unknown operator/)
    expect(error(`${enc("filter[a][<>][string]")}=x`)).toMatch(/unknown operator "<>"/)
    expect(error("filter[a][eq][int]=1")).toBe("filter[a][eq][int]: unknown type \"int\" (string, number, boolean or date)")
    expect(error("filter[a][eq][]=1")).toMatch(/unknown type ""/)
  })

  it("refuses malformed brackets", () => {
    for (const key of ["filter", "filter[a]", "filter[a][eq]", "filter[a][eq][string][x]", "filter[a]eq][string]", "filter[a][eq][string", "filter[[a]][eq][string]", "filters[a][eq][string]", "filter [a][eq][string]"]) {
      expect(error(`${enc(key)}=1`)).toMatch(/malformed filter, expected filter\[<field>\]\[<op>\]\[<type>\]$/)
    }
  })

  it("resolves reserved fields to columns and refuses other names under id and _meta", () => {
    const fields = ok("filter[id][eq][string]=x&filter[_meta.created][gt][date]=2024-01-01&filter[_meta.updated][lt][date]=2025-01-01&filter[_meta.creator][eq][string]=u&filter[_meta.version][gte][number]=2").filters.map((f) => f.field)
    expect(fields).toEqual([
      { kind: "column", name: "id", column: "id" },
      { kind: "column", name: "_meta.created", column: "created" },
      { kind: "column", name: "_meta.updated", column: "updated" },
      { kind: "column", name: "_meta.creator", column: "creator" },
      { kind: "column", name: "_meta.version", column: "version" }
    ])
    expect(ok("filter[address.city][eq][string]=x").filters[0]?.field).toEqual({ kind: "data", name: "address.city", path: ["address", "city"] })
    for (const name of ["_meta", "_meta.other", "id.x", "_meta.created.x"]) expect(error(`filter[${name}][eq][string]=x`)).toMatch(/is reserved/)
  })

  it("caps filters at 32 and values at 4096 characters", () => {
    const filters = (n: number) => Array.from({ length: n }, (_, i) => `filter[f${i}][eq][number]=${i}`).join("&")
    expect(ok(filters(32)).filters).toHaveLength(32)
    expect(error(filters(33))).toBe("filter[f32][eq][number]: at most 32 filters")
    expect(ok(`filter[a][eq][string]=${"x".repeat(4096)}`).filters).toHaveLength(1)
    expect(error(`filter[a][eq][string]=${"x".repeat(4097)}`)).toBe("filter[a][eq][string]: value is longer than 4096 characters")
  })

  it("never sees an unpaired surrogate: URLSearchParams replaces it (contains relies on that)", () => {
    const query = parseListQuery(new URLSearchParams([["filter[a][contains][string]", "x\ud800"]]))
    expect(query).not.toBeInstanceOf(QueryError)
    expect((query as ListQuery).filters[0]?.values).toEqual(["x\ufffd"])
    expect(ok(`filter[a][eq][string]=${enc("😀")}`).filters[0]?.values).toEqual(["😀"])
  })
})

describe("parseListQuery: field names", () => {
  it("takes dotted names of up to 8 segments of up to 64 characters", () => {
    const long = `a${"b".repeat(63)}`
    expect(ok(`filter[${long}][eq][string]=x`).filters).toHaveLength(1)
    expect(ok("filter[a.b.c.d.e.f.g.h][eq][string]=x").filters).toHaveLength(1)
    expect(ok("filter[_][eq][string]=x&filter[A9_z][eq][string]=x&filter[__proto__][eq][string]=x").filters).toHaveLength(3)
  })

  it("refuses anything else, including JSON path syntax, quotes and SQL", () => {
    const names = [
      "", "a..b", ".a", "a.", "$", "$.a", "a[0]", "a.0", "0a", "a b", "a-b", "a'b", "a\"b", "a`b", "a;b", "a/*b*/", "a\u0000b", "a\nb",
      "é", "a.b.c.d.e.f.g.h.i", `a${"b".repeat(64)}`, "x".repeat(10_000), "a') OR 1=1 --", "'; DROP TABLE t; --", "a\\b", "a%b", "*"
    ]
    for (const name of names) {
      const message = error(`${enc(`filter[${name}][eq][string]`)}=x`)
      // a bracket inside the name already breaks the filter[..][..][..] shape
      expect(message).toMatch(/[[\]]/.test(name) ? /malformed filter/ : /is not a field name/)
      expect(message.length).toBeLessThan(400) // long names are cut in the message
      expect(error(`sort=${enc(`[${name}][asc]`)}`)).toMatch(/^sort: .*is not a field name/)
    }
  })
})

describe("parseListQuery: sort, paging, fields, expand", () => {
  it("reads sort keys in order, in all three spellings", () => {
    const query = ok(`sort=${enc("[price][desc]")}&sort=${enc("[name][ASC]")}&sort=${enc("[a.b]")}&sort=created&sort=-_meta.version`)
    expect(query.sort.map((s) => [s.field.name, s.direction])).toEqual([
      ["price", "desc"],
      ["name", "asc"],
      ["a.b", "asc"],
      ["created", "asc"],
      ["_meta.version", "desc"]
    ])
    expect(error(`sort=${enc("[a][up]")}`)).toBe("sort: \"up\" is not asc or desc")
    expect(error("sort=")).toMatch(/^sort: "" is not a field name/)
    expect(error(`sort=${enc("[a][asc][x]")}`)).toMatch(/^sort: .* is not a field name/)
    expect(error(Array.from({ length: 9 }, (_, i) => `sort=f${i}`).join("&"))).toBe("sort: at most 8 sort keys")
  })

  it("defaults limit to 100 and offset to 0, and bounds both", () => {
    expect(ok("")).toEqual({ filters: [], sort: [], limit: DEFAULT_LIMIT, offset: 0, fields: undefined, expand: [] })
    expect(ok("limit=0").limit).toBe(0)
    expect(ok("limit=1000&offset=1000000")).toMatchObject({ limit: 1000, offset: 1_000_000 })
    for (const bad of ["-1", "1001", "1.5", "", "1e3", "abc", "99999999999999999999", " 1"]) {
      expect(error(`limit=${enc(bad)}`)).toMatch(/^limit: .* is not a whole number from 0 to 1000$/)
    }
    expect(error("offset=1000001")).toBe("offset: \"1000001\" is not a whole number from 0 to 1000000")
    expect(error("limit=1&limit=2")).toBe("limit: given more than once")
  })

  it("reads fields and expand as repeatable comma lists", () => {
    expect(ok("fields=a,b.c&fields=d,a").fields).toEqual(["a", "b.c", "d"])
    expect(ok("fields=id,_meta,_meta.created").fields).toEqual(["id", "_meta", "_meta.created"])
    expect(error("fields=a,,b")).toMatch(/^fields: "" is not a field name/)
    expect(error("fields=")).toMatch(/^fields: "" is not a field name/)
    expect(ok("expand=owner,site.area&expand=owner").expand).toEqual(["owner", "site.area"])
    expect(error("expand=id")).toMatch(/^expand: "id" is reserved/)
    expect(error("expand=_meta.creator")).toMatch(/^expand: "_meta.creator" is reserved/)
    expect(error(`expand=${enc("a[0]")}`)).toMatch(/^expand: "a\[0\]" is not a field name/)
  })

  it("refuses unknown parameters (typos must not widen a query) but leaves asOf to the route", () => {
    expect(ok("asOf=123&asOf=anything").filters).toEqual([])
    for (const key of ["lmit", "Limit", "fliter[a][eq][string]", "q", "page", "sort[a]", "x"]) {
      expect(error(`${enc(key)}=1`)).toMatch(/unknown query parameter|malformed/)
    }
    expect(error("lmit=1")).toBe("lmit: unknown query parameter (known: filter[<field>][<op>][<type>], sort, limit, offset, fields, expand)")
    expect(error("bad%0Aname=1")).toMatch(/^"bad\\nname": unknown query parameter/)
  })
})

describe("project", () => {
  const record = {
    id: "acme.orders:1",
    name: "n",
    price: 5,
    address: { city: "Oslo", zip: "0150", geo: { lat: 1, lon: 2 } },
    tags: ["a"],
    _meta: { created: "c", updated: "u", creator: "k", version: 2 }
  }

  it("keeps the named fields plus id and _meta, in record order", () => {
    expect(project(record, ["price", "name"])).toEqual({ id: "acme.orders:1", name: "n", price: 5, _meta: record._meta })
    expect(Object.keys(project(record, ["price", "name"]))).toEqual(["id", "name", "price", "_meta"])
    expect(project(record, [])).toEqual({ id: "acme.orders:1", _meta: record._meta })
  })

  it("keeps nested fields by path, and a whole object when it is named itself", () => {
    expect(project(record, ["address.city", "address.geo.lat"])).toEqual({ id: record.id, address: { city: "Oslo", geo: { lat: 1 } }, _meta: record._meta })
    expect(project(record, ["address.city", "address"])).toEqual({ id: record.id, address: record.address, _meta: record._meta })
    expect(project(record, ["address", "address.city"])).toEqual({ id: record.id, address: record.address, _meta: record._meta })
    expect(project(record, ["tags.length", "name.x", "missing", "address.nope"])).toEqual({ id: record.id, _meta: record._meta })
  })

  it("keeps a __proto__ field as a field", () => {
    const withProto = JSON.parse("{\"id\":\"x\",\"__proto__\":{\"a\":1},\"_meta\":{}}") as Record<string, unknown>
    const projected = project(withProto, ["__proto__"])
    expect(Object.getPrototypeOf(projected)).toBe(Object.prototype)
    expect(JSON.stringify(projected)).toBe("{\"id\":\"x\",\"__proto__\":{\"a\":1},\"_meta\":{}}")
  })
})
