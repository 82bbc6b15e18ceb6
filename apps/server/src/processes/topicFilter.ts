import { validateTopicName } from "../tags/topicName.js"

/** Whether an MQTT topic filter (`+` one level, `#` the rest) matches a topic. */
export const filterMatches = (filter: string, topic: string): boolean => {
  if (filter === topic) return true
  const f = filter.split("/")
  const t = topic.split("/")
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true
    if (i >= t.length) return false
    if (f[i] !== "+" && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

export const hasWildcard = (filter: string): boolean => filter.includes("+") || filter.includes("#")

/** Why a topic filter is not valid (`+` and `#` must fill a whole level, `#` only last), or undefined. */
export const filterProblem = (filter: unknown): string | undefined => {
  if (typeof filter !== "string" || filter === "") return "must be a non-empty topic or topic filter"
  if (!hasWildcard(filter)) {
    const check = validateTopicName(filter)
    return check.ok ? undefined : check.message
  }
  const levels = filter.split("/")
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return "# must be a whole level, and the last one"
    if (level.includes("+") && level !== "+") return "+ must be a whole level"
  }
  const concrete = filter.replace(/[+#]/g, "x")
  const check = validateTopicName(concrete)
  return check.ok ? undefined : check.message
}
