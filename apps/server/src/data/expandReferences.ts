import { DEFAULT_ACCESS } from "@machhub/core"
import { parsePublicRecordId, recordObject, type RecordsReadModel } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { collectionAccess } from "./collectionAccess.js"

/**
 * A reference as the MACHHUB SDK writes it: the record id string `<domain>.<table>:<id>`, or the
 * object `{ "Table": "<domain>.<table>", "ID": "<id>" }` (SPEC §6a).
 */
const referenceText = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const { Table: table, ID: id } = value as { Table?: unknown; ID?: unknown }
  return typeof table === "string" && typeof id === "string" ? `${table}:${id}` : undefined
}

/**
 * `expand=`: replaces each named reference field of `record` (a dotted path into its data) by the
 * record it names, in place. Only references within the caller's domain, to records the caller may
 * read, are followed; any other stays as it was, so expansion never reveals what a plain read would not.
 */
export const expandReferences = (
  records: RecordsReadModel,
  record: Record<string, unknown>,
  fields: ReadonlyArray<string>,
  domain: string,
  principal: Principal | undefined
): Record<string, unknown> => {
  for (const field of fields) {
    const path = field.split(".")
    let holder: Record<string, unknown> | undefined = record
    for (const segment of path.slice(0, -1)) {
      const next: unknown = holder?.[segment]
      holder = typeof next === "object" && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : undefined
    }
    const last = path[path.length - 1]!
    const reference = referenceText(holder?.[last])
    if (holder === undefined || reference === undefined) continue
    const target = parsePublicRecordId(reference)
    if (target === undefined || target.domain !== domain) continue
    const access = collectionAccess(principal, records.collection(domain, target.table)?.access ?? DEFAULT_ACCESS, "read")
    if (!access.allowed) continue
    const row = records.get(domain, target.table, target.id)
    if (row === undefined || (access.onlyCreator !== undefined && row.creator !== access.onlyCreator)) continue
    holder[last] = recordObject(domain, target.table, row)
  }
  return record
}
