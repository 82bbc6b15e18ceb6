import ssh2, { type ClientChannel, type ClientErrorExtensions, type ConnectConfig } from "ssh2"

// ssh2 is CommonJS: Node's ESM loader offers only its default export, not named ones.
const { Client } = ssh2
import type { HostKey } from "@machhub/core"
import { hostKeyOf } from "./hostKey.js"

export interface SshConnectOptions {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password?: string
  readonly privateKey?: string
  readonly passphrase?: string
  /**
   * Decides on the host key the server presented. ssh2 waits for the answer before it authenticates,
   * so no credential is ever sent to a host that was refused here.
   */
  readonly verifyHostKey: (hostKey: HostKey) => Promise<boolean>
  readonly readyTimeoutMillis?: number
}

/** Why a connection could not be opened; `kind` lets the edge pick the status. */
export type SshFailureKind = "host_key_rejected" | "authentication" | "unreachable" | "timeout" | "private_key" | "protocol"

export class SshConnectError extends Error {
  /** The socket error code behind an `unreachable` or `timeout` failure (ECONNREFUSED, ENOTFOUND, …), if any. */
  constructor(readonly kind: SshFailureKind, message: string, readonly code?: string) {
    super(message)
  }
}

/** An authenticated SSH connection waiting for its terminal. */
export interface SshConnection {
  readonly hostKey: HostKey
  /** Opens an interactive shell on a PTY of this size. */
  openShell(size: { readonly cols: number; readonly rows: number }): Promise<ClientChannel>
  /** Ends the connection (idempotent). */
  close(): void
  isClosed(): boolean
  onClose(listener: () => void): void
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNRESET", "EPIPE"])

const classify = (error: Error & ClientErrorExtensions & { code?: string }, hostRejected: boolean): SshConnectError => {
  if (hostRejected) return new SshConnectError("host_key_rejected", "the host key was refused")
  if (error.level === "client-authentication") return new SshConnectError("authentication", "the machine refused the stored credentials")
  if (error.level === "client-timeout") return new SshConnectError("timeout", "the machine did not complete the SSH handshake in time")
  // The kernel gave up on the TCP handshake: no answer at all, unlike a refusal.
  if (error.code === "ETIMEDOUT") return new SshConnectError("timeout", "the machine did not answer the TCP connection (ETIMEDOUT)", error.code)
  if (error.code !== undefined && UNREACHABLE.has(error.code)) return new SshConnectError("unreachable", `cannot reach the machine (${error.code})`, error.code)
  return new SshConnectError("protocol", `SSH failed: ${error.message.slice(0, 200)}`)
}

/**
 * Opens and authenticates an SSH connection with ssh2. Nagle is off: every keystroke travels at once
 * (terminal latency matters more than packet count), and keepalives notice a vanished machine.
 */
export const openSshConnection = (options: SshConnectOptions): Promise<SshConnection> =>
  new Promise((resolve, reject) => {
    const client = new Client()
    let hostKey: HostKey | undefined
    let hostRejected = false
    let settled = false
    let closed = false
    const closeListeners: Array<() => void> = []

    const fail = (error: SshConnectError) => {
      if (settled) return
      settled = true
      client.end()
      reject(error)
    }

    const connection: SshConnection = {
      get hostKey() {
        return hostKey!
      },
      openShell: (size) =>
        new Promise((resolveShell, rejectShell) => {
          if (closed) return rejectShell(new SshConnectError("protocol", "the SSH connection is closed"))
          client.shell({ cols: size.cols, rows: size.rows, term: "xterm-256color" }, (error, channel) =>
            error ? rejectShell(new SshConnectError("protocol", `the machine refused a shell: ${error.message.slice(0, 200)}`)) : resolveShell(channel))
        }),
      close: () => {
        if (!closed) client.end()
      },
      isClosed: () => closed,
      onClose: (listener) => {
        if (closed) listener()
        else closeListeners.push(listener)
      }
    }

    client.on("ready", () => {
      if (settled) return
      settled = true
      resolve(connection)
    })
    client.on("error", (error) => fail(classify(error, hostRejected)))
    client.on("close", () => {
      closed = true
      fail(new SshConnectError("unreachable", "the machine closed the connection during the handshake"))
      for (const listener of closeListeners.splice(0)) listener()
    })
    // Servers that accept passwords only through keyboard-interactive get the same password.
    client.on("keyboard-interactive", (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => options.password ?? "")))

    const config: ConnectConfig = {
      host: options.host,
      port: options.port,
      username: options.username,
      readyTimeout: options.readyTimeoutMillis ?? 15_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      tryKeyboard: options.password !== undefined,
      hostVerifier: (raw: Buffer, verify: (valid: boolean) => void) => {
        hostKey = hostKeyOf(raw)
        options.verifyHostKey(hostKey).then(
          (accepted) => {
            hostRejected = !accepted
            verify(accepted)
          },
          () => {
            hostRejected = true
            verify(false)
          }
        )
      },
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase })
    }
    try {
      client.connect(config)
      client.setNoDelay(true)
    } catch (error) {
      // ssh2 parses the private key synchronously inside connect().
      fail(new SshConnectError("private_key", `the stored private key cannot be used: ${error instanceof Error ? error.message : String(error)}`))
    }
  })
