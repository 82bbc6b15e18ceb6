import { describe, expect, it } from "vitest"
import { DEFAULT_LIMIT, parseListQuery, project, QueryError, type ListQuery } from "@machhub/projections"
import { asciiLower, WORD_SEPARATORS, words } from "../../projections/src/records/query/text.js"

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
      eq: ["=", "==", "eq", "EQ", "Eq"],
      ne: ["!=", "ne", "NE"],
      gt: [">", "gt", "GT"],
      lt: ["<", "lt", "LT"],
      gte: [">=", "gte", "GTE"],
      lte: ["<=", "lte", "LtE"],
      fuzzy: ["~"],
      notFuzzy: ["!~"],
      contains: ["contains", "CONTAINS"],
      containsNot: ["CONTAINSNOT", "containsnot"],
      containsAll: ["CONTAINSALL", "ContainsAll"],
      containsAny: ["CONTAINSANY", "containsany"],
      containsNone: ["CONTAINSNONE"],
      in: ["in", "IN", "INSIDE", "inside"],
      notIn: ["NOT IN", "not in", "NOTINSIDE", "notinside"],
      allIn: ["ALLINSIDE"],
      anyIn: ["ANYINSIDE", "AnyInside"],
      noneIn: ["NONEINSIDE"]
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
    expect(error("filter[a][CONTAINSALL][date]=2024-01-01,x")).toMatch(/^filter\[a\]\[CONTAINSALL\]\[date\]: "x" is not an ISO-8601 date/)
    expect(ok(`filter[a][in][number]=${Array.from({ length: 100 }, (_, i) => i).join(",")}`).filters[0]?.values).toHaveLength(100)
    expect(error(`filter[a][in][number]=${Array.from({ length: 101 }, (_, i) => i).join(",")}`)).toBe("filter[a][in][number]: at most 100 values in a list")
    expect(error(`filter[a][CONTAINSANY][object]=${Array.from({ length: 101 }, (_, i) => i).join(",")}`)).toBe("filter[a][CONTAINSANY][object]: at most 100 values in a list")
  })

  it("takes contains with every scalar type (an array field holds the element), ~ !~ @@ with strings only", () => {
    expect(ok("filter[a][contains][string]=x").filters[0]?.op).toBe("contains")
    expect(ok("filter[a][CONTAINS][number]=1").filters[0]).toMatchObject({ op: "contains", type: "number", values: [1] })
    expect(ok("filter[a][CONTAINS][boolean]=true").filters[0]).toMatchObject({ op: "contains", type: "boolean", values: [true] })
    expect(ok("filter[a][CONTAINS][date]=2024-01-01").filters[0]).toMatchObject({ op: "contains", type: "date" })
    for (const op of ["~", "!~", "@@"]) {
      for (const type of ["number", "boolean", "date", "object"]) {
        expect(error(`${enc(`filter[a][${op}][${type}]`)}=1`)).toBe(`filter[a][${op}][${type}]: ${op} only applies to type string`)
      }
    }
  })

  it("reads @@ as lower-cased words, at least one and at most 16", () => {
    expect(ok(`${enc("filter[a][@@][string]")}=${enc("CNC-Mill, #4 mill")}`).filters[0]).toMatchObject({ op: "text", values: ["cnc", "mill", "4"] })
    expect(ok(`${enc("filter[a][@@][string]")}=${enc("Straße ÉTÉ")}`).filters[0]?.values).toEqual(["straße", "ÉtÉ"]) // ASCII letters only, as SQLite's lower()
    expect(error(`${enc("filter[a][@@][string]")}=${enc(" -- ")}`)).toBe("filter[a][@@][string]: @@ needs at least one word")
    expect(error(`${enc("filter[a][@@][string]")}=${Array.from({ length: 17 }, (_, i) => `w${i}`).join("+")}`)).toBe("filter[a][@@][string]: @@ takes at most 16 words")
  })

  it("reads type object (JavaScript's typeof of a list) as a list of untyped texts, for list operators only", () => {
    expect(ok("filter[a][IN][object]=x,1,true").filters[0]).toMatchObject({ op: "in", type: "object", values: ["x", "1", "true"] })
    expect(ok("filter[a][CONTAINSANY][object]=").filters[0]).toMatchObject({ op: "containsAny", type: "object", values: [] })
    expect(ok("filter[a][CONTAINSALL][string]=").filters[0]).toMatchObject({ op: "containsAll", type: "string", values: [""] })
    expect(ok("filter[a][ANYINSIDE][number]=1,2").filters[0]).toMatchObject({ op: "anyIn", type: "number", values: [1, 2] })
    expect(ok("filter[a][CONTAINS][string]=a,b").filters[0]?.values).toEqual(["a,b"]) // one value: not a list operator
    for (const op of ["=", "!=", "<", "CONTAINS", "CONTAINSNOT"]) {
      expect(error(`${enc(`filter[a][${op}][object]`)}=x`)).toMatch(/type object carries a comma-separated list and goes only with the list operators/)
    }
    expect(error("filter[a][IN][bigint]=1")).toMatch(/unknown type "bigint" \(string, number, boolean, date or object\)/)
    expect(error("filter[a][IN][undefined]=")).toMatch(/unknown type "undefined"/)
  })

  it("answers SurrealDB operators it does not implement as not supported, naming them", () => {
    for (const op of ["?=", "*=", "?~", "*~", "@0@", "@1@", "@2@", "@3@"]) {
      expect(error(`${enc(`filter[a][${op}][string]`)}=x`)).toBe(`filter[a][${op}][string]: operator ${JSON.stringify(op)} is not supported`)
    }
    // sent raw, ?= splits at its = and is rejoined first
    expect(error("filter[a][?=][string]=x")).toBe("filter[a][?=][string]: operator \"?=\" is not supported")
  })

  it("decodes operators as the SDK's URLSearchParams encodes them", () => {
    const sdk = (op: string, type: string, value: string) => {
      const params = new URLSearchParams()
      params.append(`filter[name][${op}][${type}]`, value)
      return ok(params.toString()).filters[0]
    }
    expect(sdk(">=", "number", "5")).toMatchObject({ op: "gte", values: [5] })
    expect(sdk("NOT IN", "object", "a,b")).toMatchObject({ op: "notIn", type: "object", values: ["a", "b"] })
    expect(sdk("@@", "string", "x y")).toMatchObject({ op: "text", values: ["x", "y"] })
    expect(sdk("~", "string", "Ab")).toMatchObject({ op: "fuzzy", values: ["Ab"] })
    expect(sdk("!~", "string", "a+b")).toMatchObject({ op: "notFuzzy", values: ["a+b"] })
    expect(new URLSearchParams([["filter[a][>=][number]", "5"]]).toString()).toBe("filter%5Ba%5D%5B%3E%3D%5D%5Bnumber%5D=5")
    // hand-written, unencoded
    expect(ok("filter[a][NOT IN][string]=x,y").filters[0]).toMatchObject({ op: "notIn", values: ["x", "y"] })
    expect(ok("filter[a][NOT+IN][string]=x").filters[0]).toMatchObject({ op: "notIn" })
    expect(ok("filter[a][==][string]=x").filters[0]).toMatchObject({ op: "eq", values: ["x"] })
    expect(ok("filter[a][%40%40][string]=x").filters[0]).toMatchObject({ op: "text" })
  })

  it("refuses unknown operators and types, naming the parameter", () => {
    expect(error("filter[a][like][string]=x")).toBe("filter[a][like][string]: unknown operator \"like\" (= == != > < >= <= ~ !~ @@ CONTAINS CONTAINSNOT CONTAINSALL CONTAINSANY CONTAINSNONE IN INSIDE NOT IN NOTINSIDE ALLINSIDE ANYINSIDE NONEINSIDE, or eq ne gt lt gte lte, each also as ARRAY_WHERE_<op>)")
    expect(error(`${enc("filter[a][===][string]")}=x`)).toMatch(/^filter\[a\]\[===\]\[string\]: unknown operator "==="/)
    expect(error(`${enc("filter[a][<>][string]")}=x`)).toMatch(/unknown operator "<>"/)
    expect(error(`${enc("filter[a][NOT  IN][string]")}=x`)).toMatch(/unknown operator "NOT  IN"/)
    expect(error(`${enc("filter[a][fuzzy][string]")}=x`)).toMatch(/unknown operator "fuzzy"/) // internal names are not spellings
    expect(error("filter[a][eq][int]=1")).toBe("filter[a][eq][int]: unknown type \"int\" (string, number, boolean, date or object)")
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

describe("parseListQuery: bounds that keep the SQL small", () => {
  it("takes at most 1,000 list values in all and 8 @@ filters per query", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => i).join(",")
    const lists = (count: number, each: number) => Array.from({ length: count }, (_, i) => `filter_or[${i}][f][IN][number]=${list(each)}`).join("&")
    expect(ok(lists(10, 100)).anyOf).toHaveLength(10)
    expect(error(`${lists(10, 100)}&filter[g][eq][number]=1`)).toBe("filter: at most 1000 values in all filters together")
    const texts = (n: number) => Array.from({ length: n }, (_, i) => `filter[f${i}][%40%40][string]=w`).join("&")
    expect(ok(texts(8)).filters).toHaveLength(8)
    expect(error(texts(9))).toBe("filter: at most 8 @@ filters")
  })
})

describe("text rules of ~ and @@", () => {
  it("cuts words at exactly the separators the SQL replaces, and folds A-Z only", () => {
    for (let code = 0; code < 0x80; code++) {
      const c = String.fromCharCode(code)
      expect(words(`a${c}b`).length === 2, `U+${code.toString(16)}`).toBe(WORD_SEPARATORS.includes(c))
    }
    expect(words("CNC-Mill #4, été\u0000x")).toEqual(["cnc", "mill", "4", "été\u0000x"])
    expect(asciiLower("ÀBÇ Straße")).toBe("ÀbÇ straße")
  })
})

describe("parseListQuery: filter_or groups and ARRAY_WHERE", () => {
  it("groups filter_or entries by index: entries of one index AND-ed, groups in the order they first appear", () => {
    const query = ok([
      "filter[kind][eq][string]=a",
      "filter_or[0][state][=][string]=open",
      "filter_or[1][state][=][string]=pending",
      "filter_or[0][n][gt][number]=2",
      "filter_or[01][n][lt][number]=9" // the index is a number: 01 is group 1
    ].join("&"))
    expect(query.filters.map((f) => f.field.name)).toEqual(["kind"])
    expect(query.anyOf.map((group) => group.map((f) => `${f.field.name} ${f.op} ${String(f.values[0])}`))).toEqual([
      ["state eq open", "n gt 2"],
      ["state eq pending", "n lt 9"]
    ])
  })

  it("reads filter_or exactly as the SDK writes it (one index per orFilter, URL-encoded)", () => {
    const params = new URLSearchParams()
    params.append("filter[type][=][string]", "standard")
    params.append("filter_or[0][state][=][string]", "active")
    params.append("filter_or[1][state][=][string]", "pending")
    params.append("filter_or[2][lines.itemId][ARRAY_WHERE_=][string]", "acme.items:1")
    const query = ok(params.toString())
    expect(query.anyOf).toHaveLength(3)
    expect(query.anyOf[2]).toEqual([{ field: { kind: "data", name: "lines.itemId", path: ["lines", "itemId"] }, op: "eq", type: "string", values: ["acme.items:1"], arrayWhere: true }])
  })

  it("refuses malformed filter_or keys and caps entries at 64", () => {
    for (const key of ["filter_or", "filter_or[0]", "filter_or[0][a][eq]", "filter_or[a][eq][string]", "filter_or[][a][eq][string]", "filter_or[0][a][eq][string][x]"]) {
      expect(error(`${enc(key)}=1`), key).toMatch(/malformed filter, expected filter_or\[<i>\]\[<field>\]\[<op>\]\[<type>\]$|is not a whole number/)
    }
    expect(error(`${enc("filter_or[x][a][eq][string]")}=1`)).toBe("filter_or[x][a][eq][string]: the group index \"x\" is not a whole number")
    expect(error(`${enc("filter_or[-1][a][eq][string]")}=1`)).toMatch(/the group index "-1" is not a whole number/)
    expect(error(`${enc("filter_or[0][a][like][string]")}=1`)).toMatch(/^filter_or\[0\]\[a\]\[like\]\[string\]: unknown operator "like"/)
    expect(error("filter_or[0][a][eq][number]=x")).toBe("filter_or[0][a][eq][number]: \"x\" is not a finite decimal number")
    const entries = (n: number) => Array.from({ length: n }, (_, i) => `filter_or[${i}][f][eq][number]=${i}`).join("&")
    expect(ok(entries(64)).anyOf).toHaveLength(64)
    expect(error(entries(65))).toBe("filter_or[64][f][eq][number]: at most 64 filter_or entries")
    // unencoded >= inside filter_or is rejoined as for filter
    expect(ok("filter_or[3][a][>=][number]=5").anyOf[0]?.[0]).toMatchObject({ op: "gte", values: [5] })
  })

  it("reads ARRAY_WHERE_<op> with any operator, on <array>.<field> paths of data only", () => {
    expect(ok(`${enc("filter[lines.qty][ARRAY_WHERE_>=][number]")}=5`).filters[0]).toMatchObject({ op: "gte", arrayWhere: true, values: [5] })
    expect(ok(`${enc("filter[a.b.c][array_where_CONTAINSANY][object]")}=x,y`).filters[0]).toMatchObject({ op: "containsAny", arrayWhere: true })
    expect(ok("filter[lines.qty][ARRAY_WHERE_=][number]=5").filters[0]).toMatchObject({ op: "eq", arrayWhere: true }) // unencoded =
    expect(error("filter[lines][ARRAY_WHERE_eq][string]=x")).toMatch(/ARRAY_WHERE_ needs <array>\.<field>, got "lines"/)
    expect(error("filter[id][ARRAY_WHERE_eq][string]=x")).toMatch(/is a record column/)
    expect(error("filter[_meta.version][ARRAY_WHERE_eq][number]=1")).toMatch(/is a record column/)
    expect(error("filter[a.b][ARRAY_WHERE_like][string]=x")).toMatch(/unknown operator "ARRAY_WHERE_like"/)
    expect(error("filter[a.b][ARRAY_WHERE_ARRAY_WHERE_eq][string]=x")).toMatch(/unknown operator/)
    expect(error(`${enc("filter[a.b][ARRAY_WHERE_?=][string]")}=x`)).toMatch(/operator "\?=" is not supported/)
    expect(ok("filter[a][eq][string]=x").filters[0]).not.toHaveProperty("arrayWhere")
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
    expect(ok("")).toEqual({ filters: [], anyOf: [], sort: [], limit: DEFAULT_LIMIT, offset: 0, fields: undefined, expand: [] })
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
    expect(error("lmit=1")).toBe("lmit: unknown query parameter (known: filter[<field>][<op>][<type>], filter_or[<i>][<field>][<op>][<type>], sort, limit, offset, fields, expand)")
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
