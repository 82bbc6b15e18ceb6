import { createRequire } from "node:module"
import type { ValidateFunction } from "ajv"

// ajv ships CommonJS; its 2020-12 dialect matches what collection definitions document.
const require = createRequire(import.meta.url)
const Ajv2020 = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js").default

const MAX_SCHEMA_BYTES = 64 * 1024

/**
 * JSON Schema validation of records (SPEC §6): compiled once per collection definition version. A
 * failing record is refused with 422 naming the field.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({ allErrors: false, strict: false })
  private readonly compiled = new Map<string, { version: number; validate: ValidateFunction }>()

  /** Checks a schema before it is accepted: size, and that it compiles. */
  problemWith(schema: unknown): string | undefined {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return "schema must be a JSON Schema object"
    if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) return `schema must be at most ${MAX_SCHEMA_BYTES} bytes`
    try {
      this.ajv.compile(schema)
      return undefined
    } catch (error) {
      return `schema is not a valid JSON Schema: ${(error as Error).message.slice(0, 300)}`
    }
  }

  /** The first violation, phrased as "field <path>: <what>", or undefined when the record matches. */
  violation(key: string, version: number, schema: unknown, record: unknown): string | undefined {
    let entry = this.compiled.get(key)
    if (entry === undefined || entry.version !== version) {
      entry = { version, validate: this.ajv.compile(schema as object) }
      this.compiled.set(key, entry)
    }
    if (entry.validate(record)) return undefined
    const error = entry.validate.errors?.[0]
    if (error === undefined) return "record does not match the collection's schema"
    const missing = error.keyword === "required" ? (error.params as { missingProperty?: string }).missingProperty : undefined
    const path = missing !== undefined ? `${error.instancePath}/${missing}` : error.instancePath || "/"
    return `field ${path.replace(/^\//, "") || "(record)"}: ${error.message ?? "is invalid"}`
  }
}
