import { randomUUID } from "node:crypto"
import "./headerLimit.js"
import * as uWS from "uWebSockets.js"
import { isUuid } from "@machhub/core"
import { text, type HttpRequest, type HttpResponse } from "./HttpExchange.js"
import { statusLine } from "./statusLines.js"

/** One open WebSocket as a session sees it. */
export interface WebSocketPeer {
  /** Sends one frame, corked (one syscall for the frame header and payload). False once closed. */
  send(data: Uint8Array | string, binary: boolean): boolean
  /** Bytes uWS holds because the client reads slower than we send. */
  bufferedAmount(): number
  /** Closes with a close frame; the session's `closed` runs before this returns. */
  end(code: number, reason: string): void
  isClosed(): boolean
}

/** What a route does with an accepted socket. Handlers must not throw (a throw ends the socket). */
export interface WebSocketSession {
  /** `data` is valid only during the call (uWS reuses it): copy whatever must outlive it. */
  message(data: ArrayBuffer, binary: boolean): void
  /** The buffered amount went down: a paused producer may resume. */
  drain(): void
  /** The socket is gone (either side, or a timeout); called exactly once. */
  closed(code: number, reason: string): void
}

export type UpgradeDecision =
  | { readonly accept: false; readonly response: HttpResponse }
  | {
    readonly accept: true
    readonly open: (peer: WebSocketPeer) => WebSocketSession
    /** The client left before the upgrade completed: release what was prepared for it. */
    readonly abandon: () => void
  }

export interface WebSocketRoute {
  readonly path: string
  /** Larger incoming messages close the socket (uWS default 16 KiB). */
  readonly maxPayloadLength?: number
  /** uWS drops frames past this much buffering; a route's own backpressure must act well below it. */
  readonly maxBackpressure?: number
  /** uWS closes a socket that sent nothing (not even a pong to its automatic pings) for this long. */
  readonly idleTimeoutSeconds?: number
  /** Decides on an upgrade request; the request is copied, so this may be async. */
  upgrade(request: HttpRequest): UpgradeDecision | Promise<UpgradeDecision>
  /** The server is stopping: refuse new upgrades, end open sessions, resolve once they are let go. */
  close?(): Promise<void>
}

interface Slot {
  readonly open: (peer: WebSocketPeer) => WebSocketSession
  session: WebSocketSession | undefined
  closed: boolean
}

const EMPTY = Buffer.alloc(0)
const CORRELATION_HEADER = "App-CorrelationID"

const refuse = (res: uWS.HttpResponse, response: HttpResponse, correlationId: string) => {
  res.writeStatus(statusLine(response.status))
  res.writeHeader(CORRELATION_HEADER, correlationId)
  if (response.contentType !== undefined) res.writeHeader("Content-Type", response.contentType)
  for (const name in response.headers ?? {}) res.writeHeader(name, response.headers![name]!)
  res.end(response.body, true)
}

const peerOf = (ws: uWS.WebSocket<Slot>, slot: Slot): WebSocketPeer => ({
  send: (data, binary) => {
    if (slot.closed) return false
    let status = 0
    ws.cork(() => {
      status = ws.send(data, binary, false)
    })
    return status !== 2
  },
  bufferedAmount: () => (slot.closed ? 0 : ws.getBufferedAmount()),
  end: (code, reason) => {
    if (!slot.closed) ws.end(code, reason)
  },
  isClosed: () => slot.closed
})

/** A throwing session handler must not take the server down: the socket ends with 1011 instead. */
const guarded = (ws: uWS.WebSocket<Slot>, slot: Slot, run: () => void) => {
  try {
    run()
  } catch (error) {
    process.emitWarning(`WebSocket session handler failed: ${error instanceof Error ? error.message : String(error)}`)
    if (!slot.closed) ws.end(1011, "internal error")
  }
}

const attach = (app: uWS.TemplatedApp, route: WebSocketRoute) => {
  app.ws<Slot>(route.path, {
    maxPayloadLength: route.maxPayloadLength ?? 16 * 1024,
    maxBackpressure: route.maxBackpressure ?? 64 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: route.idleTimeoutSeconds ?? 120,
    sendPingsAutomatically: true,
    // permessage-deflate stays off (uWS's default): terminal frames are small and latency-bound.
    upgrade: (res, req, context) => {
      // Everything is copied now: uWS frees the request when this callback returns.
      const headers: Record<string, string> = {}
      req.forEach((name, value) => {
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      })
      const key = req.getHeader("sec-websocket-key")
      const protocol = req.getHeader("sec-websocket-protocol")
      const extensions = req.getHeader("sec-websocket-extensions")
      const sent = headers["app-correlationid"]
      const correlationId = sent !== undefined && isUuid(sent) ? sent.toLowerCase() : randomUUID()
      const request: HttpRequest = {
        method: "GET",
        path: req.getUrl(),
        query: req.getQuery() ?? "",
        headers,
        body: EMPTY,
        remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
        correlationId,
        params: {}
      }
      let aborted = false
      res.onAborted(() => {
        aborted = true
      })
      const finish = (decision: UpgradeDecision) => {
        if (aborted) {
          if (decision.accept) decision.abandon()
          return
        }
        res.cork(() => {
          if (!decision.accept) return refuse(res, decision.response, correlationId)
          res.upgrade<Slot>({ open: decision.open, session: undefined, closed: false }, key, protocol, extensions, context)
        })
      }
      const failed = () => finish({ accept: false, response: text(500, `Internal error; it was logged with correlation id ${correlationId}`) })
      let decision: UpgradeDecision | Promise<UpgradeDecision>
      try {
        decision = route.upgrade(request)
      } catch (error) {
        process.emitWarning(`WebSocket upgrade on ${route.path} failed: ${error instanceof Error ? error.message : String(error)}`)
        return failed()
      }
      if (decision instanceof Promise) {
        // The answer goes out on a turn of its own. A promise may settle inside another uWS callback
        // (an HTTP handler that resolves what the upgrade awaits: microtasks run before uWS returns):
        // corking and upgrading there aborts the process ("Cork buffer must not be held across event
        // loop iterations", seen with a handler that resolves the upgrade's promise).
        decision.then(
          (settled) => setImmediate(() => finish(settled)),
          (error: unknown) => {
            process.emitWarning(`WebSocket upgrade on ${route.path} failed: ${error instanceof Error ? error.message : String(error)}`)
            setImmediate(failed)
          }
        )
      } else {
        finish(decision)
      }
    },
    open: (ws) => {
      const slot = ws.getUserData()
      guarded(ws, slot, () => {
        slot.session = slot.open(peerOf(ws, slot))
      })
    },
    message: (ws, message, isBinary) => {
      const slot = ws.getUserData()
      guarded(ws, slot, () => slot.session?.message(message, isBinary))
    },
    drain: (ws) => {
      const slot = ws.getUserData()
      guarded(ws, slot, () => slot.session?.drain())
    },
    close: (ws, code, message) => {
      const slot = ws.getUserData()
      slot.closed = true
      try {
        slot.session?.closed(code, Buffer.from(message).toString("utf8"))
      } catch (error) {
        process.emitWarning(`WebSocket close handler failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  })
}

/**
 * WebSocket routes contributed by route modules, attached to the uWS app through the HTTP server's
 * `configure` hook (before its catch-all HTTP route). Upgrades follow the same uWS rules as HTTP:
 * the request is copied before any await, `onAborted` is registered first, the answer is corked.
 */
export class WebSocketRoutes {
  private readonly routes: Array<WebSocketRoute> = []

  add(route: WebSocketRoute): this {
    this.routes.push(route)
    return this
  }

  readonly attach = (app: uWS.TemplatedApp): void => {
    for (const route of this.routes) attach(app, route)
  }

  /** Ends every route's sessions (a graceful stop does this before closing the HTTP server). */
  readonly close = async (): Promise<void> => {
    await Promise.all(this.routes.map((route) => route.close?.()))
  }
}
