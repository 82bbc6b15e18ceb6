import { connect } from "node:net"

/**
 * Sends bytes exactly as given over a fresh TCP connection and returns what came back before the
 * server closed the connection or `waitMillis` passed. For requests no well-behaved client would send.
 */
export const rawRequest = (port: number, payload: Buffer | string, options: { waitMillis?: number; halfClose?: boolean } = {}): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString("latin1"))
    }
    const timer = setTimeout(done, options.waitMillis ?? 1_000)
    socket.on("data", (chunk) => chunks.push(chunk))
    socket.on("close", done)
    socket.on("error", done)
    socket.write(payload, () => {
      if (options.halfClose) socket.end()
    })
  })

export const statusOf = (raw: string): number | undefined => {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(raw)
  return match ? Number(match[1]) : undefined
}
