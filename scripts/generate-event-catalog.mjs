#!/usr/bin/env node
// The event catalog, generated from the source of truth: the `DomainEvent<"Type", { ...fields }>`
// declarations in core/src, read with the TypeScript compiler API (its type checker resolves field
// types, optionality and doc comments exactly as the compiler sees them). Writes:
//   docs/events.md                             for people
//   apps/server/src/generated/eventCatalog.ts  served at GET /api/events/catalog
// `--check` writes nothing and exits 1 when either file is stale (a test runs it; `npm run build`
// regenerates both first). `--root <dir>` reads and writes another checkout.
//
// Which category (the `<category>` of stream `<category>-<domain>-<id>` and of subject
// `mh.evt.<domain>.<category>.<EventType>`) an event belongs to comes from the aggregates that fold
// it: every exported aggregate value in core whose `category` is a string constant and whose
// `evolve` takes the event. Events no aggregate folds (those written straight to the store, such as a
// terminal recording) take the `*_CATEGORY` constant declared in their own file.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

// `--root <dir>` runs on another checkout (the staleness test uses a modified copy).
const rootArg = process.argv.indexOf("--root")
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), "..")
const MARKDOWN = join(root, "docs/events.md")
const MODULE = join(root, "apps/server/src/generated/eventCatalog.ts")
const SUBJECT = "mh.evt.<domain>.<category>.<EventType>"

const program = (() => {
  const configPath = join(root, "core/tsconfig.json")
  const config = ts.readConfigFile(configPath, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath))
  return ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true, composite: false, declaration: false } })
})()
const checker = program.getTypeChecker()
const coreSrc = join(root, "core/src")
const sources = program.getSourceFiles().filter((file) => file.fileName.startsWith(coreSrc) && !file.isDeclarationFile)
const rel = (fileName) => relative(root, fileName).split("\\").join("/")

const docOf = (symbol) => (symbol === undefined ? "" : ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, " ").trim())
const typeText = (type, enclosing = undefined, flags = 0) =>
  checker.typeToString(type, enclosing, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType | flags)
    .replaceAll("'", '"')

/** Types declared in core that fields refer to by name: listed once under "Types". */
const namedTypes = new Map()
const collapse = (text) => text.replace(/\s+/g, " ").replace(/;\s*}/g, " }").trim()

/** Records every core type a type node names (recursively through their own declarations). */
function collectNamed(node) {
  if (node === undefined) return
  if (ts.isTypeReferenceNode(node)) {
    let symbol = checker.getSymbolAtLocation(node.typeName)
    if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
    // A name may be both a value and a type (`RejectionReason`): the type's declaration is the one wanted.
    const declaration = symbol?.declarations?.find((d) => ts.isTypeAliasDeclaration(d) || ts.isInterfaceDeclaration(d))
    if (symbol !== undefined && declaration !== undefined && declaration.getSourceFile().fileName.startsWith(coreSrc) && !namedTypes.has(symbol.name)) {
      namedTypes.set(symbol.name, null) // reserved first, so recursive types terminate
      const entry = { name: symbol.name, source: rel(declaration.getSourceFile().fileName), description: docOf(symbol) }
      // (the doc comment is the type's, even when a value of the same name is declared first)
      if (ts.isInterfaceDeclaration(declaration) || (ts.isTypeAliasDeclaration(declaration) && ts.isTypeLiteralNode(declaration.type))) {
        entry.fields = fieldsOf(checker.getDeclaredTypeOfSymbol(symbol))
      } else if (ts.isTypeAliasDeclaration(declaration)) {
        entry.definition = typeText(checker.getTypeAtLocation(declaration.type), declaration, ts.TypeFormatFlags.InTypeAlias)
        collectNamed(declaration.type)
      }
      namedTypes.set(symbol.name, entry)
    }
  }
  ts.forEachChild(node, collectNamed)
}

/** Fields as declared (the author's type text, e.g. `SealedSecret`), with optionality and doc comments. */
function fieldsOf(type) {
  return checker.getPropertiesOfType(type).map((property) => {
    const declaration = property.valueDeclaration ?? property.declarations?.[0]
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0
    const node = declaration !== undefined && ts.isPropertySignature(declaration) ? declaration.type : undefined
    collectNamed(node)
    const text = node !== undefined
      ? collapse(node.getText())
      : typeText(checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, declaration)))
    return { name: property.name, type: text, optional, description: docOf(property) }
  })
}

// 1. Every `type X = DomainEvent<"X", {...}>` in core.
const events = new Map()
const fileCategory = new Map()
for (const file of sources) {
  ts.forEachChild(file, function visit(node) {
    if (ts.isVariableStatement(node)) {
      for (const declaration of node.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text.endsWith("_CATEGORY") && declaration.initializer && ts.isStringLiteral(declaration.initializer)) {
          fileCategory.set(file.fileName, declaration.initializer.text)
        }
      }
    }
    if (!ts.isTypeAliasDeclaration(node) || !ts.isTypeReferenceNode(node.type)) return
    if (node.type.typeName.getText(file) !== "DomainEvent" || node.type.typeArguments?.length !== 2) return
    const [typeArg, dataArg] = node.type.typeArguments
    if (!ts.isLiteralTypeNode(typeArg) || !ts.isStringLiteral(typeArg.literal)) return
    const name = typeArg.literal.text
    if (events.has(name)) throw new Error(`event type ${name} is declared twice (${rel(file.fileName)} and ${events.get(name).source})`)
    events.set(name, {
      type: name,
      categories: new Set(),
      source: rel(file.fileName),
      file: file.fileName,
      description: docOf(checker.getSymbolAtLocation(node.name)),
      fields: fieldsOf(checker.getTypeFromTypeNode(dataArg))
    })
  })
}

// 2. Categories from the aggregates that fold each event.
const literalOf = (node) => {
  const type = checker.getTypeAtLocation(node)
  return type.isStringLiteral() ? type.value : undefined
}
const categoryOfInitializer = (initializer) => {
  let object = initializer
  if (object && ts.isCallExpression(object)) object = object.arguments[0]
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined
  const property = object.properties.find((p) => p.name && p.name.getText() === "category")
  if (property === undefined) return undefined
  return literalOf(ts.isPropertyAssignment(property) ? property.initializer : property.name)
}
const foldedEventTypes = (type) => {
  const evolve = type.getProperty("evolve")
  if (evolve === undefined) return []
  const signature = checker.getTypeOfSymbol(evolve).getCallSignatures()[0]
  const parameter = signature?.getParameters()[1]
  if (parameter === undefined) return []
  const eventType = checker.getTypeOfSymbol(parameter)
  return (eventType.isUnion() ? eventType.types : [eventType])
    .map((member) => member.getProperty("type"))
    .filter((p) => p !== undefined)
    .map((p) => checker.getTypeOfSymbol(p))
    .filter((t) => t.isStringLiteral())
    .map((t) => t.value)
}
for (const file of sources) {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue
    for (const declaration of statement.declarationList.declarations) {
      const category = categoryOfInitializer(declaration.initializer)
      if (category === undefined) continue
      for (const type of foldedEventTypes(checker.getTypeAtLocation(declaration.name))) events.get(type)?.categories.add(category)
    }
  }
}
for (const event of events.values()) {
  if (event.categories.size > 0) continue
  const category = fileCategory.get(event.file)
  if (category === undefined) throw new Error(`no aggregate folds ${event.type} and ${event.source} declares no *_CATEGORY constant: its subject is unknown`)
  event.categories.add(category)
}

// 3. The envelope every event travels in, from its own declaration.
const interfaceNamed = (name) => {
  for (const file of sources) {
    for (const statement of file.statements) {
      if (ts.isInterfaceDeclaration(statement) && statement.name.text === name) return checker.getTypeAtLocation(statement.name)
    }
  }
  throw new Error(`interface ${name} not found in core/src`)
}
const envelope = fieldsOf(interfaceNamed("RecordedEvent"))
const meta = fieldsOf(interfaceNamed("EventMeta"))

const catalog = {
  subject: SUBJECT,
  stream: "<category>-<domain>-<id>",
  encodings: {
    msgpack: "default on NATS (Content-Type application/msgpack): plain MessagePack maps, byte fields as bin",
    json: "NATS with MACHHUB_EVENT_FORMAT=json, and the audit API: byte fields (Uint8Array) as base64 strings"
  },
  envelope,
  meta,
  events: [...events.values()]
    .map(({ type, categories, source, description, fields }) => {
      const sorted = [...categories].sort()
      return {
        type,
        categories: sorted,
        subjects: sorted.map((category) => `mh.evt.<domain>.${category}.${type}`),
        streams: sorted.map((category) => `${category}-<domain>-<id>`),
        description,
        source,
        fields
      }
    })
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
  "<!-- Generated by scripts/generate-event-catalog.mjs from the event declarations in core/src. Do not edit: run `npm run build`. -->",
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
  "// Generated by scripts/generate-event-catalog.mjs from the event declarations in core/src.",
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
