#!/usr/bin/env node
// The event catalog, generated from the source of truth: the event Schemas in core/src (declared with
// `EventSchema`, see core/src/decider/Schemas.ts). The TypeScript sources are loaded as they are (tsx),
// so the catalog needs no build; field types, optionality and descriptions come from the Schemas and
// their `description` annotations. Writes:
//   docs/events.md                             for people
//   apps/server/src/generated/eventCatalog.ts  served at GET /api/events/catalog
// `--check` writes nothing and exits 1 when either file is stale (a test runs it; `npm run build`
// regenerates both first). `--root <dir>` reads and writes another checkout.
//
// Which category (the `<category>` of stream `<category>-<domain>-<id>` and of subject
// `mh.evt.<domain>.<category>.<EventType>`) an event belongs to comes from the aggregates that fold
// it: every aggregate exported by a core module lists its event Schemas in `events`. Events no
// aggregate folds (those written straight to the store, such as a terminal recording) take the
// `*_CATEGORY` constant exported by their own module.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { register } from "tsx/esm/api"

// `--root <dir>` runs on another checkout (the staleness test uses a modified copy).
const rootArg = process.argv.indexOf("--root")
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), "..")
const MARKDOWN = join(root, "docs/events.md")
const MODULE = join(root, "apps/server/src/generated/eventCatalog.ts")
const SUBJECT = "mh.evt.<domain>.<category>.<EventType>"
const EVENT_ANNOTATION = "machhubEvent" // decider/Schemas.ts
const coreSrc = join(root, "core/src")
const rel = (fileName) => relative(root, fileName).split("\\").join("/")

// 1. Every module of core, as loaded (index.ts only re-exports, so a value's source is where it is declared).
const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return sourceFiles(path)
      return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && path !== join(coreSrc, "index.ts") ? [path] : []
    })
const files = sourceFiles(coreSrc)
const unregister = register()
const modules = []
for (const file of files) modules.push({ file, exports: await import(pathToFileURL(file).href) })
await unregister()

const isSchema = (value) => value !== null && (typeof value === "object" || typeof value === "function") && typeof value.ast?._tag === "string"
const annotationsOf = (ast) => ast.annotations ?? {}
const isEvent = (value) => isSchema(value) && typeof annotationsOf(value.ast)[EVENT_ANNOTATION] === "string"

const events = new Map()
const fileCategory = new Map()
/** Named Schemas (an `identifier` annotation) as their declaring module exports them. */
const declaredTypes = new Map()
for (const { file, exports } of modules) {
  for (const [name, value] of Object.entries(exports)) {
    if (name.endsWith("_CATEGORY") && typeof value === "string") fileCategory.set(file, value)
    if (!isSchema(value)) continue
    const identifier = annotationsOf(value.ast).identifier
    if (typeof identifier === "string" && !declaredTypes.has(identifier)) declaredTypes.set(identifier, { ast: value.ast, source: rel(file) })
    if (!isEvent(value)) continue
    const type = annotationsOf(value.ast)[EVENT_ANNOTATION]
    const known = events.get(type)
    if (known !== undefined && known.schema !== value) throw new Error(`event type ${type} is declared twice (${rel(file)} and ${known.source})`)
    if (known === undefined) events.set(type, { type, schema: value, categories: new Set(), file, source: rel(file) })
  }
}
for (const { exports } of modules) {
  for (const value of Object.values(exports)) {
    if (value === null || typeof value !== "object" || typeof value.category !== "string" || !Array.isArray(value.events)) continue
    for (const schema of value.events) {
      if (isEvent(schema)) events.get(annotationsOf(schema.ast)[EVENT_ANNOTATION])?.categories.add(value.category)
    }
  }
}
for (const event of events.values()) {
  if (event.categories.size > 0) continue
  const category = fileCategory.get(event.file)
  if (category === undefined) throw new Error(`no aggregate folds ${event.type} and ${event.source} exports no *_CATEGORY constant: its subject is unknown`)
  event.categories.add(category)
}

// 2. Field types as TypeScript would spell them, from the Schemas' ASTs; named Schemas by their name.
const namedTypes = new Map()
const OPTIONAL_UNDEFINED = Symbol("undefined of an optional field")

function typeText(ast, named = true) {
  const identifier = annotationsOf(ast).identifier
  if (named && typeof identifier === "string") {
    noteNamed(identifier, ast)
    return identifier
  }
  switch (ast._tag) {
    case "String":
    case "Number":
    case "Boolean":
    case "Null":
    case "Undefined":
    case "Unknown":
    case "Any":
    case "Never":
    case "BigInt":
    case "Symbol":
    case "Void":
      return ast._tag.toLowerCase()
    case "ObjectKeyword":
      return "object"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types.map((member) => typeText(member)).join(" | ")
    case "Arrays":
      if (ast.elements.length === 0 && ast.rest.length === 1) return `ReadonlyArray<${typeText(ast.rest[0])}>`
      return `readonly [${ast.elements.map((element) => typeText(element)).join(", ")}]`
    case "Objects": {
      const properties = ast.propertySignatures.map((p) => `readonly ${String(p.name)}${p.type.context?.isOptional ? "?" : ""}: ${fieldTypeText(p.type)}`)
      const indexes = ast.indexSignatures.map((index) => `readonly [x: ${typeText(index.parameter)}]: ${typeText(index.type)}`)
      return `{ ${[...properties, ...indexes].join("; ")}; }`
    }
    case "Declaration":
      return typeof annotationsOf(ast).expected === "string" ? annotationsOf(ast).expected : "unknown"
    case "Suspend":
      return typeText(ast.thunk(), named)
    default:
      return "unknown"
  }
}

/** An optional field's type without the `undefined` that `Schema.optional` adds (optionality is shown apart). */
function fieldTypeText(ast) {
  if (ast.context?.isOptional && ast._tag === "Union" && typeof annotationsOf(ast).identifier !== "string") {
    const members = ast.types.filter((member) => member._tag !== "Undefined")
    if (members.length === 1) return typeText(members[0])
    return members.map((member) => typeText(member)).join(" | ")
  }
  return typeText(ast)
}

const descriptionOf = (ast) => {
  const text = annotationsOf(ast).description ?? ast.context?.annotations?.description
  return typeof text === "string" ? text.replace(/\s+/g, " ").trim() : ""
}

function fieldsOf(ast) {
  return ast.propertySignatures.map((p) => {
    const identifier = annotationsOf(p.type).identifier
    // A named type's own description belongs under "Types", not on every field of that type.
    const own = typeof identifier === "string" ? descriptionOf(declaredTypes.get(identifier)?.ast ?? p.type) : undefined
    const description = descriptionOf(p.type)
    return { name: String(p.name), type: fieldTypeText(p.type), optional: p.type.context?.isOptional === true, description: description === own ? "" : description }
  })
}

function noteNamed(name, seen) {
  if (namedTypes.has(name)) return
  namedTypes.set(name, null) // reserved first, so recursive types terminate
  const declared = declaredTypes.get(name)
  const ast = declared?.ast ?? seen
  const entry = { name, source: declared?.source ?? "core/src", description: descriptionOf(ast) }
  if (ast._tag === "Objects" && ast.propertySignatures.length > 0) entry.fields = fieldsOf(ast)
  else entry.definition = typeText(ast, false)
  namedTypes.set(name, entry)
}

// 3. The envelope every event travels in, from its Schemas.
const envelopeModule = modules.find(({ file }) => file === join(coreSrc, "eventstore/EventEnvelope.ts"))?.exports
if (envelopeModule?.RecordedEventSchema === undefined) throw new Error("core/src/eventstore/EventEnvelope.ts exports no RecordedEventSchema")
const envelope = fieldsOf(envelopeModule.RecordedEventSchema.ast)
const meta = fieldsOf(envelopeModule.EventMetaSchema.ast)

const catalogEvents = [...events.values()].map(({ type, schema, categories, source }) => ({
  type,
  categories: [...categories].sort(),
  description: descriptionOf(schema.ast),
  source,
  fields: fieldsOf(schema.ast.propertySignatures.find((p) => p.name === "data").type)
}))

const catalog = {
  subject: SUBJECT,
  stream: "<category>-<domain>-<id>",
  encodings: {
    msgpack: "default on NATS (Content-Type application/msgpack): plain MessagePack maps, byte fields as bin",
    json: "NATS with MACHHUB_EVENT_FORMAT=json, and the audit API: byte fields (Uint8Array) as base64 strings"
  },
  envelope,
  meta,
  events: catalogEvents
    .map(({ type, categories, source, description, fields }) => ({
      type,
      categories,
      subjects: categories.map((category) => `mh.evt.<domain>.${category}.${type}`),
      streams: categories.map((category) => `${category}-<domain>-<id>`),
      description,
      source,
      fields
    }))
    .sort((a, b) => a.categories[0].localeCompare(b.categories[0]) || a.type.localeCompare(b.type)),
  types: [...namedTypes.values()].filter((t) => t !== null).sort((a, b) => a.name.localeCompare(b.name))
}

const escape = (s) => s.replaceAll("|", "\\|")
const fieldTable = (fields) => [
  "| field | type | description |",
  "|---|---|---|",
  ...fields.map((f) => `| \`${f.name}\`${f.optional ? " (optional)" : ""} | \`${escape(f.type)}\` | ${escape(f.description)} |`)
]
const markdown = [
  "<!-- Generated by scripts/generate-event-catalog.mjs from the event Schemas in core/src. Do not edit: run `npm run build`. -->",
  "# Event catalog",
  "",
  `Every event the platform records, with its fields and the NATS subject it is published on after commit: \`${SUBJECT}\`.`,
  "Delivery is at least once: de-duplicate by the event `id` (also in the `Nats-Msg-Id` header).",
  "The same catalog is served as JSON at `GET /api/events/catalog`.",
  "",
  "Encodings: " + Object.entries(catalog.encodings).map(([name, text]) => `**${name}**: ${text}`).join("; ") + ".",
  "",
  "## Envelope",
  "",
  ...fieldTable(envelope),
  "",
  "`meta`:",
  "",
  ...fieldTable(meta),
  "",
  "## Events",
  "",
  "| event | subject | source |",
  "|---|---|---|",
  ...catalog.events.map((e) => `| [${e.type}](#${e.type.toLowerCase()}) | ${e.subjects.map((s) => `\`${s}\``).join("<br>")} | \`${e.source}\` |`),
  "",
  ...catalog.events.flatMap((e) => [
    `### ${e.type}`,
    "",
    ...(e.description === "" ? [] : [e.description, ""]),
    `Subject ${e.subjects.map((s) => `\`${s}\``).join(", ")}; stream ${e.streams.map((s) => `\`${s}\``).join(", ")}.`,
    "",
    ...(e.fields.length === 0 ? ["No fields."] : fieldTable(e.fields)),
    ""
  ]),
  "## Types",
  "",
  ...catalog.types.flatMap((t) => [
    `### ${t.name}`,
    "",
    ...(t.description === "" ? [] : [t.description, ""]),
    `Declared in \`${t.source}\`.`,
    "",
    ...(t.fields !== undefined ? fieldTable(t.fields) : [`\`${t.name} = ${t.definition}\``]),
    ""
  ])
].join("\n")

const module = [
  "// Generated by scripts/generate-event-catalog.mjs from the event Schemas in core/src.",
  "// Do not edit: `npm run build` regenerates it, and a test fails when it is stale.",
  `export const eventCatalog = ${JSON.stringify(catalog, null, 2)} as const`,
  ""
].join("\n")

const outputs = [[MARKDOWN, markdown], [MODULE, module]]
if (process.argv.includes("--check")) {
  const stale = outputs.filter(([path, content]) => {
    try {
      return readFileSync(path, "utf8") !== content
    } catch {
      return true
    }
  })
  if (stale.length > 0) {
    console.error(`The event catalog is stale: ${stale.map(([path]) => rel(path)).join(", ")}. Run: node scripts/generate-event-catalog.mjs`)
    process.exit(1)
  }
  console.log(`event catalog up to date (${catalog.events.length} events)`)
} else {
  for (const [path, content] of outputs) {
    mkdirSync(dirname(path), { recursive: true })
    let current
    try {
      current = readFileSync(path, "utf8")
    } catch {
      current = undefined
    }
    // Unchanged files are not rewritten, so `tsc -b` after it stays incremental.
    if (current !== content) writeFileSync(path, content)
  }
  console.log(`event catalog: ${catalog.events.length} events → ${outputs.map(([path]) => rel(path)).join(", ")}`)
}
