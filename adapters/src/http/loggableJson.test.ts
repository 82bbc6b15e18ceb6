import { describe, expect, it } from "vitest"
import { decode, encode } from "../eventstore/sqlite/codec.js"
import { decodeMsgpack, encodeMsgpack } from "../nats/codec.js"
import { MAX_JSON_DEPTH, parseLoggableJson } from "./loggableJson.js"

const refused = (source: string): string => {
  const parsed = parseLoggableJson(source, "Request body")
  if (parsed.ok) throw new Error(`accepted ${source.slice(0, 80)}`)
  return parsed.message
}

describe("parseLoggableJson", () => {
  it("refuses a __proto__ key at any depth, naming where it is", () => {
    expect(refused('{"__proto__":{"x":1}}')).toBe('Key "__proto__" is not allowed; rename the field')
    expect(refused('{"a":{"__proto__":1}}')).toBe('Key "__proto__" at "a" is not allowed; rename the field')
    expect(refused('{"a":{"b":[0,1,{"__proto__":null}]}}')).toBe('Key "__proto__" at "a.b[2]" is not allowed; rename the field')
    // An escaped spelling is the same key once parsed.
    expect(refused('{"x y":[{"\\u005f_proto__":1}]}')).toBe('Key "__proto__" at "["x y"][0]" is not allowed; rename the field')
  })

  it("refuses a lone surrogate in a value or a key, naming the field and the code unit", () => {
    expect(refused('{"s":"\\ud800"}')).toBe('Field "s" holds a lone surrogate (\\ud800); send valid Unicode')
    expect(refused('{"a":{"b":["ok","x\\udc00y"]}}')).toBe('Field "a.b[1]" holds a lone surrogate (\\udc00); send valid Unicode')
    expect(refused('{"a":{"k\\udbff":1}}')).toBe('Key "k\\udbff" at "a" holds a lone surrogate (\\udbff); send valid Unicode')
    // A reversed pair is two lone surrogates; the first one is named.
    expect(refused('["\\ude00\\ud83d"]')).toBe('Field "[0]" holds a lone surrogate (\\ude00); send valid Unicode')
    expect(refused('"\\ud800"')).toBe("Request body holds a lone surrogate (\\ud800); send valid Unicode")
    expect(parseLoggableJson('{"s":"\\ud800"}', "The record field")).toEqual({ ok: false, message: 'Field "s" holds a lone surrogate (\\ud800); send valid Unicode' })
  })

  it("accepts odd but valid JSON, and it round-trips through the log's encoders unchanged", () => {
    const source = JSON.stringify({
      astral: "😀𝄞\u{10ffff}", pair: "\ud83d\ude00", ffff: "\uffff\ufffe", nul: "a\u0000b", controls: "\u0001\u001f\u007f",
      constructor: { prototype: 1 }, toString: "x", hasOwnProperty: [], "": "", "a.b": { "[0]": true }, "__proto_": 1, "😀": ["😀"],
      numbers: [0, -1.5, 1e308, 5e-324, 2 ** 53], nested: [[[{ deep: null }]]]
    })
    const parsed = parseLoggableJson(source, "Request body")
    expect(parsed.ok).toBe(true)
    const value = (parsed as { value: unknown }).value
    expect(JSON.stringify(decode(encode(value)))).toBe(source)
    expect(JSON.stringify(decodeMsgpack(encodeMsgpack(value)))).toBe(source)
  })

  it("is the reason: msgpackr changes exactly what is refused", () => {
    const proto = JSON.parse('{"__proto__":{"x":1}}')
    expect(Object.keys(decode(encode(proto)) as object)).toEqual(["__proto_"])
    expect(decode(encode("\ud800"))).not.toBe("\ud800")
    expect(decodeMsgpack(encodeMsgpack("x".repeat(100) + "\ud800"))).not.toBe("x".repeat(100) + "\ud800")
  })

  it(`bounds nesting at ${MAX_JSON_DEPTH} levels without recursing, whatever the depth`, () => {
    const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`
    expect(parseLoggableJson(nested(MAX_JSON_DEPTH), "Request body").ok).toBe(true)
    expect(parseLoggableJson(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`, "Request body").ok).toBe(true)
    expect(refused(nested(MAX_JSON_DEPTH + 1))).toMatch(new RegExp(`^Request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep \\(at "\\[0\\]\\[0\\].*….*\\[0\\]"\\); flatten it$`))
    expect(refused(`{"a":${nested(MAX_JSON_DEPTH)}}`)).toContain(`more than ${MAX_JSON_DEPTH} levels deep`)
    // 500,000 levels: JSON.parse accepts it, the walk refuses it (a recursive walk would overflow).
    expect(refused(nested(500_000))).toContain(`more than ${MAX_JSON_DEPTH} levels deep`)
    expect(refused('{"a":')).toMatch(/^Request body is not valid JSON: /)
  })

  it("keeps messages short and never cuts a surrogate pair when it shortens a path", () => {
    // The odd ASCII characters put both cuts in the middle of a pair.
    const key = `x${"😀".repeat(300)}y`
    const message = refused(JSON.stringify({ [key]: { b: "\ud800" } }))
    expect(message.length).toBeLessThan(300)
    expect((message as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true)
    expect(message).toMatch(/^Field "\["x😀+…😀+y"\]\.b" holds a lone surrogate \(\\ud800\); send valid Unicode$/u)
  })
})
