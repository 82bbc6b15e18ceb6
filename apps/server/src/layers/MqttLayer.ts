import { Effect, Layer } from "effect"
import { startEdgeMqtt } from "../mqtt/edgeMqtt.js"
import type { RunningMqtt } from "../mqtt/startMqtt.js"
import { Edge, HttpRoutes } from "./services.js"

/**
 * MQTT on the edge (see edgeMqtt.ts), started before the HTTP server since MQTT over WebSocket is
 * one of its socket routes. Its clients are told the server is shutting down before any connection
 * of the HTTP server closes: the HTTP layer's release stops it first (see HttpServerLayer.ts); the
 * release here covers a start that failed before the HTTP server listened. Stopping twice is safe.
 */
export const MqttLayer = Layer.effectDiscard(
  Effect.gen(function*() {
    const edge = yield* Edge
    const { state } = yield* HttpRoutes
    yield* Effect.acquireRelease(
      Effect.promise(() => startEdgeMqtt(edge)).pipe(Effect.map((mqtt) => (mqtt === undefined ? undefined : stopsOnce(mqtt)))),
      (mqtt) => Effect.promise(async () => mqtt?.stop())
    ).pipe(Effect.tap((mqtt) => Effect.sync(() => (state.mqtt = mqtt))))
  })
)

const stopsOnce = (mqtt: RunningMqtt): RunningMqtt => {
  let stopping: Promise<void> | undefined
  return { ...mqtt, stop: () => (stopping ??= mqtt.stop()) }
}
