import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loginAsAdmin, startTestServer, type TestServer } from "../support/server.js"

/** What came back on one connection: the answers' statuses in order, and whether the server closed it. */
interface Exchange {
  readonly statuses: ReadonlyArray<number>
  readonly closedByServer: boolean
  readonly raw: string
}

/**
 * Writes `payload` in one write (so several requests share a TCP segment) and collects the answers
 * until the server closes the connection, `expected` answers arrived, or `waitMillis` passed.
 */
const exchange = (port: number, payload: string, options: { expected?: number; waitMillis?: number } = {}): Promise<Exchange> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    let closedByServer = false
    const statuses = () => [...Buffer.concat(chunks).toString("latin1").matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ statuses: statuses(), closedByServer, raw: Buffer.concat(chunks).toString("latin1") })
    }
    const timer = setTimeout(finish, options.waitMillis ?? 1_500)
    socket.on("data", (chunk) => {
      chunks.push(chunk)
      if (options.expected !== undefined && statuses().length >= options.expected) finish()
    })
    socket.on("end", () => (closedByServer = true))
    socket.on("close", () => {
      closedByServer = true
      finish()
    })
    socket.on("error", () => finish())
    socket.write(payload)
  })

describe("HTTP framing: smuggling, pipelining and bodies over the limit, on raw sockets", () => {
  let server: TestServer
  let token: string
  beforeAll(async () => {
    server = await startTestServer({ maxBodyBytes: 64 * 1024 })
    token = await loginAsAdmin(server.url)
  })
  afterAll(() => server.dispose())

  const auth = () => `Authorization: Bearer ${token}\r\n`
  const createIn = (table: string, body = '{"n":1}') =>
    `POST /machhub/${table} HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
  const me = () => `GET /api/me HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`
  const count = async (table: string): Promise<number> => {
    const response = await fetch(`${server.url}/machhub/${table}/count`, { headers: { authorization: `Bearer ${token}` } })
    // A table nobody ever wrote to does not exist yet.
    if (response.status === 404) return 0
    expect(response.status).toBe(200)
    return ((await response.json()) as { count: number }).count
  }

  it("never runs a request hidden behind a second Content-Length", async () => {
    const hidden = createIn("smuggled")
    const outer = `POST /machhub/outer HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`
    const answer = await exchange(server.port, outer)
    // Either the 400 reached the client, or the connection closed before it could: never a 201.
    expect(answer.statuses.every((status) => status === 400)).toBe(true)
    expect(answer.closedByServer).toBe(true)
    expect(await count("smuggled")).toBe(0)
    expect(await count("outer")).toBe(0)
  })

  it("answers 400 and closes for repeated Content-Length, even when equal", async () => {
    const body = '{"n":1}'
    const answer = await exchange(server.port,
      `POST /machhub/twice HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    expect(answer.statuses).toEqual([400])
    expect(answer.raw).toMatch(/more than one Content-Length/)
    expect(answer.closedByServer).toBe(true)
    expect(await count("twice")).toBe(0)
  })

  it("never runs a request that has both Content-Length and Transfer-Encoding", async () => {
    const answer = await exchange(server.port,
      `POST /machhub/both HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"n":1}\r\n0\r\n\r\n`)
    // uWebSockets.js refuses this framing itself, before the edge sees it.
    expect(answer.statuses).toEqual([400])
    expect(answer.closedByServer).toBe(true)
    expect(await count("both")).toBe(0)
  })

  it("never runs a request with an obs-fold, a NUL or a bare LF in its headers", async () => {
    const body = '{"n":1}'
    const head = (extra: string) =>
      `POST /machhub/folded HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`
    for (const extra of ["X-A: a\r\n b\r\n", "X-A: a\u0000b\r\n", "X-A: a\nX-B: b\r\n"]) {
      const answer = await exchange(server.port, head(extra), { waitMillis: 300 })
      expect(answer.statuses.every((status) => status === 400)).toBe(true)
    }
    expect(await count("folded")).toBe(0)
  })

  it("answers a request without Host with 400 at once, and closes", async () => {
    for (const head of ["GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n", "GET /healthz HTTP/1.1\r\nAccept: */*\r\nX-A: 1\r\n\r\n"]) {
      const answer = await exchange(server.port, head, { waitMillis: 5_000 })
      expect(answer.statuses).toEqual([400])
      expect(answer.closedByServer).toBe(true)
    }
  })

  it("answers 431 at once to more headers than the limit, or a head larger than MACHHUB_MAX_HEADER_BYTES", async () => {
    // uWebSockets.js takes up to 99 header lines.
    const manyHeaders = Array.from({ length: 120 }, (_, i) => `X-H${i}: 1\r\n`).join("")
    const many = await exchange(server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${manyHeaders}\r\n`, { waitMillis: 5_000 })
    expect(many.statuses).toEqual([431])
    expect(many.closedByServer).toBe(true)
    const large = await exchange(server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`, { waitMillis: 5_000 })
    expect(large.statuses).toEqual([431])
    // A head under the default 16 KiB is served, e.g. a long token and a few cookies.
    const fair = await exchange(server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${"c".repeat(12_000)}\r\n\r\n`, { expected: 1 })
    expect(fair.statuses).toEqual([200])
  })

  it("POST then GET in one segment: both answered in order, or closed with nothing committed", async () => {
    let answeredBoth = 0
    let created = 0
    for (let trial = 0; trial < 20; trial++) {
      const answer = await exchange(server.port, createIn("pipelined") + me(), { expected: 2 })
      if (answer.statuses.length === 2) {
        expect(answer.statuses).toEqual([201, 200])
        answeredBoth++
      } else {
        expect(answer.statuses).toEqual([])
        expect(answer.closedByServer).toBe(true)
      }
      created += answer.statuses.filter((status) => status === 201).length
    }
    // Every committed write was answered: what the log holds is exactly what clients were told.
    expect(await count("pipelined")).toBe(created)
    console.log(`POST+GET pipelined: ${answeredBoth} of 20 answered both, ${created} writes committed`)
  })

  it("GET then POST in one segment: both answered in order", async () => {
    const before = await count("afterget")
    const answer = await exchange(server.port, me() + createIn("afterget"), { expected: 2 })
    expect(answer.statuses).toEqual([200, 201])
    expect(await count("afterget")).toBe(before + 1)
  })

  it("ten mixed requests in one write: answers in order, and no write committed without its answer", async () => {
    const requests = [me(), me(), createIn("mixed"), me(), createIn("mixed"), me(), me(), createIn("mixed"), me(), me()]
    const answer = await exchange(server.port, requests.join(""), { expected: requests.length })
    const expectedOrder = [200, 200, 201, 200, 201, 200, 200, 201, 200, 200]
    expect(answer.statuses).toEqual(expectedOrder.slice(0, answer.statuses.length))
    if (answer.statuses.length < requests.length) expect(answer.closedByServer).toBe(true)
    expect(await count("mixed")).toBe(answer.statuses.filter((status) => status === 201).length)
  })

  it("answers 413 to a declared body over the limit while the client keeps uploading, and stays usable", async () => {
    const size = 256 * 1024
    const answer = await exchange(server.port,
      `POST /machhub/big HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n${"a".repeat(size)}` + me(),
      { expected: 2 })
    // The body is read and discarded, so the connection carries the next request.
    expect(answer.statuses).toEqual([413, 200])
    expect(answer.raw).toMatch(/exceeds the limit of 65536 bytes/)
  })

  it("answers 413 to a chunked body that grows over the limit, then drains it", async () => {
    const chunk = `10000\r\n${"a".repeat(0x10000)}\r\n`
    const answer = await exchange(server.port,
      `POST /machhub/big HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}0\r\n\r\n` + me(),
      { expected: 2 })
    expect(answer.statuses).toEqual([413, 200])
  })
})
