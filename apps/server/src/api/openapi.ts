import { Schema } from "effect"
import { TOKENS_AND_KEYS, type AnyRoute, type ResponseDeclaration } from "./RouteDeclaration.js"

/**
 * The OpenAPI 3.1 document of the declared routes (GET /openapi.json). Everything in it comes from
 * the declarations: paths, parameters, bodies and answers from their Schemas (as JSON Schema 2020-12,
 * which OpenAPI 3.1 uses as is), security from their access and credential policy, the refusals the
 * guard can answer from the same declaration the guard reads.
 */

type Json = Record<string, unknown>

export interface DocumentInfo {
  readonly title: string
  readonly version: string
  readonly description: string
  /** Paths answered outside the read-model gate (no 503 while read models catch up). */
  readonly ungated: ReadonlyArray<string>
}

const SECURITY_SCHEMES = {
  bearer: { type: "http", scheme: "bearer", description: "A login token, an access token of a session, or an API key (mchx_…)" },
  apikey: { type: "apiKey", in: "header", name: "Authorization", description: "Authorization: apikey <key>" },
  "X-Machhub-Api-Key": { type: "apiKey", in: "header", name: "X-Machhub-Api-Key", description: "An API key" },
  jwt: { type: "apiKey", in: "cookie", name: "jwt", description: "A login token in cookie jwt; SSH routes only" }
} as const

const TEXT_ERROR = { "text/plain": { schema: { type: "string" } } }
const ENVELOPE_ERROR = {
  "application/json": {
    schema: {
      type: "object",
      required: ["status", "message", "data"],
      properties: { status: { type: "string" }, message: { type: "string" }, data: { type: "null" } }
    }
  }
}

const isNull = (value: unknown) => typeof value === "object" && value !== null && (value as Json)["type"] === "null" && Object.keys(value).length === 1
const NON_FINITE = ["-Infinity", "Infinity", "NaN"].join()
const isNonFiniteNumber = (value: unknown) =>
  typeof value === "object" && value !== null && Array.isArray((value as Json)["enum"]) && [...((value as Json)["enum"] as Array<string>)].sort().join() === NON_FINITE

/**
 * Effect writes the JSON Schema of a Schema's JSON codec, which is looser than what our routes decode
 * (bodies are decoded with the Schema itself, from JSON.parse): an optional field there also takes
 * null, and a number also "NaN" or "Infinity". Those branches are dropped so that the document says
 * what the server accepts; a field declared NullOr keeps its null.
 */
const tighten = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(tighten)
  if (typeof value !== "object" || value === null) return value
  const node: Json = {}
  for (const [key, child] of Object.entries(value)) node[key] = tighten(child)
  if (Array.isArray(node["anyOf"])) node["anyOf"] = (node["anyOf"] as Array<unknown>).filter((branch) => !isNonFiniteNumber(branch))
  const properties = node["properties"] as Record<string, Json> | undefined
  if (properties !== undefined) {
    const required = new Set((node["required"] ?? []) as ReadonlyArray<string>)
    for (const [name, property] of Object.entries(properties)) {
      const branches = property["anyOf"] as Array<unknown> | undefined
      if (required.has(name) || branches === undefined) continue
      const at = branches.findIndex(isNull)
      if (at >= 0) properties[name] = single({ ...property, anyOf: branches.filter((_, i) => i !== at) })
    }
  }
  return single(node)
}

/** `anyOf` of one branch is that branch (keeping the node's own annotations). */
const single = (node: Json): Json => {
  const branches = node["anyOf"] as Array<Json> | undefined
  if (branches === undefined || branches.length !== 1) return node
  const { anyOf: _, ...rest } = node
  return { ...branches[0], ...rest }
}

/** Converts Schemas to JSON Schema, gathering named definitions into components.schemas. */
const schemaCompiler = () => {
  const components: Record<string, unknown> = {}
  const compile = (schema: Schema.Top): Json => {
    const document = Schema.toJsonSchemaDocument(schema)
    const relocate = (value: unknown): Json =>
      tighten(JSON.parse(JSON.stringify(value).replaceAll("\"#/$defs/", "\"#/components/schemas/"))) as Json
    for (const [name, definition] of Object.entries(document.definitions)) components[name] ??= relocate(definition)
    return relocate(document.schema)
  }
  return { compile, components }
}

// A rest parameter (`:topic+`) is one OpenAPI path parameter whose value may hold `/`.
const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)\+?/g, "{$1}")

const operationId = (route: AnyRoute): string => {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter((word) => word !== "")
  return [route.method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join("")
}

const HEADER_DESCRIPTIONS: Record<string, string> = {
  "If-Match": "The version the change applies to, as returned in ETag (412 when it moved on)",
  "Idempotency-Key": "1 to 128 visible ASCII characters: a retry with the same key is answered the first outcome and changes nothing",
  "X-Master-Password": "The master password that seals the caller's machine credentials",
  "App-Event-Position": "Answer once this node's read models reached this log position (as returned by a write)"
}

export const openApiDocument = (routes: ReadonlyArray<AnyRoute>, info: DocumentInfo): Json => {
  const { compile, components } = schemaCompiler()
  const paths: Record<string, Record<string, Json>> = {}

  for (const route of routes) {
    const format = route.errors ?? "text"
    const errorContent = format === "envelope" ? ENVELOPE_ERROR : TEXT_ERROR
    const credentials = route.credentials ?? TOKENS_AND_KEYS
    const guarded = route.access.kind !== "public"
    const gated = !info.ungated.includes(route.path) && route.path !== "/healthz" && route.path !== "/readyz"

    const parameters: Array<Json> = []
    for (const match of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) {
      const name = match[1]!
      const description = (route.params as Record<string, string> | undefined)?.[name]
      parameters.push({ name, in: "path", required: true, schema: { type: "string" }, ...(description === undefined ? {} : { description }) })
    }
    if (route.query !== undefined) {
      const compiled = compile(route.query)
      const properties = (compiled["properties"] ?? {}) as Record<string, Json>
      const required = new Set((compiled["required"] ?? []) as ReadonlyArray<string>)
      for (const [name, schema] of Object.entries(properties)) {
        const { description, ...rest } = schema
        parameters.push({ name, in: "query", required: required.has(name), schema: rest, ...(description === undefined ? {} : { description }) })
      }
    }
    if (guarded) {
      parameters.push({
        name: "Domain",
        in: "header",
        required: false,
        schema: { type: "string" },
        description: "domains:<name>: the active domain (default: machhub_admin; an API key's own domain)"
      })
    }
    for (const header of route.headers ?? []) {
      // OpenAPI ignores an Authorization header parameter: the route's description says what it takes.
      if (header === "Authorization") continue
      parameters.push({ name: header, in: "header", required: false, schema: { type: "string" }, description: HEADER_DESCRIPTIONS[header] })
    }
    if (gated) {
      parameters.push({ name: "App-Event-Position", in: "header", required: false, schema: { type: "string" }, description: HEADER_DESCRIPTIONS["App-Event-Position"] })
    }

    const responses: Record<string, Json> = {}
    const respond = (status: number, declared: ResponseDeclaration) => {
      const isError = status >= 400
      let body: Json | undefined
      if (declared.schema !== undefined && !isError) {
        body = { [declared.contentType ?? "application/json"]: { schema: compile(declared.schema) } }
      } else if (declared.contentType !== undefined) {
        body = { [declared.contentType]: {} }
      } else if (isError) {
        body = errorContent
      }
      responses[String(status)] = { description: declared.description, ...(body === undefined ? {} : { content: body }) }
    }
    for (const [status, declared] of Object.entries(route.responses)) respond(Number(status), declared)
    const addError = (status: number, description: string) => {
      if (responses[String(status)] === undefined) respond(status, { description })
    }
    if (route.body !== undefined && route.body.mode !== "read-by-handler") addError(400, "The body is not JSON of the declared shape; the message names the field")
    if (guarded) {
      addError(401, "No credential, or one that is not valid (any more)")
      addError(403, "Missing permission in the active domain, not a member of it, or a malformed Domain header")
      if (credentials.keys === "accepted") addError(429, "The API key is over its rate; retry after Retry-After")
    }
    if (gated) addError(503, "This node's read models are catching up, or the server is still creating its bootstrap admin; retry after Retry-After")

    const security: Array<Json> = []
    if (guarded) {
      security.push({ bearer: [] })
      if (credentials.keys === "accepted") security.push({ apikey: [] }, { "X-Machhub-Api-Key": [] })
      if (credentials.cookie) security.push({ jwt: [] })
      // Anonymous callers allowed: no credential at all is a valid choice too.
      if (route.access.kind === "anonymous-allowed") security.push({})
    }

    const requirement = route.access.kind === "authenticated" ? route.access : undefined
    const accessNote = route.access.kind === "public"
      ? "Public."
      : route.access.kind === "anonymous-allowed"
      ? "Anonymous callers allowed where the collection's access policy is public."
      : requirement?.permission !== undefined
      ? `Needs permission ${requirement.permission.feature}:${requirement.permission.action}:${requirement.permission.scope} in the active domain.`
      : requirement?.globalSuperuser !== undefined
      ? "Only a superuser of machhub_admin."
      : "Any authenticated caller."
    const keysNote = guarded && credentials.keys !== "accepted" ? " API keys are refused." : ""
    const description = [route.description, `${accessNote}${keysNote}`].filter((part) => part !== undefined).join("\n\n")

    const operation: Json = {
      operationId: operationId(route),
      tags: [route.tag],
      summary: route.summary,
      description,
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(route.body === undefined
        ? {}
        : {
          requestBody: {
            required: route.body.mode !== "decode-if-present",
            ...(route.body.description === undefined ? {} : { description: route.body.description }),
            content: { "application/json": { schema: compile(route.body.schema) } }
          }
        }),
      responses,
      security
    }
    ;(paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation
  }

  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: info.description },
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: components, securitySchemes: SECURITY_SCHEMES }
  }
}
