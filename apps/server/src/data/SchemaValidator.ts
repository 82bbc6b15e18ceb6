import { createRequire } from "node:module"
import type { ValidateFunction } from "ajv"
import { linearRegExp, PatternBudgetExceeded, UnsupportedPattern, withPatternCompileLimit, withPatternStepBudget } from "./linearRegExp.js"

// ajv ships CommonJS; its 2020-12 dialect matches what collection definitions document.
const require = createRequire(import.meta.url)
const Ajv2020 = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js").default

const MAX_SCHEMA_BYTES = 64 * 1024
/**
 * Work one record's validation may do outside patterns, in calls of the schema's compiled parts (each
 * `$ref` is one; a part costs one unit per KiB of its code, at least one). Combinators over shared or
 * recursive `$ref`s multiply: `anyOf: [{$ref: a}, {$ref: a}]` nested 20 deep is 2^20 calls. At the
 * cheapest (~1.5 µs per call) the budget holds validation to ~0.3 s.
 */
export const SCHEMA_CALL_BUDGET = 200_000

class SchemaWorkExceeded extends Error {}

/** A value's canonical JSON (object keys sorted): equal under JSON Schema exactly when the texts are equal. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(",")}}`
  }
  return JSON.stringify(value)
}

/**
 * `uniqueItems` in one pass over the items (ajv compares every pair of object or array items: 20,000
 * objects in a 230 KB record took 6 s).
 */
const uniqueItems = Object.assign(
  (schema: boolean, data: unknown[]): boolean => {
    if (!schema) return true
    const seen = new Map<string, number>()
    for (let i = 0; i < data.length; i++) {
      const key = canonical(data[i])
      const j = seen.get(key)
      if (j !== undefined) {
        uniqueItems.errors = [{ keyword: "uniqueItems", params: { i, j }, message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)` }]
        return false
      }
      seen.set(key, i)
    }
    return true
  },
  { errors: [] as object[] }
)

// The head of the function ajv generates for each compiled part: only ajv's own scope declarations
// precede it, so nothing a schema contains can be mistaken for it.
const VALIDATE_FUNCTION_HEAD = /^((?:const \w+ = scope\.\w+\[\d+\];)*return function validate\d+\(data, \{instancePath="", parentData, parentDataProperty, rootData=data(?:, dynamicAnchors=\{\})?\}=\{\}\)\{)/

/**
 * JSON Schema validation of records (SPEC §6): compiled once per collection definition version. A
 * failing record is refused with 422 naming the field.
 *
 * Schemas come from tenants and one event loop serves every tenant, so validating a record must stay
 * cheap whatever the schema: regexes run on a linear-time engine with a step budget per record (see
 * linearRegExp.ts), calls of the schema's compiled parts have a budget too (SCHEMA_CALL_BUDGET), and
 * `uniqueItems` is linear. No format is registered, so `format` is an annotation and a schema cannot
 * bring a regex of its own through it.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({
    allErrors: false,
    strict: false,
    // Every $ref a function of its own, so each use of it passes through the charge below.
    inlineRefs: false,
    code: { regExp: linearRegExp, process: (source) => this.charged(source) },
    // One ajv serves every domain: a schema's $id must not become visible to (or collide with)
    // another collection's schema.
    addUsedSchema: false,
    // ajv would print a warning for each unknown format to the console, once per compilation.
    logger: false
  })
  private readonly compiled = new Map<string, { version: number; validate: ValidateFunction }>()
  private callsLeft = Infinity
  private chargedParts = 0

  constructor() {
    this.ajv.removeKeyword("uniqueItems")
    this.ajv.addKeyword({ keyword: "uniqueItems", type: "array", schemaType: "boolean", errors: true, validate: uniqueItems })
    // The generated code reaches the meter through `self`, the ajv instance its functions close over.
    Object.defineProperty(this.ajv, "chargeSchemaCall", {
      value: (units: number): void => {
        this.callsLeft -= units
        if (this.callsLeft < 0) throw new SchemaWorkExceeded()
      }
    })
    // A later ajv that generates its functions differently must not leave validation unbounded.
    this.ajv.compile({ $defs: { a: { type: "string" } }, $ref: "#/$defs/a" })
    if (this.chargedParts < 2) throw new Error("ajv's generated validation code changed: the schema call budget cannot be installed")
  }

  /** Checks a schema before it is accepted: size, and that it compiles (patterns included). */
  problemWith(schema: unknown): string | undefined {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return "schema must be a JSON Schema object"
    if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) return `schema must be at most ${MAX_SCHEMA_BYTES} bytes`
    const compiled = this.compile(schema)
    return compiled.ok ? undefined : compiled.problem
  }

  /** The first violation, phrased as "field <path>: <what>", or undefined when the record matches. */
  violation(key: string, version: number, schema: unknown, record: unknown): string | undefined {
    let entry = this.compiled.get(key)
    if (entry === undefined || entry.version !== version) {
      const compiled = this.compile(schema as object)
      // A definition accepted before its patterns had to fit the linear engine: no write can be
      // checked against it until the collection is defined again.
      if (!compiled.ok) return `the collection's schema cannot be used (${compiled.problem}); define the collection again with POST /api/collections`
      entry = { version, validate: compiled.validate }
      this.compiled.set(key, entry)
    }
    const validate = entry.validate
    let valid: boolean
    this.callsLeft = SCHEMA_CALL_BUDGET
    try {
      valid = withPatternStepBudget(() => validate(record) as boolean)
    } catch (error) {
      if (error instanceof PatternBudgetExceeded) return error.message
      if (error instanceof SchemaWorkExceeded) {
        return `checking the record against the collection's schema would take more than ${SCHEMA_CALL_BUDGET} steps (its $refs and combinators multiply); send a smaller record or simplify the schema`
      }
      // A $ref cycle that never moves into the record (e.g. a: { anyOf: [{ $ref: a }] }).
      if (error instanceof RangeError) return "the collection's schema recurses without end on this record (a $ref cycle that does not step into the record); define the collection again"
      throw error
    } finally {
      this.callsLeft = Infinity
    }
    if (valid) return undefined
    const error = validate.errors?.[0]
    if (error === undefined) return "record does not match the collection's schema"
    // Errors about a property (missing, not allowed, or a name that fails propertyNames) are reported
    // at its parent object: name the property itself.
    const params = error.params as { missingProperty?: string; additionalProperty?: string }
    const propertyName = (error as { propertyName?: string }).propertyName
    const named = error.keyword === "required" ? params.missingProperty : error.keyword === "additionalProperties" ? params.additionalProperty : propertyName
    const path = named !== undefined ? `${error.instancePath}/${named}` : error.instancePath || "/"
    const message = error.message ?? "is invalid"
    const field = path.replace(/^\//, "") || "(record)"
    return `field ${field.length > 200 ? `${field.slice(0, 200)}…` : field}: ${propertyName !== undefined ? `its name ${message}` : message}`
  }

  private compile(schema: object): { ok: true; validate: ValidateFunction } | { ok: false; problem: string } {
    try {
      return { ok: true, validate: withPatternCompileLimit(() => this.ajv.compile(schema)) }
    } catch (error) {
      if (error instanceof UnsupportedPattern) return { ok: false, problem: `schema ${error.message}` }
      return { ok: false, problem: `schema is not a valid JSON Schema: ${(error as Error).message.slice(0, 300)}` }
    }
  }

  /** ajv's `code.process`: each generated function first charges its size to the call budget. */
  private charged(source: string): string {
    const units = 1 + Math.floor(source.length / 1024)
    return source.replace(VALIDATE_FUNCTION_HEAD, (head) => {
      this.chargedParts++
      return `${head}self.chargeSchemaCall(${units});`
    })
  }
}
