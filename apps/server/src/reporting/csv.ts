import type { Row } from "./computeReport.js"

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * A report's flat rows as CSV (RFC 4180): a header of group keys then metrics, a row per group, an
 * empty cell for null.
 */
export const reportCsv = (columns: ReadonlyArray<string>, rows: ReadonlyArray<Row>): string =>
  [columns.join(","), ...rows.map((row) => columns.map((column) => cell(row[column])).join(","))].join("\r\n") + "\r\n"
