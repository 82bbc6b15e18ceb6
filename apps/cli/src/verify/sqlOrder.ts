/**
 * SQLite's ORDER BY for values of the BINARY collation (the only one the read models use): NULL, then
 * numbers by value, then text by its UTF-8 bytes, then blobs by their bytes. Needed to walk two ordered
 * tables side by side; JavaScript's `<` on strings compares UTF-16 units, which differs for some
 * characters.
 */
const rank = (value: unknown): number => {
  if (value === null || value === undefined) return 0
  if (typeof value === "number" || typeof value === "bigint") return 1
  if (typeof value === "string") return 2
  return 3
}

export const compareSqlValues = (a: unknown, b: unknown): number => {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case 0:
      return 0
    case 1:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
    case 2:
      return a === b ? 0 : Buffer.compare(Buffer.from(a as string, "utf8"), Buffer.from(b as string, "utf8"))
    default:
      return Buffer.compare(a as Buffer, b as Buffer)
  }
}

export const compareKeys = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): number => {
  for (let i = 0; i < a.length; i++) {
    const c = compareSqlValues(a[i], b[i])
    if (c !== 0) return c
  }
  return 0
}
