/**
 * Topic names and topic filters as MQTT defines them (MQTT 5 §4.7, 3.1.1 §4.7), checked once for
 * every way a tag is named: HTTP routes, MQTT packets and NATS subjects.
 *
 * A topic name (what a value is published to, what a tag is defined as) is a non-empty, well-formed
 * UTF-8 string without the wildcards `+` and `#`. On top of MQTT's own rules:
 * - at most 512 bytes (MQTT allows 65,535): a tag topic is also a URL path, a CSV header and a NATS
 *   subject, and no plant hierarchy needs more;
 * - no control characters (U+0000–U+001F, U+007F–U+009F): MQTT says they should not be used, and a
 *   topic shows up in logs, headers and CSV files where they would break lines;
 * - no leading `$`: such topics are the broker's own (`$SYS/...`), never matched by a client's
 *   wildcards, so a tag there could be written but never seen through `#`.
 *
 * A topic filter (what a client subscribes to) follows the same rules, except that `+` may stand
 * alone in a level and `#` alone in the last level; `$share/<name>/<filter>` names a shared
 * subscription, whose name and filter are checked separately.
 */

/** The longest topic name or filter accepted, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 512

export type TopicCheck = { readonly ok: true } | { readonly ok: false; readonly message: string }

/** A filter's check: when it names a shared subscription, its share name and the filter proper. */
export type TopicFilterCheck =
  | { readonly ok: true; readonly filter: string; readonly shareName?: string }
  | { readonly ok: false; readonly message: string }

const SHARE_PREFIX = "$share/"

const codePoint = (char: string): string => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`

/** The first problem with the characters of a name or filter, whatever it is used for. */
const characterProblem = (what: string, text: string): string | undefined => {
  if (text.length === 0) return `the ${what} is empty`
  const bytes = Buffer.byteLength(text, "utf8")
  if (bytes > MAX_TOPIC_BYTES) return `the ${what} is ${bytes} bytes long; at most ${MAX_TOPIC_BYTES} bytes (UTF-8) are allowed`
  // Lone surrogates cannot be encoded as UTF-8: MQTT requires well-formed UTF-8.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    return `the ${what} is not well-formed UTF-8 (it holds an unpaired surrogate)`
  }
  const control = /[\u0000-\u001F\u007F-\u009F]/.exec(text)
  if (control !== null) {
    const name = control[0] === "\u0000" ? "the NUL character" : `the control character ${codePoint(control[0])}`
    return `the ${what} contains ${name} at position ${control.index}`
  }
  if (text.startsWith("$")) return `the ${what} starts with '$', which is reserved for the broker's own topics`
  return undefined
}

/** Whether `topic` may name a tag or be published to. */
export const validateTopicName = (topic: unknown): TopicCheck => {
  if (typeof topic !== "string") return { ok: false, message: "the topic must be a string" }
  const problem = characterProblem("topic", topic)
  if (problem !== undefined) return { ok: false, message: problem }
  const wildcard = /[+#]/.exec(topic)
  if (wildcard !== null) {
    return {
      ok: false,
      message: `the topic contains the wildcard '${wildcard[0]}' at position ${wildcard.index}; wildcards are allowed in subscriptions only, never in a topic name`
    }
  }
  return { ok: true }
}

/** The first problem with the levels of a filter: `+` alone in a level, `#` alone in the last one. */
const wildcardProblem = (filter: string): string | undefined => {
  const levels = filter.split("/")
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!
    if (level.includes("#") && (level !== "#" || index !== levels.length - 1)) {
      return `the topic filter has '#' in level ${index + 1} ('${level}'); '#' must be a whole level and the last one`
    }
    if (level.includes("+") && level !== "+") {
      return `the topic filter has '+' inside level ${index + 1} ('${level}'); '+' must be a whole level`
    }
  }
  return undefined
}

/** Whether `filter` may be subscribed to (a plain filter, or a shared subscription `$share/<name>/<filter>`). */
export const validateTopicFilter = (filter: unknown): TopicFilterCheck => {
  if (typeof filter !== "string") return { ok: false, message: "the topic filter must be a string" }
  if (filter.startsWith(SHARE_PREFIX)) {
    const rest = filter.slice(SHARE_PREFIX.length)
    const slash = rest.indexOf("/")
    const shareName = slash === -1 ? rest : rest.slice(0, slash)
    if (shareName.length === 0 || /[+#]/.test(shareName) || slash === -1) {
      return { ok: false, message: "a shared subscription is written $share/<name>/<filter>, with a name without '+', '#' or '/'" }
    }
    const inner = validateTopicFilter(rest.slice(slash + 1))
    if (!inner.ok) return inner
    if (inner.shareName !== undefined) return { ok: false, message: "a shared subscription cannot name another shared subscription" }
    const nameProblem = characterProblem("share name", shareName)
    if (nameProblem !== undefined) return { ok: false, message: nameProblem }
    return { ok: true, filter: inner.filter, shareName }
  }
  const problem = characterProblem("topic filter", filter)
  if (problem !== undefined) return { ok: false, message: problem }
  const wildcard = wildcardProblem(filter)
  if (wildcard !== undefined) return { ok: false, message: wildcard }
  return { ok: true, filter }
}

/** Whether an MQTT topic filter (`+` one level, a last `#` the rest) matches a topic name. */
export const topicMatches = (filter: string, topic: string): boolean => {
  const f = filter.split("/")
  const t = topic.split("/")
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true
    if (i >= t.length) return false
    if (f[i] !== "+" && f[i] !== t[i]) return false
  }
  return f.length === t.length
}
