/**
 * `@machhub/adapters/sqlite`: the SQLite event store and the data directory's files, without the rest of
 * the adapters (uWebSockets.js, NATS, KurrentDB, ssh2). The CLI imports only this: loading everything
 * would cost it ~0.5 s and ~75 MB of RSS on every run.
 */
export * from "./eventstore/sqlite/index.js"
export * from "./datadir/DataDirLock.js"
