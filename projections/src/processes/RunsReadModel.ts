import type Database from "better-sqlite3"
import type { ActorRef, RunKind, RunLogLine, RunTrigger } from "@machhub/core"

export type RunStatus = "running" | "finished" | "failed"

export interface RunRow {
  readonly domain: string
  readonly id: string
  readonly kind: RunKind
  readonly name: string
  readonly status: RunStatus
  readonly trigger: RunTrigger
  readonly input?: unknown
  readonly actor: ActorRef
  /** The edge that ran it, when recorded. */
  readonly node?: string
  readonly result?: unknown
  readonly reason?: string
  readonly logs: ReadonlyArray<RunLogLine>
  readonly steps: number
  readonly startedAt: string
  readonly endedAt?: string
}

export interface RunStepRow {
  readonly index: number
  readonly step: string
  readonly detail?: unknown
  readonly at: string
}

interface Raw {
  domain: string
  run_id: string
  kind: string
  name: string
  status: string
  trigger: string
  input: string | null
  actor: string
  node: string | null
  result: string | null
  reason: string | null
  logs: string | null
  steps: number
  started_at: string
  ended_at: string | null
}

const toRow = (raw: Raw): RunRow => ({
  domain: raw.domain,
  id: raw.run_id,
  kind: raw.kind as RunKind,
  name: raw.name,
  status: raw.status as RunStatus,
  trigger: JSON.parse(raw.trigger) as RunTrigger,
  ...(raw.input === null ? {} : { input: JSON.parse(raw.input) as unknown }),
  actor: JSON.parse(raw.actor) as ActorRef,
  ...(raw.node === null ? {} : { node: raw.node }),
  ...(raw.result === null ? {} : { result: JSON.parse(raw.result) as unknown }),
  ...(raw.reason === null ? {} : { reason: raw.reason }),
  logs: raw.logs === null ? [] : (JSON.parse(raw.logs) as ReadonlyArray<RunLogLine>),
  steps: raw.steps,
  startedAt: raw.started_at,
  ...(raw.ended_at === null ? {} : { endedAt: raw.ended_at })
})

export interface RunQuery {
  readonly name?: string
  readonly kind?: RunKind
  readonly status?: RunStatus
  /** ISO instant: runs started at or after it. */
  readonly since?: string
  readonly limit: number
}

/** Queries over runs, always within one domain except `running` (the restart sweep's). Newest first. */
export const makeRunsReadModel = (db: Database.Database) => {
  const one = db.prepare<[string, string], Raw>("SELECT * FROM runs WHERE domain = ? AND run_id = ?")
  const steps = db.prepare<[string, string], { idx: number; step: string; detail: string | null; at: string }>(
    "SELECT idx, step, detail, at FROM run_steps WHERE domain = ? AND run_id = ? ORDER BY idx"
  )
  const running = db.prepare<[], Raw>("SELECT * FROM runs WHERE status = 'running' ORDER BY run_id")
  return {
    get: (domain: string, id: string): RunRow | undefined => {
      const raw = one.get(domain, id)
      return raw === undefined ? undefined : toRow(raw)
    },
    steps: (domain: string, id: string): Array<RunStepRow> =>
      steps.all(domain, id).map((s) => ({ index: s.idx, step: s.step, ...(s.detail === null ? {} : { detail: JSON.parse(s.detail) as unknown }), at: s.at })),
    list: (domain: string, query: RunQuery): Array<RunRow> => {
      const where = ["domain = @domain"]
      if (query.name !== undefined) where.push("name = @name")
      if (query.kind !== undefined) where.push("kind = @kind")
      if (query.status !== undefined) where.push("status = @status")
      if (query.since !== undefined) where.push("started_at >= @since")
      // Run ids are UUIDv7: ordering by them is ordering by start time.
      return db.prepare<Record<string, unknown>, Raw>(`SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY run_id DESC LIMIT @limit`)
        .all({ domain, ...query }).map(toRow)
    },
    running: (): Array<RunRow> => running.all().map(toRow)
  }
}

export type RunsReadModel = ReturnType<typeof makeRunsReadModel>
