import { createServer, type Server, type Socket } from "node:net"
import { text } from "../http/HttpExchange.js"
import type { WebSocketRoute } from "../http/WebSocketRoutes.js"
import type { ClientAccess, MqttAuthenticate } from "./ClientAccess.js"
import type { BrokerEndpoint } from "./MosquittoBroker.js"
import { MAX_PACKET_BYTES, MqttSession, type ClientTransport } from "./MqttSession.js"
import { V5 } from "./reasonCodes.js"

export interface MqttFrontOptions {
  readonly broker: () => BrokerEndpoint
  readonly authenticate: MqttAuthenticate
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
}

export interface MqttFront {
  /** Starts the TCP listener; resolves with the port it got (0 asks for a free one). */
  listenTcp(host: string, port: number): Promise<number>
  /** MQTT over WebSocket (subprotocol `mqtt`), for the HTTP edge to attach at `path`. */
  webSocketRoute(path: string): WebSocketRoute
  /** Ends the sessions whose access `predicate` rejects (MQTT 5 clients get DISCONNECT `reasonCode`). */
  disconnectWhere(predicate: (access: ClientAccess) => boolean, reasonCode?: number): number
  /** Sessions open now, for callers that re-check them. */
  sessions(): ReadonlyArray<ClientAccess>
  /** Stops listening and ends every session (MQTT 5 clients hear "server shutting down"). */
  close(): Promise<void>
}

/** Buffered bytes past which relaying towards a slow client pauses until it drains. */
const HIGH_WATER_BYTES = 1024 * 1024
/** Subprotocols MQTT clients ask for: `mqtt` (3.1.1 and 5), `mqttv3.1` (3.1). */
const SUBPROTOCOLS = new Set(["mqtt", "mqttv3.1"])

const tcpTransport = (socket: Socket): ClientTransport => ({
  remoteAddress: socket.remoteAddress ?? "",
  write: (data) => socket.write(data),
  end: () => {
    socket.end()
    // A client that does not read what is left must not keep the socket forever.
    setTimeout(() => socket.destroy(), 5_000).unref()
  },
  pause: () => socket.pause(),
  resume: () => socket.resume()
})

/**
 * The edge every MQTT client connects to, over TCP and over WebSocket: one MqttSession per
 * connection, relaying to the private broker.
 */
export const makeMqttFront = (options: MqttFrontOptions): MqttFront => {
  const open = new Set<MqttSession>()
  let tcp: Server | undefined
  let closing = false
  const sessionOptions = { ...options, onClosed: (session: MqttSession) => open.delete(session) }

  const accept = (transport: ClientTransport): MqttSession | undefined => {
    if (closing) return undefined
    const session = new MqttSession(transport, sessionOptions)
    open.add(session)
    return session
  }

  return {
    listenTcp: (host, port) =>
      new Promise((resolve, reject) => {
        const server = createServer((socket) => {
          socket.setNoDelay(true)
          const session = accept(tcpTransport(socket))
          if (session === undefined) return socket.destroy()
          socket.on("data", (chunk: Buffer) => session.data(chunk))
          socket.on("drain", () => session.drain())
          socket.on("error", () => {})
          socket.on("close", () => session.closed())
        })
        server.once("error", reject)
        server.listen(port, host, () => {
          server.off("error", reject)
          server.on("error", (error) => options.log("error", "MQTT TCP listener failed", { error: error.message }))
          tcp = server
          const address = server.address()
          resolve(typeof address === "object" && address !== null ? address.port : port)
        })
      }),

    webSocketRoute: (path) => ({
      path,
      maxPayloadLength: MAX_PACKET_BYTES + 16,
      idleTimeoutSeconds: 960,
      upgrade: (request) => {
        const asked = request.headers["sec-websocket-protocol"]
        // uWS answers with the header as sent: one subprotocol, or none, is what can be echoed.
        if (asked !== undefined && !SUBPROTOCOLS.has(asked.trim())) {
          return { accept: false, response: text(400, "MQTT over WebSocket needs the subprotocol mqtt (Sec-WebSocket-Protocol: mqtt)") }
        }
        if (closing) return { accept: false, response: text(503, "MQTT is stopping") }
        return {
          accept: true,
          abandon: () => {},
          open: (peer) => {
            const session = accept({
              remoteAddress: request.remoteAddress,
              write: (data) => peer.send(data, true) && peer.bufferedAmount() < HIGH_WATER_BYTES,
              end: () => peer.end(1000, ""),
              pause: () => {},
              resume: () => {}
            })
            if (session === undefined) {
              peer.end(1001, "stopping")
              return { message: () => {}, drain: () => {}, closed: () => {} }
            }
            return {
              // uWS reuses the buffer after the call: the parser may keep part of it.
              message: (data) => session.data(Buffer.from(data.slice(0))),
              drain: () => session.drain(),
              closed: () => session.closed()
            }
          }
        }
      }
    }),

    disconnectWhere: (predicate, reasonCode = V5.notAuthorized) => {
      let count = 0
      for (const session of [...open]) {
        const access = session.clientAccess
        if (access !== undefined && predicate(access)) {
          session.disconnect(reasonCode)
          count++
        }
      }
      return count
    },

    sessions: () => [...open].flatMap((session) => (session.clientAccess === undefined ? [] : [session.clientAccess])),

    close: async () => {
      closing = true
      const server = tcp
      tcp = undefined
      for (const session of [...open]) session.disconnect(V5.serverShuttingDown)
      if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
