import { createConnection, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Router, startHttpServer, streamed, type HttpServer } from "@machhub/adapters"

const CHUNK = 64 * 1024

/** A producer that counts what was pulled from it and whether it was ended. */
const producer = (chunks: number, failAt?: number) => {
  const state = { pulled: 0, ended: false }
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < chunks; i++) {
        if (i === failAt) throw new Error("the store went away")
        state.pulled++
        yield Buffer.alloc(CHUNK, 97 + (i % 26))
      }
    } finally {
      state.ended = true
    }
  }
  return { state, body }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("streamed responses on the uWebSockets.js edge", () => {
  let server: HttpServer
  let url: string
  let current: ReturnType<typeof producer>
  beforeAll(async () => {
    const router = new Router()
      .add("GET", "/finite", () => {
        current = producer(40)
        return streamed(200, "application/octet-stream", current.body())
      })
      .add("GET", "/endless", async () => {
        current = producer(Number.MAX_SAFE_INTEGER)
        return streamed(200, "application/octet-stream", current.body())
      })
      .add("GET", "/failing", () => {
        current = producer(40, 20)
        return streamed(200, "application/octet-stream", current.body())
      })
    server = await startHttpServer({ host: "127.0.0.1", port: 0, router, onHandlerError: () => {} })
    url = `http://127.0.0.1:${server.port}`
  })
  afterAll(() => server.close(100))

  it("sends the whole body, chunked, and ends the producer", async () => {
    const response = await fetch(`${url}/finite`)
    expect(response.status).toBe(200)
    expect(response.headers.get("transfer-encoding")).toBe("chunked")
    expect(response.headers.get("app-correlationid")).toMatch(/^[0-9a-f-]{36}$/)
    const body = Buffer.from(await response.arrayBuffer())
    expect(body.length).toBe(40 * CHUNK)
    expect(body[0]).toBe(97)
    expect(body[39 * CHUNK]).toBe(97 + (39 % 26))
    expect(current.state.ended).toBe(true)
    expect(server.inFlight()).toBe(0)
  })

  it("pulls from the producer only as fast as the client reads (backpressure), and ends it when the client leaves", async () => {
    const socket: Socket = createConnection({ host: "127.0.0.1", port: server.port })
    await new Promise((resolve) => socket.once("connect", resolve))
    socket.pause() // a client that reads nothing
    socket.write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
    await sleep(500)
    const stalled = current.state.pulled
    await sleep(300)
    // Only what fits the socket buffers (a few MiB on loopback) was pulled, and pulling has stopped.
    expect(current.state.pulled).toBe(stalled)
    expect(stalled * CHUNK).toBeLessThan(32 * 1024 * 1024)
    expect(server.inFlight()).toBe(1)

    // Reading resumes the producer.
    let received = 0
    socket.on("data", (data: Buffer) => (received += data.length))
    socket.resume()
    await sleep(300)
    expect(current.state.pulled).toBeGreaterThan(stalled)
    expect(received).toBeGreaterThan(stalled * CHUNK / 2)

    socket.destroy()
    for (let i = 0; i < 100 && !current.state.ended; i++) await sleep(10)
    expect(current.state.ended).toBe(true)
    expect(server.inFlight()).toBe(0)
  })

  it("cuts the connection when the producer fails midway, so the body is visibly incomplete", async () => {
    const response = await fetch(`${url}/failing`)
    expect(response.status).toBe(200)
    await expect(response.arrayBuffer()).rejects.toThrow()
    expect(current.state.pulled).toBe(20)
    expect(server.inFlight()).toBe(0)
  })

  it("answers HEAD with the head only, without starting the producer", async () => {
    current = producer(0)
    const before = current
    const response = await fetch(`${url}/finite`, { method: "HEAD" })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("application/octet-stream")
    expect(current).not.toBe(before)
    expect(current.state.pulled).toBe(0)
  })
})
