/**
 * An MQTT broker run by someone else (MQTT_URL), which several server nodes share in distributed
 * mode instead of each starting its own private Mosquitto. The edge keeps fronting every client
 * connection; only its upstream side connects here, with the URL's credentials if it has any.
 */
export interface ExternalBroker {
  readonly host: string
  readonly port: number
  readonly tls: boolean
  readonly username: string | undefined
  readonly password: string | undefined
  /** The URL without its password, for logs and messages. */
  readonly shown: string
}

const DEFAULT_PORTS = { "mqtt:": 1883, "mqtts:": 8883 } as const

/** The URL as it may be shown: a password never goes into a log or an error message. */
const redact = (raw: string): string => raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:***@")

/** MQTT_URL parsed, or why it is not an MQTT broker URL (a message naming the variable). */
export const parseMqttUrl = (raw: string): { readonly ok: true; readonly broker: ExternalBroker } | { readonly ok: false; readonly message: string } => {
  const form = "mqtt://[user:password@]host[:port] (or mqtts:// for TLS)"
  const refuse = (why: string) => ({ ok: false as const, message: `MQTT_URL must be ${form}: ${why}, got "${redact(raw)}"` })
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return refuse("it is not a URL")
  }
  if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:") return refuse(`the scheme ${url.protocol.slice(0, -1)} is not mqtt or mqtts (the server connects upstream over TCP)`)
  if (url.hostname === "") return refuse("it names no host")
  if (url.pathname !== "" && url.pathname !== "/") return refuse("a broker URL has no path")
  if (url.search !== "" || url.hash !== "") return refuse("a broker URL has no query or fragment")
  if (url.password !== "" && url.username === "") return refuse("a password needs a user name")
  let username: string | undefined
  let password: string | undefined
  try {
    username = url.username === "" ? undefined : decodeURIComponent(url.username)
    password = url.password === "" ? undefined : decodeURIComponent(url.password)
  } catch {
    return refuse("the user name or password is not valid percent-encoding")
  }
  // IPv6 literals come bracketed from URL; net.connect wants them bare.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
  const port = url.port === "" ? DEFAULT_PORTS[url.protocol] : Number(url.port)
  const shown = `${url.protocol}//${username === undefined ? "" : `${url.username}${password === undefined ? "" : ":***"}@`}${url.host}`
  return { ok: true, broker: { host, port, tls: url.protocol === "mqtts:", username, password, shown } }
}
