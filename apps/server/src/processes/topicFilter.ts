import { validateTopicFilter } from "../tags/topicName.js"

export const hasWildcard = (filter: string): boolean => filter.includes("+") || filter.includes("#")

/**
 * Why a trigger's or input's topic filter is not valid, or undefined: the tag rules for filters
 * (`+` and `#` fill a whole level, `#` only last), and no shared subscription, which only means
 * something to MQTT clients.
 */
export const filterProblem = (filter: unknown): string | undefined => {
  if (typeof filter !== "string" || filter === "") return "must be a non-empty topic or topic filter"
  const check = validateTopicFilter(filter)
  if (!check.ok) return check.message
  return check.shareName === undefined ? undefined : "a shared subscription ($share/...) is for MQTT clients, not a topic filter of a process"
}
