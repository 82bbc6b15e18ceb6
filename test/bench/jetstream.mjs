// JetStream event store append throughput beside raw `js.publish`, in the same run, against a
// nats-server started for the bench (JetStream, file storage, temp dir, free loopback port).
// Uses the BUILT adapter (`npx tsc -b tsconfig.build.json` first).
//
//   import { benchJetStream } from "./jetstream.mjs"
//   await benchJetStream({ seconds: 3 })  // => { adapter1, adapter64, raw1, raw64, rawMany, inFlight } in events/s,
//                                         //    or undefined when nats-server is not installed
//
// Run directly: node test/bench/jetstream.mjs [seconds]
import { randomUUID } from "node:crypto"
import { pathToFileURL } from "node:url"
import { encodeMsgpack, makeJetStreamEventStore } from "@machhub/adapters"
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Effect } from "effect"
import { findNatsServer, startNatsServer } from "./nats-server.mjs"

/** Publishes kept in flight for the "many in flight" raw figure (ARCHITECTURE.md quotes 2,000). */
const IN_FLIGHT = 2_000

const meta = {
  domain: "bench",
  actor: { kind: "system", id: "system" },
  correlationId: "bench",
  causationId: null,
  commandId: null,
  at: "2025-01-01T00:00:00.000Z"
}
const newEvent = (n) => ({
  id: randomUUID(),
  type: "TelemetryRecorded",
  data: { machine: "press-7", sensor: "temperature", value: 20 + (n % 50) / 10, seq: n },
  meta
})

/** Appenders, each on its own stream at its known version, for `seconds`; returns events/s. */
const measureAdapter = (url, streamName, appenders, seconds) =>
  Effect.scoped(Effect.gen(function*() {
    const store = yield* makeJetStreamEventStore({ servers: url, streamName, subjectPrefix: `bench.${streamName}` })
    const appender = (stream, deadline) =>
      Effect.gen(function*() {
        let version = 0
        while (performance.now() < deadline) version = (yield* store.append(stream, version, [newEvent(version)])).version
        return version
      })
    const ids = Array.from({ length: appenders }, (_, i) => i)
    yield* Effect.forEach(ids, (i) => appender(`warmup-bench-${i}`, performance.now() + 300), { concurrency: "unbounded" })
    const start = performance.now()
    const counts = yield* Effect.forEach(ids, (i) => appender(`stream-bench-${i}`, start + seconds * 1000), { concurrency: "unbounded" })
    return Math.round(counts.reduce((a, b) => a + b, 0) / ((performance.now() - start) / 1000))
  }))

/**
 * Raw `js.publish` of a body the size of one commit, with `inFlight` publishes outstanding (1 = each
 * awaited before the next), on a stream created alike; returns messages/s.
 */
const measureRaw = async (url, streamName, inFlight, seconds) => {
  const nc = await connect({ servers: url })
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.add({ name: streamName, subjects: [`raw.${streamName}.>`], storage: "file" })
    const js = jetstream(nc)
    const body = encodeMsgpack({ stream: "stream-bench-0", events: [newEvent(0)] })
    let count = 0
    const run = async (deadline) => {
      const worker = async (w) => {
        while (performance.now() < deadline) {
          await js.publish(`raw.${streamName}.${w % 64}`, body)
          count++
        }
      }
      await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)))
    }
    await run(performance.now() + 300)
    count = 0
    const start = performance.now()
    await run(start + seconds * 1000)
    return Math.round(count / ((performance.now() - start) / 1000))
  } finally {
    await nc.close()
  }
}

export async function benchJetStream({ seconds = 3 } = {}) {
  const bin = findNatsServer()
  if (bin === undefined) return undefined
  const server = await startNatsServer(bin)
  try {
    // Interleaved, so a drift of the machine during the run affects both sides alike.
    const raw1 = await measureRaw(server.url, "RAW_1", 1, seconds)
    const adapter1 = await Effect.runPromise(measureAdapter(server.url, "ES_1", 1, seconds))
    const raw64 = await measureRaw(server.url, "RAW_64", 64, seconds)
    const adapter64 = await Effect.runPromise(measureAdapter(server.url, "ES_64", 64, seconds))
    const rawMany = await measureRaw(server.url, "RAW_MANY", IN_FLIGHT, seconds)
    return { adapter1, adapter64, raw1, raw64, rawMany, inFlight: IN_FLIGHT }
  } finally {
    await server.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchJetStream({ seconds: Number(process.argv[2] ?? 3) })
  console.log(result ?? "nats-server is not installed: no JetStream figures")
}
