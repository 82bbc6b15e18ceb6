/**
 * What this product's Node-RED nodes (apps/server/nodered/machhub.js, plain CommonJS loaded by
 * Node-RED's registry) reach of the server: one object, put where the nodes find it when the
 * runtime starts. Every call names the domain of the calling node (from its runtime id, see
 * domainIds.ts), never one the flow chose, so a flow reaches only its own domain's tags, records and
 * events.
 */
export interface FlowBridge {
  /** An entry node (`machhub.flow.in`) announces the name it is executed by; the returned function withdraws it. */
  readonly registerEntry: (domain: string, name: string, start: (msg: Record<string, unknown>) => void) => () => void
  /** A response node (`machhub.flow.response`) answers the execution the message belongs to. */
  readonly respond: (executionId: unknown, payload: unknown) => void
  /** A node finished handling a message of an execution (a run step). */
  readonly stepCompleted: (executionId: unknown, node: { readonly id: string; readonly type: string; readonly name?: string }, error?: string) => void

  readonly readTag: (domain: string, topic: string) => { readonly value: unknown; readonly timestamp: number } | undefined
  /** Resolves to undefined once written, or to why the value was refused. */
  readonly writeTag: (domain: string, topic: string, value: unknown) => Promise<string | undefined>
  readonly subscribeTags: (domain: string, filter: string, listener: (topic: string, value: unknown, timestamp: number) => void) => () => void

  readonly readRecords: (domain: string, collection: string, id: string | undefined) => Promise<unknown>
  readonly writeRecord: (domain: string, collection: string, id: string | undefined, data: Record<string, unknown>) => Promise<unknown>

  /** Committed events of the domain of one type (`*` for any). */
  readonly subscribeEvents: (domain: string, eventType: string, listener: (event: { readonly type: string; readonly stream: string; readonly position: number; readonly data: unknown; readonly at: string }) => void) => () => void

  /** Whether this server has NATS: without it the NATS nodes show an error status and drop messages. */
  readonly natsAvailable: boolean
  /** Subjects are relative to the domain's flow subjects `mh.flow.<domain>.`. */
  readonly natsPublish: (domain: string, subject: string, payload: unknown) => string | undefined
  readonly natsSubscribe: (domain: string, subject: string, listener: (subject: string, payload: unknown) => void) => () => void
}

const KEY = Symbol.for("machhub.flows.bridge")

/** Where the nodes find the bridge (see machhub.js). */
export const installBridge = (bridge: FlowBridge | undefined): void => {
  ;(globalThis as Record<symbol, unknown>)[KEY] = bridge
}
