import type Database from "better-sqlite3"
import type { ReportingMachineDefinition } from "@machhub/core"

/** A registered reporting machine as read: its definition and its stream's version (for If-Match). */
export interface ReportingMachineRow extends ReportingMachineDefinition {
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** A downtime annotation, times in epoch milliseconds. */
export interface DowntimeAnnotationRow {
  readonly machine: string
  readonly start: number
  readonly end: number
  readonly reason: string
}

interface RawMachine {
  definition: string
  version: number
  created_at: string
  updated_at: string
}

const toRow = (raw: RawMachine): ReportingMachineRow => {
  const definition = JSON.parse(raw.definition) as ReportingMachineDefinition
  return { ...definition, version: raw.version, createdAt: raw.created_at, updatedAt: raw.updated_at }
}

/** Queries over reporting machines, always within one domain: another domain's machine is never found. */
export const makeReportingMachinesReadModel = (db: Database.Database) => {
  const one = db.prepare<[string, string], RawMachine>("SELECT * FROM reporting_machines WHERE domain = ? AND name = ?")
  const all = db.prepare<[string], RawMachine>("SELECT * FROM reporting_machines WHERE domain = ? ORDER BY name")
  const downtime = db.prepare<[string, string, number, number], { start_ms: number; end_ms: number; reason: string }>(
    "SELECT start_ms, end_ms, reason FROM reporting_downtime WHERE domain = ? AND name = ? AND end_ms > ? AND start_ms < ? ORDER BY position"
  )
  return {
    get: (domain: string, name: string): ReportingMachineRow | undefined => {
      const raw = one.get(domain, name)
      return raw === undefined ? undefined : toRow(raw)
    },
    /** The domain's reporting machines, by name. */
    list: (domain: string): Array<ReportingMachineRow> => all.all(domain).map(toRow),
    /** The machine's annotations overlapping [from, to), in the order they were made (a later one wins where they overlap). */
    downtime: (domain: string, machine: string, from: number, to: number): Array<DowntimeAnnotationRow> =>
      downtime.all(domain, machine, from, to).map((r) => ({ machine, start: r.start_ms, end: r.end_ms, reason: r.reason }))
  }
}

export type ReportingMachinesReadModel = ReturnType<typeof makeReportingMachinesReadModel>
