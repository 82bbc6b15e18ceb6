import { Schema } from "effect"

/**
 * The MACHHUB process model (SPEC §8) as recorded: triggers, inputs, outputs and limits. Shapes only;
 * what needs a library (a cron expression parsing, code compiling) is checked at the edge before a
 * definition is saved.
 */

export const CodeLanguage = Schema.Literals(["typescript", "javascript"]).annotate({
  identifier: "CodeLanguage",
  description: "The language of the code: `typescript` (transpiled before it runs) or `javascript`."
})
export type CodeLanguage = typeof CodeLanguage.Type

export const IntervalUnit = Schema.Literals(["s", "m", "h"])

/** What makes a process run. */
export const ProcessTrigger = Schema.Union([
  Schema.Struct({ type: Schema.Literal("manual"), config: Schema.optionalKey(Schema.Struct({})) }),
  Schema.Struct({ type: Schema.Literal("http"), config: Schema.Struct({ endpoint: Schema.String }) }),
  Schema.Struct({
    type: Schema.Literal("interval"),
    config: Schema.Struct({ interval_value: Schema.Number, interval_unit: IntervalUnit })
  }),
  Schema.Struct({
    type: Schema.Literal("cron"),
    config: Schema.Struct({ cron_expression: Schema.String, timezone: Schema.optionalKey(Schema.String) })
  }),
  Schema.Struct({ type: Schema.Literal("tag_change"), config: Schema.Struct({ tag: Schema.String }) })
]).annotate({
  identifier: "ProcessTrigger",
  description:
    "What makes a process run: `manual`; `http` `{ endpoint }` (POST /process/<endpoint>); `interval` `{ interval_value, interval_unit: s|m|h }`; " +
    "`cron` `{ cron_expression, timezone? }`; `tag_change` `{ tag }` (MQTT wildcards + and #)."
})
export type ProcessTrigger = typeof ProcessTrigger.Type

/** Data resolved before the code runs, into `context.inputs[name]`. */
export const ProcessInput = Schema.Union([
  Schema.Struct({ name: Schema.String, type: Schema.Literal("tag"), config: Schema.Struct({ tag: Schema.String }) }),
  Schema.Struct({
    name: Schema.String,
    type: Schema.Literal("query"),
    config: Schema.Struct({ collection: Schema.String, filter: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)) })
  })
]).annotate({
  identifier: "ProcessInput",
  description:
    "Data resolved before the code runs, into `context.inputs[name]`: `tag` `{ tag }` (the last value; a wildcard gives a map topic → value) " +
    "or `query` `{ collection, filter? }` (the records the process's owner may read, equal to every field of `filter`)."
})
export type ProcessInput = typeof ProcessInput.Type

/** What is done with the result after the code returns. */
export const ProcessOutput = Schema.Union([
  Schema.Struct({ type: Schema.Literal("tag_write"), config: Schema.Struct({ tag: Schema.String, field: Schema.optionalKey(Schema.String) }) }),
  Schema.Struct({ type: Schema.Literal("record_write"), config: Schema.Struct({ collection: Schema.String, field: Schema.optionalKey(Schema.String) }) })
]).annotate({
  identifier: "ProcessOutput",
  description:
    "Applied after the code returns, in order: `tag_write` `{ tag, field? }` publishes the result (or its `field`, a dot path) to the tag; " +
    "`record_write` `{ collection, field? }` creates a record from the result (or its `field`), which must be an object."
})
export type ProcessOutput = typeof ProcessOutput.Type

/** Per-definition sandbox limits; absent: the server's defaults (64 MiB, 5 s). */
export const RunLimits = Schema.Struct({
  memory_mb: Schema.optionalKey(Schema.Number),
  cpu_ms: Schema.optionalKey(Schema.Number)
}).annotate({ identifier: "RunLimits", description: "Sandbox limits of one run: heap in MiB (`memory_mb`) and CPU time in milliseconds (`cpu_ms`)." })
export type RunLimits = typeof RunLimits.Type

/** Who a definition acts as: the user who last saved it (a key's issuer when a key saved it). */
export const DefinitionOwner = Schema.Struct({ userId: Schema.String, username: Schema.String }).annotate({
  identifier: "DefinitionOwner",
  description: "The user whose permissions in the domain the code acts with: who last saved the definition (a key's issuer when a key saved it)."
})
export type DefinitionOwner = typeof DefinitionOwner.Type

/** A process definition's fields, as saved (the MACHHUB model, snake_case like its export). */
export const ProcessDefinitionFields = {
  name: Schema.String,
  enabled: Schema.Boolean,
  log_enabled: Schema.Boolean,
  language: CodeLanguage,
  code: Schema.String,
  triggers: Schema.Array(ProcessTrigger),
  inputs: Schema.Array(ProcessInput),
  outputs: Schema.Array(ProcessOutput),
  limits: Schema.optionalKey(RunLimits),
  description: Schema.optionalKey(Schema.String)
}
export const ProcessDefinition = Schema.Struct(ProcessDefinitionFields).annotate({ identifier: "ProcessDefinition" })
export type ProcessDefinition = typeof ProcessDefinition.Type

/** A function definition's fields, as saved. */
export const FunctionDefinitionFields = {
  name: Schema.String,
  language: CodeLanguage,
  code: Schema.String,
  limits: Schema.optionalKey(RunLimits),
  description: Schema.optionalKey(Schema.String)
}
export const FunctionDefinition = Schema.Struct(FunctionDefinitionFields).annotate({ identifier: "FunctionDefinition" })
export type FunctionDefinition = typeof FunctionDefinition.Type

/** Names of processes and functions: they appear in routes and stream names. */
export const DEFINITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/
export const DEFINITION_NAME_RULE = "1 to 128 letters, digits, _, . or -, starting with a letter or digit"

/** How a save treats an existing definition: create only, update only, or either (an import). */
export const SaveMode = Schema.Literals(["create", "update", "upsert"])
export type SaveMode = typeof SaveMode.Type
