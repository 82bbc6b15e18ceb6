import type { DowntimeAnnotationRow, ReportingMachineRow } from "@machhub/projections"
import type { HistorianStore } from "../tags/values/HistorianStore.js"
import { formatInZone, nextBucketStart, bucketStart, type Zone } from "../tags/values/timeZone.js"
import { addDays, formatLocalDate, localDateOf, localInstant } from "./localTime.js"
import { addSums, emptySums, metricReader, type ProductionMetric, type Sums } from "./metrics.js"
import type { ReportRequest } from "./reportRequest.js"
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

/** A group of one level of `groupBy`, and the groups of the next level within it. */
interface Group {
  readonly keys: ReadonlyArray<KeyValue>
  readonly sums: Sums
  downtimeMs: number
  readonly children: Map<KeyValue, Group>
}

const groupOf = (keys: ReadonlyArray<KeyValue>): Group => ({ keys, sums: emptySums(), downtimeMs: 0, children: new Map() })

/** Siblings by their key, null last (they share every key before it). */
const bySiblingKey = (a: Group, b: Group): number => {
  const x = a.keys[a.keys.length - 1] ?? null
  const y = b.keys[b.keys.length - 1] ?? null
  if (x === y) return 0
  if (x === null) return 1
  if (y === null) return -1
  return x < y ? -1 : 1
}

/** The instants every machine's time is cut at: local midnights and hour starts, when grouped by them. */
const reportCuts = (request: ReportRequest, zone: Zone): Array<number> => {
  const { from, to } = request
  const cuts: Array<number> = []
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
  return cuts
}

/**
 * The instants where a machine's time must be cut so each interval has one day, hour, shift and
 * annotation (execution changes are summed within an interval, not cut at).
 */
const cutsOf = (request: ReportRequest, common: ReadonlyArray<number>, shifts: ReadonlyArray<ShiftOccurrence>, annotations: ReadonlyArray<DowntimeAnnotationRow>): Array<number> => {
  const { from, to } = request
  const cuts: Array<number> = [from, to, ...common]
  const inside = (t: number) => t > from && t < to
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

/** The local day holding an instant, as reports name it: a name made once per day, not per interval. */
const dayNamer = (zone: Zone) => {
  let day = Number.NaN
  let name = ""
  return (t: number): string => {
    // The wall clock's day number, as localDateOf reads it.
    const wallDay = Math.floor((t + zone.offset(t)) / 86_400_000)
    if (wallDay !== day) {
      day = wallDay
      name = formatLocalDate(localDateOf(zone, t))
    }
    return name
  }
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
  const total = groupOf([])
  const common = reportCuts(request, zone)
  const dayOf = dayNamer(zone)
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
    const cuts = cutsOf(request, common, shifts, annotations)
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
      // The interval adds to its group at every level, each within the one before.
      let group = total
      addSums(total.sums, sums)
      total.downtimeMs += downtimeMs
      for (const level of levels) {
        let key: KeyValue
        switch (level) {
          case "machine":
            key = machine.name
            break
          case "machineGroup":
            key = machine.group ?? null
            break
          case "day":
            key = dayOf(start)
            break
          case "hour":
            key = formatInZone(zone, bucketStart(zone, HOUR, start))
            break
          case "shift":
            key = shift?.name ?? null
            break
          case "reason":
            key = reason
            break
        }
        let child = group.children.get(key)
        if (child === undefined) group.children.set(key, (child = groupOf([...group.keys, key])))
        addSums(child.sums, sums)
        child.downtimeMs += downtimeMs
        group = child
      }
    }
  }

  const readers = request.metrics.map((metric) =>
    metric === "downtimeMs" ? (group: Group) => group.downtimeMs : ((read) => (group: Group) => read(group.sums))(metricReader(metric as ProductionMetric))
  )
  /** A group's row: its keys from level `from` on, then its metrics. */
  const rowOf = (group: Group, from: number): Row => {
    const row: Row = {}
    for (let i = from; i < group.keys.length; i++) row[levels[i]!] = group.keys[i]
    for (let m = 0; m < readers.length; m++) row[request.metrics[m]!] = readers[m]!(group)
    return row
  }
  const childrenOf = (group: Group): Array<Group> => [...group.children.values()].sort(bySiblingKey)

  // Flat: the last level's groups in the order of their keys, each row with every key.
  const leaves = (group: Group, into: Array<Row>): Array<Row> => {
    if (group.keys.length === levels.length) into.push(rowOf(group, 0))
    else for (const child of childrenOf(group)) leaves(child, into)
    return into
  }
  const flat = levels.length === 0 ? [rowOf(total, 0)] : leaves(total, [])

  // Nested: each level's rows under their parent, each with its own roll-up.
  const nest = (parent: Group): Array<Row> =>
    childrenOf(parent).map((group) => {
      const row = rowOf(group, group.keys.length - 1)
      if (group.keys.length < levels.length) row["items"] = nest(group)
      return row
    })
  const items = levels.length === 0 ? flat : request.flatten ? flat : nest(total)
  return { items, aggregate: rowOf(total, 0), columns: [...levels, ...request.metrics], flat }
}
