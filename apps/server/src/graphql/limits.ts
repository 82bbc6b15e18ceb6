import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode
} from "graphql"

/** MachineMetrics' limits (SPEC §9): answers at most 3 levels deep, at most 5 list selections per query. */
export const MAX_DEPTH = 3
export const MAX_LISTS = 5

/**
 * Measures an operation before it runs: its depth (the top level is 1; fragments count where they are
 * spread) and how many of its selections are lists (root and nested, aliases each counting). Answers
 * the limits it breaks as GraphQL errors; none means it may run. Run after validation, which refuses
 * fragment cycles, so the walk ends.
 */
export const checkLimits = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Array<GraphQLError> => {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  let depth = 0
  let lists = 0
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType, level: number): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue
        depth = Math.max(depth, level)
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue
        const field = parent.getFields()[selection.name.value]
        if (field === undefined) continue
        if (isListType(getNullableType(field.type))) lists++
        const named = getNamedType(field.type)
        if (selection.selectionSet !== undefined && (isObjectType(named) || isInterfaceType(named))) walk(selection.selectionSet, named, level + 1)
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition === undefined ? parent : (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) ?? parent
        walk(selection.selectionSet, typed, level)
      } else {
        const fragment = fragments.get(selection.name.value)
        if (fragment !== undefined) walk(fragment.selectionSet, (schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined) ?? parent, level)
      }
    }
  }
  const root = operation.operation === "query" ? schema.getQueryType() : undefined
  if (root == null) return []
  walk(operation.selectionSet, root, 1)
  const errors: Array<GraphQLError> = []
  if (depth > MAX_DEPTH) {
    errors.push(new GraphQLError(`The query is ${depth} levels deep; at most ${MAX_DEPTH} are allowed (the top level counts as 1)`, { extensions: { code: "DEPTH_LIMIT_EXCEEDED" } }))
  }
  if (lists > MAX_LISTS) {
    errors.push(new GraphQLError(`The query selects ${lists} lists; at most ${MAX_LISTS} are allowed (root and nested)`, { extensions: { code: "NODE_LIMIT_EXCEEDED" } }))
  }
  return errors
}
