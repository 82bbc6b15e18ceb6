/** MQTT topic filter matching (`+` one level, a last `#` the rest), as tag subscriptions use it. */
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
