import { Effect, Layer } from "effect"
import { startHttpServer } from "@machhub/adapters"
import type { ServerConfig } from "../config.js"
import { bodyLimitOf } from "../data/files/bodyLimit.js"
import { log } from "../log.js"
import { HttpListener, HttpRoutes } from "./services.js"

/**
 * The HTTP server on the process's router and WebSocket routes, started last (every route and socket
 * route is in place by then) and stopped first: MQTT clients are told the server is shutting down,
 * terminal sessions end with a close frame and their recordings stored, then the server stops taking
 * requests and lets those in flight finish (MACHHUB_SHUTDOWN_GRACE_MS) before the Layers they use are
 * released.
 */
export const HttpServerLayer = (config: ServerConfig) =>
  Layer.effect(
    HttpListener,
    Effect.gen(function*() {
      const { router, sockets, state } = yield* HttpRoutes
      const http = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () =>
            startHttpServer({
              host: config.host,
              port: config.port,
              router,
              maxBodyBytes: config.maxBodyBytes,
              bodyLimit: bodyLimitOf(config),
              corsOrigins: config.corsOrigins,
              configure: sockets.attach,
              onHandlerError: (error, request) =>
                log("error", "request handler failed", {
                  correlationId: request.correlationId,
                  route: `${request.method} ${request.path}`,
                  error: error instanceof Error ? error.message : String(error)
                })
            }),
          catch: (error) => error
        }),
        (http) =>
          Effect.promise(async () => {
            await state.mqtt?.stop()
            await sockets.close()
            await http.close(config.shutdownGraceMillis)
          })
      )
      state.httpPort = http.port
      return { port: http.port }
    })
  )
