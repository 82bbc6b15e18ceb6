/**
 * Names that become parts of stream names and NATS subjects. Domains and categories must be single
 * subject tokens and must not contain "-", which separates the parts of a stream name.
 */
const domainPattern = /^[a-z0-9][a-z0-9_]{0,62}$/
const categoryPattern = /^[a-z][a-z0-9_]{0,31}$/

export const isDomainName = (name: string): boolean => domainPattern.test(name)
export const isCategoryName = (name: string): boolean => categoryPattern.test(name)

/** `<category>-<domain>-<id>`, e.g. `user-acme-0190f3c2-...` */
export const streamName = (category: string, domain: string, id: string): string => `${category}-${domain}-${id}`

export interface StreamParts {
  readonly category: string
  readonly domain: string
  readonly id: string
}

export const parseStreamName = (stream: string): StreamParts | undefined => {
  const first = stream.indexOf("-")
  if (first <= 0) return undefined
  const second = stream.indexOf("-", first + 1)
  if (second <= first + 1 || second === stream.length - 1) return undefined
  return { category: stream.slice(0, first), domain: stream.slice(first + 1, second), id: stream.slice(second + 1) }
}

/** The built-in administrative domain every installation has (SPEC §1: the default `Domain`). */
export const ADMIN_DOMAIN = "machhub_admin"
