import { randomUUID } from "node:crypto"
// Sets uWS's header-size limit before its native module loads (see the module).
import "./headerLimit.js"
import * as uWS from "uWebSockets.js"
import { isUuid } from "@machhub/core"
import { text, type HttpHandler, type HttpRequest, type HttpResponse } from "./HttpExchange.js"
import type { Router } from "./Router.js"
import { makeCors } from "./cors.js"
import { framingProblem, newFramingTally, tallyHeader } from "./framing.js"
import { statusLine } from "./statusLines.js"
import { sendStream } from "./streamBody.js"

export interface HttpServerOptions {
  readonly host?: string
  readonly port: number
  readonly router: Router
  /** Largest accepted request body; larger ones get 413 (default 1 MiB). */
  readonly maxBodyBytes?: number
  /**
   * The body limit of one request, where kinds of bodies differ (uploads may be larger than JSON), with
   * the setting that raises it, named in the 413 answer. Default: maxBodyBytes for every request.
   */
  readonly bodyLimit?: (method: string, path: string, headers: Readonly<Record<string, string>>) => BodyLimit
  /** Called for a handler that threw or rejected; the caller gets a plain 500 naming the correlation id. */
  readonly onHandlerError?: (error: unknown, request: HttpRequest) => void
  /**
   * Browser origins answered with CORS headers, credentials allowed (exact origins as sent in `Origin`).
   * Empty or absent: no CORS headers at all, and preflights are refused.
   */
  readonly corsOrigins?: ReadonlyArray<string>
  /** Lets other adapters (the SSH terminal socket) attach routes such as WebSocket upgrades. */
  readonly configure?: (app: uWS.TemplatedApp) => void
}

export interface BodyLimit {
  readonly bytes: number
  readonly setting?: string
}

export interface HttpServer {
  readonly port: number
  readonly inFlight: () => number
  /** Stops accepting connections, waits (bounded) for in-flight requests, then closes every socket. */
  readonly close: (graceMillis?: number) => Promise<void>
}

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD", "OPTIONS", "TRACE"])
/** uWS reports methods in lower case; the common ones map to constants instead of a new string each. */
const UPPER_METHODS: Readonly<Record<string, string>> = {
  get: "GET", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE", head: "HEAD", options: "OPTIONS"
}
const CORRELATION_HEADER = "App-CorrelationID"
const EMPTY_BODY = Buffer.alloc(0)
const tooLarge = (limit: BodyLimit): HttpResponse =>
  text(413, `Request body exceeds the limit of ${limit.bytes} bytes${limit.setting === undefined ? "" : `; raise ${limit.setting} to allow more`}`)

interface Exchange {
  aborted: boolean
  /** onAborted is registered (it must be, once the response outlives the request callback). */
  abortable: boolean
  /** Set while the exchange counts as in flight (outlives its request callback); called once. */
  settle: (() => void) | undefined
  /** Set while a streamed body waits for the socket: wakes it when the client goes away. */
  onAbort: (() => void) | undefined
  readonly correlationId: string
  readonly head: boolean
  /** The CORS headers every answer carries: set only for a request from a listed origin. */
  readonly cors: Readonly<Record<string, string>> | undefined
}

const writeHead = (res: uWS.HttpResponse, exchange: Exchange, response: HttpResponse): void => {
  res.writeStatus(statusLine(response.status))
  res.writeHeader(CORRELATION_HEADER, exchange.correlationId)
  if (response.contentType !== undefined) res.writeHeader("Content-Type", response.contentType)
  if (response.headers !== undefined) {
    for (const name in response.headers) res.writeHeader(name, response.headers[name]!)
  }
  if (exchange.cors !== undefined) {
    for (const name in exchange.cors) res.writeHeader(name, exchange.cors[name]!)
  }
}

const write = (res: uWS.HttpResponse, exchange: Exchange, response: HttpResponse, closeConnection = false): void => {
  if (exchange.aborted) return
  exchange.aborted = true // an HttpResponse may be ended once
  exchange.settle?.()
  // A HEAD request gets a streamed response's head only; its producer is never started.
  if (response.stream !== undefined && exchange.head) void response.stream[Symbol.asyncIterator]().return?.()
  res.cork(() => {
    writeHead(res, exchange, response)
    // A streamed body's length is unknown: no argument at all (an explicit undefined breaks uWS).
    if (exchange.head && response.stream !== undefined) res.endWithoutBody()
    else if (exchange.head) res.endWithoutBody(Buffer.byteLength(response.body), closeConnection)
    else res.end(response.body, closeConnection)
  })
}

/** A request copied out of uWS. A class, not a literal, so the lazy getter costs nothing per request. */
class UwsRequest implements HttpRequest {
  private address: string | undefined
  constructor(
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Buffer,
    readonly correlationId: string,
    readonly params: Readonly<Record<string, string>>,
    private readonly res: uWS.HttpResponse,
    private readonly exchange: Exchange
  ) {}

  /** Read on demand (most routes never ask); the response object stays valid until it is ended. */
  get remoteAddress(): string {
    if (this.address === undefined) {
      this.address = this.exchange.aborted ? "" : Buffer.from(this.res.getRemoteAddressAsText()).toString()
    }
    return this.address
  }
}

/**
 * The HTTP edge on uWebSockets.js. Follows its rules: headers and body chunks are copied before any
 * await (uWS frees them), `onAborted` is registered before async work, responses are written corked,
 * and nothing is written to a response after it was aborted.
 */
export const startHttpServer = (options: HttpServerOptions): Promise<HttpServer> => {
  const defaultLimit: BodyLimit = { bytes: options.maxBodyBytes ?? 1024 * 1024 }
  const cors = makeCors(options.corsOrigins ?? [])
  const app = uWS.App()
  let closing = false
  let inFlight = 0
  let drained: (() => void) | undefined

  /** Counts an exchange that outlives its request callback until it is answered or aborted. */
  const track = (res: uWS.HttpResponse, exchange: Exchange): void => {
    if (exchange.abortable) return
    exchange.abortable = true
    inFlight++
    exchange.settle = () => {
      exchange.settle = undefined
      inFlight--
      if (inFlight === 0 && drained !== undefined) drained()
    }
    res.onAborted(() => {
      exchange.aborted = true
      exchange.settle?.()
      exchange.onAbort?.()
    })
  }

  /** Answers a handler's response: whole, or pulled chunk by chunk for a streamed body. */
  const answer = (res: uWS.HttpResponse, exchange: Exchange, response: HttpResponse, request: HttpRequest): void => {
    if (response.stream === undefined || exchange.head || exchange.aborted) return write(res, exchange, response)
    track(res, exchange)
    void sendStream(res, exchange, () => writeHead(res, exchange, response), response.stream, (error) => options.onHandlerError?.(error, request))
  }

  const run = (res: uWS.HttpResponse, exchange: Exchange, handler: HttpHandler, request: HttpRequest): void => {
    let result: HttpResponse | Promise<HttpResponse>
    try {
      result = handler(request)
    } catch (error) {
      result = Promise.reject(error)
    }
    if (!(result instanceof Promise)) return answer(res, exchange, result, request)
    // onAborted is registered before control returns to the event loop, i.e. before any of the
    // handler's awaits can resume: uWS requires it for every response not ended synchronously.
    track(res, exchange)
    result.then(
      (response) => answer(res, exchange, response, request),
      (error: unknown) => {
        options.onHandlerError?.(error, request)
        write(res, exchange, text(500, `Internal error; it was logged with correlation id ${exchange.correlationId}`))
      }
    )
  }

  /**
   * Refuses a request whose framing is ambiguous (400, connection closed). The answer is written on
   * the next turn of the event loop: if bytes after it already formed another request (a smuggled
   * one), uWS closes the connection on seeing it while this one is pending, so it never runs.
   */
  const refuseFraming = (res: uWS.HttpResponse, exchange: Exchange, problem: string): void => {
    track(res, exchange)
    setImmediate(() => write(res, exchange, text(400, problem), true))
  }

  /**
   * OPTIONS on a path some route has. A CORS preflight (`Origin` and `Access-Control-Request-Method`)
   * is answered here, before any guard: browsers send it without credentials. From a listed origin it
   * gets 204 with the path's methods; from any other origin 403, with no CORS headers, so the browser
   * stops there. Any other OPTIONS request gets 204 with `Allow`.
   */
  const answerOptions = (path: string, headers: Readonly<Record<string, string>>, exchange: Exchange): HttpResponse => {
    const methods = options.router.methodsAt(path)
    if (methods.length === 0) return text(404, `No route for OPTIONS ${path.slice(0, 200)}`)
    const origin = headers["origin"]
    const requestMethod = headers["access-control-request-method"]
    if (origin === undefined || requestMethod === undefined) return { status: 204, body: "", headers: { Allow: [...methods, "OPTIONS"].join(", ") } }
    if (cors === undefined || exchange.cors === undefined) {
      return text(403, `Cross-origin requests from ${origin.slice(0, 200)} are not allowed: the origin is not listed in MACHHUB_CORS_ORIGINS`)
    }
    return cors.preflight(path, requestMethod, headers["access-control-request-headers"], methods)
  }

  options.configure?.(app)

  app.any("/*", (res, req) => {
    const lower = req.getMethod()
    const method = UPPER_METHODS[lower] ?? lower.toUpperCase()
    const path = req.getUrl()
    const query = req.getQuery() ?? ""
    const headers: Record<string, string> = {}
    const framing = newFramingTally()
    req.forEach((name, value) => {
      tallyHeader(framing, name, value)
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    })
    const sent = headers["app-correlationid"]
    // Requests without an Origin header (most of them) skip CORS entirely.
    const origin = headers["origin"]
    const exchange: Exchange = {
      aborted: false,
      abortable: false,
      settle: undefined,
      onAbort: undefined,
      correlationId: sent !== undefined && isUuid(sent) ? sent.toLowerCase() : randomUUID(),
      head: method === "HEAD",
      cors: origin === undefined || cors === undefined ? undefined : cors.headersFor(origin)
    }
    if (closing) return write(res, exchange, text(503, "The server is shutting down; retry on another instance or shortly"), true)
    const problem = framingProblem(framing)
    if (problem !== undefined) return refuseFraming(res, exchange, problem)

    if (method === "OPTIONS") return write(res, exchange, answerOptions(path, headers, exchange))

    const match = options.router.match(method, path)
    if (match._tag === "NotFound") return write(res, exchange, text(404, `No route for ${method} ${path.slice(0, 200)}`))
    if (match._tag === "MethodNotAllowed") {
      return write(res, exchange, text(405, `${method} is not allowed on ${path.slice(0, 200)}; use ${match.allow.join(", ")}`, { Allow: match.allow.join(", ") }))
    }

    const request = (body: Buffer): HttpRequest => new UwsRequest(method, path, query, headers, body, exchange.correlationId, match.params, res, exchange)

    if (METHODS_WITHOUT_BODY.has(method)) return run(res, exchange, match.handler, request(EMPTY_BODY))

    const limit = options.bodyLimit?.(method, path, headers) ?? defaultLimit
    const declared = headers["content-length"]
    if (declared !== undefined && !/^\d{1,15}$/.test(declared)) {
      return refuseFraming(res, exchange, "Content-Length is not a number")
    }
    // Answered before the body arrives; uWS then reads the declared body and discards it, so the
    // client can read the 413 on an open connection (closing now would reset it mid-upload).
    if (declared !== undefined && Number(declared) > limit.bytes) return write(res, exchange, tooLarge(limit))
    track(res, exchange)
    const chunks: Array<Buffer> = []
    let size = 0
    res.onData((chunk, isLast) => {
      if (exchange.aborted) return
      size += chunk.byteLength
      if (size > limit.bytes) {
        // The rest of the chunked body is still read and discarded (exchange.aborted is now set).
        write(res, exchange, tooLarge(limit))
        return
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)))
      if (!isLast) return
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      // A request that changes something starts on the next turn of the event loop, once uWS has
      // parsed everything that arrived with it. uWS cannot hold a pipelined request behind one still
      // being answered: it closes the connection, which aborts this exchange first, so the change is
      // never made without its answer reaching the client.
      setImmediate(() => {
        if (!exchange.aborted) run(res, exchange, match.handler, request(body))
      })
    })
  })

  return new Promise((resolve, reject) => {
    app.listen(options.host ?? "0.0.0.0", options.port, (listenSocket) => {
      if (listenSocket === false) {
        reject(new Error(`cannot listen on ${options.host ?? "0.0.0.0"}:${options.port}; is the port in use? Set PORT to another one`))
        return
      }
      const port = uWS.us_socket_local_port(listenSocket)
      resolve({
        port,
        inFlight: () => inFlight,
        close: async (graceMillis = 8_000) => {
          if (closing) return
          closing = true
          uWS.us_listen_socket_close(listenSocket)
          if (inFlight > 0) {
            await Promise.race([
              new Promise<void>((done) => (drained = done)),
              new Promise<void>((done) => setTimeout(done, graceMillis).unref())
            ])
          }
          ;(app as unknown as { close(): void }).close()
        }
      })
    })
  })
}
