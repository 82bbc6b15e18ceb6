import WebSocket from "ws"

/** The WebSocket upgrade was refused: the HTTP status and the envelope the server answered. */
export interface Refused {
  readonly refused: true
  readonly status: number
  readonly body: any
}

export interface TerminalClient {
  readonly refused: false
  readonly ws: WebSocket
  /** Every binary byte received so far. */
  output(): Buffer
  /** Text (control) frames received so far, parsed. */
  controls(): Array<any>
  /** Resolves once the output contains `needle` (after `from`), with the output up to then. */
  waitFor(needle: string, options?: { readonly from?: number; readonly timeoutMillis?: number }): Promise<Buffer>
  type(text: string | Buffer): void
  resize(cols: number, rows: number): void
  heartbeat(): void
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
}

/**
 * Opens `/ssh?uuid=<ticket>` with the `ws` package (Node 20 has no global WebSocket). Credentials go
 * in `headers` (Authorization or Cookie), as a browser would send its cookie.
 */
export const openTerminal = (
  baseUrl: string,
  ticket: string,
  headers: Record<string, string>,
  query = ""
): Promise<TerminalClient | Refused> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ssh?uuid=${encodeURIComponent(ticket)}${query}`, { headers })
    const chunks: Array<Buffer> = []
    let size = 0
    const controls: Array<any> = []
    let waiters: Array<() => void> = []
    let closedWith = ""
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on("close", (code, reason) => {
      closedWith = `code ${code}, reason ${JSON.stringify(reason.toString())}${closedWith}`
      for (const waiter of waiters) waiter()
      done({ code, reason: reason.toString() })
    }))
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        const chunk = data as Buffer
        chunks.push(chunk)
        size += chunk.length
      } else {
        controls.push(JSON.parse(data.toString()))
      }
      for (const waiter of waiters) waiter()
    })
    ws.on("unexpected-response", (_request, response) => {
      let raw = ""
      response.on("data", (chunk: Buffer) => (raw += chunk.toString()))
      response.on("end", () => {
        let body: unknown = raw
        try {
          body = JSON.parse(raw)
        } catch {
          // not JSON
        }
        resolve({ refused: true, status: response.statusCode ?? 0, body })
        ws.terminate()
      })
    })
    ws.on("error", (error) => {
      closedWith += ` error ${error.message}`
      reject(error)
    })
    ws.on("open", () => {
      const sock = (ws as any)._socket
      sock.on("end", () => (closedWith += " [tcp end from server]"))
      sock.on("error", (e: Error) => (closedWith += ` [tcp error ${e.message}]`))
      sock.on("close", (hadError: boolean) => (closedWith += ` [tcp close ${hadError}]`))
      const output = () => {
        if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks, size))
        return chunks[0] ?? Buffer.alloc(0)
      }
      resolve({
        refused: false,
        ws,
        output,
        controls: () => controls,
        waitFor: (needle, options = {}) =>
          new Promise((found, failed) => {
            const check = () => {
              const all = output()
              if (all.indexOf(needle, options.from ?? 0) >= 0) {
                clearTimeout(timer)
                waiters = waiters.filter((w) => w !== check)
                found(all)
              } else if (ws.readyState === WebSocket.CLOSED) {
                clearTimeout(timer)
                waiters = waiters.filter((w) => w !== check)
                failed(new Error(`socket closed (${closedWith}) before ${JSON.stringify(needle)} arrived; output: ${JSON.stringify(all.toString().slice(-300))}; controls: ${JSON.stringify(controls)}`))
              }
            }
            const timer = setTimeout(() => {
              waiters = waiters.filter((w) => w !== check)
              failed(new Error(`timed out waiting for ${JSON.stringify(needle)}; output: ${JSON.stringify(output().toString().slice(-300))}`))
            }, options.timeoutMillis ?? 10_000)
            waiters.push(check)
            check()
          }),
        type: (text) => ws.send(typeof text === "string" ? Buffer.from(text) : text, { binary: true }),
        resize: (cols, rows) => ws.send(JSON.stringify({ type: "resize", cols, rows })),
        heartbeat: () => ws.send(JSON.stringify({ type: "heartbeat" })),
        closed
      })
    })
  })

/**
 * Opens a terminal and waits for the shell's prompt. The edge now and then drops a terminal socket
 * in the first moment after its upgrade, before any byte and without a close frame (1006 on both
 * sides): seen in about one run in four of the SSH suite with two other suites running, always on a
 * socket opened within a few hundred milliseconds after another SSH connection of the process
 * closed. A client connects again with a new ticket, as the console does; so does this, up to three
 * times, so that a test checks what it is about rather than that drop. Any other failure is thrown.
 */
export const openAtPrompt = async (
  open: (ticket: string) => Promise<TerminalClient | Refused>,
  newTicket: () => Promise<string>,
  prompt = "$ "
): Promise<{ readonly ticket: string; readonly terminal: TerminalClient }> => {
  for (let attempt = 1; ; attempt++) {
    const ticket = await newTicket()
    const terminal = await open(ticket)
    if (terminal.refused) throw new Error(`refused: ${terminal.status} ${JSON.stringify(terminal.body)}`)
    try {
      await terminal.waitFor(prompt)
      return { ticket, terminal }
    } catch (error) {
      const dropped = terminal.ws.readyState === WebSocket.CLOSED && terminal.output().length === 0
      if (!dropped || attempt >= 3) throw error
    }
  }
}
