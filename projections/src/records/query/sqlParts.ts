/**
 * SQL conditions built as fragments that carry their own bound values, so that a condition dropped by
 * constant folding also drops its values (pushing onto one shared list would leave them orphaned and
 * shift every later `?`). `true`/`false` stand for conditions known statically.
 */
export interface Sql {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}
export type Cond = Sql | boolean

/** SQL text with no values (field paths and keywords only, never user data). */
export const raw = (sql: string): Sql => ({ sql, params: [] })

/** `?` bound to a value. */
export const bound = (value: unknown): Sql => ({ sql: "?", params: [value] })

/** Text and fragments glued in order: `sql\`${x} = ${bound(v)}\``; strings are SQL text. */
export const sql = (text: TemplateStringsArray, ...parts: ReadonlyArray<Sql | string>): Sql => {
  let out = text[0] ?? ""
  const params: Array<unknown> = []
  parts.forEach((part, i) => {
    if (typeof part === "string") out += part
    else {
      out += part.sql
      params.push(...part.params)
    }
    out += text[i + 1] ?? ""
  })
  return { sql: out, params }
}

const join = (parts: ReadonlyArray<Sql>, separator: string): Sql => ({
  sql: parts.map((part) => part.sql).join(separator),
  params: parts.flatMap((part) => part.params)
})

/** `x IN (?, ?, …)`, or `x = ?` for one value; false for none. */
export const inList = (x: string, values: ReadonlyArray<unknown>): Cond =>
  values.length === 0 ? false : values.length === 1 ? sql`${x} = ${bound(values[0])}` : sql`${x} IN (${join(values.map(bound), ", ")})`

export const and = (...conds: ReadonlyArray<Cond>): Cond => {
  if (conds.includes(false)) return false
  const kept = conds.filter((cond): cond is Sql => cond !== true)
  return kept.length === 0 ? true : kept.length === 1 ? kept[0] as Sql : sql`(${join(kept, " AND ")})`
}

export const or = (...conds: ReadonlyArray<Cond>): Cond => {
  if (conds.includes(true)) return true
  const kept = conds.filter((cond): cond is Sql => cond !== false)
  return kept.length === 0 ? false : kept.length === 1 ? kept[0] as Sql : sql`(${join(kept, " OR ")})`
}

/** Exactly NOT the condition, also where it is NULL (a missing field): NULL counts as false. */
export const not = (cond: Cond): Cond => typeof cond === "boolean" ? !cond : sql`NOT coalesce(${cond}, 0)`

export const render = (cond: Cond): Sql => typeof cond === "boolean" ? raw(cond ? "1" : "0") : cond
