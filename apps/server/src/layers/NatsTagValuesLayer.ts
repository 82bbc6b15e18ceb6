import { Effect, Layer, Option } from "effect"
import { Nats } from "@machhub/adapters"
import { startNatsTagValues } from "../tags/nats/natsTagValues.js"
import { Edge } from "./services.js"

/**
 * With NATS, tag values are also on mh.tag.<domain>.<topic>, and services' values there are taken
 * in (see natsTagValues.ts). Stopped after flows and processes, before the tag values close: values
 * taken in are handed to the pipeline first.
 */
export const NatsTagValuesLayer = Layer.effectDiscard(
  Effect.gen(function*() {
    const edge = yield* Edge
    const nats = yield* Effect.serviceOption(Nats)
    if (Option.isNone(nats)) return
    yield* Effect.acquireRelease(
      Effect.sync(() => startNatsTagValues(edge, nats.value)),
      (running) => Effect.promise(() => running.stop())
    )
  })
)
