import type { ClientChannel } from "ssh2"
import type { TerminalCloser, TerminalRecorder } from "@machhub/core"
import type { WebSocketPeer, WebSocketSession } from "../http/WebSocketRoutes.js"

/** WebSocket close codes the terminal uses (4000–4999 are free for applications). */
export const TerminalCloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  internal: 1011,
  idle: 4000,
  /** The machine was deleted while its terminal was open. */
  machineDeleted: 4001
} as const

export interface TerminalBridgeOptions {
  readonly channel: ClientChannel
  readonly peer: WebSocketPeer
  readonly recorder: TerminalRecorder
  /** No message from the client (input, resize or heartbeat) for this long ends the session. */
  readonly idleMillis: number
  /** Pause the machine's output when the socket buffers more than this (default 1 MiB)… */
  readonly highWaterBytes?: number
  /** …and resume once it is down to this (default 256 KiB). */
  readonly lowWaterBytes?: number
  /** The same for bytes accepted by the recorder but not yet stored (defaults 8 MiB / 2 MiB). */
  readonly recordingHighWaterBytes?: number
  readonly recordingLowWaterBytes?: number
  /** Input the machine has not accepted yet beyond this ends the session (default 1 MiB). */
  readonly maxInputBacklogBytes?: number
  /** Called once when the session ends, with the recording's completion; frees the SSH connection. */
  readonly onEnd: (by: TerminalCloser, reason: string, recorded: Promise<void>) => void
}

/** What a session moved, and how hard backpressure had to work (logged when it ends). */
export interface TerminalStats {
  readonly bytesIn: number
  readonly bytesOut: number
  /** Largest amount uWS held for the client after a send: stays near the high-water mark. */
  readonly peakBufferedBytes: number
  /** Times the machine's output was paused for a slow client or a recording backlog. */
  readonly pauses: number
}

export interface TerminalBridge {
  readonly session: WebSocketSession
  /** Ends the session from the server's side (shutdown, recording failure). */
  end(by: TerminalCloser, reason: string, code: number): void
  stats(): TerminalStats
}

type Control =
  | { readonly type: "resize"; readonly cols: number; readonly rows: number }
  | { readonly type: "heartbeat" }

const isDimension = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 10_000

const parseControl = (data: ArrayBuffer): Control | string => {
  let message: unknown
  try {
    // Decoded at once: the buffer belongs to uWS and is reused after this callback.
    message = JSON.parse(Buffer.from(data).toString("utf8"))
  } catch {
    return "text frames must be JSON control messages; send terminal input as binary frames"
  }
  const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined
  if (type === "heartbeat") return { type }
  if (type === "resize") {
    const { cols, rows } = message as { cols?: unknown; rows?: unknown }
    if (!isDimension(cols) || !isDimension(rows)) return "resize needs integer cols and rows between 1 and 10000"
    return { type, cols, rows }
  }
  return `unknown control message type ${JSON.stringify(type)?.slice(0, 40) ?? "(none)"}; use resize or heartbeat`
}

const HEARTBEAT = JSON.stringify({ type: "heartbeat" })

/** How long output still buffered for a closing socket may take to reach the client. */
const CLOSE_FLUSH_MILLIS = 10_000

/**
 * Joins an SSH shell channel and a WebSocket. Output is forwarded chunk by chunk as ssh2 delivers it,
 * each frame corked, with no timer: when the client reads slower than the machine writes, uWS buffers,
 * and past the high-water mark the SSH channel is paused. A paused ssh2 channel stops granting SSH
 * window, so the machine itself stops sending and memory stays bounded by the window (2 MiB) plus
 * the high-water mark. `drain` resumes it. The recorder's backlog pauses the channel the same way.
 */
export const bridgeTerminal = (options: TerminalBridgeOptions): TerminalBridge => {
  const { channel, peer, recorder } = options
  const high = options.highWaterBytes ?? 1024 * 1024
  const low = options.lowWaterBytes ?? 256 * 1024
  const recordingHigh = options.recordingHighWaterBytes ?? 8 * 1024 * 1024
  const recordingLow = options.recordingLowWaterBytes ?? 2 * 1024 * 1024
  const maxInputBacklog = options.maxInputBacklogBytes ?? 1024 * 1024

  let ended = false
  let paused = false
  /** Set when the session ended but the socket still holds output to deliver before its close frame. */
  let pendingClose: { readonly code: number; readonly reason: string } | undefined
  let lastActivity = Date.now()
  let bytesIn = 0
  let bytesOut = 0
  let peakBuffered = 0
  let pauses = 0

  const relieved = () => peer.bufferedAmount() <= low && recorder.pendingBytes() <= recordingLow

  const forward = (chunk: Buffer) => {
    if (ended) return
    peer.send(chunk, true)
    recorder.output(chunk)
    bytesOut += chunk.length
    const buffered = peer.bufferedAmount()
    if (buffered > peakBuffered) peakBuffered = buffered
    if (!paused && (buffered > high || recorder.pendingBytes() > recordingHigh)) {
      paused = true
      pauses++
      channel.pause()
    }
  }

  const maybeResume = () => {
    if (paused && relieved()) {
      paused = false
      channel.resume()
    }
  }

  const closePeerIfDrained = () => {
    if (pendingClose !== undefined && peer.bufferedAmount() === 0) {
      const { code, reason } = pendingClose
      pendingClose = undefined
      peer.end(code, reason)
    }
  }

  let idleTimer: NodeJS.Timeout | undefined
  const checkIdle = () => {
    const quiet = Date.now() - lastActivity
    if (quiet >= options.idleMillis) end("idle", `no input for ${Math.round(options.idleMillis / 1000)} s`, TerminalCloseCode.idle)
    else idleTimer = setTimeout(checkIdle, options.idleMillis - quiet)
  }
  idleTimer = setTimeout(checkIdle, options.idleMillis)

  const end = (by: TerminalCloser, reason: string, code: number) => {
    if (ended) return
    ended = true
    clearTimeout(idleTimer)
    if (by !== "client") {
      // Output already sent stays in order before the close frame: wait until uWS flushed it.
      pendingClose = { code, reason: reason.slice(0, 120) }
      closePeerIfDrained()
      // A client that stopped reading altogether must not hold the socket open forever.
      if (pendingClose !== undefined) {
        setTimeout(() => {
          if (pendingClose !== undefined) peer.end(pendingClose.code, pendingClose.reason)
        }, CLOSE_FLUSH_MILLIS).unref()
      }
    }
    // A paused channel would hold its stream open: let it flow (the bytes are dropped now) and close it.
    channel.resume()
    channel.close()
    options.onEnd(by, reason, recorder.close(by, reason))
  }

  channel.on("data", forward)
  channel.stderr.on("data", forward)
  channel.on("close", () => end("machine", "the remote shell ended", TerminalCloseCode.normal))
  channel.on("error", (error: Error) => end("machine", `the SSH channel failed: ${error.message.slice(0, 80)}`, TerminalCloseCode.internal))
  recorder.onStored(() => {
    if (!ended) maybeResume()
  })

  const session: WebSocketSession = {
    message: (data, binary) => {
      if (ended) return
      lastActivity = Date.now()
      if (binary) {
        // Copied: uWS reuses `data`, and ssh2 may queue the write.
        const bytes = Buffer.from(new Uint8Array(data))
        bytesIn += bytes.length
        channel.write(bytes)
        recorder.input(bytes)
        if (channel.writableLength > maxInputBacklog) {
          end("server", "input arrives faster than the machine accepts it", TerminalCloseCode.tooBig)
        }
        return
      }
      const control = parseControl(data)
      if (typeof control === "string") {
        peer.send(JSON.stringify({ type: "error", message: control }), false)
        return
      }
      if (control.type === "heartbeat") {
        peer.send(HEARTBEAT, false)
        return
      }
      channel.setWindow(control.rows, control.cols, 0, 0)
      recorder.resized(control.cols, control.rows)
    },
    drain: () => {
      if (ended) closePeerIfDrained()
      else maybeResume()
    },
    closed: (code, reason) => {
      pendingClose = undefined
      // 1006 is uWS's word for a connection that ended without a close frame (dropped or reset).
      const how = code === 1006 ? "the connection to the client dropped" : "the client closed the socket"
      end("client", reason === "" ? `${how} (code ${code})` : `${how} (code ${code}): ${reason.slice(0, 80)}`, TerminalCloseCode.normal)
    }
  }

  return { session, end, stats: () => ({ bytesIn, bytesOut, peakBufferedBytes: peakBuffered, pauses }) }
}
