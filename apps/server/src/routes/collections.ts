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
const Defined = Schema.Struct({
  success: Schema.Literal(true),
  name: Schema.String,
  schema: Schema.Unknown,
  access: Schema.Struct({ owner: Schema.Literals(["self", "domain"]), publicRead: Schema.Boolean, publicWrite: Schema.Boolean })
})

/**
 * `POST /api/collections` `{ name, schema?, access? }` defines (or redefines) a collection of the
 * active domain: an optional JSON Schema every later write must match, and its access policy
 * (`owner`: what callers with only `self` scope may read; `public.read`/`public.write`: anonymous
 * callers allowed). `GET /api/collections` lists the definitions.
 */
export const collectionRoutes = (context: RecordRouteContext): ReadonlyArray<AnyRoute> => [
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
