/**
 * What the record form needs from a collection's JSON Schema: one control per top-level property,
 * chosen by its type. Everything else goes into a JSON text box, and the server's validation decides.
 */

export type FieldKind = "text" | "number" | "integer" | "boolean" | "enum" | "file" | "json"

export interface FormField {
  readonly name: string
  readonly kind: FieldKind
  readonly required: boolean
  readonly options?: ReadonlyArray<string>
  readonly description?: string
}

interface PropertySchema {
  readonly type?: string | ReadonlyArray<string>
  readonly enum?: ReadonlyArray<unknown>
  readonly format?: string
  readonly contentMediaType?: string
  readonly contentEncoding?: string
  readonly description?: string
}

/** A property holds a file when its schema says so: format binary/file, or a content media type/encoding. */
const isFile = (p: PropertySchema): boolean =>
  p.format === "binary" || p.format === "file" || p.contentMediaType !== undefined || p.contentEncoding !== undefined

const kindOf = (p: PropertySchema): FieldKind => {
  if (isFile(p)) return "file"
  if (Array.isArray(p.enum) && p.enum.every((v) => typeof v === "string")) return "enum"
  const types = (Array.isArray(p.type) ? p.type : [p.type]).filter((t) => t !== "null")
  if (types.length !== 1) return "json"
  switch (types[0]) {
    case "string": return "text"
    case "number": return "number"
    case "integer": return "integer"
    case "boolean": return "boolean"
    default: return "json"
  }
}

export const formFields = (schema: unknown): ReadonlyArray<FormField> => {
  if (typeof schema !== "object" || schema === null) return []
  const { properties, required } = schema as { properties?: Record<string, PropertySchema>; required?: ReadonlyArray<string> }
  if (typeof properties !== "object" || properties === null) return []
  return Object.entries(properties).map(([name, property]) => {
    const kind = kindOf(property ?? {})
    return {
      name,
      kind,
      required: Array.isArray(required) && required.includes(name),
      ...(kind === "enum" ? { options: (property.enum as ReadonlyArray<string>) } : {}),
      ...(typeof property?.description === "string" ? { description: property.description } : {})
    }
  })
}

/** Names of the schema's file properties (shown with a download button). */
export const fileFields = (schema: unknown): ReadonlySet<string> => new Set(formFields(schema).filter((f) => f.kind === "file").map((f) => f.name))

/**
 * The field a 422 names ("field price: must be >= 0", "field address/city: ..."): its top-level
 * property, or undefined when the error is about the record as a whole.
 */
export const fieldOfError = (message: string): { field: string | undefined; message: string } => {
  const match = /^field ([^:]+): (.*)$/s.exec(message)
  if (match === null) return { field: undefined, message }
  const path = match[1]!
  const top = path === "(record)" ? undefined : path.split("/")[0]
  return { field: top, message: path.includes("/") ? `${path}: ${match[2]}` : match[2]! }
}
