import {
  GraphQLError,
  GraphQLFloat,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfigMap
} from "graphql"
import type { ReportingMachineRow, TagRow } from "@machhub/projections"
import { PRODUCTION_METRICS } from "../reporting/metrics.js"
import { applyListArgs, listInputs, StringComparison, matches, type ListArgs } from "./where.js"
import { GraphQLInputObjectType, GraphQLInt } from "graphql"
import type { RecordsArgs } from "./records.js"
import type { Deadline } from "./deadline.js"

/** What resolvers read, all within the caller's domain, and what the caller may see. */
export interface GraphqlContext {
  readonly may: (feature: "machines" | "tags" | "reports") => boolean
  readonly machines: () => ReadonlyArray<ReportingMachineRow>
  readonly tags: () => ReadonlyArray<TagRow>
  readonly last: (topic: string) => { readonly value: unknown; readonly timestamp: number } | undefined
  readonly production: (machine: ReportingMachineRow, start: number, end: number) => Record<string, unknown>
  /** A collection's records, with the caller's collection access. */
  readonly records: (args: RecordsArgs) => ReadonlyArray<Record<string, unknown>>
  /** The query's time limit (10 s by default), checked by every resolver and inside reports while they run. */
  readonly deadline: Deadline
}

const JSONScalar = new GraphQLScalarType({ name: "JSON", description: "Any JSON value", serialize: (value) => value })

const guard = (context: GraphqlContext, feature: "machines" | "tags" | "reports") => {
  context.deadline.check()
  if (!context.may(feature)) throw new GraphQLError(`Missing permission ${feature}:read:domain`, { extensions: { code: "FORBIDDEN" } })
}

const iso = (t: number) => new Date(t).toISOString()

const Production = new GraphQLObjectType({
  name: "Production",
  description: "The machine's production metrics over the period, as POST /reports/production computes them (README: definitions)",
  fields: Object.fromEntries(PRODUCTION_METRICS.map((metric) => [metric, { type: metric === "minStartTime" || metric === "maxEndTime" ? GraphQLString : GraphQLFloat }]))
})

/** A bound tag's last value; its time is written as ISO only when the query selects it. */
interface State { metricKey: string; value: unknown; at: number | undefined }

const CurrentState = new GraphQLObjectType<State>({
  name: "CurrentState",
  fields: {
    metricKey: { type: new GraphQLNonNull(GraphQLString) },
    value: { type: JSONScalar },
    timestamp: { type: GraphQLString, resolve: (state) => (state.at === undefined ? null : iso(state.at)) }
  }
})

const StateWhere = new GraphQLInputObjectType({ name: "CurrentStateWhereClause", fields: { metricKey: { type: StringComparison } } })

interface Alarm { startAt: string; nativeCode: string | null; label: string | null; description: string | null }
const CurrentAlarm = new GraphQLObjectType<Alarm>({
  name: "Alarm",
  fields: { startAt: { type: GraphQLString }, nativeCode: { type: GraphQLString }, label: { type: GraphQLString }, description: { type: GraphQLString } }
})

/** The current states of a machine: the last value of each bound tag, by role. */
const statesOf = (machine: ReportingMachineRow, context: GraphqlContext): Array<State> =>
  (["execution", "partCount", "rejectCount", "alarm"] as const).flatMap((role) => {
    const topic = machine.tags[role]
    if (topic === undefined) return []
    const last = context.last(topic)
    return [{ metricKey: role, value: last?.value ?? null, at: last?.timestamp }]
  })

/** The alarm tag's last value when it holds one (a text, or `{ nativeCode, label, description }`); empty, null or "NORMAL": none. */
const alarmsOf = (machine: ReportingMachineRow, context: GraphqlContext): Array<Alarm> => {
  const topic = machine.tags.alarm
  const last = topic === undefined ? undefined : context.last(topic)
  if (last === undefined || last.value === null || last.value === "" || last.value === false) return []
  if (typeof last.value === "string" && last.value.toUpperCase() === "NORMAL") return []
  const text = (v: unknown) => (v === undefined || v === null ? null : String(v))
  if (typeof last.value === "object" && !Array.isArray(last.value)) {
    const v = last.value as Record<string, unknown>
    return [{ startAt: iso(last.timestamp), nativeCode: text(v["nativeCode"]), label: text(v["label"]), description: text(v["description"]) }]
  }
  return [{ startAt: iso(last.timestamp), nativeCode: text(last.value), label: text(last.value), description: null }]
}

const instantArg = (value: string, name: string): number => {
  const t = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw new GraphQLError(`${name} must be an ISO 8601 date-time with a zone`, { extensions: { code: "BAD_USER_INPUT" } })
  return t
}

const Machine: GraphQLObjectType<ReportingMachineRow, GraphqlContext> = new GraphQLObjectType<ReportingMachineRow, GraphqlContext>({
  name: "Machine",
  fields: () => ({
    name: { type: new GraphQLNonNull(GraphQLString) },
    machineRef: { type: GraphQLString },
    group: { type: GraphQLString },
    currentStates: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(CurrentState))),
      args: { where: { type: StateWhere } },
      resolve: (machine, args: { where?: Record<string, unknown> | null }, context) => {
        guard(context, "machines")
        return statesOf(machine, context).filter((state) => matches({ metricKey: state.metricKey }, args.where))
      }
    },
    currentAlarms: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(CurrentAlarm))),
      resolve: (machine, _args, context) => {
        guard(context, "machines")
        return alarmsOf(machine, context)
      }
    },
    production: {
      type: Production,
      args: { start: { type: new GraphQLNonNull(GraphQLString) }, end: { type: new GraphQLNonNull(GraphQLString) } },
      resolve: (machine, args: { start: string; end: string }, context) => {
        guard(context, "reports")
        const start = instantArg(args.start, "start")
        const end = instantArg(args.end, "end")
        if (end <= start) throw new GraphQLError("end must be after start", { extensions: { code: "BAD_USER_INPUT" } })
        if (end - start > 366 * 86_400_000) throw new GraphQLError("A period covers at most 366 days", { extensions: { code: "BAD_USER_INPUT" } })
        return context.production(machine, start, end)
      }
    }
  })
})

interface MachineGroupRow { name: string; machines: Array<ReportingMachineRow> }
const MachineGroup = new GraphQLObjectType<MachineGroupRow, GraphqlContext>({
  name: "MachineGroup",
  fields: { name: { type: new GraphQLNonNull(GraphQLString) }, machines: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Machine))) } }
})

interface TagView { topic: string; description: string | null; access: string; historize: string | null; value: unknown; timestamp: string | null }
const Tag = new GraphQLObjectType<TagView>({
  name: "Tag",
  fields: {
    topic: { type: new GraphQLNonNull(GraphQLString) },
    description: { type: GraphQLString },
    access: { type: new GraphQLNonNull(GraphQLString) },
    historize: { type: GraphQLString, description: "event, timeseries, or null when not historized" },
    value: { type: JSONScalar, description: "The tag's last value" },
    timestamp: { type: GraphQLString }
  }
})

const machineRow = (m: ReportingMachineRow): ReportingMachineRow & Record<string, unknown> => m as ReportingMachineRow & Record<string, unknown>

const queryFields: GraphQLFieldConfigMap<unknown, GraphqlContext> = {
  machines: {
    type: new GraphQLList(new GraphQLNonNull(Machine)),
    args: listInputs("Machine", ["name", "machineRef", "group"]),
    resolve: (_root, args: ListArgs, context) => {
      guard(context, "machines")
      return applyListArgs(context.machines().map(machineRow), args)
    }
  },
  machineGroups: {
    type: new GraphQLList(new GraphQLNonNull(MachineGroup)),
    args: listInputs("MachineGroup", ["name"]),
    resolve: (_root, args: ListArgs, context) => {
      guard(context, "machines")
      const groups = new Map<string, MachineGroupRow>()
      for (const machine of context.machines()) {
        if (machine.group === undefined) continue
        let group = groups.get(machine.group)
        if (group === undefined) groups.set(machine.group, (group = { name: machine.group, machines: [] }))
        group.machines.push(machine)
      }
      return applyListArgs([...groups.values()].map((g) => g as MachineGroupRow & Record<string, unknown>), args)
    }
  },
  tags: {
    type: new GraphQLList(new GraphQLNonNull(Tag)),
    args: listInputs("Tag", ["topic", "description", "access", "historize"]),
    resolve: (_root, args: ListArgs, context) => {
      guard(context, "tags")
      const rows = context.tags().map((tag): TagView & Record<string, unknown> => {
        const last = context.last(tag.topic)
        return {
          topic: tag.topic,
          description: tag.description ?? null,
          access: tag.access,
          historize: tag.historize?.type ?? null,
          value: last?.value ?? null,
          timestamp: last === undefined ? null : iso(last.timestamp)
        }
      })
      return applyListArgs(rows, args)
    }
  }
}

queryFields["records"] = {
  type: new GraphQLList(new GraphQLNonNull(JSONScalar)),
  description: "The records of a collection (collections:read, or the collection's public read; a self scope sees its own records)",
  args: {
    collection: { type: new GraphQLNonNull(GraphQLString) },
    where: { type: JSONScalar, description: "{ <field>: { _eq _neq _gt _gte _lt _lte _in _nin } }, all holding; _and nests more" },
    limit: { type: GraphQLInt },
    offset: { type: GraphQLInt },
    order_by: { type: JSONScalar, description: "[{ <field>: asc|desc }]" }
  },
  resolve: (_root, args: RecordsArgs, context: GraphqlContext) => {
    context.deadline.check()
    return context.records(args)
  }
}

/** The read-only schema of SPEC §9 (no mutations, no subscriptions). */
export const reportingSchema = new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: queryFields }) })
