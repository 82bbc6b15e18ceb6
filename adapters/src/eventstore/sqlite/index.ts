export { type Synchronous } from "./database.js"
export type { GroupCommitStats } from "./GroupCommit.js"
export {
  makeSqliteEventStore,
  SqliteEventStore,
  type SqliteEventStoreOptions,
  type SqliteEventStoreService
} from "./SqliteEventStore.js"
export { type LogPage, type LogSelection, openSqliteLogReader, type PageReader, type SqliteLogReader } from "./SqliteLogReader.js"
