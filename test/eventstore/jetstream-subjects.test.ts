import { describe, expect, it } from "vitest"
import { SLOTS_PER_COMMIT, streamSubject } from "@machhub/adapters"

// Pure parts of the JetStream adapter, without a server.
describe("JetStream subjects", () => {
  it("puts system stream names on mh.es.<domain>.<category>.<id>", () => {
    expect(streamSubject("mh.es", "record-acme-products:7f3a")).toBe("mh.es.acme.record.products:7f3a")
    expect(streamSubject("mh.es", "user-acme-0190f3c2-aaaa-7bbb-8ccc-000000000001")).toBe("mh.es.acme.user.0190f3c2-aaaa-7bbb-8ccc-000000000001")
  })

  it("escapes what a subject token cannot hold, and maps other names apart", () => {
    expect(streamSubject("mh.es", "machine-acme-a.b*c>d e")).toBe("mh.es.acme.machine.a%2Eb%2Ac%3Ed%20e")
    expect(streamSubject("mh.es", "s")).toBe("mh.es._.s")
    expect(streamSubject("mh.es", "a-b")).toBe("mh.es._.a-b")
    expect(streamSubject("mh.es", "x-y-z-%")).toBe("mh.es.y.x.z-%25")
    expect(streamSubject("mh.es", "ünï-cödé-1")).toBe("mh.es.c%C3%B6d%C3%A9.%C3%BCn%C3%AF.1")
  })

  it("never gives two stream names the same subject", () => {
    const names = ["s", "a-b", "a-b-c", "a-b-c-d", "a--b", "-a-b", "a-b-", "a.b-c-d", "a%2Eb-c-d", "_-s-x", "a-_-s", "a-b-c.d", "a-b-c%2Ed", "a b-c-d"]
    const subjects = names.map((n) => streamSubject("mh.es", n))
    expect(new Set(subjects).size).toBe(names.length)
    for (const subject of subjects) {
      expect(subject).not.toMatch(/[\s*>]/)
      expect(subject.split(".").every((token) => token.length > 0)).toBe(true)
    }
  })

  it("counts 10,000 position slots per commit message", () => {
    expect(SLOTS_PER_COMMIT).toBe(10_000)
  })
})
