import type { RecordedEvent, TerminalEvent, TerminalOpened } from "@machhub/core"

/**
 * An SSH session's recording (stream `sshsession-<domain>-<ticket>`) in the two forms a player takes,
 * produced batch by batch so a long session is sent in bounded memory:
 *
 * - `json`: `{ session, domain, machineId, ownerId, hostname, port, username, cols, rows, startedAt,
 *   frames: [{ t, type: "output", data }, { t, type: "resize", cols, rows }], closed }`, `t` in ms since
 *   the session opened, `data` the exact bytes as base64;
 * - `asciicast`: asciinema's asciicast v2 (NDJSON: a header, then `[seconds, "o", text]` and
 *   `[seconds, "r", "COLSxROWS"]`), playable as is by asciinema-player.
 *
 * Keystrokes are left out unless asked for (`input`): a player shows what the user saw, and what a user
 * types without echo is typically a password. They remain in the log for an auditor who reads the stream.
 */
export type ReplayFormat = "json" | "asciicast"

type Opened = RecordedEvent & TerminalOpened

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

export async function* replayChunks(
  first: Opened,
  rest: AsyncIterable<ReadonlyArray<RecordedEvent>>,
  options: { readonly session: string; readonly format: ReplayFormat; readonly input: boolean }
): AsyncGenerator<string> {
  const opened = first.data
  const json = options.format === "json"
  // Output chunks may split a UTF-8 character: one streaming decoder per direction keeps it whole.
  const decoders = { output: new TextDecoder("utf-8"), input: new TextDecoder("utf-8") }
  let closed: unknown = null
  let separator = ""

  const frame = (event: TerminalEvent): string | undefined => {
    switch (event.type) {
      case "TerminalOutput":
      case "TerminalInput": {
        const kind = event.type === "TerminalOutput" ? "output" : "input"
        if (kind === "input" && !options.input) return undefined
        if (json) return JSON.stringify({ t: event.data.t, type: kind, data: base64(event.data.data) })
        const text = decoders[kind].decode(event.data.data, { stream: true })
        return JSON.stringify([event.data.t / 1000, kind === "output" ? "o" : "i", text])
      }
      case "TerminalResized":
        return json
          ? JSON.stringify({ t: event.data.t, type: "resize", cols: event.data.cols, rows: event.data.rows })
          : JSON.stringify([event.data.t / 1000, "r", `${event.data.cols}x${event.data.rows}`])
      case "TerminalClosed":
        closed = { t: event.data.t, by: event.data.by, reason: event.data.reason }
        return undefined
      default:
        return undefined
    }
  }

  if (json) {
    const head = {
      session: options.session,
      domain: first.meta.domain,
      machineId: opened.machineId,
      ownerId: opened.ownerId,
      hostname: opened.hostname,
      port: opened.port,
      username: opened.username,
      cols: opened.cols,
      rows: opened.rows,
      startedAt: first.meta.at
    }
    yield `${JSON.stringify(head).slice(0, -1)},"frames":[`
  } else {
    yield JSON.stringify({
      version: 2,
      width: opened.cols,
      height: opened.rows,
      timestamp: Math.floor(Date.parse(first.meta.at) / 1000),
      title: `${opened.username}@${opened.hostname} (machine ${opened.machineId})`
    }) + "\n"
  }
  for await (const batch of rest) {
    const lines: Array<string> = []
    for (const event of batch) {
      const line = frame(event as RecordedEvent & TerminalEvent)
      if (line === undefined) continue
      lines.push(json ? separator + line : line + "\n")
      separator = ","
    }
    if (lines.length > 0) yield lines.join("")
  }
  if (json) yield `],"closed":${JSON.stringify(closed)}}`
}
