import { execute, getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from "graphql"
import { Schema } from "effect"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import { isAllowed } from "@machhub/core"
import { bodyReadByHandler, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import { computeReport } from "../reporting/computeReport.js"
import { PRODUCTION_METRICS } from "../reporting/metrics.js"
import { reportingMachines } from "../reporting/reportingMachines.js"
import { reportSummaries } from "../reporting/reportSummaries.js"
import type { ServerContext } from "../ServerContext.js"
import { tagDefinitions } from "../tags/definitions/tagDefinitions.js"
import { zoneOf } from "../tags/values/timeZone.js"
import { graphiqlRoutes } from "./graphiql.js"
import { checkLimits } from "./limits.js"
import { readRecords } from "./records.js"
import { makeRecordsReadModel } from "@machhub/projections"
import { makeRateLimit } from "./rateLimit.js"
import { deadlineOf } from "./deadline.js"
import { reportingSchema, type GraphqlContext } from "./schema.js"

/** Query texts whose parse and validation are kept; past it the cache starts over. */
const MAX_CACHED_DOCUMENTS = 500


const GRAPHQL_RESPONSE = "application/graphql-response+json"
const JSON_TYPE = "application/json; charset=utf-8"

const GraphqlRequest = Schema.Struct({
  query: Schema.String,
  variables: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown))),
  operationName: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * The media type of the answer (GraphQL over HTTP): `application/graphql-response+json` when the
 * client accepts it (or anything), `application/json` when it asks only for that or sends no Accept.
 */
const mediaTypeOf = (request: HttpRequest): string => {
  const accept = request.headers["accept"]
  if (accept === undefined) return JSON_TYPE
  if (accept.includes(GRAPHQL_RESPONSE) || accept.includes("*/*")) return `${GRAPHQL_RESPONSE}; charset=utf-8`
  return JSON_TYPE
}

const answer = (status: number, contentType: string, result: ExecutionResult | { errors: ReadonlyArray<{ message: string }> }, headers?: Record<string, string>): HttpResponse => ({
  status,
  contentType,
  body: JSON.stringify(result),
  ...(headers === undefined ? {} : { headers })
})

/**
 * `POST /graphql` (SPEC §9): read-only queries over the caller's domain, refused before execution
 * when they break MachineMetrics' limits (depth 3, 5 lists, 1,000 requests a minute per domain) or
 * are mutations or subscriptions; `GET /graphql` answers the GraphiQL page.
 */
export const graphqlRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const machines = reportingMachines(context)
  const tags = tagDefinitions(context)
  const zone = zoneOf(context.config.timeZone) ?? zoneOf("UTC")!
  const documents = new Map<string, { readonly document: DocumentNode | undefined; readonly errors: ReadonlyArray<GraphQLError> }>()
  const rate = makeRateLimit(context.config.graphqlRequestsPerMinute)
  const summaries = reportSummaries(context)
  const timeLimit = context.config.graphqlTimeLimitMillis
  const records = makeRecordsReadModel(context.readModels, context.projections.onApplied)

  const run = (request: HttpRequest, principal: Principal): HttpResponse => {
    const limited = rate.take(principal.domain)
    if (!limited.ok) {
      return answer(429, JSON_TYPE, { errors: [{ message: `More than ${context.config.graphqlRequestsPerMinute} GraphQL requests this minute in domain ${principal.domain}; retry in ${limited.retryAfterSeconds} s` }] }, { "Retry-After": String(limited.retryAfterSeconds) })
    }
    const mediaType = mediaTypeOf(request)
    const requestError = (status: number, message: string) => answer(status, JSON_TYPE, { errors: [{ message }] })
    const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase()
    if (type !== "application/json") return requestError(415, "Send the request as Content-Type: application/json")
    let raw: unknown
    try {
      raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(request.body))
    } catch {
      return requestError(400, "The body is not JSON")
    }
    const decoded = Schema.decodeUnknownOption(GraphqlRequest)(raw)
    if (decoded._tag === "None") return requestError(400, "The body must be { query: string, variables?: object, operationName?: string }")
    const { query, variables, operationName } = decoded.value

    // A document that cannot run: 400 with graphql-response+json, 200 with application/json (GraphQL over HTTP).
    const documentErrors = (errors: ReadonlyArray<GraphQLError>) => answer(mediaType.startsWith(GRAPHQL_RESPONSE) ? 400 : 200, mediaType, { errors })
    // Parsed and validated once per query text: dashboards send the same few queries over and over.
    let checked = documents.get(query)
    if (checked === undefined) {
      try {
        const document = parse(query, { maxTokens: 5000 })
        checked = { document, errors: validate(reportingSchema, document) }
      } catch (problem) {
        checked = { document: undefined, errors: [problem instanceof GraphQLError ? problem : new GraphQLError("The query does not parse")] }
      }
      // Only short texts are kept, so the cache stays small whatever callers send.
      if (query.length <= 10_000) {
        if (documents.size >= MAX_CACHED_DOCUMENTS) documents.clear()
        documents.set(query, checked)
      }
    }
    if (checked.document === undefined || checked.errors.length > 0) return documentErrors(checked.errors)
    const document = checked.document
    const operation = getOperationAST(document, operationName ?? undefined)
    if (operation == null) return documentErrors([new GraphQLError(operationName == null ? "Several operations: name one with operationName" : `No operation named ${operationName}`)])
    if (operation.operation !== "query") {
      return documentErrors([new GraphQLError(`This API is read-only: ${operation.operation}s are refused`, { extensions: { code: "OPERATION_NOT_ALLOWED" } })])
    }
    const overLimits = checkLimits(reportingSchema, document, operation)
    if (overLimits.length > 0) return documentErrors(overLimits)

    context.tagValues.flush()
    // The limit counts from here: what ran before (parse, validation, limits) is bounded by the query's size.
    const deadline = deadlineOf(Date.now() + timeLimit, timeLimit)
    const may = (feature: "machines" | "tags" | "reports") => isAllowed(principal.permissions, { feature, action: "read", scope: "domain" }, principal.superuser)
    const contextValue: GraphqlContext = {
      may,
      machines: () => machines.list(principal.domain),
      tags: () => tags.list(principal.domain),
      last: (topic) => context.tagValues.last(principal.domain, topic),
      production: (machine, start, end) =>
        computeReport(
          { kind: "production", from: start, to: end, metrics: PRODUCTION_METRICS, groupBy: [], filter: {}, flatten: false, csv: false },
          { store: context.tagValues.store, domain: principal.domain, zone, now: Date.now(), machines: [machine], downtime: () => [], summaries, check: deadline.check }
        ).aggregate,
      records: (args) => readRecords(context.readModels, records, principal, args),
      deadline
    }
    const result = execute({ schema: reportingSchema, document, contextValue, variableValues: variables ?? undefined, operationName: operationName ?? undefined })
    // Every resolver here is synchronous: the result is never a promise.
    return answer(200, mediaType, result as ExecutionResult)
  }

  return [
    route({
      method: "POST",
      path: "/graphql",
      tag: "reporting",
      summary: "Read-only GraphQL over the active domain: machines, machineGroups, tags (MachineMetrics' schema)",
      description:
        "GraphQL over HTTP. Refused before execution: mutations and subscriptions, answers deeper than 3 levels, more than 5 list selections. 10 s per query (MACHHUB_GRAPHQL_TIME_LIMIT_MS), enforced while it runs: fields still running or not started then answer TIMEOUT errors; 1,000 requests a minute per domain (429 with Retry-After). Document errors are 400 with Accept: application/graphql-response+json, 200 with application/json.",
      access: requires("reports", "read", "domain"),
      body: bodyReadByHandler(GraphqlRequest, "{ query, variables?, operationName? }"),
      responses: {
        200: ok("{ data, errors? }; or { errors } for a refused document answered as application/json"),
        400: error("The body is not a GraphQL request, or (application/graphql-response+json) the document does not parse, validate or fit the limits"),
        403: error("Missing permission reports:read:domain"),
        415: error("Not sent as application/json"),
        429: error("Over 1,000 requests this minute in the domain; Retry-After says when to retry")
      },
      handler: ({ request, principal }) => run(request, principal)
    }),
    ...graphiqlRoutes()
  ]
}
