import { Effect, Result } from "effect"
import { DEFAULT_ACCESS, isAllowed, RECORD_CATEGORY, recordAggregateId, uuidv7, type CommandError } from "@machhub/core"
import { parseListQuery, parsePublicRecordId, publicRecordId, QueryError, recordObject, toSql, type Filter, type RecordRow, type RecordsReadModel } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { collectionAccess } from "../data/collectionAccess.js"
import type { SchemaValidator } from "../data/SchemaValidator.js"
import { runCommand } from "../routes/runCommand.js"
import { runFor } from "../runtime.js"
import type { CollectionQuery, HostApi, LogLevel } from "../sandbox/SandboxApi.js"
import type { ServerContext } from "../ServerContext.js"
import { validateTopicName } from "../tags/topicName.js"

/** What the host side of `sdk` reaches: the server's parts, the records read model, and a schema checker. */
export interface HostSource {
  readonly context: ServerContext
  readonly records: RecordsReadModel
  readonly schemas: SchemaValidator
  /**
   * Told which run published a value (its process and how many tag changes led to it), around the
   * synchronous publish, so its own tag_change trigger skips it and chains of processes stay bounded.
   */
  readonly publishing: (by: Publisher | undefined) => void
}

/** The run publishing a tag value right now. */
export interface Publisher {
  readonly name: string
  readonly depth: number
}

/** What a run acts as: the owner's principal in the run's domain (undefined: it may reach nothing), and the run's name. */
export interface HostBinding {
  readonly domain: string
  readonly principal: Principal | undefined
  readonly ownerName: string
  readonly runName: string
  /** How many tag changes, each publishing the next, led to this run (0: none). */
  readonly depth?: number
  readonly correlationId: string
  readonly log?: (level: LogLevel, message: string) => void
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** The own-records filter a `self`-scope owner's lists get (as the data-plane list route adds it). */
const ownRecords = (creator: string): Filter => ({ field: { kind: "column", name: "_meta.creator", column: "creator" }, op: "eq", type: "string", values: [creator] })

/** A list query from the sdk's query builder, in the data plane's query-string form (checked by the same parser). */
const listParams = (query: CollectionQuery | undefined): URLSearchParams => {
  const params = new URLSearchParams()
  if (query === undefined || !isObject(query)) return params
  const filters = Array.isArray(query.filters) ? query.filters : []
  for (const f of filters) {
    if (!isObject(f) || typeof f["field"] !== "string" || typeof f["operator"] !== "string") throw new Error("a filter is { field, operator, value }")
    const value = f["value"]
    const type = typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : Array.isArray(value) || isObject(value) ? "object" : "string"
    const text = Array.isArray(value) ? value.map(String).join(",") : isObject(value) ? JSON.stringify(value) : String(value)
    params.append(`filter[${f["field"]}][${f["operator"]}][${type}]`, text)
  }
  const sort = Array.isArray(query.sort) ? query.sort : []
  if (sort.length > 0) params.set("sort", sort.map((s) => (isObject(s) && s["direction"] === "desc" ? `-${String(s["field"])}` : String(isObject(s) ? s["field"] : s))).join(","))
  if (typeof query.limit === "number") params.set("limit", String(query.limit))
  if (typeof query.offset === "number") params.set("offset", String(query.offset))
  return params
}

/** Equality filters (`query` inputs: `{ field: value }`) in the same form. */
export const equalityQuery = (filter: Readonly<Record<string, unknown>> | undefined): CollectionQuery =>
  ({ filters: Object.entries(filter ?? {}).map(([field, value]) => ({ field, operator: "=", value })) })

/**
 * The host side of `sdk` for one run: tags through the value pipeline and its tag rules, records
 * through the same commands and read models as the data-plane routes, every call checked against the
 * owner's permissions in the run's domain. A record id of another domain is not found; nothing here
 * takes a domain from the code.
 */
export const makeHostApi = (source: HostSource, binding: HostBinding): HostApi => {
  const { context, records } = source
  const { domain, principal } = binding

  const owner = (): Principal => {
    if (principal === undefined) throw new Error(`the owner ${binding.ownerName} can no longer act in domain ${domain}`)
    return principal
  }
  const needs = (feature: string, action: "read" | "read-write") => {
    const p = owner()
    if (!isAllowed(p.permissions, { feature, action, scope: "domain" }, p.superuser)) {
      throw new Error(`Missing permission ${feature}:${action}:domain in domain ${domain} (the owner ${binding.ownerName}'s)`)
    }
    return p
  }
  const topicOf = (topic: string) => {
    const check = validateTopicName(topic)
    if (!check.ok) throw new Error(`topic: ${check.message}`)
    return topic
  }
  const command = async <A>(effect: Effect.Effect<A, CommandError>): Promise<A> => {
    const outcome = await runFor(context.run, binding.correlationId, Effect.result(effect))
    if (Result.isFailure(outcome)) throw new Error(outcome.failure.message)
    return outcome.success
  }
  const locate = (id: string) => {
    const parsed = typeof id === "string" ? parsePublicRecordId(id) : undefined
    if (parsed === undefined || parsed.domain !== domain) throw new Error(`No record ${String(id).slice(0, 200)}`)
    return { ...parsed, access: records.collection(parsed.domain, parsed.table)?.access ?? DEFAULT_ACCESS }
  }
  const schemaProblem = (table: string, record: Record<string, unknown>): string | undefined => {
    const definition = records.collection(domain, table)
    if (definition === undefined || definition.schema === null) return undefined
    return source.schemas.violation(`${domain}\u0000${table}`, definition.version, definition.schema, record)
  }
  const readable = (row: RecordRow | undefined, onlyCreator: string | undefined) => row !== undefined && (onlyCreator === undefined || row.creator === onlyCreator)

  const publish = async (topic: string, value: unknown): Promise<void> => {
    const p = needs("tags", "read-write")
    topicOf(topic)
    const refusal = await context.tagWrites(p, domain, [topic])
    if (refusal !== undefined) throw new Error(refusal.message)
    source.publishing({ name: binding.runName, depth: binding.depth ?? 0 })
    try {
      context.tagValues.publish([{ domain, topic, value: value ?? null, timestamp: Date.now() }], "internal")
    } finally {
      source.publishing(undefined)
    }
  }

  const list = async (collection: string, query?: CollectionQuery): Promise<unknown> => {
    if (!TABLE_NAME.test(collection)) throw new Error(`No collection ${String(collection).slice(0, 64)}`)
    const access = collectionAccess(owner(), records.collection(domain, collection)?.access ?? DEFAULT_ACCESS, "read")
    if (!access.allowed) throw new Error(access.message)
    const parsed = parseListQuery(listParams(query))
    if (parsed instanceof QueryError) throw new Error(parsed.message)
    const table = records.tables.find(domain, collection)
    if (table === undefined) return []
    const q = access.onlyCreator === undefined ? parsed : { ...parsed, filters: [...parsed.filters, ownRecords(access.onlyCreator)] }
    const sql = toSql(q, table)
    const rows = context.readModels.prepare(sql.sql).all(...sql.params) as Array<RecordRow>
    return rows.map((row) => recordObject(domain, collection, row))
  }

  return {
    tags: {
      read: async (topic) => {
        needs("tags", "read")
        return context.tagValues.last(domain, topicOf(topic))?.value ?? null
      },
      publish
    },
    collections: {
      get: async (id) => {
        const target = locate(id)
        const access = collectionAccess(owner(), target.access, "read")
        if (!access.allowed) throw new Error(access.message)
        const row = records.get(domain, target.table, target.id)
        if (!readable(row, access.onlyCreator)) throw new Error(`No record ${id}`)
        return recordObject(domain, target.table, row!)
      },
      list,
      create: async (collection, data) => {
        if (!TABLE_NAME.test(collection)) throw new Error("Table names are 1 to 64 letters, digits or _ starting with a letter")
        if (!isObject(data)) throw new Error("a record is a JSON object")
        const access = collectionAccess(owner(), records.collection(domain, collection)?.access ?? DEFAULT_ACCESS, "write")
        if (!access.allowed) throw new Error(access.message)
        const problem = schemaProblem(collection, data)
        if (problem !== undefined) throw new Error(problem)
        const id = uuidv7()
        await command(runCommand(context, {
          type: "createRecord",
          category: RECORD_CATEGORY,
          domain,
          aggregateId: recordAggregateId(collection, id),
          payload: { table: collection, id, data, creator: access.actor },
          actor: access.actor,
          correlationId: binding.correlationId,
          newAggregate: true
        }))
        const row = records.get(domain, collection, id)
        return row === undefined ? { ...data, id: publicRecordId(domain, collection, id) } : recordObject(domain, collection, row)
      },
      update: async (id, data) => {
        if (!isObject(data)) throw new Error("the changes are a JSON object")
        const target = locate(id)
        const access = collectionAccess(owner(), target.access, "write")
        if (!access.allowed) throw new Error(access.message)
        const current = records.get(domain, target.table, target.id)
        if (current !== undefined) {
          const problem = schemaProblem(target.table, { ...(JSON.parse(current.data) as object), ...data })
          if (problem !== undefined) throw new Error(problem)
        }
        await command(runCommand(context, {
          type: "updateRecord",
          category: RECORD_CATEGORY,
          domain,
          aggregateId: recordAggregateId(target.table, target.id),
          payload: { changes: data, ...(access.onlyCreator === undefined ? {} : { requireCreator: access.onlyCreator }) },
          actor: access.actor,
          correlationId: binding.correlationId
        }))
        const row = records.get(domain, target.table, target.id)
        return row === undefined ? null : recordObject(domain, target.table, row)
      },
      delete: async (id) => {
        const target = locate(id)
        const access = collectionAccess(owner(), target.access, "write")
        if (!access.allowed) throw new Error(access.message)
        await command(runCommand(context, {
          type: "deleteRecord",
          category: RECORD_CATEGORY,
          domain,
          aggregateId: recordAggregateId(target.table, target.id),
          payload: access.onlyCreator === undefined ? {} : { requireCreator: access.onlyCreator },
          actor: access.actor,
          correlationId: binding.correlationId
        }))
        return { success: true, id }
      }
    },
    log: (level, ...args) => binding.log?.(level, args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
  }
}
