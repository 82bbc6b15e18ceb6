import { describe, expect, it } from "vitest"
import {
  linearRegExp,
  MAX_SCHEMA_PATTERN_PROGRAM,
  PATTERN_STEP_BUDGET,
  UnsupportedPattern,
  withPatternStepBudget
} from "../../apps/server/src/data/linearRegExp.js"
import { SchemaValidator } from "../../apps/server/src/data/SchemaValidator.js"

/**
 * Tenant patterns run on a linear-time engine (RE2) but keep their ECMAScript meaning: every
 * supported pattern answers as V8's `u`-flag RegExp does, the backtracking-only features are refused
 * with the reason, and the work one record may cost is bounded.
 */

const PATTERNS = [
  "", "^$", "a|", "^a.c$", "^.$", "^.*$", "^\\s+$", "^\\S+$", "[\\s\\S]", "^[\\s\\S]$", "^[^\\s]+$", "^[^\\S\\n]+$", "^[\\S]+$",
  "^\\d{3}-\\d{4}$", "^\\w+$", "\\bfoo\\b", "\\Boo", "^\\D\\W$", "^[\\u0041-\\u005A]+$", "^\\u{1F600}$", "^\\uD83D\\uDE00$",
  "^[\\uD83D\\uDE00-\\uD83D\\uDE4F]$", "^\\uD800$", "^\\x41\\cJ$", "^a\\0b$", "^[]$", "^[^]$", "^[^]*$", "[[]", "^[[:a]+$",
  "^(?<year>\\d{4})-(?<month>\\d\\d)$", "^(?:ab|cd)*$", "^(ab|cd)+$", "^a{2,3}$", "^a{2,}$", "^a{2}?$", "^a{0}$", "ab*?c",
  "^\\p{L}+$", "^\\p{Lu}", "^\\p{Script=Greek}+$", "^\\p{sc=Greek}+$", "^\\p{gc=Lu}$", "^\\P{L}+$", "^[\\p{L}\\d]+$",
  "^\\/path$", "^[\\-a]+$", "^[\\b]$", "^\\v$", "^\\t\\n\\r\\f$", "^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\$", "^[\\]\\\\]$",
  "😀+", "^[😀-😃]$", "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
]
const INPUTS = [
  "", "a", "ac", "abc", "a\rc", "a\nc", "a\u2028c", "a\u2029c", " ", "\u00a0", "\ufeff", "\u3000", "\u1680", "\t\n", "\v", "\f",
  "x y", "x\u00a0y", "123-4567", "foo bar", "foobar", "ABC", "Ab", "😀", "😃", "😀😀", "\ud800", "\udc00", "A\n", "A\x0a", "a\0b",
  "[", ":", ":a[", "2024-05", "abcd", "cdab", "aa", "aaa", "aaaa", "Ελλάδα", "Ω", "/path", "-a", "\b", "\t\n\r\f",
  ".*+?()[]{}|^$\\", "]", "\\", "abbc", "é", "a1", "x.y@example.org", "0123abcd-0123-4567-89ab-0123456789ab"
]

describe("patterns keep their ECMAScript meaning", () => {
  it("answers as V8's u-flag RegExp for every pattern and input of the corpus", () => {
    const differences: string[] = []
    for (const pattern of PATTERNS) {
      const native = new RegExp(pattern, "u")
      const linear = linearRegExp(pattern, "u")
      for (const input of INPUTS) {
        if (native.test(input) !== linear.test(input)) differences.push(`${JSON.stringify(pattern)} on ${JSON.stringify(input)}`)
      }
    }
    expect(differences).toEqual([])
  })

  it("answers as V8 on random patterns built from the supported syntax", () => {
    let state = 0x9e3779b9
    const next = (n: number): number => {
      state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
      return state % n
    }
    const atoms = ["a", "b", ".", "\\s", "\\S", "\\d", "\\w", "\\W", "[ab]", "[^a]", "[\\s\\d]", "[^\\S]", "\\u0061", "\\x62", "\\p{L}", "[]", "[^]"]
    // Not \B: V8 tries it between the two halves of a surrogate pair ("b😀b" matches), where the
    // u flag's code points (and RE2) have no position.
    const anchors = ["^", "$", "\\b"]
    const quantifiers = ["", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?"]
    const build = (depth: number): string => {
      const parts: string[] = []
      for (let n = 1 + next(3); n > 0; n--) {
        const choice = next(10)
        if (choice === 0) parts.push(anchors[next(anchors.length)]!)
        else if (choice < 3 && depth > 0) parts.push(`(${build(depth - 1)}${next(2) === 0 ? "" : `|${build(depth - 1)}`})${quantifiers[next(quantifiers.length)]}`)
        else parts.push(`${atoms[next(atoms.length)]}${quantifiers[next(quantifiers.length)]}`)
      }
      return parts.join("")
    }
    const alphabet = ["a", "b", "1", " ", "\n", "\r", "\u00a0", "é", "😀", "_", "-"]
    const differences: string[] = []
    for (let round = 0; round < 400; round++) {
      const pattern = build(2)
      const native = new RegExp(pattern, "u")
      const linear = linearRegExp(pattern, "u")
      for (let sample = 0; sample < 25; sample++) {
        let input = ""
        for (let length = next(7); length > 0; length--) input += alphabet[next(alphabet.length)]
        if (native.test(input) !== linear.test(input)) differences.push(`${JSON.stringify(pattern)} on ${JSON.stringify(input)}`)
      }
    }
    expect(differences).toEqual([])
  })
})

describe("patterns that need backtracking are refused with the reason", () => {
  const refusal = (pattern: string): string => {
    try {
      linearRegExp(pattern, "u")
    } catch (error) {
      expect(error).toBeInstanceOf(UnsupportedPattern)
      return (error as Error).message
    }
    throw new Error(`${pattern} was accepted`)
  }

  it.each([
    ["(?=a)a", "lookahead is not supported"],
    ["a(?!b)", "lookahead is not supported"],
    ["(?<=a)b", "lookbehind is not supported"],
    ["(?<!a)b", "lookbehind is not supported"],
    ["(a)\\1", "backreferences (\\1) are not supported"],
    ["(?<x>a)\\k<x>", "backreferences (\\k<name>) are not supported"],
    ["a{1001}", "repetition counts above 1000 are not supported"],
    ["(?:a{1000}){20}", "it is too large"],
    ["\\p{Letter}", "this Unicode property is not supported"],
    ["\\p{Script_Extensions=Greek}", "is not supported"],
    ["(", "not a valid ECMAScript regular expression"],
    ["\\q", "not a valid ECMAScript regular expression"]
  ])("%s", (pattern, reason) => {
    const message = refusal(pattern)
    expect(message).toContain(JSON.stringify(pattern))
    expect(message).toContain(reason)
  })

  it("says patterns run in linear time", () => {
    expect(refusal("(?=a)a")).toBe(`pattern "(?=a)a" is not supported: lookahead is not supported; patterns run in linear time, without lookahead, lookbehind or backreferences`)
  })
})

describe("SchemaValidator", () => {
  it("refuses a schema whose pattern the engine cannot run, naming the pattern", () => {
    const schemas = new SchemaValidator()
    expect(schemas.problemWith({ type: "object", properties: { code: { type: "string", pattern: "^(?!tmp)" } } }))
      .toBe(`schema pattern "^(?!tmp)" is not supported: lookahead is not supported; patterns run in linear time, without lookahead, lookbehind or backreferences`)
    expect(schemas.problemWith({ type: "object", patternProperties: { "^(\\w)\\1$": { type: "number" } } }))
      .toContain(`pattern "^(\\\\w)\\\\1$" is not supported: backreferences (\\1) are not supported`)
    expect(schemas.problemWith({ type: "object", properties: { code: { pattern: "^[a-z]+$" } } })).toBeUndefined()
  })

  it("refuses a schema whose patterns are too large together", () => {
    const schemas = new SchemaValidator()
    // Each pattern alone fits; enough distinct ones exceed the schema's total.
    const patternOf = (n: number): string => `^${String.fromCharCode(97 + n)}${"[0-9]{999}".repeat(4)}$`
    const size = (linearRegExp(patternOf(0), "u") as unknown as { size: number }).size
    const count = Math.ceil(MAX_SCHEMA_PATTERN_PROGRAM / size) + 1
    const properties = Object.fromEntries(Array.from({ length: count }, (_, n) => [`f${n}`, { type: "string", pattern: patternOf(n) }]))
    expect(schemas.problemWith({ type: "object", properties })).toContain("the schema's patterns are too large together")
    expect(schemas.problemWith({ type: "object", properties: { f0: properties["f0"] } })).toBeUndefined()
  })

  it("validates the exponential-backtracking pattern in one pass, however long the value", () => {
    const schemas = new SchemaValidator()
    const schema = { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } }
    expect(schemas.problemWith(schema)).toBeUndefined()
    // V8 would need ~2^n steps: at 40 characters, days; at 100,000 the test would never end.
    for (const length of [30, 40, 100_000]) {
      expect(schemas.violation("acme\u0000evil", 1, schema, { name: `${"a".repeat(length)}!` })).toBe(`field name: must match pattern "^(a+)+$"`)
    }
    expect(schemas.violation("acme\u0000evil", 1, schema, { name: "a".repeat(100_000) })).toBeUndefined()
  })

  it("refuses a record whose values would cost the patterns more than the step budget", () => {
    const schemas = new SchemaValidator()
    // A pattern whose automaton does not fit RE2's cache: it falls back to its slowest path.
    const schema = { type: "object", properties: { bits: { type: "string", pattern: "^[ab]*a[ab]{100}$" } } }
    expect(schemas.problemWith(schema)).toBeUndefined()
    const size = linearRegExp("^[ab]*a[ab]{100}$", "u") as unknown as { size: number }
    const fits = Math.floor(PATTERN_STEP_BUDGET / size.size) - 10
    expect(schemas.violation("acme\u0000bits", 1, schema, { bits: "b".repeat(fits) })).toBe(`field bits: must match pattern "^[ab]*a[ab]{100}$"`)
    expect(schemas.violation("acme\u0000bits", 1, schema, { bits: "b".repeat(fits + 20) })).toContain("would take more than 10000000 steps")
    // Many short values add up the same way (here: keys tested by patternProperties).
    const keyed = { type: "object", patternProperties: { "^k[0-9]+$": { type: "number" }, "^x": { type: "string" } } }
    const many = Object.fromEntries(Array.from({ length: 200_000 }, (_, n) => [`k${n}`, n]))
    expect(schemas.violation("acme\u0000keys", 1, keyed, many)).toContain("would take more than")
  })

  it("names the property a key pattern refused", () => {
    const schemas = new SchemaValidator()
    const keys = { type: "object", properties: { meta: { type: "object", patternProperties: { "^[a-z]+$": {} }, additionalProperties: false } } }
    expect(schemas.violation("acme\u0000keys", 1, keys, { meta: { ok: 1, "Not-OK": 2 } })).toBe("field meta/Not-OK: must NOT have additional properties")
    const names = { type: "object", propertyNames: { pattern: "^[a-z]+$" } }
    expect(schemas.violation("acme\u0000names", 1, names, { ok: 1, Bad1: 2 })).toBe(`field Bad1: its name must match pattern "^[a-z]+$"`)
    expect(schemas.violation("acme\u0000names", 1, names, { [`B${"x".repeat(1000)}`]: 2 })).toBe(`field B${"x".repeat(199)}…: its name must match pattern "^[a-z]+$"`)
  })

  it("bounds the calls of shared and recursive $refs, whose combinators multiply", () => {
    const schemas = new SchemaValidator()
    // Each level tries the next one twice (anyOf tries every branch, to know what they evaluated):
    // 2^levels evaluations of one short string.
    const shared = (levels: number) => {
      const defs: Record<string, unknown> = { [`a${levels}`]: { type: "string", minLength: 5 } }
      for (let level = levels - 1; level >= 0; level--) defs[`a${level}`] = { anyOf: [{ $ref: `#/$defs/a${level + 1}` }, { allOf: [{ $ref: `#/$defs/a${level + 1}` }] }] }
      return { $defs: defs, type: "object", properties: { x: { $ref: "#/$defs/a0" } } }
    }
    expect(schemas.problemWith(shared(30))).toBeUndefined()
    expect(schemas.violation("acme\u0000dag", 1, shared(30), { x: "ab" })).toContain("would take more than 200000 steps")
    expect(schemas.violation("acme\u0000dag", 1, shared(30), { x: "abcdef" })).toContain("would take more than 200000 steps")
    expect(schemas.violation("acme\u0000dag", 2, shared(10), { x: "ab" })).toBe("field x: must NOT have fewer than 5 characters")
    expect(schemas.violation("acme\u0000dag", 2, shared(10), { x: "abcdef" })).toBeUndefined()

    // The same through recursion: 2^32 on a record 32 arrays deep.
    const branch = { allOf: [{ items: { $ref: "#/$defs/n" } }, false] }
    const recursive = { $defs: { n: { anyOf: [branch, branch] } }, type: "object", properties: { x: { $ref: "#/$defs/n" } } }
    let nested: unknown = 1
    for (let depth = 0; depth < 31; depth++) nested = [nested]
    expect(schemas.violation("acme\u0000deep", 1, recursive, { x: nested })).toContain("would take more than 200000 steps")

    // A cycle that never steps into the record.
    const endless = { $defs: { a: { anyOf: [{ $ref: "#/$defs/a" }] } }, type: "object", properties: { x: { $ref: "#/$defs/a" } } }
    expect(schemas.violation("acme\u0000endless", 1, endless, { x: 1 })).toContain("recurses without end")

    // Recursion that follows the record stays within the budget: a thread of 5,000 replies.
    const thread = { $defs: { post: { type: "object", required: ["text"], properties: { text: { type: "string" }, replies: { type: "array", items: { $ref: "#/$defs/post" } } } } }, $ref: "#/$defs/post" }
    const replies = Array.from({ length: 5000 }, (_, n) => ({ text: `reply ${n}`, replies: [{ text: "ok" }] }))
    expect(schemas.violation("acme\u0000thread", 1, thread, { text: "root", replies })).toBeUndefined()
    expect(schemas.violation("acme\u0000thread", 1, thread, { text: "root", replies: [{ replies: [] }] })).toBe("field replies/0/text: must have required property 'text'")
  })

  it("checks uniqueItems in one pass, with JSON Schema's equality", () => {
    const schemas = new SchemaValidator()
    const schema = { type: "object", properties: { xs: { type: "array", uniqueItems: true } } }
    expect(schemas.violation("acme\u0000unique", 1, schema, { xs: [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }] })).toBe("field xs: must NOT have duplicate items (items ## 0 and 1 are identical)")
    expect(schemas.violation("acme\u0000unique", 1, schema, { xs: [1, "1", [1], { 1: 1 }, null, true, { a: [2, 1] }, { a: [1, 2] }] })).toBeUndefined()
    expect(schemas.violation("acme\u0000unique", 1, schema, { xs: [1, 2, 1.0] })).toContain("items ## 0 and 2 are identical")
    expect(schemas.violation("acme\u0000unique", 2, { ...schema, properties: { xs: { uniqueItems: false } } }, { xs: [1, 1] })).toBeUndefined()
    // Comparing every pair of 90,000 objects would take minutes.
    const many = Array.from({ length: 90_000 }, (_, n) => ({ id: n }))
    expect(schemas.violation("acme\u0000unique", 1, schema, { xs: many })).toBeUndefined()
    expect(schemas.violation("acme\u0000unique", 1, schema, { xs: [...many, { id: 7 }] })).toBe("field xs: must NOT have duplicate items (items ## 7 and 90000 are identical)")
  })

  it("keeps each schema's $id to itself", () => {
    const schemas = new SchemaValidator()
    expect(schemas.problemWith({ $id: "https://example.com/thing", type: "object", required: ["a"] })).toBeUndefined()
    // Another collection may use the same $id, and cannot reach the first one's schema through it.
    expect(schemas.problemWith({ $id: "https://example.com/thing", type: "object", required: ["b"] })).toBeUndefined()
    expect(schemas.problemWith({ $ref: "https://example.com/thing" })).toContain("schema is not a valid JSON Schema")
  })

  it("treats format as an annotation: no format is checked, so none brings a regex", () => {
    const schemas = new SchemaValidator()
    const schema = { type: "object", properties: { mail: { type: "string", format: "email" }, when: { format: "date-time" } } }
    expect(schemas.problemWith(schema)).toBeUndefined()
    expect(schemas.violation("acme\u0000formats", 1, schema, { mail: "not an email", when: "yesterday" })).toBeUndefined()
  })

  it("answers a stored schema that no longer compiles with what to do, on every write", () => {
    const schemas = new SchemaValidator()
    const old = { type: "object", properties: { code: { type: "string", pattern: "^(?=x)" } } }
    expect(schemas.violation("acme\u0000old", 3, old, { code: "x" }))
      .toBe(`the collection's schema cannot be used (schema pattern "^(?=x)" is not supported: lookahead is not supported; patterns run in linear time, without lookahead, lookbehind or backreferences); define the collection again with POST /api/collections`)
  })

  it("bounds only the validation it wraps", () => {
    const pattern = linearRegExp("^a+$", "u")
    expect(() => withPatternStepBudget(() => pattern.test("a".repeat(100)), 50)).toThrow("would take more than")
    expect(pattern.test("a".repeat(100_000))).toBe(true)
  })
})
