import { describe, expect, it } from "vitest"
import { Result, Schema, SchemaAST } from "effect"
import { coreAggregates, CreateRecord, precompiledDecoder } from "@machhub/core"

/**
 * The precompiled decoder stands in front of a command's or event's Schema: whatever it accepts, it
 * must decode exactly as the Schema does (same fields, same order, unknown ones dropped), and it must
 * accept nothing the Schema refuses. Checked for every command and event Schema of core, on a valid
 * value and on values with each field missing, undefined, null, of another type, and with extra keys.
 */

/** A value of the type, as plain as it gets (a declared type gets an empty object). */
const sample = (ast: SchemaAST.AST): unknown => {
  switch (ast._tag) {
    case "String":
      return "s"
    case "Number":
      return 1
    case "Boolean":
      return true
    case "Literal":
      return ast.literal
    case "Null":
      return null
    case "Undefined":
      return undefined
    case "Union":
      return sample(ast.types[0]!)
    case "Objects": {
      const value: Record<string, unknown> = {}
      for (const property of ast.propertySignatures) value[String(property.name)] = sample(property.type)
      return value
    }
    case "Arrays":
      return []
    default:
      return {}
  }
}

const variants = (value: unknown, ast: SchemaAST.AST): Array<unknown> => {
  const out: Array<unknown> = [value, null, [], "x", 7, { ...(value as object), extra: 1 }]
  if (ast._tag !== "Objects" || typeof value !== "object" || value === null) return out
  for (const property of ast.propertySignatures) {
    const name = String(property.name)
    const { [name]: _dropped, ...without } = value as Record<string, unknown>
    out.push(without)
    for (const replacement of [undefined, null, 42, "y", true, [], {}]) out.push({ ...(value as object), [name]: replacement })
    for (const nested of variants((value as Record<string, unknown>)[name], property.type).slice(1)) {
      out.push({ ...(value as object), [name]: nested })
    }
  }
  return out
}

/** JSON with undefined kept and key order significant. */
const exact = (value: unknown) => JSON.stringify(value, (_key, v) => (v === undefined ? "<undefined>" : Number.isNaN(v) ? "<NaN>" : v))

const schemas = coreAggregates.flatMap((aggregate) => [...(aggregate.commands ?? []), ...(aggregate.events ?? [])]) as Array<Schema.Decoder<unknown>>

describe("precompiled command and event decoders", () => {
  it("decode exactly as their Schemas do, and accept nothing the Schemas refuse", () => {
    let answered = 0
    let compiled = 0
    for (const schema of schemas) {
      const precompiled = precompiledDecoder(schema)
      if (precompiled === undefined) continue
      compiled++
      const decode = Schema.decodeUnknownResult(schema)
      for (const input of variants(sample(schema.ast), schema.ast)) {
        const fast = precompiled(input)
        const full = decode(input)
        if (fast === undefined) continue
        answered++
        expect(Result.isSuccess(full), `${exact(input)} was refused by the Schema`).toBe(true)
        expect(exact(fast)).toBe(exact(Result.getOrThrow(full)))
      }
    }
    // Most Schemas are of the shapes it compiles, and valid values are answered by it.
    expect(compiled).toBeGreaterThan(schemas.length / 2)
    expect(answered).toBeGreaterThan(compiled)
  })

  it("covers createRecord, the records hot path", () => {
    const precompiled = precompiledDecoder(CreateRecord)
    expect(precompiled).toBeDefined()
    const input = { type: "createRecord", table: "items", id: "1", data: { a: 1 }, creator: { kind: "user", id: "u1" }, idempotencyKey: undefined, extra: true }
    expect(exact(precompiled!(input))).toBe(exact(Result.getOrThrow(Schema.decodeUnknownResult(CreateRecord)(input))))
    // A payload the Schema refuses is left to it, which names the problem.
    expect(precompiled!({ ...input, data: [1] })).toBeUndefined()
    expect(precompiled!({ ...input, creator: { kind: "robot", id: "u1" } })).toBeUndefined()
  })
})
