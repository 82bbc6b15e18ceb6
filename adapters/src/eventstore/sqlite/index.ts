export { type Synchronous } from "./database.js"
export type { GroupCommitStats } from "./GroupCommit.js"
export {
  makeSqliteEventStore,
  SqliteEventStore,
  type SqliteEventStoreOptions,
  type SqliteEventStoreService
} from "./SqliteEventStore.js"
