import { createHash } from "node:crypto"
import { resolve } from "node:path"
import { Effect, Result } from "effect"
import { RUN_CATEGORY, uuidv7, type ActorRef, type CommandError, type RunKind, type RunLogLine, type RunTrigger } from "@machhub/core"
import { runFor, type EffectRunner } from "../runtime.js"
import { runCommand, type CommandContext } from "../routes/runCommand.js"

/** What a run log needs: the command bus, the read models to wait for, and a runner for Effects. */
export interface RunLogContext extends CommandContext {
  readonly run: EffectRunner
  /** Names this edge in the runs it starts (see `nodeId`); absent: runs name no edge. */
  readonly config?: { readonly deviceName: string; readonly dataDir: string }
}

/**
 * This edge, as runs name it: a hash of its device name and data directory (one process owns a data
 * directory), stable across restarts, so a restarted edge ends only the runs it left open itself.
 */
export const nodeId = (config: { readonly deviceName: string; readonly dataDir: string }): string =>
  createHash("sha256").update(`${config.deviceName}\u0000${resolve(config.dataDir)}`).digest("hex").slice(0, 16)

export interface RunStart {
  readonly domain: string
  readonly kind: RunKind
  readonly name: string
  readonly trigger: RunTrigger
  readonly input?: unknown
  /** The caller, or the system for a schedule, tag change or other automatic trigger. */
  readonly actor: ActorRef
  readonly correlationId: string
}

/**
 * One run being recorded. Each call is a command on the run's stream, answered once the read models
 * have it (GET /api/runs/<id> right after sees it). Ending twice is refused by the run itself: the
 * second end rejects with `conflict`.
 */
export interface RecordedRun {
  readonly runId: string
  readonly step: (step: string, detail?: unknown) => Promise<void>
  readonly finish: (result: unknown, logs?: ReadonlyArray<RunLogLine>) => Promise<void>
  readonly fail: (reason: string, logs?: ReadonlyArray<RunLogLine>) => Promise<void>
}

export interface RunLog {
  /** Records RunStarted and answers the run to record its steps and end through. */
  readonly start: (start: RunStart) => Promise<RecordedRun>
  /** Ends a run that is still running as failed (e.g. "interrupted" at restart); a run already ended is left as it is. */
  readonly failIfRunning: (domain: string, runId: string, reason: string, actor: ActorRef, correlationId: string) => Promise<void>
}

/** A run command that did not go through: `conflict` when the run has ended already. */
export class RunLogError extends Error {
  constructor(readonly tag: string, readonly reason: string | undefined, message: string) {
    super(message)
  }
}

/** The largest input, result or step detail a run's events keep, as JSON text; the caller still gets the whole result. */
export const MAX_RECORDED_BYTES = 256 * 1024

/** A value as a run records it: itself, or a note saying how large it was when over MAX_RECORDED_BYTES. */
export const recordable = (value: unknown): unknown => {
  if (value === undefined) return undefined
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    return { _omitted: "the value has no JSON form" }
  }
  if (json === undefined) return null
  const bytes = Buffer.byteLength(json)
  return bytes <= MAX_RECORDED_BYTES ? value : { _omitted: `the value is ${bytes} bytes of JSON; runs keep values up to ${MAX_RECORDED_BYTES}` }
}

const asError = (error: CommandError): RunLogError =>
  new RunLogError(error._tag, error._tag === "CommandRejected" ? error.reason : undefined, error.message)

/**
 * Records runs (SPEC §8: RunStarted, RunStepCompleted, RunFinished / RunFailed) through commands on the
 * run aggregate, whatever runs: processes, functions, flows.
 */
export const makeRunLog = (context: RunLogContext): RunLog => {
  const send = async <T extends "startRun" | "completeRunStep" | "finishRun" | "failRun">(
    domain: string,
    runId: string,
    actor: ActorRef,
    correlationId: string,
    type: T,
    payload: Parameters<typeof runCommand<T>>[1]["payload"],
    newAggregate = false,
    waitForReadModels = true
  ): Promise<void> => {
    // Only a run's end waits for the read models (they then hold the whole run): its start and steps
    // come before it in the log, so waiting for them too would only add latency to every run.
    const target = waitForReadModels ? context : { ...context, projections: { ...context.projections, waitFor: () => Effect.succeed(true) } }
    const outcome = await runFor(context.run, correlationId, Effect.result(runCommand(target, {
        type,
        category: RUN_CATEGORY,
        domain,
        aggregateId: runId,
        payload,
        actor,
        correlationId,
        newAggregate
      } as Parameters<typeof runCommand<T>>[1])))
    if (Result.isFailure(outcome)) throw asError(outcome.failure)
  }

  const node = context.config === undefined ? undefined : nodeId(context.config)
  const start = async (run: RunStart): Promise<RecordedRun> => {
    const runId = uuidv7()
    const { domain, actor, correlationId } = run
    await send(domain, runId, actor, correlationId, "startRun", {
      kind: run.kind,
      name: run.name,
      trigger: run.trigger,
      ...(run.input === undefined ? {} : { input: recordable(run.input) }),
      ...(node === undefined ? {} : { node })
    }, true, false)
    return {
      runId,
      step: (step, detail) => send(domain, runId, actor, correlationId, "completeRunStep", { step, ...(detail === undefined ? {} : { detail: recordable(detail) }) }, false, false),
      finish: (result, logs) => send(domain, runId, actor, correlationId, "finishRun", { result: recordable(result ?? null), ...(logs === undefined ? {} : { logs }) }),
      fail: (reason, logs) => send(domain, runId, actor, correlationId, "failRun", { reason, ...(logs === undefined ? {} : { logs }) })
    }
  }

  const failIfRunning: RunLog["failIfRunning"] = async (domain, runId, reason, actor, correlationId) => {
    try {
      await send(domain, runId, actor, correlationId, "failRun", { reason })
    } catch (error) {
      // Another node (or an earlier pass) ended it already: nothing to do.
      if (error instanceof RunLogError && (error.reason === "conflict" || error.reason === "not_found")) return
      throw error
    }
  }

  return { start, failIfRunning }
}
