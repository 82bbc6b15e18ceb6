import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { COLLECTION_CATEGORY, collectionAggregate, collectionDecider, DEFAULT_ACCESS, fold, type CollectionDefined, type Command } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
const access = { owner: "domain" as const, publicRead: true, publicWrite: false }
const defined: CollectionDefined = { type: "CollectionDefined", data: { table: "items", schema, access } }

describe("collection decider", () => {
  it("defines a collection that was not defined", () => {
    spec(collectionDecider).given([]).when({ type: "defineCollection", table: "items", schema, access }).then([defined])
  })

  it("defines a collection without a schema", () => {
    spec(collectionDecider).given([]).when({ type: "defineCollection", table: "items", schema: null, access: DEFAULT_ACCESS })
      .then([{ type: "CollectionDefined", data: { table: "items", schema: null, access: DEFAULT_ACCESS } }])
  })

  it("appends nothing when the collection is redefined as it is", () => {
    spec(collectionDecider).given([defined]).when({ type: "defineCollection", table: "items", schema, access }).then([])
  })

  it("records a redefinition that changes the schema or the access", () => {
    spec(collectionDecider).given([defined]).when({ type: "defineCollection", table: "items", schema: null, access })
      .then([{ type: "CollectionDefined", data: { table: "items", schema: null, access } }])
    spec(collectionDecider).given([defined]).when({ type: "defineCollection", table: "items", schema, access: DEFAULT_ACCESS })
      .then([{ type: "CollectionDefined", data: { table: "items", schema, access: DEFAULT_ACCESS } }])
  })

  it("compares a redefinition with the latest definition, not the first", () => {
    const redefined: CollectionDefined = { type: "CollectionDefined", data: { table: "items", schema: null, access: DEFAULT_ACCESS } }
    spec(collectionDecider).given([defined, redefined]).when({ type: "defineCollection", table: "items", schema: null, access: DEFAULT_ACCESS }).then([])
    spec(collectionDecider).given([defined, redefined]).when({ type: "defineCollection", table: "items", schema, access }).then([defined])
  })
})

describe("collection state", () => {
  it("is absent until defined, then holds the latest schema and access", () => {
    expect(fold(collectionDecider, [])).toEqual({ _tag: "Absent" })
    expect(fold(collectionDecider, [defined])).toEqual({ _tag: "Defined", schema, access })
  })
})

describe("collection aggregate", () => {
  const command = (type: string, payload: unknown): Command => ({
    id: "c1",
    type,
    category: COLLECTION_CATEGORY,
    domain: "acme",
    aggregateId: "items",
    actor: { kind: "user", id: "u1" },
    payload,
    correlationId: "corr"
  })

  it("names the table after the stream, treats a missing schema as none, and answers the definition", () => {
    const decision = Effect.runSync(collectionAggregate.handle(command("defineCollection", { access }), collectionAggregate.initialState()))
    expect(decision.events).toEqual([{ type: "CollectionDefined", data: { table: "items", schema: null, access } }])
    expect(decision.result).toEqual({ schema: null, access })
  })

  it("answers an unchanged redefinition with the current definition", () => {
    const decision = Effect.runSync(collectionAggregate.handle(command("defineCollection", { schema, access }), fold(collectionDecider, [defined])))
    expect(decision.events).toEqual([])
    expect(decision.result).toEqual({ schema, access })
  })

  it("refuses a definition without access rules, or an unknown command, as invalid", () => {
    for (const bad of [command("defineCollection", { schema }), command("defineCollection", null), command("dropCollection", { access })]) {
      const refusal = Effect.runSync(Effect.flip(collectionAggregate.handle(bad, collectionAggregate.initialState())))
      expect(refusal.reason).toBe("invalid")
    }
  })
})
