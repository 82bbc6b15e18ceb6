import { RE2JS } from "re2js"

/**
 * Regular expressions from tenants (JSON Schema `pattern` and `patternProperties`) run on RE2 (the
 * pure-JS port `re2js`), whose matching time is linear in the input: a backtracking pattern such as
 * `^(a+)+$` costs exponential time on V8's engine and would hold the one event loop every tenant
 * shares. Patterns keep their ECMAScript meaning (JSON Schema defines them as ECMA-262 with the `u`
 * flag): each is first checked by V8's parser, then rewritten where RE2's syntax or meaning differs
 * (`.`, `\s`, `\uXXXX`, `\cX`, `[^]`...). What RE2 cannot run in linear time (lookaround,
 * backreferences) is refused with the reason, so a schema using it is a 422 when it is defined.
 *
 * Linear still multiplies by the pattern's size, so the work is bounded twice: a pattern's compiled
 * program (and a schema's patterns together) has a size limit, and checking one record may spend at
 * most `PATTERN_STEP_BUDGET` steps (a value's length times its pattern's program size, the bound on
 * RE2's slowest path) before the record is refused.
 */

/** A pattern the linear engine does not run, with why. */
export class UnsupportedPattern extends Error {
  constructor(readonly pattern: string, readonly reason: string) {
    super(`pattern ${JSON.stringify(pattern.length > 200 ? `${pattern.slice(0, 200)}…` : pattern)} is not supported: ${reason}`)
  }
}

/** Checking one record's values against the patterns would cost more than the budget. */
export class PatternBudgetExceeded extends Error {
  constructor(readonly budget: number) {
    super(`checking the record against the collection's patterns would take more than ${budget} steps (a value's length times its pattern's size); send shorter values or simplify the patterns`)
  }
}

/** Largest program one pattern may compile to (about 20 ms to compile at the limit). */
export const MAX_PATTERN_PROGRAM = 10_000
/** Largest total program of one schema's distinct patterns. */
export const MAX_SCHEMA_PATTERN_PROGRAM = 40_000
/** Steps the patterns may take while one record is checked: at RE2's slowest (~30 ns a step) ~0.3 s. */
export const PATTERN_STEP_BUDGET = 10_000_000
/** A test costs at least this many steps per instruction, so many tiny tests are not free. */
const CALL_OVERHEAD = 2

// ECMAScript's \s (WhiteSpace and LineTerminator), read from V8 itself so both engines agree; all of
// it lies in the Basic Multilingual Plane.
const hex = (codePoint: number): string => `\\x{${codePoint.toString(16)}}`
const whitespaceRanges = (() => {
  const ranges: Array<[number, number]> = []
  const space = /^\s$/u
  for (let codePoint = 0; codePoint <= 0xffff; codePoint++) {
    if (!space.test(String.fromCharCode(codePoint))) continue
    const last = ranges[ranges.length - 1]
    if (last !== undefined && last[1] === codePoint - 1) last[1] = codePoint
    else ranges.push([codePoint, codePoint])
  }
  return ranges
})()
const rangeText = (ranges: ReadonlyArray<readonly [number, number]>): string =>
  ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join("")
const SPACE = rangeText(whitespaceRanges)
const NOT_SPACE = rangeText(whitespaceRanges.reduce<Array<[number, number]>>((gaps, [from, to], index) => {
  const start = index === 0 ? 0 : whitespaceRanges[index - 1]![1] + 1
  if (start < from) gaps.push([start, from - 1])
  if (index === whitespaceRanges.length - 1 && to < 0x10ffff) gaps.push([to + 1, 0x10ffff])
  return gaps
}, []))
/** ECMAScript's `.`: anything but a line terminator (RE2's `.` only leaves out \n). */
const DOT = "[^\\n\\r\\x{2028}\\x{2029}]"
const ANY = "[\\x{0}-\\x{10ffff}]"
const NOTHING = "[^\\x{0}-\\x{10ffff}]"

const isHex = (text: string): boolean => /^[0-9A-Fa-f]+$/.test(text)

interface Frame {
  alternatives: number
  current: number
  last: number
}

/**
 * The RE2 form of an ECMAScript (`u` flag) pattern and an estimate of its program size, computed
 * before RE2 compiles it (compiling is the costly part). Throws UnsupportedPattern.
 */
export const translatePattern = (pattern: string): { source: string; estimate: number } => {
  try {
    new RegExp(pattern, "u")
  } catch (error) {
    throw new UnsupportedPattern(pattern, `it is not a valid ECMAScript regular expression (${(error as Error).message.slice(0, 200)})`)
  }
  const refuse = (reason: string): never => {
    throw new UnsupportedPattern(pattern, `${reason}; patterns run in linear time, without lookahead, lookbehind or backreferences`)
  }
  let out = ""
  let i = 0
  // Size estimate: one instruction per atom, a group the sum of its alternatives, a counted
  // repetition multiplies the atom it follows (what RE2's compiler does).
  const frames: Frame[] = [{ alternatives: 0, current: 0, last: 0 }]
  const frame = (): Frame => frames[frames.length - 1]!
  const atom = (text: string, size = 1): void => {
    out += text
    frame().current += size
    frame().last = size
  }

  /** An escape after `\` at `i` (pointing at the letter), as RE2 text; advances `i`. */
  const escape = (inClass: boolean): string => {
    const c = pattern[i]!
    i++
    switch (c) {
      case "d": case "D": case "w": case "W":
      case "f": case "n": case "r": case "t":
        return `\\${c}`
      case "b":
        // In a class \b is the backspace character; outside it is the ASCII word boundary in both engines.
        return inClass ? hex(8) : "\\b"
      case "B":
        return "\\B"
      case "s":
        return inClass ? SPACE : `[${SPACE}]`
      case "S":
        return inClass ? NOT_SPACE : `[${NOT_SPACE}]`
      case "v":
        return hex(0x0b)
      case "0":
        return hex(0)
      case "c": {
        const letter = pattern[i]!
        i++
        return hex(letter.charCodeAt(0) % 32)
      }
      case "x": {
        const code = pattern.slice(i, i + 2)
        i += 2
        return hex(parseInt(code, 16))
      }
      case "u": {
        if (pattern[i] === "{") {
          const end = pattern.indexOf("}", i)
          const code = parseInt(pattern.slice(i + 1, end), 16)
          i = end + 1
          return hex(code)
        }
        const high = parseInt(pattern.slice(i, i + 4), 16)
        i += 4
        // With the u flag an escaped surrogate pair is one code point.
        if (high >= 0xd800 && high <= 0xdbff && pattern[i] === "\\" && pattern[i + 1] === "u" && isHex(pattern.slice(i + 2, i + 6))) {
          const low = parseInt(pattern.slice(i + 2, i + 6), 16)
          if (low >= 0xdc00 && low <= 0xdfff) {
            i += 6
            return hex(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00))
          }
        }
        return hex(high)
      }
      case "p": case "P": {
        const end = pattern.indexOf("}", i)
        const body = pattern.slice(i + 1, end)
        i = end + 1
        const [key, value] = body.includes("=") ? body.split("=") as [string, string] : [undefined, body]
        if (key === "Script_Extensions" || key === "scx") refuse(`Unicode property \\${c}{${body}} is not supported (use a script name such as \\p{Greek})`)
        return `\\${c}{${value}}`
      }
      case "k":
        return refuse("backreferences (\\k<name>) are not supported")
      default:
        if (c >= "1" && c <= "9") return refuse(`backreferences (\\${c}) are not supported`)
        // The u flag only lets syntax characters (and - in a class) be escaped: RE2 reads them the same.
        return `\\${c}`
    }
  }

  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === "\\") {
      i++
      atom(escape(false))
    } else if (c === ".") {
      i++
      atom(DOT)
    } else if (c === "[") {
      i++
      if (pattern[i] === "]") {
        i++
        atom(NOTHING)
        continue
      }
      if (pattern[i] === "^" && pattern[i + 1] === "]") {
        i += 2
        atom(ANY)
        continue
      }
      let text = "["
      if (pattern[i] === "^") {
        text += "^"
        i++
      }
      while (pattern[i] !== "]") {
        const member = pattern[i]!
        if (member === "\\") {
          i++
          text += escape(true)
        } else {
          i++
          // A literal [ in an ECMAScript class; RE2 would read [: as the start of a POSIX class.
          text += member === "[" ? "\\[" : member
        }
      }
      i++
      atom(`${text}]`)
    } else if (c === "(") {
      if (pattern.startsWith("(?=", i) || pattern.startsWith("(?!", i)) return refuse("lookahead is not supported")
      if (pattern.startsWith("(?<=", i) || pattern.startsWith("(?<!", i)) return refuse("lookbehind is not supported")
      if (pattern.startsWith("(?<", i)) {
        // Only whether a value matches is asked, never the groups: named groups become plain ones.
        i = pattern.indexOf(">", i) + 1
      } else if (pattern.startsWith("(?", i)) {
        // (?: and modifier groups such as (?i:...) (when V8 accepts them) read the same in RE2.
        const colon = pattern.indexOf(":", i)
        out += pattern.slice(i, colon + 1)
        i = colon + 1
        frames.push({ alternatives: 0, current: 0, last: 0 })
        continue
      } else {
        i++
      }
      out += "(?:"
      frames.push({ alternatives: 0, current: 0, last: 0 })
    } else if (c === ")") {
      i++
      const closed = frames.pop()!
      atom(")", closed.alternatives + closed.current + 1)
    } else if (c === "|") {
      i++
      out += "|"
      frame().alternatives += frame().current + 1
      frame().current = 0
    } else if (c === "*" || c === "+" || c === "?") {
      i++
      out += c
      frame().current += 1
    } else if (c === "{") {
      // V8 accepted the pattern, and with the u flag a { is always a counted repetition.
      const end = pattern.indexOf("}", i)
      const [min, max] = pattern.slice(i + 1, end).split(",")
      const count = max === undefined ? Number(min) : max === "" ? Number(min) + 1 : Number(max)
      if (count > 1000) refuse(`repetition counts above 1000 are not supported ({${pattern.slice(i + 1, end)}})`)
      out += pattern.slice(i, end + 1)
      i = end + 1
      // RE2 repeats the atom `count` times; each optional copy also costs a split.
      const optional = max === undefined ? 0 : max === "" ? 1 : Number(max) - Number(min)
      const current = frame()
      current.current += current.last * (count - 1) + optional
      current.last = current.last * count + optional
    } else {
      // A literal, or ^ $ (which mean the same in both engines without the m flag); a code point
      // beyond the BMP is copied whole.
      const size = (c.codePointAt(0) ?? 0) > 0xffff ? 2 : 1
      const literal = pattern.slice(i, i + size)
      i += size
      atom(literal)
    }
  }
  const root = frames[0]!
  return { source: out, estimate: root.alternatives + root.current + 2 }
}

let stepMeter: { budget: number; remaining: number } | undefined
let compileMeter: { remaining: number; seen: Set<string> } | undefined

/** A compiled pattern in the shape ajv expects from its `code.regExp` engine. */
class LinearPattern {
  constructor(private readonly pattern: string, private readonly re: RE2JS, readonly size: number) {}

  test(input: string): boolean {
    if (stepMeter !== undefined) {
      stepMeter.remaining -= (input.length + CALL_OVERHEAD) * this.size
      if (stepMeter.remaining < 0) throw new PatternBudgetExceeded(stepMeter.budget)
    }
    return this.re.test(input)
  }

  // ajv shares one compiled pattern between keywords with the same toString().
  toString(): string {
    return `/${this.pattern}/u`
  }
}

// The same pattern in many schemas (or many times in one) compiles once.
const compiledPatterns = new Map<string, LinearPattern>()
const MAX_CACHED_PATTERNS = 1000

const compilePattern = (pattern: string): LinearPattern => {
  const cached = compiledPatterns.get(pattern)
  if (cached !== undefined) return cached
  const { source, estimate } = translatePattern(pattern)
  if (estimate > MAX_PATTERN_PROGRAM) {
    throw new UnsupportedPattern(pattern, `it is too large (about ${estimate} steps per character, at most ${MAX_PATTERN_PROGRAM}); use smaller repetition counts`)
  }
  let re: RE2JS
  try {
    re = RE2JS.compile(source)
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, "")
    const property = /\\[pP]\{/.test(pattern) && /character class range/.test(message)
    throw new UnsupportedPattern(pattern, property
      ? "this Unicode property is not supported (use a general category such as \\p{L} or \\p{Lu}, or a script name such as \\p{Greek})"
      : `the linear-time engine refuses it (${message.slice(0, 200)})`)
  }
  if (re.programSize() > MAX_PATTERN_PROGRAM) {
    throw new UnsupportedPattern(pattern, `it is too large (${re.programSize()} steps per character, at most ${MAX_PATTERN_PROGRAM}); use smaller repetition counts`)
  }
  const compiled = new LinearPattern(pattern, re, Math.max(1, re.programSize()))
  if (compiledPatterns.size >= MAX_CACHED_PATTERNS) compiledPatterns.clear()
  compiledPatterns.set(pattern, compiled)
  return compiled
}

/**
 * ajv's `code.regExp` option. `flags` is "u" (ajv's `unicodeRegExp`, on by default) or empty; both
 * get the `u` meaning, the one JSON Schema defines.
 */
export const linearRegExp = Object.assign(
  (pattern: string, flags: string): LinearPattern => {
    if (flags !== "" && flags !== "u") throw new UnsupportedPattern(pattern, `flags ${JSON.stringify(flags)} are not supported`)
    const compiled = compilePattern(pattern)
    if (compileMeter !== undefined && !compileMeter.seen.has(pattern)) {
      compileMeter.seen.add(pattern)
      compileMeter.remaining -= compiled.size
      if (compileMeter.remaining < 0) {
        throw new UnsupportedPattern(pattern, `the schema's patterns are too large together (at most ${MAX_SCHEMA_PATTERN_PROGRAM} steps per character in all); use fewer or smaller patterns`)
      }
    }
    return compiled
  },
  // Only read when generating standalone validation code, which this server does not do.
  { code: "linearRegExp" }
)

/** Runs `compile` (an ajv compilation) with the limit on the total size of the patterns it compiles. */
export const withPatternCompileLimit = <A>(compile: () => A): A => {
  const outer = compileMeter
  compileMeter = { remaining: MAX_SCHEMA_PATTERN_PROGRAM, seen: new Set() }
  try {
    return compile()
  } finally {
    compileMeter = outer
  }
}

/** Runs `validate` (a record's validation) with the budget of pattern steps; throws PatternBudgetExceeded. */
export const withPatternStepBudget = <A>(validate: () => A, budget = PATTERN_STEP_BUDGET): A => {
  const outer = stepMeter
  stepMeter = { budget, remaining: budget }
  try {
    return validate()
  } finally {
    stepMeter = outer
  }
}
