import type { EventStoreUnavailable } from "@machhub/core"
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo
} from "@nats-io/jetstream"
import { nanos } from "@nats-io/transport-node"
import { Effect } from "effect"
import { unavailable } from "./failures.js"
import { allSubjects } from "./subjects.js"

export interface EventStreamSettings {
  readonly streamName: string
  readonly subjectPrefix: string
  readonly replicas: number
  /** Largest message (one append) the stream accepts; NATS's own max_payload (1 MiB by default) also applies. */
  readonly maxMessageBytes: number
  /** How long JetStream remembers a `Nats-Msg-Id` to drop a retried append. */
  readonly duplicateWindowMs: number
  /** Total size cap; -1 for none. When reached, appends FAIL: events are never dropped to make room. */
  readonly maxBytes: number
}

/**
 * The stream as an event log needs it: kept forever (limits retention, no age or count limit), full →
 * refuse new appends (`discard: new`, never drop old events), no deletes or purges through the API, no
 * rollups (they would erase a stream's history), file storage.
 */
export const eventStreamConfig = (settings: EventStreamSettings): Partial<StreamConfig> & { name: string } => ({
  name: settings.streamName,
  subjects: [allSubjects(settings.subjectPrefix)],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.New,
  max_msgs: -1,
  max_age: 0,
  max_bytes: settings.maxBytes,
  max_msgs_per_subject: -1,
  max_msg_size: settings.maxMessageBytes,
  duplicate_window: nanos(settings.duplicateWindowMs),
  num_replicas: settings.replicas,
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false
})

const captures = (info: StreamInfo, subject: string): boolean => info.config.subjects?.includes(subject) ?? false

/** Problems with a stream that existed before us; its configuration is the operator's, so only reported. */
const misconfigurations = (info: StreamInfo, settings: EventStreamSettings): Array<string> => {
  const problems: Array<string> = []
  if (info.config.num_replicas !== settings.replicas) {
    problems.push(`it has ${info.config.num_replicas} replicas, ${settings.replicas} were asked for`)
  }
  if (info.config.discard === DiscardPolicy.Old && (info.config.max_bytes > 0 || info.config.max_msgs > 0 || info.config.max_age > 0)) {
    problems.push("it discards OLD messages when a limit is reached, i.e. it would delete events")
  }
  if (info.config.allow_rollup_hdrs) problems.push("it allows rollups, which would erase a stream's history")
  return problems
}

const lookUp = (jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> =>
  jsm.streams.info(name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined
    throw error
  })

/**
 * Creates the event stream if it is absent; an existing one must capture `<prefix>.>`. Two processes
 * starting together may both try to create it: the loser finds the winner's stream and uses it.
 */
export const ensureEventStream = (
  jsm: JetStreamManager,
  settings: EventStreamSettings
): Effect.Effect<void, EventStoreUnavailable> =>
  Effect.gen(function*() {
    const subject = allSubjects(settings.subjectPrefix)
    const context = `preparing JetStream stream ${settings.streamName}`
    let info = yield* Effect.tryPromise({ try: () => lookUp(jsm, settings.streamName), catch: (e) => unavailable(context, e) })
    if (info === undefined) {
      info = yield* Effect.tryPromise({
        try: () => jsm.streams.add(eventStreamConfig(settings)),
        catch: (e) => unavailable(context, e)
      }).pipe(Effect.catch((creating) =>
        Effect.tryPromise({ try: () => lookUp(jsm, settings.streamName), catch: (e) => unavailable(context, e) }).pipe(
          Effect.flatMap((existing) => (existing === undefined ? Effect.fail(creating) : Effect.succeed(existing)))
        )
      ))
    } else {
      const problems = misconfigurations(info, settings)
      if (problems.length > 0) {
        yield* Effect.logWarning(`JetStream stream ${settings.streamName} already exists and ${problems.join("; ")}`)
      }
    }
    if (!captures(info, subject)) {
      return yield* unavailable(
        context,
        `the stream exists with subjects ${JSON.stringify(info.config.subjects)}, which do not include ${subject}`
      )
    }
  })
