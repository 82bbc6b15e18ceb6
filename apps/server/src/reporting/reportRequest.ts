import type { Zone } from "../tags/values/timeZone.js"
import { addDays, localInstant, parseLocalDate } from "./localTime.js"
import { DOWNTIME_METRICS, PRODUCTION_METRICS } from "./metrics.js"

export type ReportKind = "production" | "downtime"
export type GroupKey = "machine" | "machineGroup" | "day" | "hour" | "shift" | "reason"

/** A report request, checked: the period as instants, metrics and groups known. */
export interface ReportRequest {
  readonly kind: ReportKind
  readonly from: number
  readonly to: number
  readonly metrics: ReadonlyArray<string>
  readonly groupBy: ReadonlyArray<GroupKey>
  readonly filter: { readonly machine?: ReadonlyArray<string>; readonly machineGroup?: ReadonlyArray<string>; readonly shift?: ReadonlyArray<string> }
  readonly flatten: boolean
  readonly csv: boolean
}

/** One invalid field, in MachineMetrics' shape. */
export interface FieldError {
  readonly field: string
  readonly code: string
  readonly message: string
}

/** The longest period one report covers: a year and a day, so a leap year's whole year fits. */
export const MAX_REPORT_DAYS = 366
const DAY = 86_400_000
const GROUPS: Record<ReportKind, ReadonlyArray<GroupKey>> = {
  production: ["machine", "machineGroup", "day", "hour", "shift"],
  downtime: ["machine", "machineGroup", "day", "hour", "shift", "reason"]
}
const FILTERS = ["machine", "machineGroup", "shift"] as const
/** MachineMetrics filters this server has nothing to filter by (no jobs, no operators). */
const UNSUPPORTED_FILTERS = ["jobOperation", "operator"]
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Checks a report body (SPEC §9): `{ startDay, endDay }` (local dates, both included, in the server's
 * zone) or `{ start, end }` (ISO times with a zone), `data`, `groupBy`, `filter`, `flatten`, `csv`.
 * Answers every invalid field at once.
 */
export const parseReportRequest = (kind: ReportKind, body: unknown, zone: Zone): { ok: true; request: ReportRequest } | { ok: false; errors: Array<FieldError> } => {
  const errors: Array<FieldError> = []
  if (!isObject(body)) return { ok: false, errors: [{ field: "body", code: "InvalidType", message: "The body must be a JSON object" }] }

  let from = Number.NaN
  let to = Number.NaN
  const dayFields = body["startDay"] !== undefined || body["endDay"] !== undefined
  if (dayFields) {
    for (const field of ["startDay", "endDay"] as const) {
      if (typeof body[field] !== "string" || parseLocalDate(body[field] as string) === undefined) {
        errors.push({ field, code: "InvalidDate", message: `'${field}' must be an ISO 8601 date (2026-03-01)` })
      }
    }
    if (body["start"] !== undefined || body["end"] !== undefined) {
      errors.push({ field: "start", code: "InvalidRange", message: "Give either startDay and endDay, or start and end" })
    }
    const startDay = typeof body["startDay"] === "string" ? parseLocalDate(body["startDay"]) : undefined
    const endDay = typeof body["endDay"] === "string" ? parseLocalDate(body["endDay"]) : undefined
    if (startDay !== undefined && endDay !== undefined) {
      from = localInstant(zone, startDay, 0)
      to = localInstant(zone, addDays(endDay, 1), 0)
      if (to <= from) errors.push({ field: "endDay", code: "InvalidRange", message: "'endDay' must be on or after 'startDay'" })
    }
  } else {
    for (const field of ["start", "end"] as const) {
      const value = body[field]
      if (value === undefined) errors.push({ field, code: "Required", message: `'${field}' is required (or give startDay and endDay)` })
      else if (typeof value !== "string" || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        errors.push({ field, code: "InvalidDate", message: `'${field}' must be an ISO 8601 date-time with a zone (2026-03-01T08:00:00Z)` })
      }
    }
    from = typeof body["start"] === "string" ? Date.parse(body["start"]) : Number.NaN
    to = typeof body["end"] === "string" ? Date.parse(body["end"]) : Number.NaN
    if (Number.isFinite(from) && Number.isFinite(to) && to <= from) errors.push({ field: "end", code: "InvalidRange", message: "'end' must be after 'start'" })
  }
  if (Number.isFinite(from) && Number.isFinite(to) && to - from > MAX_REPORT_DAYS * DAY + 2 * 3_600_000) {
    errors.push({ field: dayFields ? "endDay" : "end", code: "InvalidRange", message: `A report covers at most ${MAX_REPORT_DAYS} days` })
  }

  const allowedMetrics: ReadonlyArray<string> = kind === "production" ? PRODUCTION_METRICS : DOWNTIME_METRICS
  let metrics: Array<string> = []
  const data = body["data"]
  if (data === undefined && kind === "downtime") metrics = ["downtimeMs"]
  else if (!Array.isArray(data) || data.length === 0) {
    errors.push({ field: "data", code: "InvalidDataItem", message: "'data' must be a non-empty array of { metric }" })
  } else {
    for (const item of data) {
      const metric = isObject(item) ? item["metric"] : undefined
      if (typeof metric !== "string" || !allowedMetrics.includes(metric)) {
        errors.push({ field: "data", code: "InvalidDataItem", message: `Metric '${typeof metric === "string" ? metric : JSON.stringify(item)}' is not valid` })
      } else if (!metrics.includes(metric)) metrics.push(metric)
    }
  }

  const groupBy: Array<GroupKey> = []
  const groups = body["groupBy"]
  if (groups !== undefined && groups !== null) {
    if (!Array.isArray(groups)) errors.push({ field: "groupBy", code: "InvalidGroupItem", message: "'groupBy' must be an array of { group }" })
    else {
      for (const item of groups) {
        const group = isObject(item) ? item["group"] : undefined
        if (typeof group !== "string" || !GROUPS[kind].includes(group as GroupKey)) {
          errors.push({ field: "groupBy", code: "InvalidGroupItem", message: `Group '${typeof group === "string" ? group : JSON.stringify(item)}' is not valid; use ${GROUPS[kind].join(", ")}` })
        } else if (groupBy.includes(group as GroupKey)) {
          errors.push({ field: "groupBy", code: "InvalidGroupItem", message: `Group '${group}' is given twice` })
        } else groupBy.push(group as GroupKey)
      }
    }
  }

  const filter: Record<string, ReadonlyArray<string>> = {}
  const filters = body["filter"]
  if (filters !== undefined && filters !== null) {
    if (!isObject(filters)) errors.push({ field: "filter", code: "InvalidFilter", message: "'filter' must be an object of arrays of names" })
    else {
      for (const [key, value] of Object.entries(filters)) {
        if (UNSUPPORTED_FILTERS.includes(key)) {
          if (Array.isArray(value) && value.length === 0) continue
          errors.push({ field: `filter.${key}`, code: "UnsupportedFilter", message: `Filter '${key}' is not supported by this server` })
        } else if (!(FILTERS as ReadonlyArray<string>).includes(key)) {
          errors.push({ field: `filter.${key}`, code: "InvalidFilter", message: `Filter '${key}' is not valid; use ${FILTERS.join(", ")}` })
        } else if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
          errors.push({ field: `filter.${key}`, code: "InvalidFilter", message: `'filter.${key}' must be an array of strings` })
        } else if (value.length > 0) filter[key] = value as Array<string>
      }
    }
  }

  for (const field of ["flatten", "csv"] as const) {
    if (body[field] !== undefined && typeof body[field] !== "boolean") errors.push({ field, code: "InvalidType", message: `'${field}' must be true or false` })
  }
  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    request: { kind, from, to, metrics, groupBy, filter, flatten: body["flatten"] === true, csv: body["csv"] === true }
  }
}
