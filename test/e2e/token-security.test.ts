import { createPrivateKey, generateKeyPairSync, createHmac, createPublicKey } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

describe("token security", () => {
  let server: TestServer
  let admin: Api
  let privateKey: ReturnType<typeof createPrivateKey>
  let claims: Record<string, unknown>
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    privateKey = createPrivateKey(readFileSync(join(server.dataDir, "keys", "token-signing.pem"), "utf8"))
    claims = JSON.parse(Buffer.from(admin.token.split(".")[1]!, "base64url").toString())
  })
  afterAll(() => server.dispose())

  const status = async (token: string) => (await api(server.url, token).request("GET", "/api/me")).status
  const sign = (payload: Record<string, unknown>, key = privateKey) =>
    new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ: "JWT" }).sign(key)
  const now = () => Math.floor(Date.now() / 1000)

  it("accepts the genuine token, and the same claims re-signed with the real key", async () => {
    expect(await status(admin.token)).toBe(200)
    expect(await status(await sign({ ...claims }))).toBe(200)
  })

  it("refuses a tampered signature or payload", async () => {
    const [header, payload, signature] = admin.token.split(".") as [string, string, string]
    // Change a character in the middle: the last base64url character of a 64-byte signature carries
    // padding bits a decoder may ignore, so editing it can leave the signature valid.
    const middle = Math.floor(signature.length / 2)
    const flipped = signature.slice(0, middle) + (signature[middle] === "A" ? "B" : "A") + signature.slice(middle + 1)
    expect(await status(`${header}.${payload}.${flipped}`)).toBe(401)
    const forged = b64({ ...claims, username: "root", groups: { machhub_admin: ["superuser"] } })
    expect(await status(`${header}.${forged}.${signature}`)).toBe(401)
  })

  it("refuses alg none and algorithm confusion (HS256 keyed with the public key)", async () => {
    expect(await status(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`)).toBe(401)
    const publicPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" })
    const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`
    const hmac = createHmac("sha256", publicPem).update(unsigned).digest("base64url")
    expect(await status(`${unsigned}.${hmac}`)).toBe(401)
  })

  it("refuses a token signed by another key", async () => {
    const { privateKey: stranger } = generateKeyPairSync("ed25519")
    expect(await status(await sign({ ...claims }, stranger))).toBe(401)
  })

  it("refuses a wrong issuer, a wrong audience, an expired token and missing claims", async () => {
    expect(await status(await sign({ ...claims, iss: "evil" }))).toBe(401)
    expect(await status(await sign({ ...claims, aud: "someone-else" }))).toBe(401)
    expect(await status(await sign({ ...claims, iat: now() - 100, exp: now() - 10 }))).toBe(401)
    const { exp: _exp, ...noExpiry } = claims
    expect(await status(await sign(noExpiry))).toBe(401)
    const { cv: _cv, ...noCredentialsVersion } = claims
    expect(await status(await sign(noCredentialsVersion))).toBe(401)
  })

  it("refuses a refresh token where an access token is expected", async () => {
    const response = await api(server.url, await sign({ ...claims, use: "refresh", sid: "0190f3c2-0000-7000-8000-000000000000" })).request("GET", "/api/me")
    expect(response.status).toBe(401)
    expect(await response.text()).toMatch(/refresh token/)
  })

  it("refuses a session token whose session is unknown", async () => {
    expect(await status(await sign({ ...claims, use: "access", sid: "0190f3c2-0000-7000-8000-00000000dead" }))).toBe(401)
  })

  it("answers malformed credentials with 401 and a reason, never 500", async () => {
    const cases: Array<Record<string, string>> = [
      { authorization: "Bearer" },
      { authorization: "Bearer a b" },
      { authorization: "Basic YWRtaW46YWRtaW4=" },
      { authorization: "Digest x" },
      // Long, but under the 16 KiB head limit (a larger head is answered 431 by the edge: see http-framing).
      { authorization: `Bearer ${"x".repeat(12_000)}` },
      { authorization: "Bearer ...." },
      { authorization: "Bearer e30.e30.e30" },
      { authorization: "Bearer %%%.***.!!!" },
      { "x-machhub-api-key": "" },
      { "x-machhub-api-key": "mchx_not-a-real-key" },
      {}
    ]
    for (const headers of cases) {
      const response = await fetch(`${server.url}/api/me`, { headers })
      expect(response.status, JSON.stringify(headers).slice(0, 80)).toBe(401)
      expect((await response.text()).length).toBeGreaterThan(0)
    }
    const badDomain = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${admin.token}`, domain: "domains:../../etc" } })
    expect(badDomain.status).toBe(403)
  })
})
