/**
 * Every topic of a namespace (a domain) lives under `uns/<namespace>/` in the broker. Clients never
 * see the prefix: the edge adds it to what they publish and subscribe to and strips it from what
 * they receive. Since MQTT matches topics level by level and the prefix takes whole levels, no
 * client topic or filter, however spelled, can match a topic of another namespace.
 */
const ROOT = "uns/"

export const namespacePrefix = (namespace: string): string => `${ROOT}${namespace}/`

/** The broker's topic for a namespace's topic (used by the server to publish values it took in otherwise). */
export const brokerTopic = (namespace: string, topic: string): string => `${namespacePrefix(namespace)}${topic}`

/** The broker's form of a filter, a shared subscription keeping its `$share/<name>/` in front. */
export const brokerFilter = (prefix: string, filter: string, shareName: string | undefined): string =>
  shareName === undefined ? `${prefix}${filter}` : `$share/${shareName}/${prefix}${filter}`

/**
 * The broker's form of a filter to unsubscribe from. It is not checked (an unknown filter is
 * answered by the broker with "no subscription existed"), but a shared one is split the same way.
 */
export const brokerUnsubscribeFilter = (prefix: string, filter: string): string => {
  if (filter.startsWith("$share/")) {
    const slash = filter.indexOf("/", "$share/".length)
    if (slash > "$share/".length) return `${filter.slice(0, slash + 1)}${prefix}${filter.slice(slash + 1)}`
  }
  return `${prefix}${filter}`
}
