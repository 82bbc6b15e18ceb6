import { type ActorRef, type DefinitionOwner, type ProcessInput, type ProcessOutput, type RunLimits, type RunLogLine, type RunTrigger } from "@machhub/core"
import { makeProcessesReadModel, makeRecordsReadModel, makeRunsReadModel, type FunctionRow, type ProcessesReadModel, type ProcessRow, type RunsReadModel } from "@machhub/projections"
import { SchemaValidator } from "../data/SchemaValidator.js"
import { log } from "../log.js"
import { compileCode, defaultSandboxLimits, runSandboxed, type HostApi, type Language, type SandboxLimits, type SandboxOutcome } from "../sandbox/index.js"
import type { ServerContext } from "../ServerContext.js"
import { equalityQuery, makeHostApi, type HostSource, type Publisher } from "./hostApi.js"
import { ownerPrincipal } from "./ownerPrincipal.js"
import { makeRunLog, type RecordedRun, type RunLog } from "./runLog.js"
import { topicMatches } from "../tags/topicName.js"
import { hasWildcard } from "./topicFilter.js"

/** How a run ended, as the execute routes answer it. */
export type RunOutcome =
  | { readonly ok: true; readonly runId: string; readonly result: unknown }
  | { readonly ok: false; readonly runId: string; readonly reason: string }

export interface RunRequest {
  readonly domain: string
  readonly trigger: RunTrigger
  readonly input?: unknown
  readonly actor: ActorRef
  readonly correlationId: string
  /** How many tag changes, each written by the previous run, led to this run (tag_change triggers). */
  readonly depth?: number
}

export interface ProcessEngine {
  readonly processes: ProcessesReadModel
  readonly runs: RunsReadModel
  readonly runLog: RunLog
  readonly runProcess: (row: ProcessRow, request: RunRequest) => Promise<RunOutcome>
  readonly runFunction: (row: FunctionRow, request: RunRequest) => Promise<RunOutcome>
  /** The run whose code (or output) is publishing a tag value right now, if any (see HostSource.publishing). */
  readonly publisher: () => Publisher | undefined
}

const limitsOf = (limits: RunLimits | undefined): SandboxLimits => ({
  memoryBytes: limits?.memory_mb === undefined ? defaultSandboxLimits.memoryBytes : limits.memory_mb * 1024 * 1024,
  cpuMillis: limits?.cpu_ms ?? defaultSandboxLimits.cpuMillis
})

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** A dot path into a value (`result.nested.value`); the whole value for an empty path. */
export const atPath = (value: unknown, path: string | undefined): unknown => {
  if (path === undefined || path === "") return value
  let current = value
  for (const key of path.split(".")) {
    if (!isObject(current) && !Array.isArray(current)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Runs processes and functions: resolves a process's inputs, runs the code in the sandbox with an
 * `sdk` acting as the owner in the domain, applies the outputs after the result, and records every
 * run (started, each output a step, finished or failed) in the log.
 */
export const makeProcessEngine = (context: ServerContext): ProcessEngine => {
  const processes = makeProcessesReadModel(context.readModels)
  const runs = makeRunsReadModel(context.readModels)
  const runLog = makeRunLog(context)
  let publishing: Publisher | undefined
  const source: HostSource = {
    context,
    records: makeRecordsReadModel(context.readModels, context.projections.onApplied),
    schemas: new SchemaValidator(),
    publishing: (by) => (publishing = by)
  }

  // Compiled code by domain, name and code version: a definition compiles once, not at every run.
  const compiled = new Map<string, string>()
  const compile = (key: string, code: string, language: Language): { ok: true; js: string } | { ok: false; reason: string } => {
    const known = compiled.get(key)
    if (known !== undefined) return { ok: true, js: known }
    const outcome = compileCode(code, language)
    if (!outcome.ok) return { ok: false, reason: `the code does not compile: line ${outcome.line}: ${outcome.message}` }
    if (compiled.size > 1000) compiled.clear()
    compiled.set(key, outcome.js)
    return { ok: true, js: outcome.js }
  }

  const hostFor = (domain: string, owner: DefinitionOwner, runName: string, correlationId: string, depth = 0): HostApi =>
    makeHostApi(source, { domain, principal: ownerPrincipal(context, domain, owner), ownerName: owner.username, runName, correlationId, depth })

  const resolveInput = async (host: HostApi, domain: string, input: ProcessInput): Promise<unknown> => {
    if (input.type === "tag") {
      if (!hasWildcard(input.config.tag)) return host.tags.read(input.config.tag)
      // A wildcard: every defined tag of the domain it matches, with its last value.
      const map: Record<string, unknown> = {}
      for (const tag of context.readModels.prepare<[string], { topic: string }>("SELECT topic FROM tags WHERE domain = ? ORDER BY topic").all(domain)) {
        if (topicMatches(input.config.tag, tag.topic)) map[tag.topic] = await host.tags.read(tag.topic)
      }
      return map
    }
    return host.collections.list(input.config.collection, equalityQuery(input.config.filter))
  }

  const applyOutput = async (host: HostApi, run: RecordedRun, output: ProcessOutput, result: unknown): Promise<void> => {
    const value = atPath(result, output.config.field)
    if (output.type === "tag_write") {
      await host.tags.publish(output.config.tag, value)
      await run.step("tag_write", { tag: output.config.tag, value: value ?? null })
      return
    }
    if (!isObject(value)) throw new Error(`record_write needs an object${output.config.field === undefined ? "" : ` at ${output.config.field}`}, got ${JSON.stringify(value ?? null)}`)
    const record = await host.collections.create(output.config.collection, value)
    await run.step("record_write", { collection: output.config.collection, id: isObject(record) ? record["id"] : undefined })
  }

  /** The sandbox's outcome; a failure of the sandbox itself (a worker gone) is the run's failure, never a run left open. */
  const sandboxed = (options: Parameters<typeof runSandboxed>[0]): Promise<SandboxOutcome> =>
    runSandboxed(options).catch((error: unknown) => ({ ok: false as const, reason: `the sandbox failed: ${message(error)}`, logs: [] }))

  /** Ends a run failed, logging (not throwing) when even that cannot be recorded. */
  const fail = async (run: RecordedRun, reason: string, logs: ReadonlyArray<RunLogLine>): Promise<RunOutcome> => {
    try {
      await run.fail(reason, logs)
    } catch (error) {
      log("error", "could not record a failed run", { runId: run.runId, error: message(error) })
    }
    return { ok: false, runId: run.runId, reason }
  }

  const runProcess = async (row: ProcessRow, request: RunRequest): Promise<RunOutcome> => {
    const { definition } = row
    const run = await runLog.start({ domain: request.domain, kind: "process", name: definition.name, trigger: request.trigger, input: request.input, actor: request.actor, correlationId: request.correlationId })
    const host = hostFor(request.domain, row.owner, definition.name, request.correlationId, request.depth)
    const code = compile(`p\u0000${request.domain}\u0000${definition.name}\u0000${row.codeVersion}`, definition.code, definition.language)
    if (!code.ok) return fail(run, code.reason, [])
    const inputs: Record<string, unknown> = {}
    for (const input of definition.inputs) {
      try {
        inputs[input.name] = await resolveInput(host, request.domain, input)
      } catch (error) {
        return fail(run, `input ${input.name} (${input.type}): ${message(error)}`, [])
      }
    }
    // An HTTP body or execute's input is merged into the inputs (SPEC §8).
    if (isObject(request.input)) Object.assign(inputs, request.input)
    const outcome = await sandboxed({
      js: code.js,
      context: {
        inputs,
        trigger: { type: request.trigger.type, config: request.trigger.config ?? {}, data: request.trigger.data ?? null },
        timestamp: new Date().toISOString(),
        domain_id: request.domain,
        process_name: definition.name
      },
      host,
      limits: limitsOf(definition.limits)
    })
    const logs = definition.log_enabled ? outcome.logs : []
    if (!outcome.ok) return fail(run, outcome.reason, logs)
    for (let i = 0; i < definition.outputs.length; i++) {
      const output = definition.outputs[i]!
      try {
        await applyOutput(host, run, output, outcome.result)
      } catch (error) {
        return fail(run, `output ${i} (${output.type}): ${message(error)}`, logs)
      }
    }
    await run.finish(outcome.result ?? null, logs)
    return { ok: true, runId: run.runId, result: outcome.result ?? null }
  }

  const runFunction = async (row: FunctionRow, request: RunRequest): Promise<RunOutcome> => {
    const { definition } = row
    const run = await runLog.start({ domain: request.domain, kind: "function", name: definition.name, trigger: request.trigger, input: request.input, actor: request.actor, correlationId: request.correlationId })
    const code = compile(`f\u0000${request.domain}\u0000${definition.name}\u0000${row.codeVersion}`, definition.code, definition.language)
    if (!code.ok) return fail(run, code.reason, [])
    const outcome = await sandboxed({
      js: code.js,
      context: {
        payload: request.input ?? null,
        inputs: isObject(request.input) ? request.input : {},
        timestamp: new Date().toISOString(),
        domain_id: request.domain,
        function_name: definition.name
      },
      host: hostFor(request.domain, row.owner, definition.name, request.correlationId),
      limits: limitsOf(definition.limits)
    })
    if (!outcome.ok) return fail(run, outcome.reason, outcome.logs)
    await run.finish(outcome.result ?? null, outcome.logs)
    return { ok: true, runId: run.runId, result: outcome.result ?? null }
  }

  return { processes, runs, runLog, runProcess, runFunction, publisher: () => publishing }
}

