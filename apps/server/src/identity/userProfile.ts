import { Schema } from "effect"
import type { UserProfile } from "@machhub/core"

/**
 * The profile fields a user may be created with (the MACHHUB SDK's `createUser`: firstName, lastName,
 * email, number, userImage), their limits, and the one check every route that takes them applies.
 * Each is optional; `null` or `""` mean "not given" (the SDK sends `null` for a missing picture).
 */

/** A picture travels inside events and every user read, so it stays avatar-sized: 128 KiB of text. */
export const MAX_USER_IMAGE_CHARS = 128 * 1024
const MAX_NAME_CHARS = 100
const MAX_EMAIL_CHARS = 254
const MAX_NUMBER_CHARS = 32

/** One address, no spaces, a dot in the domain part: a shape check, not a promise that it delivers. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
/** Digits with the usual separators and an optional leading +, e.g. +60 12-345 6789 or (020) 7946 0000. */
const NUMBER = /^\+?[0-9 ()./-]*[0-9][0-9 ()./-]*$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

const field = (description: string) => Schema.optional(Schema.NullOr(Schema.String).annotate({ description }))

/** The profile fields of a create-user body (decoded as strings; their rules are checked by `profileFrom`). */
export const ProfileFields = {
  firstName: field(`Up to ${MAX_NAME_CHARS} characters`),
  lastName: field(`Up to ${MAX_NAME_CHARS} characters`),
  email: field(`An address like name@example.com, up to ${MAX_EMAIL_CHARS} characters`),
  number: field(`A phone number: digits, spaces and + ( ) . / -, up to ${MAX_NUMBER_CHARS} characters`),
  userImage: field(`The user's picture as a base64 or data: URL string, up to ${MAX_USER_IMAGE_CHARS} characters`)
} as const

type ProfileInput = { readonly [K in keyof UserProfile]-?: string | null | undefined }

const given = (value: string | null | undefined): value is string => value !== undefined && value !== null && value !== ""

const nameProblem = (name: "firstName" | "lastName", value: string): string | undefined =>
  value.length > MAX_NAME_CHARS || CONTROL.test(value) ? `${name} must be at most ${MAX_NAME_CHARS} characters, without control characters` : undefined

/**
 * The profile to record, or the message of a 400 naming the first field at fault. Only given fields
 * are kept, so a body without any yields an empty profile.
 */
export const profileFrom = (input: Partial<ProfileInput>): { readonly ok: true; readonly profile: UserProfile } | { readonly ok: false; readonly message: string } => {
  const profile: { -readonly [K in keyof UserProfile]: string } = {}
  for (const name of ["firstName", "lastName"] as const) {
    const value = input[name]
    if (!given(value)) continue
    const problem = nameProblem(name, value)
    if (problem !== undefined) return { ok: false, message: problem }
    profile[name] = value
  }
  if (given(input.email)) {
    if (input.email.length > MAX_EMAIL_CHARS || !EMAIL.test(input.email)) {
      return { ok: false, message: `email must look like name@example.com (at most ${MAX_EMAIL_CHARS} characters)` }
    }
    profile.email = input.email
  }
  if (given(input.number)) {
    if (input.number.length > MAX_NUMBER_CHARS || !NUMBER.test(input.number)) {
      return { ok: false, message: `number must be a phone number: digits, spaces and + ( ) . / -, at most ${MAX_NUMBER_CHARS} characters` }
    }
    profile.number = input.number
  }
  if (given(input.userImage)) {
    if (input.userImage.length > MAX_USER_IMAGE_CHARS) {
      return { ok: false, message: `userImage must be at most ${MAX_USER_IMAGE_CHARS} characters (a base64 or data: URL string of a small picture)` }
    }
    profile.userImage = input.userImage
  }
  return { ok: true, profile }
}
