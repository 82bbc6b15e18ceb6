import { readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo
} from "@nats-io/jetstream"
import { nanos, type NatsConnection } from "@nats-io/transport-node"
import { log } from "../../log.js"
import type { TagIntake } from "./tagIntake.js"
import { ALL_TAG_SUBJECTS } from "./tagSubject.js"

/**
 * In distributed mode (MACHHUB_STORE=jetstream) tag values are kept for a while in a JetStream stream
 * of their own, apart from the event log: it captures `mh.tag.>`, so every value published there (by
 * a node or a service) is stored as it is published, and drops values older than its max age. Each
 * node reads it with an ordered consumer from the position it saved in its data dir: a node that
 * was down catches up with what it missed, and a new node (empty data dir) builds its last values and
 * historian from everything the stream still holds, then follows it live.
 */
export interface TagStreamSettings {
  readonly streamName: string
  readonly maxAgeSeconds: number
  readonly replicas: number
}

/** The stream sequence this node has taken everything up to, in its data dir. */
const POSITION_FILE = "tag-values.position"
/** How often the position is saved while values arrive (and once more on stop). */
const SAVE_EVERY_MS = 1_000

const streamConfig = (settings: TagStreamSettings): Partial<StreamConfig> & { name: string } => ({
  name: settings.streamName,
  subjects: [ALL_TAG_SUBJECTS],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  // Telemetry, not the log: the oldest values make room, a full stream never refuses new ones.
  discard: DiscardPolicy.Old,
  max_age: nanos(settings.maxAgeSeconds * 1000),
  num_replicas: settings.replicas
})

const lookUp = (jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> =>
  jsm.streams.info(name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined
    throw error
  })

/** Creates the stream if absent; an existing one keeps its configuration, except a max age that differs from the one configured. */
const ensureStream = async (jsm: JetStreamManager, settings: TagStreamSettings): Promise<StreamInfo> => {
  let info = await lookUp(jsm, settings.streamName)
  if (info === undefined) {
    // Two nodes starting together may both create it: the loser uses the winner's.
    info = await jsm.streams.add(streamConfig(settings)).catch(async (error: unknown) => {
      const existing = await lookUp(jsm, settings.streamName)
      if (existing === undefined) throw error
      return existing
    })
  } else if (info.config.max_age !== nanos(settings.maxAgeSeconds * 1000)) {
    info = await jsm.streams.update(settings.streamName, { max_age: nanos(settings.maxAgeSeconds * 1000) })
  }
  if (!(info.config.subjects ?? []).includes(ALL_TAG_SUBJECTS)) {
    throw new Error(`the stream ${settings.streamName} exists with subjects ${JSON.stringify(info.config.subjects)}, which do not include ${ALL_TAG_SUBJECTS}`)
  }
  return info
}

const readPosition = (dataDir: string): number => {
  try {
    const saved = Number(readFileSync(join(dataDir, POSITION_FILE), "utf8").trim())
    return Number.isSafeInteger(saved) && saved > 0 ? saved : 0
  } catch {
    return 0
  }
}

const writePosition = (dataDir: string, sequence: number) => {
  const file = join(dataDir, POSITION_FILE)
  // Written whole then renamed: a crash leaves the old position or the new one, never half of one.
  writeFileSync(`${file}.tmp`, `${sequence}\n`, { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
}

export interface RunningTagStream {
  readonly stop: () => Promise<void>
}

/**
 * Follows the stream into `intake` from the saved position, saving it once the values before it are
 * in historian.db (`flush`). A value published without a timestamp is stamped with the time the
 * stream stored it, so every node, live or rebuilding later, gives it the same time.
 */
export const followTagStream = async (
  connection: NatsConnection,
  intake: TagIntake,
  options: TagStreamSettings & { readonly dataDir: string; readonly flush: () => void; readonly ready: () => Promise<void> }
): Promise<RunningTagStream> => {
  const info = await ensureStream(await jetstreamManager(connection), options)
  let saved = readPosition(options.dataDir)
  // A stream made anew (its sequences started over) is read from its start.
  if (saved > info.state.last_seq) saved = 0
  let taken = saved
  let stopped = false
  let messages: ConsumerMessages | undefined

  const save = () => {
    if (taken === saved) return
    try {
      intake.hand()
      options.flush()
      writePosition(options.dataDir, taken)
      saved = taken
    } catch (error) {
      log("error", "could not save the position in the tag value stream", { error: error instanceof Error ? error.message : String(error) })
    }
  }
  const timer = setInterval(save, SAVE_EVERY_MS)
  timer.unref()

  // Definitions and domains must be known before values are checked against them.
  await options.ready()
  if (saved < info.state.last_seq) {
    log("info", "catching up with the tag value stream", { stream: options.streamName, from: saved + 1, to: info.state.last_seq })
  }
  const consumer = await jetstream(connection).consumers.get(options.streamName, {
    filter_subjects: ALL_TAG_SUBJECTS,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: saved + 1
  })
  const follow = async () => {
    while (!stopped) {
      try {
        messages = await consumer.consume({ max_messages: 1_000 })
        for await (const msg of messages) {
          const sequence = msg.seq
          intake.receive(msg, msg.time.getTime(), () => {
            if (sequence > taken) taken = sequence
          })
          if (stopped) break
        }
      } catch (error) {
        if (stopped) return
        log("warn", "reading the tag value stream failed; reading on", { error: error instanceof Error ? error.message : String(error) })
        await new Promise((r) => setTimeout(r, 1_000))
      }
    }
  }
  const following = follow()

  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await messages?.close().catch(() => undefined)
      await following
      save()
    }
  }
}
