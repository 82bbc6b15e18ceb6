import { describe, expect, it } from "vitest"
import { readBasicCredentials } from "./basicCredentials.js"

const basic = (raw: string | Buffer) => `Basic ${Buffer.from(raw).toString("base64")}`

describe("Basic credentials", () => {
  it("reads username and password, splitting at the first colon", () => {
    expect(readBasicCredentials(basic("ada:pass:word"))).toEqual({ ok: true, username: "ada", password: "pass:word" })
    expect(readBasicCredentials(`basic ${Buffer.from("ada:pw").toString("base64")}`)).toMatchObject({ ok: true, username: "ada" })
    expect(readBasicCredentials(basic("zoë:pässword"))).toMatchObject({ ok: true, username: "zoë", password: "pässword" })
  })

  it("asks for credentials (401) when there are none or another scheme is used", () => {
    expect(readBasicCredentials(undefined)).toMatchObject({ ok: false, status: 401 })
    expect(readBasicCredentials("Bearer abc")).toMatchObject({ ok: false, status: 401 })
  })

  it.each([
    ["no credentials after the scheme", "Basic"],
    ["base64 garbage", "Basic !!!***"],
    ["an impossible base64 length", "Basic QUJDR"],
    ["no colon", basic("adapassword")],
    ["an empty username", basic(":password")],
    ["an empty password", basic("ada:")],
    ["invalid UTF-8", basic(Buffer.from([0xff, 0xfe, 0x3a, 0x41]))],
    ["a username over 256 characters", basic(`${"a".repeat(300)}:pw`)],
    ["an absurdly long header", `Basic ${"A".repeat(100_000)}`]
  ])("refuses %s with 400 and a reason", (_, header) => {
    const outcome = readBasicCredentials(header)
    expect(outcome).toMatchObject({ ok: false, status: 400 })
    if (!outcome.ok) expect(outcome.message.length).toBeGreaterThan(10)
  })
})
