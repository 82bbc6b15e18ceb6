import type Database from "better-sqlite3"
import type { DefinitionOwner, FunctionDefinition, ProcessDefinition } from "@machhub/core"

/** A saved definition as read: the definition, its owner, code version and stream version. */
export interface DefinitionRow<D> {
  readonly domain: string
  readonly definition: D
  readonly owner: DefinitionOwner
  readonly codeVersion: number
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}
export type ProcessRow = DefinitionRow<ProcessDefinition>
export type FunctionRow = DefinitionRow<FunctionDefinition>

interface Raw {
  domain: string
  definition: string
  owner: string
  code_version: number
  version: number
  created_at: string
  updated_at: string
}

const toRow = <D>(raw: Raw): DefinitionRow<D> => ({
  domain: raw.domain,
  definition: JSON.parse(raw.definition) as D,
  owner: JSON.parse(raw.owner) as DefinitionOwner,
  codeVersion: raw.code_version,
  version: raw.version,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at
})

/** Queries over process and function definitions; every one within a domain except `allProcesses` (the schedulers'). */
export const makeProcessesReadModel = (db: Database.Database) => {
  const q = {
    process: db.prepare<[string, string], Raw>("SELECT * FROM processes WHERE domain = ? AND name = ?"),
    processes: db.prepare<[string], Raw>("SELECT * FROM processes WHERE domain = ? ORDER BY name"),
    allProcesses: db.prepare<[], Raw>("SELECT * FROM processes ORDER BY domain, name"),
    fn: db.prepare<[string, string], Raw>("SELECT * FROM functions WHERE domain = ? AND name = ?"),
    fns: db.prepare<[string], Raw>("SELECT * FROM functions WHERE domain = ? ORDER BY name"),
    slot: db.prepare<[string, string, number], { slot: number }>("SELECT slot FROM process_schedules WHERE domain = ? AND process = ? AND trigger = ?")
  }
  return {
    process: (domain: string, name: string): ProcessRow | undefined => {
      const raw = q.process.get(domain, name)
      return raw === undefined ? undefined : toRow(raw)
    },
    processes: (domain: string): Array<ProcessRow> => q.processes.all(domain).map((raw) => toRow(raw)),
    allProcesses: (): Array<ProcessRow> => q.allProcesses.all().map((raw) => toRow(raw)),
    function: (domain: string, name: string): FunctionRow | undefined => {
      const raw = q.fn.get(domain, name)
      return raw === undefined ? undefined : toRow(raw)
    },
    functions: (domain: string): Array<FunctionRow> => q.fns.all(domain).map((raw) => toRow(raw)),
    /** The last slot a schedule fired, in milliseconds; undefined when it never fired. */
    lastSlot: (domain: string, process: string, trigger: number): number | undefined => q.slot.get(domain, process, trigger)?.slot
  }
}

export type ProcessesReadModel = ReturnType<typeof makeProcessesReadModel>
