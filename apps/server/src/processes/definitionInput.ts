import { DEFINITION_NAME, DEFINITION_NAME_RULE, type CodeLanguage, type FunctionDefinition, type ProcessDefinition, type ProcessInput, type ProcessOutput, type ProcessTrigger, type RunLimits } from "@machhub/core"
import { compileCode } from "../sandbox/index.js"
import { validateTopicName } from "../tags/topicName.js"
import { intervalMillis, isTimeZone, MAX_INTERVAL_MILLIS, MIN_INTERVAL_MILLIS, parseCron } from "./schedules.js"
import { filterProblem } from "./topicFilter.js"

/** A definition as checked from a request body, or the answer naming what is wrong. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 400 | 422; readonly message: string }

const bad = (message: string): Checked<never> => ({ ok: false, status: 400, message })
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** Names the routes use themselves. */
const RESERVED_NAMES = new Set(["export", "import"])
const ENDPOINT = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$/
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

export const checkName = (name: unknown, what: string): Checked<string> => {
  if (typeof name !== "string" || !DEFINITION_NAME.test(name)) return bad(`name: a ${what} name is ${DEFINITION_NAME_RULE}`)
  if (RESERVED_NAMES.has(name)) return bad(`name: ${name} is reserved`)
  return { ok: true, value: name }
}

const checkLanguage = (language: unknown): Checked<CodeLanguage> => {
  if (language === undefined) return { ok: true, value: "typescript" }
  if (language === "typescript" || language === "javascript") return { ok: true, value: language }
  return bad(`language: ${JSON.stringify(language)} is not supported; use typescript or javascript`)
}

/** The code compiles (TypeScript transpiled), or 422 with the compiler's line and message. */
const checkCode = (code: unknown, language: CodeLanguage): Checked<string> => {
  if (typeof code !== "string") return bad("code: the body of async function execute(context), as a string")
  if (code.length > 1_000_000) return bad("code: at most 1,000,000 characters")
  const compiled = compileCode(code, language)
  if (!compiled.ok) return { ok: false, status: 422, message: `code does not compile: line ${compiled.line}, column ${compiled.column}: ${compiled.message}` }
  return { ok: true, value: code }
}

const checkLimits = (limits: unknown): Checked<RunLimits | undefined> => {
  if (limits === undefined || limits === null) return { ok: true, value: undefined }
  if (!isObject(limits)) return bad("limits: { memory_mb?, cpu_ms? }")
  const out: { memory_mb?: number; cpu_ms?: number } = {}
  const memory = limits["memory_mb"]
  if (memory !== undefined) {
    if (typeof memory !== "number" || !Number.isInteger(memory) || memory < 1 || memory > 1024) return bad("limits.memory_mb: a whole number of MiB from 1 to 1024")
    out.memory_mb = memory
  }
  const cpu = limits["cpu_ms"]
  if (cpu !== undefined) {
    if (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 1 || cpu > 600_000) return bad("limits.cpu_ms: a whole number of milliseconds from 1 to 600000")
    out.cpu_ms = cpu
  }
  return { ok: true, value: out }
}

/** One trigger: `{ type, config }` as MACHHUB writes it (the config's fields beside `type` are taken too). */
const checkTrigger = (raw: unknown, where: string): Checked<ProcessTrigger> => {
  if (!isObject(raw)) return bad(`${where}: a trigger is { type, config }`)
  const { type, config: given, ...rest } = raw
  const config: Record<string, unknown> = isObject(given) ? given : rest
  switch (type) {
    case "manual":
      return { ok: true, value: { type: "manual" } }
    case "http": {
      const endpoint = config["endpoint"]
      if (typeof endpoint !== "string" || !ENDPOINT.test(endpoint.replace(/^\/+/, ""))) {
        return bad(`${where}.config.endpoint: 1 to 128 letters, digits, _, ., - or /, called as POST /process/<endpoint>`)
      }
      return { ok: true, value: { type: "http", config: { endpoint: endpoint.replace(/^\/+/, "") } } }
    }
    case "interval": {
      const value = config["interval_value"]
      const unit = config["interval_unit"]
      if (unit !== "s" && unit !== "m" && unit !== "h") return bad(`${where}.config.interval_unit: s, m or h`)
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1) return bad(`${where}.config.interval_value: a whole number, 1 or more`)
      const millis = intervalMillis(value, unit)
      if (millis < MIN_INTERVAL_MILLIS || millis > MAX_INTERVAL_MILLIS) return bad(`${where}: an interval is 1 s to 366 days`)
      return { ok: true, value: { type: "interval", config: { interval_value: value, interval_unit: unit } } }
    }
    case "cron": {
      const expression = config["cron_expression"]
      const timezone = config["timezone"]
      if (typeof expression !== "string" || expression.trim() === "") return bad(`${where}.config.cron_expression: a cron expression such as "*/5 * * * *"`)
      if (timezone !== undefined && (typeof timezone !== "string" || !isTimeZone(timezone))) {
        return bad(`${where}.config.timezone: ${JSON.stringify(timezone)} is not an IANA time-zone name such as Europe/Berlin`)
      }
      const parsed = parseCron(expression, typeof timezone === "string" ? timezone : "UTC")
      if (!parsed.ok) return bad(`${where}.config.cron_expression ${JSON.stringify(expression)} does not parse: ${parsed.message}`)
      return { ok: true, value: { type: "cron", config: { cron_expression: expression, ...(typeof timezone === "string" ? { timezone } : {}) } } }
    }
    case "tag_change": {
      const problem = filterProblem(config["tag"])
      if (problem !== undefined) return bad(`${where}.config.tag: ${problem}`)
      return { ok: true, value: { type: "tag_change", config: { tag: config["tag"] as string } } }
    }
    default:
      return bad(`${where}.type: ${JSON.stringify(type)} is not a trigger type (manual, http, interval, cron, tag_change)`)
  }
}

export const checkTriggers = (raw: unknown): Checked<ReadonlyArray<ProcessTrigger>> => {
  if (raw === undefined || raw === null) return { ok: true, value: [] }
  if (!Array.isArray(raw)) return bad("triggers: an array of { type, config }")
  if (raw.length > 32) return bad("triggers: at most 32")
  const out: Array<ProcessTrigger> = []
  for (let i = 0; i < raw.length; i++) {
    const one = checkTrigger(raw[i], `triggers[${i}]`)
    if (!one.ok) return one
    out.push(one.value)
  }
  return { ok: true, value: out }
}

const checkInputs = (raw: unknown): Checked<ReadonlyArray<ProcessInput>> => {
  if (raw === undefined || raw === null) return { ok: true, value: [] }
  if (!Array.isArray(raw)) return bad("inputs: an array of { name, type, config }")
  const out: Array<ProcessInput> = []
  for (let i = 0; i < raw.length; i++) {
    const where = `inputs[${i}]`
    const input: unknown = raw[i]
    if (!isObject(input)) return bad(`${where}: an input is { name, type: tag|query, config }`)
    const { name, type, config: given, ...rest } = input
    const config: Record<string, unknown> = isObject(given) ? given : rest
    if (typeof name !== "string" || name === "" || name.length > 128) return bad(`${where}.name: the key in context.inputs, 1 to 128 characters`)
    if (type === "tag") {
      const problem = filterProblem(config["tag"])
      if (problem !== undefined) return bad(`${where}.config.tag: ${problem}`)
      out.push({ name, type, config: { tag: config["tag"] as string } })
    } else if (type === "query") {
      const collection = config["collection"]
      if (typeof collection !== "string" || !TABLE_NAME.test(collection)) return bad(`${where}.config.collection: a collection name`)
      const { collection: _c, filter, ...fields } = config
      const equal = isObject(filter) ? filter : fields
      out.push({ name, type, config: { collection, ...(Object.keys(equal).length === 0 ? {} : { filter: equal }) } })
    } else {
      return bad(`${where}.type: ${JSON.stringify(type)} is not an input type (tag, query)`)
    }
  }
  return { ok: true, value: out }
}

const checkOutputs = (raw: unknown): Checked<ReadonlyArray<ProcessOutput>> => {
  if (raw === undefined || raw === null) return { ok: true, value: [] }
  if (!Array.isArray(raw)) return bad("outputs: an array of { type, config }")
  const out: Array<ProcessOutput> = []
  for (let i = 0; i < raw.length; i++) {
    const where = `outputs[${i}]`
    const output: unknown = raw[i]
    if (!isObject(output)) return bad(`${where}: an output is { type: tag_write|record_write, config }`)
    const { type, config: given, ...rest } = output
    const config: Record<string, unknown> = isObject(given) ? given : rest
    const field = config["field"]
    if (field !== undefined && typeof field !== "string") return bad(`${where}.config.field: a dot path into the result, e.g. "status" or "result.value"`)
    const withField = typeof field === "string" && field !== "" ? { field } : {}
    if (type === "tag_write") {
      const check = validateTopicName(config["tag"])
      if (!check.ok) return bad(`${where}.config.tag: ${check.message}`)
      out.push({ type, config: { tag: config["tag"] as string, ...withField } })
    } else if (type === "record_write") {
      const collection = config["collection"]
      if (typeof collection !== "string" || !TABLE_NAME.test(collection)) return bad(`${where}.config.collection: a collection name`)
      out.push({ type, config: { collection, ...withField } })
    } else {
      return bad(`${where}.type: ${JSON.stringify(type)} is not an output type (tag_write, record_write)`)
    }
  }
  return { ok: true, value: out }
}

/**
 * A process definition from a request body (MACHHUB's model, snake_case). `current` gives the runtime
 * fields an import leaves out (enabled, log_enabled). Compiles the code: 422 with line and message.
 */
export const checkProcess = (body: unknown, name: string | undefined, current?: ProcessDefinition): Checked<ProcessDefinition> => {
  if (!isObject(body)) return bad("The body must be a JSON object: { name, language, code, triggers, inputs, outputs, enabled? }")
  if (name !== undefined && body["name"] !== undefined && body["name"] !== name) {
    return bad(`name: the body names ${JSON.stringify(body["name"])}, the path ${JSON.stringify(name)}; leave it out or make them the same`)
  }
  const checkedName = checkName(name ?? body["name"], "process")
  if (!checkedName.ok) return checkedName
  for (const flag of ["enabled", "log_enabled"] as const) {
    if (body[flag] !== undefined && typeof body[flag] !== "boolean") return bad(`${flag}: true or false`)
  }
  if (body["description"] !== undefined && typeof body["description"] !== "string") return bad("description: a string")
  const language = checkLanguage(body["language"])
  if (!language.ok) return language
  const triggers = checkTriggers(body["triggers"])
  if (!triggers.ok) return triggers
  const inputs = checkInputs(body["inputs"])
  if (!inputs.ok) return inputs
  const outputs = checkOutputs(body["outputs"])
  if (!outputs.ok) return outputs
  const limits = checkLimits(body["limits"])
  if (!limits.ok) return limits
  const code = checkCode(body["code"], language.value)
  if (!code.ok) return code
  return {
    ok: true,
    value: {
      name: checkedName.value,
      enabled: (body["enabled"] as boolean | undefined) ?? current?.enabled ?? true,
      log_enabled: (body["log_enabled"] as boolean | undefined) ?? current?.log_enabled ?? true,
      language: language.value,
      code: code.value,
      triggers: triggers.value,
      inputs: inputs.value,
      outputs: outputs.value,
      ...(limits.value === undefined ? {} : { limits: limits.value }),
      ...(typeof body["description"] === "string" ? { description: body["description"] } : {})
    }
  }
}

/** A function definition from a request body: `{ name, language, code, limits?, description? }`. */
export const checkFunction = (body: unknown, name: string | undefined): Checked<FunctionDefinition> => {
  if (!isObject(body)) return bad("The body must be a JSON object: { name, language, code }")
  if (name !== undefined && body["name"] !== undefined && body["name"] !== name) {
    return bad(`name: the body names ${JSON.stringify(body["name"])}, the path ${JSON.stringify(name)}; leave it out or make them the same`)
  }
  const checkedName = checkName(name ?? body["name"], "function")
  if (!checkedName.ok) return checkedName
  if (body["description"] !== undefined && typeof body["description"] !== "string") return bad("description: a string")
  const language = checkLanguage(body["language"])
  if (!language.ok) return language
  const limits = checkLimits(body["limits"])
  if (!limits.ok) return limits
  const code = checkCode(body["code"], language.value)
  if (!code.ok) return code
  return {
    ok: true,
    value: {
      name: checkedName.value,
      language: language.value,
      code: code.value,
      ...(limits.value === undefined ? {} : { limits: limits.value }),
      ...(typeof body["description"] === "string" ? { description: body["description"] } : {})
    }
  }
}

/** A process as exported: without the runtime fields (enabled, log_enabled, version, id, domain_id). */
export const exported = (definition: ProcessDefinition) => {
  const { enabled: _enabled, log_enabled: _log, ...rest } = definition
  return rest
}
