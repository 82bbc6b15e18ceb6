export {
  KurrentDbEventStore,
  type KurrentDbEventStoreOptions,
  makeKurrentDbEventStore
} from "./KurrentDbEventStore.js"
export * as KurrentDbMapping from "./mapping.js"
