import { Exit, SchemaAST } from "effect"

/**
 * A decoder compiled once from a Schema's AST into plain checks, for the shapes commands and events
 * are made of: structs of strings, numbers, booleans, literals, unions of those, declared types
 * (`Schema.declare`) and nested structs, optional or not, with no checks or transformations. It
 * answers what the Schema's own decoder answers for a value it accepts (the same fields in the same
 * order, unknown ones dropped), and `undefined` for anything else, refused or merely unusual: the
 * caller then decodes with the Schema, which decides and names the problem. The Schema's decoder
 * costs a few microseconds per command on the records hot path (a createRecord); this a fraction.
 *
 * `undefined` for a Schema with anything outside those shapes: decode it with the Schema alone.
 */
export const precompiledDecoder = (schema: { readonly ast: SchemaAST.AST }): ((input: unknown) => unknown) | undefined => compile(schema.ast)

type Decode = (input: unknown) => unknown

/** Says "not decided here" (a decoded value is never this). */
const DECLINED = undefined

const isPlain = (ast: SchemaAST.AST): boolean => ast.checks === undefined && ast.encoding === undefined

const compile = (ast: SchemaAST.AST): Decode | undefined => {
  if (!isPlain(ast)) return undefined
  switch (ast._tag) {
    case "Objects":
      return compileStruct(ast)
    case "Declaration":
      return compileDeclaration(ast)
    default: {
      const is = leafCheck(ast)
      return is === undefined ? undefined : (input) => (is(input) ? input : DECLINED)
    }
  }
}

/** A type whose decoded value is its input, when the input is of it. */
const leafCheck = (ast: SchemaAST.AST): ((input: unknown) => boolean) | undefined => {
  if (!isPlain(ast)) return undefined
  switch (ast._tag) {
    case "String":
      return (input) => typeof input === "string"
    case "Number":
      return (input) => typeof input === "number"
    case "Boolean":
      return (input) => typeof input === "boolean"
    case "Undefined":
      return (input) => input === undefined
    case "Null":
      return (input) => input === null
    case "Literal": {
      const literal = ast.literal
      return (input) => input === literal
    }
    case "Union": {
      const members = ast.types.map(leafCheck)
      if (members.some((member) => member === undefined)) return undefined
      const checks = members as Array<(input: unknown) => boolean>
      return (input) => checks.some((check) => check(input))
    }
    default:
      return undefined
  }
}

/** A declared type without parameters (e.g. `Schema.declare(isRecordData)`): its own parser, when it answers at once. */
const compileDeclaration = (ast: SchemaAST.Declaration): Decode | undefined => {
  if (ast.typeParameters.length > 0) return undefined
  const parse = ast.run(ast.typeParameters)
  return (input) => {
    const parsed: unknown = parse(input, ast, {})
    return Exit.isExit(parsed) && Exit.isSuccess(parsed) ? parsed.value : DECLINED
  }
}

interface Field {
  readonly name: string
  readonly decode: Decode
  readonly optional: boolean
  /** An optional field whose type takes `undefined` (Schema.optional): present as undefined, kept so. */
  readonly takesUndefined: boolean
}

const compileStruct = (ast: SchemaAST.Objects): Decode | undefined => {
  if (ast.indexSignatures.length > 0) return undefined
  const fields: Array<Field> = []
  for (const property of ast.propertySignatures) {
    if (typeof property.name !== "string") return undefined
    const type = property.type
    const context = type.context
    if (context !== undefined && (context.isMutable || context.constructorDefault !== undefined)) return undefined
    const decode = compile(type)
    if (decode === undefined) return undefined
    fields.push({ name: property.name, decode, optional: SchemaAST.isOptional(type), takesUndefined: leafCheck(type)?.(undefined) === true })
  }
  return (input) => {
    if (typeof input !== "object" || input === null) return DECLINED
    const prototype = Object.getPrototypeOf(input)
    if (prototype !== Object.prototype && prototype !== null) return DECLINED
    const source = input as Record<string, unknown>
    const output: Record<string, unknown> = {}
    for (const field of fields) {
      if (!Object.hasOwn(source, field.name)) {
        if (field.optional) continue
        return DECLINED
      }
      const value = source[field.name]
      if (value === undefined) {
        if (!field.takesUndefined) return DECLINED
        output[field.name] = undefined
        continue
      }
      const decoded = field.decode(value)
      if (decoded === DECLINED) return DECLINED
      output[field.name] = decoded
    }
    return output
  }
}
