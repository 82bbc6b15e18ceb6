/** A selection tree: `true` keeps a whole value, a nested tree keeps only some of an object's keys. */
type Selection = Map<string, Selection | true>

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * `fields=` projection of an API record (its own fields plus `id` and `_meta`). Keeps `id` and `_meta`
 * always, and each named field: `address` keeps it whole, `address.city` keeps only that key of the
 * `address` object (and drops `address` if it is not an object or lacks it). Names that match nothing
 * are simply absent. Key order follows the record.
 */
export const project = (record: Readonly<Record<string, unknown>>, fields: ReadonlyArray<string>): Record<string, unknown> => {
  const root: Selection = new Map()
  for (const name of fields) {
    const segments = name.split(".")
    let node = root
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string
      const existing = node.get(segment)
      if (existing === true) break // an enclosing field is already kept whole
      if (i === segments.length - 1) {
        node.set(segment, true)
        break
      }
      const child: Selection = existing ?? new Map()
      node.set(segment, child)
      node = child
    }
  }
  root.set("id", true)
  root.set("_meta", true)
  return pick(record, root)
}

const pick = (value: Readonly<Record<string, unknown>>, selection: Selection): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const selected = selection.get(key)
    if (selected === undefined) continue
    const inner = value[key]
    if (selected === true) define(result, key, inner)
    else if (isPlainObject(inner)) {
      const picked = pick(inner, selected)
      if (Object.keys(picked).length > 0) define(result, key, picked)
    }
  }
  return result
}

// A plain assignment of "__proto__" would set the prototype instead of keeping the field.
const define = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
