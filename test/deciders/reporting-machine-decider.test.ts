import { describe, expect, it } from "vitest"
import { fold, reportingMachineDecider, type DefineReportingMachine, type ReportingMachineDefined } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const name = "Mill-1"
const tags = { execution: "Plant/Mill-1/execution", partCount: "Plant/Mill-1/parts" }
const define = (fields: Partial<DefineReportingMachine> = {}): DefineReportingMachine =>
  ({ type: "defineReportingMachine", name, mode: "create", tags, ...fields })
const defined = (data: Partial<ReportingMachineDefined["data"]> = {}): ReportingMachineDefined =>
  ({ type: "ReportingMachineDefined", data: { name, tags, shifts: [], ...data } })
const night = { name: "night", start: "22:00", end: "06:00" }

describe("reporting machine decider: definitions", () => {
  it("registers a machine in full, shifts defaulting to none", () => {
    spec(reportingMachineDecider).given([]).when(define({ group: "Mills", idealCycleSeconds: 30, shifts: [night] }))
      .then([defined({ group: "Mills", idealCycleSeconds: 30, shifts: [night] })])
  })

  it("refuses to register a name twice (conflict) and to replace one never registered (not found)", () => {
    spec(reportingMachineDecider).given([defined()]).when(define()).rejects("conflict")
    spec(reportingMachineDecider).given([]).when(define({ mode: "replace" })).rejects("not_found")
  })

  it("replaces a definition, and appends nothing when it is the same", () => {
    spec(reportingMachineDecider).given([defined()]).when(define({ mode: "replace", group: "A" })).then([defined({ group: "A" })])
    spec(reportingMachineDecider).given([defined()]).when(define({ mode: "replace" })).then([])
  })

  it("treats empty machineRef and group as absent", () => {
    spec(reportingMachineDecider).given([]).when(define({ machineRef: "", group: "" })).then([defined()])
  })

  it("refuses bad shifts, ideal cycle times and empty tags as unprocessable", () => {
    const refuses = (command: DefineReportingMachine) => spec(reportingMachineDecider).given([]).when(command).rejects("unprocessable")
    refuses(define({ shifts: [{ name: "x", start: "24:00", end: "06:00" }] }))
    refuses(define({ shifts: [{ name: "x", start: "6:00", end: "14:00" }] }))
    refuses(define({ shifts: [night, night] }))
    refuses(define({ shifts: [{ ...night, days: ["mon", "mon"] }] }))
    refuses(define({ idealCycleSeconds: 0 }))
    refuses(define({ idealCycleSeconds: Number.NaN }))
    refuses(define({ tags: { execution: "", partCount: "p" } }))
  })

  it("removes a registered machine, which may then be registered again", () => {
    const removed = { type: "ReportingMachineRemoved" as const, data: { name } }
    spec(reportingMachineDecider).given([defined()]).when({ type: "removeReportingMachine", name }).then([removed])
    spec(reportingMachineDecider).given([defined(), removed]).when({ type: "removeReportingMachine", name }).rejects("not_found")
    spec(reportingMachineDecider).given([defined(), removed]).when(define()).then([defined()])
    expect(fold(reportingMachineDecider, [defined(), removed])).toEqual({ _tag: "Removed", name })
  })
})

describe("reporting machine decider: downtime annotations", () => {
  const annotate = (start: string, end: string, reason = "Tool change") => ({ type: "annotateDowntime" as const, name, start, end, reason })

  it("records an annotation of a registered machine, times normalized to UTC", () => {
    spec(reportingMachineDecider).given([defined()]).when(annotate("2026-03-01T09:00:00+01:00", "2026-03-01T08:30:00Z"))
      .then([{ type: "DowntimeAnnotated", data: { name, start: "2026-03-01T08:00:00.000Z", end: "2026-03-01T08:30:00.000Z", reason: "Tool change" } }])
  })

  it("refuses an annotation of an unknown machine, an empty period, a time without zone and an empty reason", () => {
    spec(reportingMachineDecider).given([]).when(annotate("2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z")).rejects("not_found")
    spec(reportingMachineDecider).given([defined()]).when(annotate("2026-03-01T08:00:00Z", "2026-03-01T08:00:00Z")).rejects("unprocessable")
    spec(reportingMachineDecider).given([defined()]).when(annotate("2026-03-01T08:00:00", "2026-03-01T09:00:00Z")).rejects("unprocessable")
    spec(reportingMachineDecider).given([defined()]).when(annotate("2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z", "")).rejects("unprocessable")
  })
})
