import type { FieldType, FilterOp } from "./ListQuery.js"

/**
 * Operator spellings (matched lower-cased) and what each operator accepts. Meanings are in ListQuery.ts.
 */
export const OPERATOR_SPELLINGS: Readonly<Record<string, FilterOp>> = {
  "=": "eq",
  "==": "eq",
  eq: "eq",
  "!=": "ne",
  ne: "ne",
  ">": "gt",
  gt: "gt",
  "<": "lt",
  lt: "lt",
  ">=": "gte",
  gte: "gte",
  "<=": "lte",
  lte: "lte",
  "~": "fuzzy",
  "!~": "notFuzzy",
  "@@": "text",
  contains: "contains",
  containsnot: "containsNot",
  containsall: "containsAll",
  containsany: "containsAny",
  containsnone: "containsNone",
  in: "in",
  inside: "in",
  "not in": "notIn",
  notinside: "notIn",
  allinside: "allIn",
  anyinside: "anyIn",
  noneinside: "noneIn"
}

/** SurrealDB operators the SDK may send that this server does not implement. */
export const UNSUPPORTED_OPERATORS: ReadonlySet<string> = new Set(["?=", "*=", "?~", "*~", "@0@", "@1@", "@2@", "@3@"])

/** For error messages: the accepted spellings, short. */
export const KNOWN_OPERATORS = "= == != > < >= <= ~ !~ @@ CONTAINS CONTAINSNOT CONTAINSALL CONTAINSANY CONTAINSNONE IN INSIDE NOT IN NOTINSIDE ALLINSIDE ANYINSIDE NONEINSIDE, or eq ne gt lt gte lte, each also as ARRAY_WHERE_<op>"

/** Operators whose value is a comma-separated list. */
export const LIST_OPERATORS: ReadonlySet<FilterOp> = new Set(["containsAll", "containsAny", "containsNone", "in", "notIn", "allIn", "anyIn", "noneIn"])

/** Operators that only read strings. */
export const STRING_OPERATORS: ReadonlySet<FilterOp> = new Set(["fuzzy", "notFuzzy", "text"])

/** Operators that are NOT of a positive twin (their SQL and JS are built as exactly that). */
export const NEGATION_OF: Readonly<Partial<Record<FilterOp, FilterOp>>> = {
  ne: "eq",
  notFuzzy: "fuzzy",
  containsNot: "contains",
  containsNone: "containsAny",
  notIn: "in",
  noneIn: "anyIn"
}

/** Why `type` cannot go with `op`, or undefined when it can. */
export const typeProblem = (op: FilterOp, spelling: string, type: FieldType): string | undefined => {
  if (STRING_OPERATORS.has(op) && type !== "string") return `${spelling} only applies to type string`
  if (type === "object" && !LIST_OPERATORS.has(op)) {
    return `type object carries a comma-separated list and goes only with the list operators (IN, NOT IN, INSIDE, NOTINSIDE, ALLINSIDE, ANYINSIDE, NONEINSIDE, CONTAINSALL, CONTAINSANY, CONTAINSNONE); ${spelling} takes one value`
  }
  return undefined
}
