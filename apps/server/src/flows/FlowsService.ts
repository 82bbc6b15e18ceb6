import { Effect } from "effect"
import { RECORD_CATEGORY, recordAggregateId, uuidv7, type ActorRef, type FlowNode } from "@machhub/core"
import { makeRecordsReadModel, recordObject } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { SchemaValidator } from "../data/SchemaValidator.js"
import { log } from "../log.js"
import { runCommand } from "../routes/runCommand.js"
import type { ServerContext } from "../ServerContext.js"
import { validateTopicName } from "../tags/topicName.js"
import { makeDeployedFlows, type DeployedFlows, type DomainFlows } from "./DeployedFlows.js"
import { editorId } from "./domainIds.js"
import type { FlowBridge } from "./FlowBridge.js"
import type { FlowRuns } from "./FlowRuns.js"
import { startNodeRed, type NodeRedRuntime } from "./NodeRedRuntime.js"
import { topicMatches } from "../tags/topicName.js"

const EXECUTION = "_machhubExecution"

/** How an execution over HTTP ended. */
export type ExecutionOutcome =
  | { readonly _tag: "Answered"; readonly payload: unknown }
  | { readonly _tag: "NoEntry" }
  | { readonly _tag: "TimedOut"; readonly millis: number; readonly failure?: string }

export interface FlowsService {
  /** Starts Node-RED if it is not running yet (about a second the first time). */
  readonly runtime: () => Promise<NodeRedRuntime>
  readonly started: () => boolean
  readonly deployed: () => Promise<DeployedFlows>
  /**
   * A deploy of the domain was committed: the runtime runs the new file (or a later one) before this
   * resolves. Deploys made through other nodes reach the runtime as their events are applied here.
   */
  readonly deployedNow: (domain: string, flows: DomainFlows) => Promise<void>
  readonly execute: (domain: string, name: string, payload: unknown, actor: ActorRef, correlationId: string) => Promise<ExecutionOutcome>
  readonly stop: () => Promise<void>
}

interface Pending {
  readonly runId: string
  readonly resolve: (payload: unknown) => void
  /** The last node that failed with the run's message: named when no response comes. */
  failure?: string
}

/**
 * Flows of every domain on one in-process Node-RED runtime, started on first use. Each node acts in
 * the domain its runtime id names (domainIds.ts): tags through the value pipeline and tag rules,
 * records through the same commands and read models as the data plane, events of its domain only.
 */
export const makeFlowsService = (context: ServerContext, options: { readonly runs: FlowRuns }): FlowsService => {
  const deployedFlows = makeDeployedFlows({ store: context.store, domains: context.domains, run: context.run })
  const records = makeRecordsReadModel(context.readModels)
  const schemas = new SchemaValidator()
  const entries = new Map<string, Array<(msg: Record<string, unknown>) => void>>()
  const pending = new Map<string, Pending>()
  const entryKey = (domain: string, name: string) => `${domain}\u0000${name}`
  type EventListener = Parameters<FlowBridge["subscribeEvents"]>[2]
  const eventSubscribers = new Set<{ readonly domain: string; readonly type: string; readonly listener: EventListener }>()
  let followingEvents = false

  /** Flows act in their domain as its last deployer, with the tag rules every client has. */
  const actorOf = (domain: string): ActorRef => deployedFlows.get(domain)?.actor ?? { kind: "system", id: "flows" }
  const principalOf = (domain: string): Principal => {
    const actor = actorOf(domain)
    return {
      kind: actor.kind === "key" ? "key" : "user",
      id: actor.id,
      userId: actor.id,
      username: "flows",
      domain,
      groups: [],
      permissions: [],
      superuser: true,
      globalSuperuser: false,
      sessionId: undefined
    }
  }
  const natsClient = context.nats
  const natsSubject = (domain: string, subject: string): string | { readonly problem: string } => {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.>)?$|^>$/.test(subject)) {
      return { problem: `NATS subject ${JSON.stringify(subject)} must be tokens of letters, digits, _ or - separated by dots (a last > for the rest)` }
    }
    return `mh.flow.${domain}.${subject}`
  }

  const bridge: FlowBridge = {
    registerEntry: (domain, name, start) => {
      const key = entryKey(domain, name)
      const list = entries.get(key) ?? []
      list.push(start)
      entries.set(key, list)
      return () => {
        const now = entries.get(key)?.filter((s) => s !== start) ?? []
        if (now.length === 0) entries.delete(key)
        else entries.set(key, now)
      }
    },
    respond: (executionId, payload) => {
      if (typeof executionId !== "string") return
      const waiting = pending.get(executionId)
      if (waiting === undefined) return
      pending.delete(executionId)
      waiting.resolve(payload)
    },
    stepCompleted: (executionId, node, error) => {
      if (typeof executionId !== "string") return
      const waiting = pending.get(executionId)
      if (waiting === undefined) return
      if (error !== undefined) waiting.failure = `node ${editorId(node.id)} (${node.type}) failed: ${error}`
      options.runs.step(waiting.runId, { node: editorId(node.id), type: node.type, ...(node.name ? { name: node.name } : {}), ...(error === undefined ? {} : { error }) })
    },
    readTag: (domain, topic) => context.tagValues.last(domain, topic),
    writeTag: async (domain, topic, value) => {
      const check = validateTopicName(topic)
      if (!check.ok) return `topic: ${check.message}`
      const refusal = await context.tagWrites(principalOf(domain), domain, [topic])
      if (refusal !== undefined) return refusal.message
      context.tagValues.publish([{ domain, topic, value: value === undefined ? null : value, timestamp: Date.now() }], "internal")
      return undefined
    },
    subscribeTags: (domain, filter, listener) =>
      context.tagValues.subscribe((values) => {
        for (const v of values) if (v.domain === domain && topicMatches(filter, v.topic)) listener(v.topic, v.value, v.timestamp)
      }),
    readRecords: async (domain, collection, id) => {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(collection)) throw new Error("collection must be 1 to 64 letters, digits or _ starting with a letter")
      if (id === undefined) throw new Error("record read needs a record id (msg.id or the node's record id)")
      const local = id.includes(":") ? id.slice(id.lastIndexOf(":") + 1) : id
      const row = records.get(domain, collection, local)
      return row === undefined ? null : recordObject(domain, collection, row)
    },
    writeRecord: async (domain, collection, id, data) => {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(collection)) throw new Error("collection must be 1 to 64 letters, digits or _ starting with a letter")
      const actor = actorOf(domain)
      const local = id === undefined ? uuidv7() : id.includes(":") ? id.slice(id.lastIndexOf(":") + 1) : id
      // The collection's JSON Schema holds for flows as for every client (on the record as merged).
      const definition = records.collection(domain, collection)
      if (definition !== undefined && definition.schema !== null) {
        const existing = id === undefined ? undefined : records.get(domain, collection, local)
        const merged = { ...(existing === undefined ? {} : (JSON.parse(existing.data) as Record<string, unknown>)), ...data }
        const problem = schemas.violation(`${domain}\u0000${collection}`, definition.version, definition.schema, merged)
        if (problem !== undefined) throw new Error(problem)
      }
      const command = id === undefined
        ? runCommand(context, {
          type: "createRecord",
          category: RECORD_CATEGORY,
          domain,
          aggregateId: recordAggregateId(collection, local),
          payload: { table: collection, id: local, data, creator: actor },
          actor,
          correlationId: uuidv7(),
          newAggregate: true
        })
        : runCommand(context, {
          type: "updateRecord",
          category: RECORD_CATEGORY,
          domain,
          aggregateId: recordAggregateId(collection, local),
          payload: { changes: data },
          actor,
          correlationId: uuidv7()
        })
      await context.run.runPromise(command.pipe(Effect.mapError((error) => new Error(String((error as { message?: unknown }).message ?? "the record could not be written")))))
      const row = records.get(domain, collection, local)
      return row === undefined ? null : recordObject(domain, collection, row)
    },
    subscribeEvents: (domain, eventType, listener) => {
      if (!followingEvents) {
        followingEvents = true
        // Every node's read models apply every committed event (with or without NATS): the trigger
        // follows them, so an event is seen once this node's reads show it.
        context.projections.onApplied((events) => {
          for (const event of events) {
            for (const subscriber of eventSubscribers) {
              if (subscriber.domain !== event.meta.domain || (subscriber.type !== "*" && subscriber.type !== event.type)) continue
              try {
                subscriber.listener({ type: event.type, stream: event.stream, position: event.position, data: event.data, at: event.meta.at })
              } catch (error) {
                log("error", "a flow's event trigger failed", { domain: subscriber.domain, error: error instanceof Error ? error.message : String(error) })
              }
            }
          }
        })
      }
      const subscriber = { domain, type: eventType, listener }
      eventSubscribers.add(subscriber)
      return () => eventSubscribers.delete(subscriber)
    },
    natsAvailable: context.nats !== undefined,
    natsPublish: (domain, subject, payload) => {
      const full = natsSubject(domain, subject)
      if (typeof full !== "string") return full.problem
      if (full.endsWith(">")) return "a NATS subject to publish on has no wildcard"
      const nats = natsClient
      if (nats === undefined) return "this server has no NATS"
      nats.connection.publish(full, new TextEncoder().encode(JSON.stringify(payload ?? null)))
      return undefined
    },
    natsSubscribe: (domain, subject, listener) => {
      const full = natsSubject(domain, subject)
      if (typeof full !== "string") throw new Error(full.problem)
      const nats = natsClient
      if (nats === undefined) throw new Error("this server has no NATS")
      const subscription = nats.connection.subscribe(full, {
        callback: (error, message) => {
          if (error !== null) return
          let payload: unknown
          try {
            payload = JSON.parse(new TextDecoder().decode(message.data))
          } catch {
            payload = new TextDecoder().decode(message.data)
          }
          listener(message.subject.slice(`mh.flow.${domain}.`.length), payload)
        }
      })
      return () => subscription.unsubscribe()
    }
  }

  let starting: Promise<NodeRedRuntime> | undefined
  let followingDeploys = false
  let running: NodeRedRuntime | undefined

  const runtime = () =>
    (starting ??= (async () => {
      const began = Date.now()
      const started = await startNodeRed({
        dataDir: context.config.dataDir,
        deployed: deployedFlows,
        bridge,
        onComplete: (event) => {
          const msg = event["msg"] as Record<string, unknown> | undefined
          const node = (event["node"] as { node?: { id: string; type: string; name?: string } } | undefined)?.node
          if (msg === undefined || node === undefined) return
          const error = event["error"]
          bridge.stepCompleted(msg[EXECUTION], node, error === undefined ? undefined : error instanceof Error ? error.message : String(error))
        }
      })
      log("info", "flows runtime (Node-RED) started", { millis: Date.now() - began })
      // Deploys committed from now on, through this node or another one (distributed mode), as this
      // node's read models apply them; the runtime only ever moves to a later version of a domain's file.
      if (!followingDeploys) {
        followingDeploys = true
        context.projections.onApplied((events) => {
          for (const event of events) {
            if (event.type !== "FlowsDeployed" || running === undefined) continue
            const data = event.data as { flows?: unknown; rev?: unknown }
            if (!Array.isArray(data.flows) || typeof data.rev !== "string") continue
            const flows = { flows: data.flows as ReadonlyArray<FlowNode>, rev: data.rev, actor: event.meta.actor, version: event.version }
            if (deployedFlows.set(event.meta.domain, flows)) {
              running.reload().catch((error: unknown) =>
                log("error", "could not run the flows just deployed", { domain: event.meta.domain, error: error instanceof Error ? error.message : String(error) })
              )
            }
          }
        })
      }
      running = started
      return started
    })().catch((error: unknown) => {
      starting = undefined
      throw error
    }))

  return {
    runtime,
    started: () => running !== undefined,
    deployed: async () => {
      await runtime()
      return deployedFlows
    },
    deployedNow: async (domain, flows) => {
      const rt = await runtime()
      if (deployedFlows.set(domain, flows)) await rt.reload()
      else await rt.idle()
    },
    execute: async (domain, name, payload, actor, correlationId) => {
      await runtime()
      const start = entries.get(entryKey(domain, name))?.[0]
      if (start === undefined) return { _tag: "NoEntry" }
      const executionId = uuidv7()
      const runId = await options.runs.start({ name, domain, actor, correlationId, input: payload })
      const millis = context.config.flowTimeoutMillis
      const outcome = await new Promise<ExecutionOutcome>((resolve) => {
        const entry: Pending = {
          runId,
          resolve: (answer) => {
            clearTimeout(timer)
            resolve({ _tag: "Answered", payload: answer })
          }
        }
        const timer = setTimeout(() => {
          pending.delete(executionId)
          resolve({ _tag: "TimedOut", millis, ...(entry.failure === undefined ? {} : { failure: entry.failure }) })
        }, millis)
        pending.set(executionId, entry)
        try {
          start({ _msgid: executionId, payload, [EXECUTION]: executionId })
        } catch (error) {
          pending.delete(executionId)
          clearTimeout(timer)
          log("error", "a flow's entry node failed", { flow: name, domain, error: error instanceof Error ? error.message : String(error) })
          resolve({ _tag: "TimedOut", millis: 0 })
        }
      })
      // Steps of nodes finishing in this same turn are recorded before the end.
      await new Promise((resolve) => setImmediate(resolve))
      // Answered once the run is in the log: GET /api/runs right after sees it ended.
      if (outcome._tag === "Answered") await options.runs.finish(runId, outcome.payload)
      else if (outcome._tag === "TimedOut") {
        await options.runs.fail(runId, `no response node was reached within ${outcome.millis} ms${outcome.failure === undefined ? "" : `; ${outcome.failure}`}`)
      }
      return outcome
    },
    stop: async () => {
      const rt = running
      running = undefined
      starting = undefined
      await rt?.stop()
    }
  }
}

export type { FlowNode }
