import { Context, type Effect } from "effect"

/** Memory-hard password hashing; implementations must keep the work off the event loop. */
export interface PasswordHasherService {
  hash(password: string): Effect.Effect<string>
  verify(hash: string, password: string): Effect.Effect<boolean>
  /** Spends the same effort as a real verification, so unknown usernames take as long as known ones. */
  readonly dummyVerify: (password: string) => Effect.Effect<void>
}

export class PasswordHasher extends Context.Service<PasswordHasher, PasswordHasherService>()("@machhub/core/PasswordHasher") {}
