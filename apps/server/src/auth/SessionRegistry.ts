import type { SessionRegistry } from "./Authenticator.js"

/** Open sessions, from the sessions read model (opening them comes with the /sessions routes). */
export const makeSessionRegistry = (): SessionRegistry => ({
  isActive: () => false
})
