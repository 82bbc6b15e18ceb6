import type Database from "better-sqlite3"
import { usernameKey, type Membership, type RecordedEvent, type UserEvent, type UserProfile } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/** One row per user: what login needs (by username) and what user listings show. */
export const usersProjection: Projection = {
  name: "users",
  // 4: applies MembershipRemoved (a read model built by an older version may have skipped some).
  // 5: keeps the profile given at registration.
  version: 5,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS users (
      user_id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      username_key TEXT NOT NULL UNIQUE,
      home_domain TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      memberships TEXT NOT NULL,
      profile TEXT,
      credentials_version INTEGER NOT NULL DEFAULT 0,
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
          profile: userEvent.data.profile === undefined ? null : JSON.stringify(userEvent.data.profile),
          version: event.version,
          at: event.meta.at
        })
        return
      case "MembershipSet": {
        const row = statements(db).memberships.get(userEvent.data.userId)
        if (row === undefined) return
        const memberships = (JSON.parse(row.memberships) as Array<Membership>).filter((m) => m.domain !== userEvent.data.membership.domain)
        memberships.push(userEvent.data.membership)
        statements(db).setMemberships.run(JSON.stringify(memberships), event.version, event.meta.at, userEvent.data.userId)
        return
      }
      case "MembershipRemoved": {
        const row = statements(db).memberships.get(userEvent.data.userId)
        if (row === undefined) return
        const memberships = (JSON.parse(row.memberships) as Array<Membership>).filter((m) => m.domain !== userEvent.data.domain)
        statements(db).setMemberships.run(JSON.stringify(memberships), event.version, event.meta.at, userEvent.data.userId)
        return
      }
      case "UserDisabled":
      case "UserEnabled":
        statements(db).setDisabled.run(userEvent.type === "UserDisabled" ? 1 : 0, event.version, event.meta.at, userEvent.data.userId)
        return
      case "PasswordChanged":
        statements(db).setPassword.run(
          userEvent.data.passwordHash,
          event.version,
          event.meta.at,
          userEvent.data.userId
        )
        return
      default:
        return
    }
  }
}

// Prepared statements are cached per database connection.
interface Statements {
  readonly insert: Database.Statement
  readonly memberships: Database.Statement<[string], { memberships: string }>
  readonly setMemberships: Database.Statement<[string, number, string, string]>
  readonly setDisabled: Database.Statement<[number, number, string, string]>
  readonly setPassword: Database.Statement<[string, number, string, string]>
}
const statements = perDatabase((db): Statements => ({
  insert: db.prepare(`INSERT INTO users (user_id, username, username_key, home_domain, password_hash, memberships, profile, version, created_at, updated_at)
    VALUES (@user_id, @username, @username_key, @home_domain, @password_hash, @memberships, @profile, @version, @at, @at)
    ON CONFLICT(user_id) DO NOTHING`),
  memberships: db.prepare("SELECT memberships FROM users WHERE user_id = ?"),
  setMemberships: db.prepare("UPDATE users SET memberships = ?, version = ?, updated_at = ? WHERE user_id = ?"),
  setDisabled: db.prepare("UPDATE users SET disabled = ?, version = ?, updated_at = ? WHERE user_id = ?"),
  setPassword: db.prepare("UPDATE users SET password_hash = ?, credentials_version = credentials_version + 1, version = ?, updated_at = ? WHERE user_id = ?")
}))

export interface UserRow {
  readonly userId: string
  readonly username: string
  readonly homeDomain: string
  readonly passwordHash: string
  readonly disabled: boolean
  readonly memberships: ReadonlyArray<Membership>
  /** What the user said about themselves at registration; empty when nothing. */
  readonly profile: UserProfile
  /** Number of password changes: tokens issued under a lower number are refused. */
  readonly credentialsVersion: number
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}

interface RawUserRow {
  user_id: string
  username: string
  home_domain: string
  password_hash: string
  disabled: number
  memberships: string
  profile: string | null
  credentials_version: number
  version: number
  created_at: string
  updated_at: string
}

const NO_PROFILE: UserProfile = Object.freeze({})

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
    profile: raw.profile === null ? NO_PROFILE : (JSON.parse(raw.profile) as UserProfile),
    credentialsVersion: raw.credentials_version,
    version: raw.version,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at
  })
  const byId = db.prepare<[string], RawUserRow>("SELECT * FROM users WHERE user_id = ?")
  // Membership is stored as JSON; `json_each` finds the users of one domain without a second table.
  const inDomain = db.prepare<[string], RawUserRow>(
    "SELECT u.* FROM users u WHERE EXISTS (SELECT 1 FROM json_each(u.memberships) m WHERE json_extract(m.value, '$.domain') = ?) ORDER BY u.username_key"
  )
  return {
    findByUsername: (username: string): UserRow | undefined => {
      const raw = byUsername.get(usernameKey(username))
      return raw === undefined ? undefined : toRow(raw)
    },
    findById: (userId: string): UserRow | undefined => {
      const raw = byId.get(userId)
      return raw === undefined ? undefined : toRow(raw)
    },
    listInDomain: (domain: string): Array<UserRow> => inDomain.all(domain).map(toRow)
  }
}

export type UsersReadModel = ReturnType<typeof makeUsersReadModel>
