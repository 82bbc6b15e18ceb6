/**
 * What process and function code may reach, and what a sandboxed run answers. The code runs in a
 * QuickJS WebAssembly sandbox; the only way out is `HostApi`, exposed to the code as the global `sdk`.
 * Every host function takes and answers plain JSON: arguments are copied out of the sandbox as JSON
 * and results copied back in as JSON, so no host object ever reaches the code.
 */

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

export type LogLevel = "debug" | "info" | "warn" | "error"

/** One line the code logged (`console.log`, `sdk.log`), in the order it was written. */
export interface LogLine {
  readonly level: LogLevel
  /** The arguments, each turned into text the way `console.log` would show them, joined by spaces. */
  readonly message: string
  /** Milliseconds since the epoch. */
  readonly at: number
}

/**
 * What `sdk.collection(name).filter(...).sort(...).limit(...).offset(...).getAll()` asks for (the
 * MACHHUB SDK's query builder), or what code passes to `sdk.collections.list(collection, query)`.
 * Copied out of the sandbox as JSON: the host must still check every field.
 */
export interface CollectionQuery {
  readonly filters?: ReadonlyArray<{ readonly field: string; readonly operator: string; readonly value: unknown }>
  readonly sort?: ReadonlyArray<{ readonly field: string; readonly direction: "asc" | "desc" }>
  readonly limit?: number
  readonly offset?: number
}

/**
 * The host side of `sdk`, bound by the caller to one domain and the permissions of the process's
 * owner. A rejected promise (or a thrown error) reaches the code as a rejected promise with the
 * error's message; it ends the run only if the code does not catch it.
 */
export interface HostApi {
  readonly tags: {
    readonly read: (topic: string) => Promise<unknown>
    readonly publish: (topic: string, value: unknown) => Promise<void>
  }
  readonly collections: {
    readonly get: (id: string) => Promise<unknown>
    readonly list: (collection: string, query?: CollectionQuery) => Promise<unknown>
    readonly create: (collection: string, data: unknown) => Promise<unknown>
    readonly update: (id: string, data: unknown) => Promise<unknown>
    readonly delete: (id: string) => Promise<unknown>
  }
  /** Called for every `sdk.log` and `console.*` line as well as recording it in the outcome's logs. */
  readonly log: (level: LogLevel, ...args: ReadonlyArray<unknown>) => void
}

export interface SandboxLimits {
  /** The sandbox heap limit; an allocation past it fails the run ("memory limit exceeded"). */
  readonly memoryBytes: number
  /** CPU time the code may use in the sandbox; waiting on host calls does not count. */
  readonly cpuMillis: number
  /** Wall-clock time for the whole run, host calls included (default: cpuMillis + 30 s). */
  readonly wallMillis?: number
}

export const defaultSandboxLimits: SandboxLimits = { memoryBytes: 64 * 1024 * 1024, cpuMillis: 5_000 }

export interface SandboxOptions {
  /** JavaScript from `compileCode`: the body of `async function execute(context)`. */
  readonly js: string
  /** Passed to `execute` as `context` (copied in as JSON). */
  readonly context: unknown
  readonly host: HostApi
  readonly limits: SandboxLimits
}

export type SandboxOutcome =
  | { readonly ok: true; readonly result: unknown; readonly logs: ReadonlyArray<LogLine> }
  | { readonly ok: false; readonly reason: string; readonly logs: ReadonlyArray<LogLine> }

export type CompileResult =
  | { readonly ok: true; readonly js: string }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly message: string }

export type Language = "typescript" | "javascript"
