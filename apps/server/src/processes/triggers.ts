import { SCHEDULE_CATEGORY, scheduleAggregateId, uuidv7, type ActorRef, type ProcessTrigger, type RecordedEvent } from "@machhub/core"
import type { ProcessRow } from "@machhub/projections"
import { Effect, Result } from "effect"
import { log } from "../log.js"
import { runCommand } from "../routes/runCommand.js"
import { runFor } from "../runtime.js"
import type { ServerContext } from "../ServerContext.js"
import type { ProcessEngine } from "./engine.js"
import { nodeId } from "./runLog.js"
import { scheduleOf } from "./schedules.js"
import { topicMatches } from "../tags/topicName.js"

/** The longest a timer waits at once (setTimeout's limit); a later slot is looked at again then. */
const MAX_DELAY = 2 ** 31 - 1
/** Tag-change runs of one process waiting or running at most; past it changes are dropped (and counted in the log). */
const MAX_PENDING_TAG_RUNS = 64
/**
 * Tag-change runs in a row, each triggered by a value the previous one wrote, before the chain is
 * cut: two processes writing each other's tags would otherwise run each other forever.
 */
export const MAX_TAG_CHAIN = 8

const triggerActor = (type: string): ActorRef => ({ kind: "system", id: `trigger:${type}` })

export interface RunningTriggers {
  readonly stop: () => void
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Runs processes on their automatic triggers, once this node's read models are current:
 * - runs left `running` by a previous life of the server end failed ("interrupted");
 * - interval and cron triggers fire on their slots; a slot is claimed with a command on the trigger's
 *   schedule stream before the run, so across nodes one claim wins (the store's expected-version check
 *   makes the second append fail, and the schedule then refuses the slot as fired); a slot that fell
 *   due while the server was down fires once at start;
 * - tag_change triggers run on every matching value of the domain from the tag value pipeline.
 * Definitions changing (saved, triggers changed, removed, enabled or not) re-arm their process.
 */
export const startTriggers = (context: ServerContext, engine: ProcessEngine): RunningTriggers => {
  const startedAt = Date.now()
  let stopped = false
  const timers = new Map<string, Array<ReturnType<typeof setTimeout>>>()
  // Tag-change triggers by domain: the process and its filter.
  const tagTriggers = new Map<string, Map<string, Array<{ readonly index: number; readonly trigger: Extract<ProcessTrigger, { type: "tag_change" }> }>>>()
  const pending = new Map<string, number>()
  const keyOf = (domain: string, name: string) => `${domain}\u0000${name}`

  const run = (domain: string, name: string, trigger: ProcessTrigger, data: unknown, depth = 0): Promise<void> | undefined => {
    const row = engine.processes.process(domain, name)
    if (row === undefined || !row.definition.enabled) return undefined
    return engine.runProcess(row, {
      domain,
      trigger: { type: trigger.type, ...(trigger.config === undefined ? {} : { config: trigger.config }), data },
      actor: triggerActor(trigger.type),
      correlationId: uuidv7(),
      depth
    }).then(() => undefined, (error) => log("error", "a triggered process run failed to run", { domain, process: name, error: message(error) }))
  }

  /** Claims a slot; true when this node won it. */
  const claim = async (domain: string, name: string, index: number, slot: number, missed: boolean): Promise<boolean> => {
    const outcome = await runFor(context.run, undefined, Effect.result(runCommand(context, {
      type: "fireSchedule",
      category: SCHEDULE_CATEGORY,
      domain,
      aggregateId: scheduleAggregateId(name, index),
      payload: { process: name, trigger: index, slot, ...(missed ? { missed: true } : {}) },
      actor: triggerActor("schedule"),
      correlationId: uuidv7()
    })))
    if (Result.isSuccess(outcome)) return true
    const error = outcome.failure
    if (!(error._tag === "CommandRejected" && error.reason === "conflict")) {
      log("warn", "could not claim a schedule slot", { domain, process: name, trigger: index, error: error.message })
    }
    return false
  }

  const fire = (row: ProcessRow, index: number, trigger: ProcessTrigger, slot: number, missed: boolean) => {
    const { domain } = row
    const name = row.definition.name
    void claim(domain, name, index, slot, missed).then((won) => {
      if (won && !stopped) return run(domain, name, trigger, { slot: new Date(slot).toISOString(), ...(missed ? { missed: true } : {}) })
      return undefined
    }).catch((error) => log("error", "a scheduled run failed", { domain, process: name, error: message(error) }))
  }

  const disarm = (key: string) => {
    for (const timer of timers.get(key) ?? []) clearTimeout(timer)
    timers.delete(key)
    const [domain, name] = key.split("\u0000") as [string, string]
    tagTriggers.get(domain)?.delete(name)
  }

  const arm = (row: ProcessRow, atStart: boolean) => {
    const key = keyOf(row.domain, row.definition.name)
    disarm(key)
    if (stopped || !row.definition.enabled) return
    const own: Array<ReturnType<typeof setTimeout>> = []
    timers.set(key, own)
    row.definition.triggers.forEach((trigger, index) => {
      if (trigger.type === "tag_change") {
        let byName = tagTriggers.get(row.domain)
        if (byName === undefined) tagTriggers.set(row.domain, (byName = new Map()))
        byName.set(row.definition.name, [...(byName.get(row.definition.name) ?? []), { index, trigger }])
        return
      }
      const schedule = scheduleOf(trigger, trigger.type === "cron" && trigger.config.timezone !== undefined ? trigger.config.timezone : context.config.timeZone)
      if (schedule === undefined) return
      const now = Date.now()
      if (atStart) {
        // Due while the server was down: once, for the latest slot missed.
        const since = engine.processes.lastSlot(row.domain, row.definition.name, index) ?? Date.parse(row.updatedAt)
        const latest = schedule.latest(now)
        if (latest !== undefined && latest > since) fire(row, index, trigger, latest, true)
      }
      const wait = (after: number) => {
        const next = schedule.next(after)
        if (next === undefined || stopped) return
        const delay = Math.max(0, next - Date.now())
        const timer = setTimeout(() => {
          const at = own.indexOf(timer)
          if (at >= 0) own.splice(at, 1)
          if (delay >= MAX_DELAY) return wait(after)
          const current = engine.processes.process(row.domain, row.definition.name)
          if (current !== undefined) fire(current, index, trigger, next, false)
          // The next slot after this one, or after now when this node fell behind.
          wait(Math.max(next, Date.now() - 1))
        }, Math.min(delay, MAX_DELAY))
        timer.unref?.()
        own.push(timer)
      }
      wait(now)
    })
  }

  const onTagValues = context.tagValues.subscribe((values) => {
    if (stopped) return
    const publisher = engine.publisher()
    const depth = publisher === undefined ? 0 : publisher.depth + 1
    if (depth >= MAX_TAG_CHAIN) {
      log("warn", "a chain of tag_change runs was cut: each run's write triggered the next", { process: publisher?.name, runs: depth })
      return
    }
    for (const value of values) {
      const byName = tagTriggers.get(value.domain)
      if (byName === undefined) continue
      for (const [name, triggers] of byName) {
        // A process's own writes do not trigger it again (no loop through its own tag).
        if (name === publisher?.name) continue
        for (const { trigger } of triggers) {
          if (!topicMatches(trigger.config.tag, value.topic)) continue
          const key = keyOf(value.domain, name)
          const waiting = pending.get(key) ?? 0
          if (waiting >= MAX_PENDING_TAG_RUNS) {
            log("warn", "a tag_change process is behind; a change was not run", { domain: value.domain, process: name, topic: value.topic })
            continue
          }
          pending.set(key, waiting + 1)
          const started = run(value.domain, name, trigger, { topic: value.topic, payload: value.value, timestamp: new Date(value.timestamp).toISOString() }, depth)
          const done = () => pending.set(key, (pending.get(key) ?? 1) - 1)
          if (started === undefined) done()
          else void started.finally(done)
        }
      }
    }
  })

  const onApplied = (events: ReadonlyArray<RecordedEvent>) => {
    if (stopped) return
    for (const event of events) {
      if (event.type !== "ProcessSaved" && event.type !== "ProcessTriggersChanged" && event.type !== "ProcessRemoved") continue
      const name = (event.data as { name: string }).name
      const row = engine.processes.process(event.meta.domain, name)
      if (row === undefined) disarm(keyOf(event.meta.domain, name))
      else arm(row, false)
    }
  }

  void (async () => {
    while (!context.projections.isReady() && !stopped) await new Promise((resolve) => setTimeout(resolve, 50))
    if (stopped) return
    // Runs a previous life of this server left running: they never end otherwise.
    const self = nodeId(context.config)
    for (const left of engine.runs.running()) {
      // Only this edge's own runs (or runs that name no edge): another edge's may still be going.
      if (Date.parse(left.startedAt) >= startedAt || (left.node !== undefined && left.node !== self)) continue
      await engine.runLog.failIfRunning(left.domain, left.id, "interrupted", { kind: "system", id: "restart" }, uuidv7())
        .catch((error) => log("warn", "could not end an interrupted run", { runId: left.id, error: message(error) }))
    }
    if (stopped) return
    context.projections.onApplied(onApplied)
    for (const row of engine.processes.allProcesses()) arm(row, true)
  })().catch((error) => log("error", "process triggers did not start", { error: message(error) }))

  return {
    stop: () => {
      stopped = true
      onTagValues()
      for (const key of [...timers.keys()]) disarm(key)
    }
  }
}
