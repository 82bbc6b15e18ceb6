import { isCanonicalDate, isoInstantMs } from "./dates.js"
import type { FieldType } from "./ListQuery.js"

/**
 * Text order as SQLite's BINARY collation sees it: UTF-8 bytes, which is code point order. JS `<` on
 * strings compares UTF-16 code units instead and puts U+10000.. (surrogate pairs) before U+E000..U+FFFF.
 * A lone surrogate counts as its own code point, which matches the bytes SQLite holds for it (both
 * better-sqlite3 and json_extract store it as the 3-byte generalized UTF-8 form).
 */
export const compareText = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i) as number
    const y = b.codePointAt(j) as number
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
    j += y > 0xffff ? 2 : 1
  }
  return a.length - i === b.length - j ? 0 : a.length - i < b.length - j ? -1 : 1
}

/** A finite decimal, optionally with an exponent: `-12`, `0.5`, `.5`, `1e-3`. No hex, no `Infinity`. */
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Longest accepted filter value, in UTF-16 code units. */
export const MAX_VALUE_LENGTH = 4096

/**
 * Parses one filter value as its type: a string, a number, a boolean, a date's epoch ms, or (type
 * `object`) the untyped text itself. Returns a
 * problem description (string wrapped in an object) when it does not parse.
 */
export const parseTypedValue = (type: FieldType, raw: string): { readonly value: string | number | boolean } | { readonly problem: string } => {
  if (raw.length > MAX_VALUE_LENGTH) return { problem: `value is longer than ${MAX_VALUE_LENGTH} characters` }
  switch (type) {
    case "string":
    case "object":
      // Never an unpaired surrogate: URLSearchParams holds USVStrings (it turns one into U+FFFD). That
      // matters for contains, where JS matches UTF-16 units and SQLite bytes; for well-formed needles
      // both find the same substrings.
      return { value: raw }
    case "number": {
      const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN
      return Number.isFinite(value) ? { value } : { problem: `${show(raw)} is not a finite decimal number` }
    }
    case "boolean": {
      const lower = raw.toLowerCase()
      return lower === "true" ? { value: true } : lower === "false" ? { value: false } : { problem: `${show(raw)} is not true or false` }
    }
    case "date": {
      // A `+` in a query string decodes to a space; take `T10:00 02:00` as the `+02:00` it was meant as.
      const text = /T[^ ]* \d{2}:\d{2}$/.test(raw) ? raw.replace(/ (\d{2}:\d{2})$/, "+$1") : raw
      const ms = isCanonicalDate(text) ? isoInstantMs(text) : undefined
      return ms === undefined
        ? { problem: `${show(raw)} is not an ISO-8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.sss]] with Z or ±HH:MM)` }
        : { value: ms }
    }
  }
}

/** What an untyped text (type `object`) can equal: itself as a string, and its number and boolean readings. */
export interface LooseReadings {
  readonly text: string
  readonly number: number | undefined
  readonly boolean: boolean | undefined
}

export const looseReadings = (text: string): LooseReadings => {
  const number = parseTypedValue("number", text)
  const boolean = parseTypedValue("boolean", text)
  return {
    text,
    number: "value" in number ? (number.value as number) : undefined,
    boolean: "value" in boolean ? (boolean.value as boolean) : undefined
  }
}

/** Quotes user text for an error message: short, with control characters escaped. */
export const show = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)
