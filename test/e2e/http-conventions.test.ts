import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { postJson, startTestServer, type TestServer } from "../support/server.js"
import { rawRequest, statusOf } from "../support/rawHttp.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("HTTP conventions and bad input", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ maxBodyBytes: 64 * 1024 })
  })
  afterAll(() => server.dispose())

  const stillServing = async () => {
    const response = await fetch(`${server.url}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: "ok" })
  }

  it("puts a fresh App-CorrelationID on every response", async () => {
    const a = await fetch(`${server.url}/healthz`)
    const b = await fetch(`${server.url}/no/such/route`)
    expect(a.headers.get("app-correlationid")).toMatch(UUID)
    expect(b.headers.get("app-correlationid")).toMatch(UUID)
    expect(a.headers.get("app-correlationid")).not.toBe(b.headers.get("app-correlationid"))
  })

  it("echoes a valid App-CorrelationID and replaces an invalid one", async () => {
    const sent = "7d444840-9dc0-11d1-b245-5ffdce74fad2"
    const echoed = await fetch(`${server.url}/healthz`, { headers: { "App-CorrelationID": sent } })
    expect(echoed.headers.get("app-correlationid")).toBe(sent)
    const replaced = await fetch(`${server.url}/healthz`, { headers: { "App-CorrelationID": "'; drop table events; --" } })
    expect(replaced.headers.get("app-correlationid")).toMatch(UUID)
  })

  it("answers readiness once the read models caught up", async () => {
    const response = await fetch(`${server.url}/readyz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: "ready" })
  })

  it("answers 404 in plain text for an unknown route", async () => {
    const response = await fetch(`${server.url}/machhub/nothing/here`)
    expect(response.status).toBe(404)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await response.text()).toBe("No route for GET /machhub/nothing/here")
  })

  it("answers 405 with Allow for a known route and the wrong method", async () => {
    const response = await fetch(`${server.url}/auth/login`, { method: "DELETE" })
    expect(response.status).toBe(405)
    expect(response.headers.get("allow")).toBe("POST")
    const health = await fetch(`${server.url}/healthz`, { method: "POST", body: "x" })
    expect(health.status).toBe(405)
  })

  it("answers 413 for a body over the limit, declared or streamed", async () => {
    const declared = await postJson(`${server.url}/auth/login`, { username: "a", password: "x".repeat(70 * 1024) })
    expect(declared.status).toBe(413)
    expect(await declared.text()).toMatch(/exceeds the limit of 65536 bytes/)
    const chunked = await rawRequest(server.port,
      "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        `10000\r\n${"a".repeat(0x10000)}\r\n10000\r\n${"a".repeat(0x10000)}\r\n0\r\n\r\n`)
    expect(statusOf(chunked)).toBe(413)
    await stillServing()
  })

  it("answers 400 for malformed JSON and invalid UTF-8", async () => {
    const truncated = await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username": "adm' })
    expect(truncated.status).toBe(400)
    expect(await truncated.text()).toMatch(/not valid JSON/)
    const latin1 = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","password":"x"}')])
    const invalidUtf8 = await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: latin1 })
    expect(invalidUtf8.status).toBe(400)
    expect(await invalidUtf8.text()).toBe("Request body is not valid UTF-8")
    const empty = await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" } })
    expect(empty.status).toBe(400)
  })

  it("answers 415 for a content type it does not speak", async () => {
    for (const type of ["text/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]) {
      const response = await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": type }, body: "username=admin" })
      expect(response.status).toBe(415)
      expect(await response.text()).toMatch(/Content-Type must be application\/json/)
    }
  })

  it("survives truncated bodies, lying lengths, odd headers and garbage, then keeps serving", async () => {
    // Declares 100 bytes, sends 10, then hangs up.
    await rawRequest(server.port, "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username", { waitMillis: 200, halfClose: true })
    const badLength = await rawRequest(server.port, "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
    expect([400, undefined]).toContain(statusOf(badLength))
    const oddHeaders = await rawRequest(server.port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Weird: ${"\u00e9".repeat(10)}\r\nApp-CorrelationID: ${"z".repeat(5000)}\r\nDomain: domains:??\r\n\r\n`)
    expect(statusOf(oddHeaders)).toBe(200)
    // A NUL byte in a header is not HTTP: the parser refuses it (400 or a closed connection), nothing more.
    const nul = await rawRequest(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nDomain: domains:\u0000evil\r\n\r\n")
    expect([400, undefined]).toContain(statusOf(nul))
    await rawRequest(server.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]))
    await rawRequest(server.port, "NOT-HTTP\r\n\r\n")
    const bogusMethod = await rawRequest(server.port, "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    // uWebSockets.js may drop a method it does not know; either way nothing breaks.
    expect([405, 400, undefined]).toContain(statusOf(bogusMethod))
    const hugeHeader = await rawRequest(server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(200_000)}\r\n\r\n`)
    expect(statusOf(hugeHeader) ?? 431).toBeGreaterThanOrEqual(400)
    await stillServing()
    const login = await postJson(`${server.url}/auth/login`, { username: "admin", password: "wrong" })
    expect(login.status).toBe(401)
  })

  it("keeps answering many concurrent bad requests without failing good ones", async () => {
    const bad = Array.from({ length: 200 }, (_, i) =>
      fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{".repeat(i) }))
    const responses = await Promise.all(bad)
    expect(responses.every((r) => r.status === 400)).toBe(true)
    await stillServing()
  })
})
