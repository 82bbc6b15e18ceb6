import type { Statement } from "better-sqlite3"
import { Effect, Schema } from "effect"
import { json, text } from "@machhub/adapters"
import { COLLECTION_CATEGORY, DEFAULT_ACCESS, type CollectionAccess } from "@machhub/core"
import { actorOf } from "../auth/Principal.js"
import { body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { TABLE_NAME, type RecordRouteContext } from "./records.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

const Definition = Schema.Struct({
  name: Schema.String.check(Schema.isMaxLength(200)),
  schema: Schema.optional(Schema.Unknown),
  access: Schema.optional(Schema.Struct({
    owner: Schema.optional(Schema.Literals(["self", "domain"])),
    public: Schema.optional(Schema.Struct({ read: Schema.optional(Schema.Boolean), write: Schema.optional(Schema.Boolean) }))
  }))
})
const Access = Schema.Struct({ owner: Schema.Literals(["self", "domain"]), publicRead: Schema.Boolean, publicWrite: Schema.Boolean })
const Listed = Schema.Struct({ name: Schema.String, defined: Schema.Boolean, schema: Schema.Unknown, access: Access })
const Defined = Schema.Struct({
  success: Schema.Literal(true),
  name: Schema.String,
  schema: Schema.Unknown,
  access: Access
})

/**
 * `POST /api/collections` `{ name, schema?, access? }` defines (or redefines) a collection of the
 * active domain: an optional JSON Schema every later write must match, and its access policy
 * (`owner`: what callers with only `self` scope may read; `public.read`/`public.write`: anonymous
 * callers allowed). `GET /api/collections` lists the domain's collections.
 */
export const collectionRoutes = (context: RecordRouteContext): ReadonlyArray<AnyRoute> => {
  // A collection exists once defined or once written to (records need no definition). Prepared on
  // first use: the records projection creates both tables.
  let names: Statement<[string, string], { tbl: string }> | undefined
  const namesIn = (domain: string) =>
    (names ??= context.readModels.prepare<[string, string], { tbl: string }>(
      "SELECT tbl FROM collections WHERE domain = ? UNION SELECT tbl FROM record_tables WHERE domain = ? ORDER BY tbl"
    )).all(domain, domain)
  return [
    route({
      method: "GET",
      path: "/api/collections",
      tag: "data",
      summary: "The collections of the active domain (defined or holding records) with their schema and access policy",
      access: requires("collections", "read", "self"),
      responses: { 200: ok("The collections, by name", Schema.Array(Listed)) },
      handler: ({ principal }) =>
        json(200, namesIn(principal.domain).map(({ tbl }) => {
          const definition = context.records.collection(principal.domain, tbl)
          return { name: tbl, defined: definition !== undefined, schema: definition?.schema ?? null, access: definition?.access ?? DEFAULT_ACCESS }
        }))
    }),
    route({
      method: "POST",
      path: "/api/collections",
      tag: "data",
      summary: "Define (or redefine) a collection: its JSON Schema and access policy",
      access: requires("collections", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(Definition, "name; optional schema (a JSON Schema every later write must match) and access (owner: self or domain; public.read, public.write)"),
      responses: { 201: ok("Defined", Defined), 422: error("The name or the schema is not acceptable") },
      handler: ({ request, principal, body: { name, schema, access: given } }) => {
        if (!TABLE_NAME.test(name)) return text(422, "name must be 1 to 64 letters, digits or _ starting with a letter")
        const hasSchema = schema !== undefined && schema !== null
        if (hasSchema) {
          const problem = context.schemas.problemWith(schema)
          if (problem !== undefined) return text(422, problem)
        }
        const access: CollectionAccess = {
          owner: given?.owner ?? DEFAULT_ACCESS.owner,
          publicRead: given?.public?.read ?? false,
          publicWrite: given?.public?.write ?? false
        }
        return respond(
          runCommand(context, {
            type: "defineCollection",
            category: COLLECTION_CATEGORY,
            domain: principal.domain,
            aggregateId: name,
            payload: { schema: hasSchema ? schema : null, access },
            actor: actorOf(principal),
            correlationId: request.correlationId,
            idempotencyKey: request.headers["idempotency-key"]
          }).pipe(Effect.map((reply) => json(201, { success: true, name, schema: hasSchema ? schema : null, access }, mutationHeaders(reply))))
        )
      }
    })
  ]
}
