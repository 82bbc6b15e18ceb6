/** Types for ssh-target.mjs (plain JavaScript, shared with the benchmark). */
export declare const PATTERN: Buffer
export declare const BULK_START: string
export declare const BULK_END: string
export declare const PROMPT: string
export declare const generateHostKey: () => string

export interface SshTargetOptions {
  readonly username?: string
  readonly password?: string
  readonly publicKey?: string
  readonly hostKey?: string
  readonly port?: number
}

export interface SshTarget {
  readonly port: number
  readonly hostKey: string
  /** TCP connections accepted so far. */
  connections(): number
  /** Successful authentications so far. */
  authentications(): number
  /** Connections open right now. */
  active(): number
  close(): Promise<void>
}

export declare const startSshTarget: (options?: SshTargetOptions) => Promise<SshTarget>
