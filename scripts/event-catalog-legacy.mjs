// Events still declared as TypeScript types (`type X = DomainEvent<"X", { ...fields }>`) rather than
// Schemas, read with the TypeScript compiler: only while some aggregates are being moved to Schemas
// (decider/Schemas.ts). generate-event-catalog.mjs calls it only when core/src still holds such a
// declaration; once none is left, this file can go.
import { dirname, join, relative } from "node:path"
import ts from "typescript"

/** The events declared as `DomainEvent<...>` types in `root`/core/src, with their categories and the core types their fields name. */
export function legacyEvents(root) {
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

  return { events: [...events.values()], types: [...namedTypes.values()].filter((t) => t !== null) }
}
