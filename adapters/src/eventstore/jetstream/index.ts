export { SLOTS_PER_COMMIT } from "./positions.js"
export { DEFAULT_SUBJECT_PREFIX, streamSubject } from "./subjects.js"
export {
  DEFAULT_STREAM_NAME,
  JetStreamEventStore,
  type JetStreamEventStoreOptions,
  type JetStreamEventStoreService,
  makeJetStreamEventStore
} from "./JetStreamEventStore.js"
