import { describe, it } from "vitest"
import { flowsDecider, MAX_FLOW_NODES, type FlowsDeployed } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const file = [{ id: "t1", type: "tab" }, { id: "n1", type: "machhub.flow.in", z: "t1", name: "echo" }]
const deployed = (rev: string, flows: ReadonlyArray<Record<string, unknown>> = file): FlowsDeployed => ({ type: "FlowsDeployed", data: { flows, rev } })
const deploy = (rev: string, flows: ReadonlyArray<Record<string, unknown>> = file) => ({ type: "deployFlows" as const, flows, rev })

describe("flows deployment decider", () => {
  it("records a domain's first flows file, and a changed one in full", () => {
    spec(flowsDecider).given([]).when(deploy("r1")).then([deployed("r1")])
    spec(flowsDecider).given([deployed("r1")]).when(deploy("r2", [])).then([deployed("r2", [])])
  })

  it("records nothing when the same file is deployed again", () => {
    spec(flowsDecider).given([deployed("r1")]).when(deploy("r1")).then([])
  })

  it("refuses entries without a string id or a type, ids used twice, and oversized files", () => {
    spec(flowsDecider).given([]).when(deploy("r", [{ type: "tab" }])).rejects("invalid")
    spec(flowsDecider).given([]).when(deploy("r", [{ id: "a" }])).rejects("invalid")
    spec(flowsDecider).given([]).when(deploy("r", [{ id: "a", type: "tab" }, { id: "a", type: "tab" }])).rejects("invalid")
    const huge = Array.from({ length: MAX_FLOW_NODES + 1 }, (_, i) => ({ id: `n${i}`, type: "comment" }))
    spec(flowsDecider).given([]).when(deploy("r", huge)).rejects("invalid")
  })
})
