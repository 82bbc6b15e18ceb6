import type Database from "better-sqlite3"
import type { Membership, RecordedEvent, UserEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"

/** One row per user: what login needs (by username) and what user listings show. */
export const usersProjection: Projection = {
  name: "users",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS users (
      user_id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      username_key TEXT NOT NULL UNIQUE,
      home_domain TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      memberships TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS users")
  },
  apply(db, event) {
    const userEvent = event as RecordedEvent & UserEvent
    switch (userEvent.type) {
      case "UserRegistered":
        statements(db).insert.run({
          user_id: userEvent.data.userId,
          username: userEvent.data.username,
          username_key: usernameKey(userEvent.data.username),
          home_domain: event.meta.domain,
          password_hash: userEvent.data.passwordHash,
          memberships: JSON.stringify(userEvent.data.memberships),
          version: event.version,
          at: event.meta.at
        })
        return
      default:
        return
    }
  }
}

/** Usernames are unique across the system regardless of case. */
export const usernameKey = (username: string): string => username.normalize("NFC").toLowerCase()

// Prepared statements are cached per database connection.
const cache = new WeakMap<Database.Database, { insert: Database.Statement }>()
const statements = (db: Database.Database) => {
  let prepared = cache.get(db)
  if (prepared === undefined) {
    prepared = {
      insert: db.prepare(`INSERT INTO users (user_id, username, username_key, home_domain, password_hash, memberships, version, created_at, updated_at)
        VALUES (@user_id, @username, @username_key, @home_domain, @password_hash, @memberships, @version, @at, @at)
        ON CONFLICT(user_id) DO NOTHING`)
    }
    cache.set(db, prepared)
  }
  return prepared
}

export interface UserRow {
  readonly userId: string
  readonly username: string
  readonly homeDomain: string
  readonly passwordHash: string
  readonly disabled: boolean
  readonly memberships: ReadonlyArray<Membership>
  readonly version: number
}

interface RawUserRow {
  user_id: string
  username: string
  home_domain: string
  password_hash: string
  disabled: number
  memberships: string
  version: number
}

/** Queries over the users read model. */
export const makeUsersReadModel = (db: Database.Database) => {
  const byUsername = db.prepare<[string], RawUserRow>("SELECT * FROM users WHERE username_key = ?")
  const toRow = (raw: RawUserRow): UserRow => ({
    userId: raw.user_id,
    username: raw.username,
    homeDomain: raw.home_domain,
    passwordHash: raw.password_hash,
    disabled: raw.disabled !== 0,
    memberships: JSON.parse(raw.memberships) as ReadonlyArray<Membership>,
    version: raw.version
  })
  return {
    findByUsername: (username: string): UserRow | undefined => {
      const raw = byUsername.get(usernameKey(username))
      return raw === undefined ? undefined : toRow(raw)
    }
  }
}

export type UsersReadModel = ReturnType<typeof makeUsersReadModel>
