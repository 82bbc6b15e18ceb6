import { createRequire } from "node:module"
import type { ValidateFunction } from "ajv"
import { linearRegExp, PatternBudgetExceeded, UnsupportedPattern, withPatternCompileLimit, withPatternStepBudget } from "./linearRegExp.js"

// ajv ships CommonJS; its 2020-12 dialect matches what collection definitions document.
const require = createRequire(import.meta.url)
const Ajv2020 = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js").default

const MAX_SCHEMA_BYTES = 64 * 1024

/**
 * JSON Schema validation of records (SPEC §6): compiled once per collection definition version. A
 * failing record is refused with 422 naming the field.
 *
 * Schemas come from tenants, so every `pattern` and `patternProperties` regex runs on a linear-time
 * engine with a step budget per record (see linearRegExp.ts); no format is registered, so `format` is
 * an annotation and a schema cannot bring a regex of its own through it.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({
    allErrors: false,
    strict: false,
    code: { regExp: linearRegExp },
    // One ajv serves every domain: a schema's $id must not become visible to (or collide with)
    // another collection's schema.
    addUsedSchema: false,
    // ajv would print a warning for each unknown format to the console, once per compilation.
    logger: false
  })
  private readonly compiled = new Map<string, { version: number; validate: ValidateFunction }>()

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
    try {
      valid = withPatternStepBudget(() => validate(record) as boolean)
    } catch (error) {
      if (error instanceof PatternBudgetExceeded) return error.message
      throw error
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
}
