/**
 * JSON from a client that the event log can hold exactly as the client sent it.
 *
 * Every event is encoded with msgpackr (SQLite and JetStream logs, KurrentDB data, the NATS command
 * bus and event subjects), and two things a JSON body can carry do not survive that encoding:
 *
 * - a `__proto__` key: msgpackr writes it, but its decoder renames it `__proto_` (its guard against
 *   prototype pollution), so a replay, `?asOf=` or another node would see another field;
 * - a lone UTF-16 surrogate (`"\ud800"` with no partner): MessagePack strings are UTF-8, which has no
 *   form for it; msgpackr writes its 3-byte WTF-8 form (strings under 64 characters) or U+FFFD (longer
 *   ones), and reads either back as U+FFFD.
 *
 * The answer and the read model are built with JSON.stringify, which keeps both, so accepting them
 * would make the log differ from what was acknowledged. They are refused instead (400, naming the
 * field) before anything runs, for every JSON body the server reads. Everything else JSON can say
 * round-trips: astral characters, U+FFFF, NUL, keys like "constructor" or "" or "a.b".
 *
 * Nesting is bounded too (400 past MAX_JSON_DEPTH): JSON.parse itself accepts any depth (V8's parser
 * does not recurse), but msgpackr's encoder and JSON.stringify do recurse, and overflow the stack near
 * 1,400 and 4,100 levels even on an empty stack, so a body of nested brackets that a route accepts as
 * an opaque value (a collection's JSON Schema) ended in a 500. The walk below keeps its own stack, so
 * no depth can overflow it.
 */

/** Deepest nesting of arrays and objects accepted: `{"a":[1]}` is 2 levels deep. */
export const MAX_JSON_DEPTH = 256

export type LoggableJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

/**
 * Parses `source` and refuses what the log could not hold. `what` names the source in messages
 * ("Request body", "The record field").
 */
export const parseLoggableJson = (source: string, what: string): LoggableJson => {
  let value: unknown
  try {
    value = JSON.parse(source)
  } catch (error) {
    return { ok: false, message: `${what} is not valid JSON: ${(error as Error).message.slice(0, 200)}` }
  }
  const problem = unloggableJsonProblem(value, what)
  return problem === undefined ? { ok: true, value } : { ok: false, message: problem }
}

interface Frame {
  readonly value: object
  readonly parent: Frame | undefined
  readonly segment: string | number
  readonly depth: number
}

// An ES2024 string method (Node 20 has it; the TypeScript lib in use stops at ES2023).
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/**
 * Why `value` (a parsed JSON value) cannot go into the log as it is, or undefined when it can.
 * One pass over the value with an explicit stack; a path is only built for the message.
 */
export const unloggableJsonProblem = (value: unknown, what = "Request body"): string | undefined => {
  if (typeof value === "string") return isWellFormed(value) ? undefined : `${what} holds a lone surrogate (${loneSurrogate(value)}); send valid Unicode`
  if (typeof value !== "object" || value === null) return undefined
  const stack: Array<Frame> = [{ value, parent: undefined, segment: "", depth: 1 }]
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const container = frame.value
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i]
        if (typeof item === "string") {
          if (!isWellFormed(item)) return `Field ${quotedPath(frame, i)} holds a lone surrogate (${loneSurrogate(item)}); send valid Unicode`
        } else if (typeof item === "object" && item !== null) {
          if (frame.depth === MAX_JSON_DEPTH) return tooDeep(what, frame, i)
          stack.push({ value: item, parent: frame, segment: i, depth: frame.depth + 1 })
        }
      }
    } else {
      const keys = Object.keys(container)
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (key === "__proto__") return `Key "__proto__" ${at(frame)}is not allowed; rename the field`
        if (!isWellFormed(key)) return `Key ${shown(JSON.stringify(key))} ${at(frame)}holds a lone surrogate (${loneSurrogate(key)}); send valid Unicode`
        const item: unknown = (container as Record<string, unknown>)[key]
        if (typeof item === "string") {
          if (!isWellFormed(item)) return `Field ${quotedPath(frame, key)} holds a lone surrogate (${loneSurrogate(item)}); send valid Unicode`
        } else if (typeof item === "object" && item !== null) {
          if (frame.depth === MAX_JSON_DEPTH) return tooDeep(what, frame, key)
          stack.push({ value: item, parent: frame, segment: key, depth: frame.depth + 1 })
        }
      }
    }
  }
  return undefined
}

const tooDeep = (what: string, frame: Frame, segment: string | number): string =>
  `${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at ${quotedPath(frame, segment)}); flatten it`

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/
const MAX_SHOWN = 200

/** The first unpaired surrogate of `text`, as its escape (`\ud800`). */
const loneSurrogate = (text: string): string => {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0xd800 || unit > 0xdfff) continue
    const next = text.charCodeAt(i + 1)
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++
      continue
    }
    return `\\u${unit.toString(16)}`
  }
  return "none"
}

const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff

/** Shortens a piece of a message to its head and tail; never cuts a surrogate pair in half. */
const shown = (text: string): string => {
  if (text.length <= MAX_SHOWN) return text
  let headEnd = MAX_SHOWN / 2
  if (isHigh(text.charCodeAt(headEnd - 1))) headEnd--
  let tailStart = text.length - MAX_SHOWN / 2
  if (isLow(text.charCodeAt(tailStart))) tailStart++
  return `${text.slice(0, headEnd)}…${text.slice(tailStart)}`
}

/** `a.b[2]["x y"]`: JavaScript's own notation, so any key reads unambiguously. */
const pathOf = (frame: Frame, last: string | number | undefined): string => {
  const segments: Array<string | number> = last === undefined ? [] : [last]
  for (let f: Frame | undefined = frame; f !== undefined && f.parent !== undefined; f = f.parent) segments.push(f.segment)
  let path = ""
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!
    path += typeof segment === "number"
      ? `[${segment}]`
      : IDENTIFIER.test(segment) ? (path === "" ? segment : `.${segment}`) : `[${JSON.stringify(segment)}]`
  }
  return path
}

const quotedPath = (frame: Frame, last: string | number | undefined): string => {
  const path = pathOf(frame, last)
  return path === "" ? "the top level" : `"${shown(path)}"`
}

const at = (frame: Frame): string => (frame.parent === undefined ? "" : `at ${quotedPath(frame, undefined)} `)
