import { availableParallelism, hostname } from "node:os"
import { resolve } from "node:path"
import { ALL_ROLES, hasAllRoles, parseRoles, type Roles } from "./roles.js"
import { parseMqttUrl, type ExternalBroker } from "./mqtt/mqttUrl.js"

/** Everything the server reads from its environment, validated once at start. */
export interface ServerConfig {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly adminPassword: string | undefined
  readonly natsUrl: string | undefined
  /** Body encoding of events published on NATS (`mh.evt.*`): msgpack by default, or JSON for readers without msgpack. */
  readonly eventFormat: "msgpack" | "json"
  readonly store: "sqlite" | "jetstream" | "kurrentdb"
  /** KurrentDB store (MACHHUB_STORE=kurrentdb): its connection string, e.g. `kurrentdb://host:2113?tls=false`. */
  readonly kurrentDbUrl: string | undefined
  /** What this process runs (MACHHUB_ROLES); all three by default. */
  readonly roles: Roles
  /** JetStream store (MACHHUB_STORE=jetstream, needs NATS_URL): the stream's name and replicas. */
  readonly jetstreamStream: string
  readonly jetstreamReplicas: number
  /** With MACHHUB_STORE=jetstream: the stream keeping tag values for nodes to catch up (MACHHUB_TAG_STREAM). */
  readonly tagStream: string
  /** How long that stream keeps a value (MACHHUB_TAG_STREAM_MAX_AGE_SECONDS). */
  readonly tagStreamMaxAgeSeconds: number
  readonly sqliteSynchronous: "normal" | "full"
  readonly maxBodyBytes: number
  /** Files sent with records (multipart/form-data): the largest file, and the largest whole request. */
  readonly maxFileBytes: number
  readonly maxUploadBytes: number
  /** Largest request head; read by the edge when uWS loads (adapters/src/http/headerLimit.ts), checked here. */
  readonly maxHeaderBytes: number
  readonly jwtIssuer: string
  readonly jwtAudience: string
  readonly jwtLifetimeSeconds: number
  /** Lifetimes of session tokens (POST /sessions/): access 5 min, refresh 3 days by default. */
  readonly accessTokenSeconds: number
  readonly refreshTokenSeconds: number
  /** Login throttling: failures allowed per username and per address within the window. */
  readonly loginMaxFailures: number
  readonly loginMaxFailuresPerAddress: number
  readonly loginThrottleWindowSeconds: number
  /** log2 of scrypt's N; 17 by default (OWASP's minimum). Tests lower it to run fast. */
  readonly passwordCost: number
  readonly shutdownGraceMillis: number
  /** Requests per second each API key may make (its bucket holds twice that, for bursts). */
  readonly keyRateLimit: number
  /** Whether a value published to a topic with no definition defines it (access RW, not historized): MACHHUB_TAGS_AUTOCREATE, true by default. */
  readonly tagsAutocreate: boolean
  /** How long a ticket from POST /api/v1/machine/<id>/connect may wait for its socket; then its SSH connection closes. */
  readonly sshTicketSeconds: number
  /** A terminal with no input, resize or heartbeat from its client for this long is closed. */
  readonly sshIdleSeconds: number
  /** How long POST /api/v1/machine/<id>/connect waits for the machine's TCP and SSH handshake (then 504). */
  readonly sshConnectTimeoutSeconds: number
  /** Browser origins answered with CORS headers (MACHHUB_CORS_ORIGINS, exact origins, comma-separated); none by default. */
  readonly corsOrigins: ReadonlyArray<string>
  /** This device's name in `GET /machhub/` (MACHHUB_DEVICE_NAME, the host name by default). */
  readonly deviceName: string
  /** The MQTT listeners' ports reported by `GET /machhub/`: TCP (MACHHUB_MQTT_PORT) and TLS (MACHHUB_MQTTS_PORT). */
  readonly mqttPort: number
  readonly mqttsPort: number
  /** The Mosquitto binary run as the private MQTT broker (MACHHUB_MOSQUITTO_BIN, Debian's path by default). */
  readonly mosquittoBinary: string
  /**
   * An external MQTT broker (MQTT_URL) instead of the private Mosquitto child: several nodes share
   * it in distributed mode. Absent: each node runs its own private broker.
   */
  readonly mqttUrl?: ExternalBroker | undefined
  /** Seconds between the historian's retention passes (MACHHUB_HISTORIAN_PRUNE_SECONDS); each removes at most 10,000 expired points. */
  readonly historianPruneSeconds: number
  /** Worker threads running process and function code (MACHHUB_SANDBOX_WORKERS; default: the cores). */
  readonly sandboxWorkers: number
  /** How long `POST /machhub/flow/execute/name/<name>` waits for the flow's response node (MACHHUB_FLOW_TIMEOUT_MS); then 504. */
  readonly flowTimeoutMillis: number
  /**
   * The time zone cron triggers are read in when they name none (MACHHUB_TIMEZONE, an IANA name, UTC
   * by default): one for every domain of this server.
   */
  readonly timeZone: string
  /** GraphQL requests allowed per domain per minute (MACHHUB_GRAPHQL_RATE_LIMIT, MachineMetrics' 1,000 by default); then 429. */
  readonly graphqlRequestsPerMinute: number
  /** How long one GraphQL query may run (MACHHUB_GRAPHQL_TIME_LIMIT_MS, MachineMetrics' 10 s by default); then its fields answer TIMEOUT errors. */
  readonly graphqlTimeLimitMillis: number
}

export class ConfigError extends Error {}

/** An IANA time-zone name Intl knows; UTC when unset. */
const timeZoneOf = (env: NodeJS.ProcessEnv, name: string): string => {
  const raw = env[name]
  if (raw === undefined || raw === "") return "UTC"
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: raw })
  } catch {
    throw new ConfigError(`${name} must be an IANA time-zone name such as UTC or Europe/Berlin, got "${raw}"`)
  }
  return raw
}

const integer = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`)
  }
  return value
}

const oneOf = <T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: ReadonlyArray<T>, fallback: T): T => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  if (!(allowed as ReadonlyArray<string>).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`)
  return raw as T
}

/**
 * MACHHUB_CORS_ORIGINS: exact origins (`scheme://host[:port]`), each as a browser sends it in `Origin`.
 * A wildcard is refused: credentials are allowed for the listed origins, and `*` with credentials is
 * what CORS forbids (it would let any site act with a visitor's credentials).
 */
const corsOrigins = (env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const raw = env["MACHHUB_CORS_ORIGINS"]
  if (raw === undefined || raw.trim() === "") return []
  const origins = raw.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "")
  for (const origin of origins) {
    if (origin.includes("*")) throw new ConfigError(`MACHHUB_CORS_ORIGINS lists "${origin}"; wildcards are not allowed, list each origin (e.g. https://app.example.com)`)
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new ConfigError(`MACHHUB_CORS_ORIGINS lists "${origin}", which is not an http(s) origin like https://app.example.com`)
    }
    if (parsed.origin !== origin) {
      throw new ConfigError(`MACHHUB_CORS_ORIGINS lists "${origin}"; write it as the browser sends it: ${parsed.origin}`)
    }
  }
  return [...new Set(origins)]
}

/** MQTT_URL: an external broker, checked at start so a typo is named before anything runs. */
const mqttUrlOf = (env: NodeJS.ProcessEnv): ExternalBroker | undefined => {
  const raw = env["MQTT_URL"]
  if (raw === undefined || raw.trim() === "") return undefined
  const parsed = parseMqttUrl(raw.trim())
  if (!parsed.ok) throw new ConfigError(parsed.message)
  return parsed.broker
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): ServerConfig => {
  const store = oneOf(env, "MACHHUB_STORE", ["sqlite", "jetstream", "kurrentdb"], "sqlite")
  if (store === "jetstream" && !env["NATS_URL"]) {
    throw new ConfigError("MACHHUB_STORE=jetstream needs NATS_URL (a NATS server with JetStream enabled)")
  }
  if (store === "kurrentdb" && !env["KURRENTDB_URL"]) {
    throw new ConfigError("MACHHUB_STORE=kurrentdb needs KURRENTDB_URL, e.g. kurrentdb://127.0.0.1:2113?tls=false")
  }
  const roles = parseRoles(env["MACHHUB_ROLES"] || ALL_ROLES.join(","))
  if (typeof roles === "string") throw new ConfigError(roles)
  // Processes with some of the roles cooperate through a shared log; the SQLite log belongs to one process.
  if (!hasAllRoles(roles) && (store === "sqlite" || !env["NATS_URL"])) {
    throw new ConfigError(
      `MACHHUB_ROLES=${env["MACHHUB_ROLES"]} splits the work between processes, which must share the log and the ` +
        "command bus: set MACHHUB_STORE=jetstream (or kurrentdb) and NATS_URL, or leave MACHHUB_ROLES unset"
    )
  }
  const adminPassword = env["MACHHUB_ADMIN_PASSWORD"]
  return {
    host: env["HOST"] || "0.0.0.0",
    port: integer(env, "PORT", 8080, 0, 65535),
    dataDir: resolve(env["MACHHUB_DATA_DIR"] || "./data"),
    adminPassword: adminPassword === undefined || adminPassword === "" ? undefined : adminPassword,
    natsUrl: env["NATS_URL"] || undefined,
    eventFormat: oneOf(env, "MACHHUB_EVENT_FORMAT", ["msgpack", "json"], "msgpack"),
    store,
    roles,
    kurrentDbUrl: env["KURRENTDB_URL"] || undefined,
    jetstreamStream: env["MACHHUB_JETSTREAM_STREAM"] || "MH_EVENTS",
    jetstreamReplicas: integer(env, "MACHHUB_JETSTREAM_REPLICAS", 1, 1, 5),
    tagStream: env["MACHHUB_TAG_STREAM"] || "MH_TAG_VALUES",
    tagStreamMaxAgeSeconds: integer(env, "MACHHUB_TAG_STREAM_MAX_AGE_SECONDS", 7 * 24 * 3600, 60, 10 * 365 * 24 * 3600),
    sqliteSynchronous: oneOf(env, "MACHHUB_SQLITE_SYNC", ["normal", "full"], "normal"),
    maxBodyBytes: integer(env, "MACHHUB_MAX_BODY_BYTES", 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxFileBytes: integer(env, "MACHHUB_MAX_FILE_BYTES", 10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    maxUploadBytes: integer(env, "MACHHUB_MAX_UPLOAD_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxHeaderBytes: integer(env, "MACHHUB_MAX_HEADER_BYTES", 16 * 1024, 1024, 1024 * 1024),
    jwtIssuer: env["MACHHUB_JWT_ISSUER"] || "machhub",
    jwtAudience: env["MACHHUB_JWT_AUDIENCE"] || "machhub",
    jwtLifetimeSeconds: integer(env, "MACHHUB_JWT_LIFETIME_SECONDS", 24 * 3600, 10, 366 * 24 * 3600),
    accessTokenSeconds: integer(env, "MACHHUB_ACCESS_TOKEN_SECONDS", 300, 1, 24 * 3600),
    refreshTokenSeconds: integer(env, "MACHHUB_REFRESH_TOKEN_SECONDS", 3 * 24 * 3600, 1, 366 * 24 * 3600),
    loginMaxFailures: integer(env, "MACHHUB_LOGIN_MAX_FAILURES", 5, 1, 1_000_000),
    loginMaxFailuresPerAddress: integer(env, "MACHHUB_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, 1, 1_000_000),
    loginThrottleWindowSeconds: integer(env, "MACHHUB_LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60, 1, 24 * 3600),
    passwordCost: integer(env, "MACHHUB_PASSWORD_COST", 17, 10, 20),
    shutdownGraceMillis: integer(env, "MACHHUB_SHUTDOWN_GRACE_MS", 8_000, 0, 60_000),
    keyRateLimit: integer(env, "MACHHUB_KEY_RATE_LIMIT", 50, 1, 1_000_000),
    tagsAutocreate: oneOf(env, "MACHHUB_TAGS_AUTOCREATE", ["true", "false"], "true") === "true",
    sshTicketSeconds: integer(env, "MACHHUB_SSH_TICKET_SECONDS", 60, 1, 3600),
    sshIdleSeconds: integer(env, "MACHHUB_SSH_IDLE_SECONDS", 900, 1, 7 * 24 * 3600),
    sshConnectTimeoutSeconds: integer(env, "MACHHUB_SSH_CONNECT_TIMEOUT_SECONDS", 15, 1, 300),
    corsOrigins: corsOrigins(env),
    deviceName: env["MACHHUB_DEVICE_NAME"] || hostname(),
    mqttPort: integer(env, "MACHHUB_MQTT_PORT", 1883, 0, 65535),
    mqttsPort: integer(env, "MACHHUB_MQTTS_PORT", 8883, 1, 65535),
    mosquittoBinary: env["MACHHUB_MOSQUITTO_BIN"] || "/usr/sbin/mosquitto",
    mqttUrl: mqttUrlOf(env),
    historianPruneSeconds: integer(env, "MACHHUB_HISTORIAN_PRUNE_SECONDS", 60, 1, 24 * 3600),
    sandboxWorkers: integer(env, "MACHHUB_SANDBOX_WORKERS", availableParallelism(), 1, 256),
    flowTimeoutMillis: integer(env, "MACHHUB_FLOW_TIMEOUT_MS", 30_000, 10, 10 * 60_000),
    timeZone: timeZoneOf(env, "MACHHUB_TIMEZONE"),
    graphqlRequestsPerMinute: integer(env, "MACHHUB_GRAPHQL_RATE_LIMIT", 1000, 1, 10_000_000),
    graphqlTimeLimitMillis: integer(env, "MACHHUB_GRAPHQL_TIME_LIMIT_MS", 10_000, 1, 10 * 60_000)
  }
}
