import { describe, expect, it } from "vitest"
import { parseTagSubject, tagSubject } from "../../apps/server/src/tags/nats/tagSubject.js"

describe("tag topics as NATS subjects (mh.tag.<domain>.<topic with / as .>)", () => {
  it("writes each topic level as a token, plain names as they are", () => {
    expect(tagSubject("acme", "Plant1/LineA/Temperature")).toBe("mh.tag.acme.Plant1.LineA.Temperature")
    expect(tagSubject("acme", "a-b_c/~x:y@z!")).toBe("mh.tag.acme.a-b_c.~x:y@z!")
  })

  it("escapes what a token cannot hold as %XX of its UTF-8 bytes, % itself too, and an empty level as %", () => {
    expect(tagSubject("acme", "Temp.1")).toBe("mh.tag.acme.Temp%2E1")
    expect(tagSubject("acme", "line 1/a*b>c/100%")).toBe("mh.tag.acme.line%201.a%2Ab%3Ec.100%25")
    expect(tagSubject("acme", "Ofen/Temperatur°C/ü")).toBe("mh.tag.acme.Ofen.Temperatur%C2%B0C.%C3%BC")
    expect(tagSubject("acme", "/a//b/")).toBe("mh.tag.acme.%.a.%.b.%")
    expect(tagSubject("acme", "tab\tx\u007f")).toBe("mh.tag.acme.tab%09x%7F")
  })

  it("reads back every topic it writes", () => {
    const topics = ["Plant1/LineA/Temperature", "Temp.1", "line 1/a*b>c/100%", "Ofen/Temperatur°C/ü", "/a//b/", "/", "x/%41", "🙂/日本", "a$b/$c"]
    for (const topic of topics) expect(parseTagSubject(tagSubject("acme", topic))).toEqual({ ok: true, domain: "acme", topic })
  })

  it("reads escapes it would not write, in either case of hex digit", () => {
    expect(parseTagSubject("mh.tag.acme.%41bc.d%c3%bc")).toEqual({ ok: true, domain: "acme", topic: "Abc/dü" })
  })

  it("refuses subjects that name no valid domain or topic, saying why", () => {
    const refused: Array<[string, RegExp]> = [
      ["mh.evt.acme.x", /does not start with mh\.tag\./],
      ["mh.tag.acme", /names no topic/],
      ["mh.tag.ACME.x", /'ACME' is not a domain name/],
      ["mh.tag.acme.a%2Fb", /not an encoded topic level/],
      ["mh.tag.acme.a/b", /not an encoded topic level/],
      ["mh.tag.acme.bad%zz", /not an encoded topic level/],
      ["mh.tag.acme.bad%4", /not an encoded topic level/],
      ["mh.tag.acme.%FF", /not an encoded topic level/],
      ["mh.tag.acme.a%25%", /not an encoded topic level/],
      ["mh.tag.acme.a.+", /wildcard '\+'/],
      ["mh.tag.acme.%23", /wildcard '#'/],
      ["mh.tag.acme.%24SYS.x", /starts with '\$'/],
      ["mh.tag.acme.a%00", /NUL/],
      [`mh.tag.acme.${"x".repeat(513)}`, /513 bytes long/]
    ]
    for (const [subject, message] of refused) {
      const parsed = parseTagSubject(subject)
      expect(parsed.ok, subject).toBe(false)
      if (!parsed.ok) expect(parsed.message, subject).toMatch(message)
    }
  })
})
