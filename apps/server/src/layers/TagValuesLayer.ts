import { Effect, Layer } from "effect"
import { CommandBus } from "@machhub/core"
import { ProjectionRunner, ReadModelDatabase } from "@machhub/projections"
import type { ServerConfig } from "../config.js"
import { openEdgeTagValues } from "../tags/values/edgeTagValues.js"
import { EdgeTagValues, Runner } from "./services.js"

/**
 * The edge's tag value pipeline over its data dir (historian.db). Released after everything that
 * writes values (flows, processes, NATS, MQTT, HTTP): values still queued are written before the
 * historian's file closes.
 */
export const TagValuesLayer = (config: ServerConfig) =>
  Layer.effect(
    EdgeTagValues,
    Effect.gen(function*() {
      const commands = yield* CommandBus
      const projections = yield* ProjectionRunner
      const readModels = yield* ReadModelDatabase
      const run = yield* Runner
      return yield* Effect.acquireRelease(
        Effect.sync(() => openEdgeTagValues({ config, commands, projections, readModels, run })),
        ({ tagValues }) => Effect.sync(() => tagValues.close())
      )
    })
  )
