import { useEffect, useState } from "react"
import mqtt from "mqtt"
import { api } from "../api"
import { getSession } from "../session"

export interface LiveValue {
  readonly value: unknown
  /** When the browser received it. */
  readonly at: number
  readonly retained: boolean
}

export type LiveStatus = "connecting" | "live" | "reconnecting" | "refused" | "closed"

/** A payload as the server sends it: JSON where it parses, the text itself otherwise (SPEC §7). */
const valueOf = (payload: Uint8Array): unknown => {
  const text = new TextDecoder().decode(payload)
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** The broker's WebSocket on this origin: the console never talks to another host. */
export const mqttUrl = (): string => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/mqtt`

/**
 * Every tag value of the domain as it arrives over MQTT on `/mqtt` (subscribed to `#`; retained
 * values give each tag's last value at once). The password is the user's token and the username
 * names the domain (`domains:<name>`), as the server's MQTT access reads them; a reconnect takes the
 * token as it is then, renewed first when the server ended the connection.
 */
export const useLiveTags = (domain: string, enabled: boolean) => {
  const [values, setValues] = useState<ReadonlyMap<string, LiveValue>>(new Map())
  const [status, setStatus] = useState<LiveStatus>("connecting")
  const [error, setError] = useState<string | undefined>(undefined)
  const token = () => getSession().credential?.token ?? ""

  useEffect(() => {
    if (!enabled) return
    setValues(new Map())
    setStatus("connecting")
    const client = mqtt.connect(mqttUrl(), {
      protocolVersion: 5,
      username: `domains:${domain}`,
      password: token(),
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      clean: true
    })
    // Batches updates: a busy plant sends many values a second, one render per frame is enough.
    let pending = new Map<string, LiveValue>()
    let frame: number | undefined
    const flush = () => {
      frame = undefined
      const batch = pending
      pending = new Map()
      setValues((current) => {
        const next = new Map(current)
        for (const [topic, value] of batch) next.set(topic, value)
        return next
      })
    }
    // The server ends a connection whose token has expired (a session's access token lasts minutes);
    // before the automatic reconnect, any authenticated call renews it (api() refreshes on 401).
    const renewToken = () => void api("GET", "/api/me").catch(() => undefined)
    let refusals = 0
    client.on("connect", () => {
      refusals = 0
      setStatus("live")
      setError(undefined)
      client.subscribe("#", { qos: 0 }, (failure) => {
        if (failure) setError(`subscribe refused: ${failure.message}`)
      })
    })
    client.on("reconnect", () => {
      client.options.password = token()
      setStatus("reconnecting")
    })
    client.on("error", (failure) => {
      setError(failure.message)
      const code = (failure as { code?: number }).code
      // Not authorized / bad credentials: renewed once; refused again, retrying would not help.
      if (code === 0x87 || code === 0x86 || code === 4 || code === 5) {
        if (++refusals >= 2) {
          setStatus("refused")
          client.end(true)
        } else renewToken()
      }
    })
    client.on("disconnect", () => renewToken())
    client.on("close", () => setStatus((s) => (s === "refused" ? s : "reconnecting")))
    client.on("message", (topic, payload, packet) => {
      pending.set(topic, { value: valueOf(payload), at: Date.now(), retained: packet.retain })
      if (frame === undefined) frame = requestAnimationFrame(flush)
    })
    return () => {
      if (frame !== undefined) cancelAnimationFrame(frame)
      client.end(true)
      setStatus("closed")
    }
  }, [domain, enabled])

  return { values, status, error }
}
