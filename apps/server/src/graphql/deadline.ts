import { GraphQLError } from "graphql"

/** A query's deadline: `check` throws the TIMEOUT error once it has passed. */
export interface Deadline {
  readonly at: number
  readonly check: () => void
}

export const deadlineOf = (at: number, limitMillis: number, now: () => number = Date.now): Deadline => {
  const limit = limitMillis % 1000 === 0 ? `${limitMillis / 1000} s` : `${limitMillis} ms`
  return {
    at,
    check: () => {
      if (now() > at) throw new GraphQLError(`The query ran past its ${limit} limit`, { extensions: { code: "TIMEOUT" } })
    }
  }
}
