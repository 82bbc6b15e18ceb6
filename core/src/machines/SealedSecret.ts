import { Schema } from "effect"

/**
 * A secret after authenticated encryption (AES-256-GCM): `gcm1.<iv>.<ciphertext>.<tag>`, each part
 * base64url. Core never encrypts or decrypts (that is I/O-free but belongs to the crypto adapter); it
 * only knows the shape, so deciders can refuse anything that is not sealed and a plaintext secret can
 * never reach an event by mistake.
 */
export type SealedSecret = string

const sealedPattern = /^gcm1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22}$/

export const isSealedSecret = (value: unknown): value is SealedSecret => typeof value === "string" && sealedPattern.test(value)

/**
 * A sealed secret in a command or event. A string as far as the Schema goes: the deciders refuse one
 * that is not sealed with their own reason ("secrets must be sealed ..."), which says more than a
 * pattern mismatch would.
 */
export const SealedSecretSchema = Schema.String.annotate({
  identifier: "SealedSecret",
  description: "AES-256-GCM ciphertext `gcm1.<iv>.<ciphertext>.<tag>`, each part base64url; never plaintext."
})

/**
 * How a key is derived from a master password: the algorithm, its cost and the salt. Recorded with
 * the salt so the cost can be raised later without breaking what was sealed before.
 */
export const KeyDerivation = Schema.Struct({
  algorithm: Schema.Literal("scrypt"),
  logN: Schema.Number,
  r: Schema.Number,
  p: Schema.Number,
  salt: Schema.String.annotate({ description: "base64" })
}).annotate({
  identifier: "KeyDerivation",
  description:
    "How a key is derived from a master password: the algorithm, its cost and the salt. Recorded with the salt so the cost can be raised later without breaking what was sealed before."
})
export type KeyDerivation = typeof KeyDerivation.Type
