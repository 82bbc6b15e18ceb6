import { describe, expect, it } from "vitest"
import { Router, text } from "@machhub/adapters"

describe("Router: a last :name+ segment takes the rest of the path", () => {
  const router = new Router()
  const handler = () => text(200, "ok")
  router.add("POST", "/machhub/tag/batch", handler)
  router.add("POST", "/machhub/tag/:topic+", handler)
  router.add("GET", "/machhub/tag/value/:topic+", handler)

  const params = (method: string, path: string) => {
    const match = router.match(method, path)
    return match._tag === "Found" ? match.params : match._tag
  }

  it("joins the remaining segments with /, each decoded", () => {
    expect(params("POST", "/machhub/tag/Plant1/LineA/Temperature")).toEqual({ topic: "Plant1/LineA/Temperature" })
    expect(params("POST", "/machhub/tag/Plant1%2FLine%20A")).toEqual({ topic: "Plant1/Line A" })
    expect(params("GET", "/machhub/tag/value/a/b")).toEqual({ topic: "a/b" })
    // An empty first level is a valid MQTT topic name (`/a`).
    expect(params("POST", "/machhub/tag//a")).toEqual({ topic: "/a" })
  })

  it("needs at least one segment, lets fixed paths win and still tells a wrong method", () => {
    expect(params("POST", "/machhub/tag")).toBe("NotFound")
    expect(params("POST", "/machhub/tag/batch")).toEqual({})
    expect(params("DELETE", "/machhub/tag/a/b")).toBe("MethodNotAllowed")
    expect(params("POST", "/machhub/tag/%E0%A4%A")).toBe("NotFound")
    expect(router.routes()).toContainEqual({ method: "POST", path: "/machhub/tag/:topic+" })
  })
})
