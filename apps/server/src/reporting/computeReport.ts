import type { DowntimeAnnotationRow, ReportingMachineRow } from "@machhub/projections"
import type { HistorianStore } from "../tags/values/HistorianStore.js"
import { formatInZone, nextBucketStart, bucketStart, type Zone } from "../tags/values/timeZone.js"
import { addDays, formatLocalDate, localDateOf, localInstant } from "./localTime.js"
import { addSums, emptySums, metricValue, type ProductionMetric, type Sums } from "./metrics.js"
import type { GroupKey, ReportRequest } from "./reportRequest.js"
import { shiftOccurrences, type ShiftOccurrence } from "./shifts.js"
import type { HourSummaries } from "./hourSummaries.js"
import { countsByInterval, executionByInterval } from "./timeline.js"

/** What a report reads: the historian, the machines and their annotations, the zone and the clock. */
export interface ReportSources {
  readonly store: HistorianStore
  readonly domain: string
  readonly zone: Zone
  readonly now: number
  readonly machines: ReadonlyArray<ReportingMachineRow>
  readonly downtime: (machine: string, from: number, to: number) => ReadonlyArray<DowntimeAnnotationRow>
  /** The historian's hour summaries; without them every point of the period is read. */
  readonly summaries?: HourSummaries | undefined
  /** Throws to stop the report (a deadline passed); called between machines and between reads. */
  readonly check?: (() => void) | undefined
}

type KeyValue = string | null
export type Row = Record<string, unknown>

/** A report's answer: rows per group (nested or flat) and the roll-up of everything. */
export interface Report {
  readonly items: Array<Row>
  readonly aggregate: Row
  /** The flat rows and their columns, for CSV. */
  readonly columns: ReadonlyArray<string>
  readonly flat: Array<Row>
}

const HOUR = 3_600_000
const UNCATEGORIZED = "Uncategorized"

interface Group {
  readonly keys: ReadonlyArray<KeyValue>
  readonly sums: Sums
  downtimeMs: number
}

/**
 * The instants where a machine's time must be cut so each interval has one day, hour, shift and
 * annotation (execution changes are summed within an interval, not cut at).
 */
const cutsOf = (request: ReportRequest, zone: Zone, shifts: ReadonlyArray<ShiftOccurrence>, annotations: ReadonlyArray<DowntimeAnnotationRow>): Array<number> => {
  const { from, to } = request
  const cuts: Array<number> = [from, to]
  const inside = (t: number) => t > from && t < to
  if (request.groupBy.includes("day")) {
    for (let date = localDateOf(zone, from); ; date = addDays(date, 1)) {
      const t = localInstant(zone, addDays(date, 1), 0)
      if (t >= to) break
      cuts.push(t)
    }
  }
  if (request.groupBy.includes("hour")) {
    for (let t = nextBucketStart(zone, HOUR, bucketStart(zone, HOUR, from)); t < to; t = nextBucketStart(zone, HOUR, t)) cuts.push(t)
  }
  for (const s of shifts) {
    if (inside(s.start)) cuts.push(s.start)
    if (inside(s.end)) cuts.push(s.end)
  }
  for (const a of annotations) {
    if (inside(a.start)) cuts.push(a.start)
    if (inside(a.end)) cuts.push(a.end)
  }
  cuts.sort((a, b) => a - b)
  return cuts.filter((t, i) => i === 0 || t !== cuts[i - 1])
}

/**
 * Computes a production or downtime report. Each machine's period is cut into intervals on which
 * every key is constant (day, hour, shift, annotation); its signals give each interval its time in
 * and out of cycle and its counts (whole hours from their summaries, the rest point by point, see
 * timeline.ts), and the interval adds its sums to the groups its keys name at every level of
 * `groupBy`, and to the roll-up.
 */
export const computeReport = (request: ReportRequest, sources: ReportSources): Report => {
  const { zone, store, domain } = sources
  const levels = request.groupBy
  const byLevel: Array<Map<string, Group>> = levels.map(() => new Map())
  const total: Group = { keys: [], sums: emptySums(), downtimeMs: 0 }
  const machineFilter = request.filter.machine
  const groupFilter = request.filter.machineGroup
  const shiftFilter = request.filter.shift

  for (const machine of sources.machines) {
    if (machineFilter !== undefined && !machineFilter.includes(machine.name)) continue
    if (groupFilter !== undefined && (machine.group === undefined || !groupFilter.includes(machine.group))) continue
    sources.check?.()
    const source = (topic: string | undefined, kind: "execution" | "counter") => {
      const series = topic === undefined ? undefined : store.findSeries(domain, topic)
      const table = series === undefined || sources.summaries === undefined ? undefined : sources.summaries.table(kind, domain, topic!, series)
      return { store, series, table, check: sources.check }
    }
    const shifts = shiftOccurrences(zone, machine.shifts, request.from, request.to)
    const annotations = request.kind === "downtime" ? sources.downtime(machine.name, request.from, request.to) : []
    const cuts = cutsOf(request, zone, shifts, annotations)
    const execution = executionByInterval(source(machine.tags.execution, "execution"), cuts, sources.now)
    const parts = countsByInterval(source(machine.tags.partCount, "counter"), cuts, sources.now)
    const rejects = machine.tags.rejectCount === undefined ? undefined : countsByInterval(source(machine.tags.rejectCount, "counter"), cuts, sources.now)
    const ideal = machine.idealCycleSeconds === undefined ? undefined : machine.idealCycleSeconds * 1000

    for (let c = 0; c + 1 < cuts.length; c++) {
      const start = cuts[c]!
      const end = cuts[c + 1]!
      const inCycle = execution.inCycle[c]!
      const notInCycle = execution.notInCycle[c]!
      const firstData = execution.firstData[c]!
      const lastData = execution.lastData[c]!
      const partCount = parts[c]!
      const rejectCount = rejects === undefined ? 0 : rejects[c]!
      const data = inCycle + notInCycle
      // An interval with nothing known makes no group of its own (an hour of no data is not a row of zeros).
      if (data === 0 && partCount === 0 && rejectCount === 0) continue
      // The earliest-starting shift holding the interval names it (shifts of one machine should not overlap).
      const shift = shifts.find((s) => s.start <= start && s.end >= end)
      if (shiftFilter !== undefined && (shift === undefined || !shiftFilter.includes(shift.name))) continue
      const planned = machine.shifts.length === 0 || shift !== undefined
      const downtimeMs = planned ? notInCycle : 0
      if (request.kind === "downtime" && downtimeMs === 0) continue

      const sums = emptySums()
      sums.totalParts = partCount
      sums.rejectedParts = rejectCount
      sums.allTime = data
      sums.timeInCycle = inCycle
      sums.minStart = firstData
      sums.maxEnd = lastData
      if (planned) {
        sums.plannedTime = data
        sums.plannedInCycle = inCycle
        sums.downtime = notInCycle
      }
      if (ideal !== undefined) {
        sums.idealCycleTimeInCycle = inCycle
        sums.idealParts = data / ideal
        sums.idealAllTime = data
        sums.idealPartTime = ideal * partCount
      }

      let reason: string = UNCATEGORIZED
      if (request.kind === "downtime") {
        // The latest annotation covering the interval gives the reason.
        for (const a of annotations) if (a.start <= start && a.end >= end) reason = a.reason
      }
      const keyOf = (group: GroupKey): KeyValue => {
        switch (group) {
          case "machine":
            return machine.name
          case "machineGroup":
            return machine.group ?? null
          case "day":
            return formatLocalDate(localDateOf(zone, start))
          case "hour":
            return formatInZone(zone, bucketStart(zone, HOUR, start))
          case "shift":
            return shift?.name ?? null
          case "reason":
            return reason
        }
      }
      const keys = levels.map(keyOf)
      for (let level = 0; level < levels.length; level++) {
        const prefix = keys.slice(0, level + 1)
        const id = JSON.stringify(prefix)
        let group = byLevel[level]!.get(id)
        if (group === undefined) byLevel[level]!.set(id, (group = { keys: prefix, sums: emptySums(), downtimeMs: 0 }))
        addSums(group.sums, sums)
        group.downtimeMs += downtimeMs
      }
      addSums(total.sums, sums)
      total.downtimeMs += downtimeMs
    }
  }

  const metricsOf = (group: Group): Row => {
    const row: Row = {}
    for (const metric of request.metrics) {
      row[metric] = metric === "downtimeMs" ? group.downtimeMs : metricValue(metric as ProductionMetric, group.sums)
    }
    return row
  }
  const keyRow = (keys: ReadonlyArray<KeyValue>, from: number): Row => {
    const row: Row = {}
    for (let i = from; i < keys.length; i++) row[levels[i]!] = keys[i]
    return row
  }
  const compare = (a: Group, b: Group): number => {
    for (let i = 0; i < a.keys.length; i++) {
      const x = a.keys[i] ?? null
      const y = b.keys[i] ?? null
      if (x === y) continue
      if (x === null) return 1
      if (y === null) return -1
      return x < y ? -1 : 1
    }
    return 0
  }
  const sorted = byLevel.map((level) => [...level.values()].sort(compare))
  const flat = levels.length === 0 ? [metricsOf(total)] : sorted[levels.length - 1]!.map((g) => ({ ...keyRow(g.keys, 0), ...metricsOf(g) }))

  // Nested: each level's rows under their parent, each with its own roll-up.
  const nest = (level: number, parent: ReadonlyArray<KeyValue>): Array<Row> =>
    sorted[level]!
      .filter((g) => parent.every((k, i) => g.keys[i] === k))
      .map((g) => {
        const row: Row = { ...keyRow(g.keys, level), ...metricsOf(g) }
        if (level + 1 < levels.length) row["items"] = nest(level + 1, g.keys)
        return row
      })
  const items = levels.length === 0 ? flat : request.flatten ? flat : nest(0, [])
  return { items, aggregate: metricsOf(total), columns: [...levels, ...request.metrics], flat }
}
