import { describe, expect, it } from "vitest"
import { isUuid, parseStreamName, streamName, subjectMatches, uuidv7 } from "@machhub/core"

describe("ids and names", () => {
  it("makes RFC 9562 version-7 UUIDs that are unique and ordered within one process", () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    for (const id of ids.slice(0, 100)) {
      expect(isUuid(id)).toBe(true)
      expect(id[14]).toBe("7")
      expect("89ab").toContain(id[19]!)
    }
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
  })

  it("validates correlation ids strictly", () => {
    expect(isUuid("7d444840-9dc0-11d1-b245-5ffdce74fad2")).toBe(true)
    for (const bad of ["", "7d444840-9dc0-11d1-b245-5ffdce74fad", "'; drop table", "7d444840x9dc0-11d1-b245-5ffdce74fad2"]) expect(isUuid(bad)).toBe(false)
  })

  it("round-trips stream names whose ids contain dashes", () => {
    const stream = streamName("record", "acme", "products:7f3a-99")
    expect(stream).toBe("record-acme-products:7f3a-99")
    expect(parseStreamName(stream)).toEqual({ category: "record", domain: "acme", id: "products:7f3a-99" })
    expect(parseStreamName("nodash")).toBeUndefined()
  })

  it("matches NATS subjects with * and >", () => {
    expect(subjectMatches("mh.evt.*.user.>", "mh.evt.acme.user.LoginSucceeded")).toBe(true)
    expect(subjectMatches("mh.evt.*.user.>", "mh.evt.acme.user")).toBe(false)
    expect(subjectMatches("mh.evt.acme.*", "mh.evt.acme.user.X")).toBe(false)
    expect(subjectMatches("mh.evt.>", "mh.evt.acme.user.X")).toBe(true)
  })
})
