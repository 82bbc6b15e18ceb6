import type { Schema } from "effect"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import type { Action, Scope } from "@machhub/core"
import type { Principal } from "../auth/Principal.js"

/**
 * One HTTP route as data: what it answers to, who may call it with which credentials, what it takes
 * and answers, and the handler. Every route of the server is declared this way, in one table per area
 * (apps/server/src/routes/*.ts); `mount` turns a table into Router entries with the one guard in
 * front (guard.ts), and `openapi.ts` turns all of them into GET /openapi.json.
 */

/** A permission (SPEC §3): the caller needs `feature:action` at `scope` or wider in the active domain. */
export interface Requirement {
  readonly feature: string
  readonly action: Action
  readonly scope: Scope
}

/** Who may call a route. */
export type Access =
  /** No credential is read at all (health, login, the API document). */
  | { readonly kind: "public" }
  /**
   * Anonymous callers allowed: without a credential the handler gets no principal and decides (records
   * of a collection whose access policy is public); a credential that fails is still refused, never
   * silently downgraded to anonymous.
   */
  | { readonly kind: "anonymous-allowed" }
  /** An authenticated caller; with `permission`, one holding it; with `globalSuperuser`, only a superuser of the admin domain. */
  | {
    readonly kind: "authenticated"
    readonly permission?: Requirement
    /** What only a global superuser may do, completing "Only a superuser of machhub_admin may <this>". */
    readonly globalSuperuser?: string
  }

export const publicRoute = { kind: "public" } as const
export const anonymousAllowed = { kind: "anonymous-allowed" } as const
export const anyCaller = { kind: "authenticated" } as const
export const requires = (feature: string, action: Action, scope: Scope) =>
  ({ kind: "authenticated", permission: { feature, action, scope } }) as const
export const globalSuperuserTo = (purpose: string) => ({ kind: "authenticated", globalSuperuser: purpose }) as const

/**
 * Which credentials a route takes (SPEC §2). Every authenticated route takes a Bearer token; API keys
 * (`Authorization: apikey`, `Bearer mchx_…`, `X-Machhub-Api-Key`) unless refused with a reason; the
 * `jwt` cookie only where declared (SSH routes, reached from a browser).
 */
export interface CredentialPolicy {
  readonly cookie: boolean
  /** `accepted`, or why keys are refused here (the message is in refusals.ts). */
  readonly keys: "accepted" | "refused-on-ssh" | "refused-on-api-keys"
}

export const TOKENS_AND_KEYS: CredentialPolicy = { cookie: false, keys: "accepted" }

/**
 * How the route's errors look: plain text saying what to do (SPEC §1), or the SSH routes'
 * `{ status, message, data: null }` envelope (SPEC §9). Refusals, body decoding failures and the
 * handler's own plain-text errors are all rendered in it.
 */
export type ErrorFormat = "text" | "envelope"

/**
 * A request body: `decode` (decoded before the handler, a failure answered 400 with the field at
 * fault), `decode-if-present` (the same, but an empty body is `undefined`), or `read-by-handler` (the
 * handler reads it itself because other checks must answer first, or the shape is only known at run
 * time, like a record checked against its collection's schema; the schema documents it).
 */
export interface BodyDeclaration<B> {
  readonly schema: Schema.Top & { readonly DecodingServices: never }
  readonly mode: "decode" | "decode-if-present" | "read-by-handler"
  readonly description?: string
  /** Only for the type of the decoded value. */
  readonly _B?: B
}

export const body = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, description?: string): BodyDeclaration<S["Type"]> =>
  ({ schema, mode: "decode", ...(description === undefined ? {} : { description }) })
export const optionalBody = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, description?: string): BodyDeclaration<S["Type"] | undefined> =>
  ({ schema, mode: "decode-if-present", ...(description === undefined ? {} : { description }) })
export const bodyReadByHandler = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, description?: string): BodyDeclaration<undefined> =>
  ({ schema, mode: "read-by-handler", ...(description === undefined ? {} : { description }) })

/** One documented answer. Refusals (401/403/429), body 400s and the read-model gate's 503 are added from the declaration. */
export interface ResponseDeclaration {
  readonly description: string
  /** The JSON body; absent for plain text (errors) or bodies described in words. */
  readonly schema?: Schema.Top
  /** When not JSON (or the error format): e.g. application/x-ndjson, text/html. */
  readonly contentType?: string
}

export const ok = (description: string, schema?: Schema.Top): ResponseDeclaration => (schema === undefined ? { description } : { description, schema })
export const content = (contentType: string, description: string): ResponseDeclaration => ({ description, contentType })
export const error = (description: string): ResponseDeclaration => ({ description })

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}+` ? Name
  : P extends `${string}:${infer Name}` ? Name
  : never

/** The path's `:name` segments (and a last `:name+`, the rest of the path), already URI-decoded by the Router. */
export type PathParams<P extends string> = { readonly [K in ParamNames<P>]: string }

export type PrincipalOf<A extends Access> = A extends { readonly kind: "public" } ? undefined
  : A extends { readonly kind: "anonymous-allowed" } ? Principal | undefined
  : Principal

export interface RouteInput<P extends string, A extends Access, B> {
  readonly request: HttpRequest
  readonly params: PathParams<P>
  readonly principal: PrincipalOf<A>
  readonly body: B
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

export interface RouteDeclaration<P extends string = string, A extends Access = Access, B = unknown> {
  readonly method: Method
  readonly path: P
  /** The area (an OpenAPI tag): identity, sessions, api-keys, data, machines, audit, catalog, health, documentation. */
  readonly tag: string
  readonly summary: string
  readonly description?: string
  readonly access: A
  /** Default TOKENS_AND_KEYS. Ignored for public routes. */
  readonly credentials?: CredentialPolicy
  /** Default "text". */
  readonly errors?: ErrorFormat
  /** Documented path parameters: what each means (all are strings in the path). */
  readonly params?: { readonly [K in ParamNames<P>]: string }
  /** Documented query parameters (a Struct of optional strings); the handler parses them with its own checks. */
  readonly query?: Schema.Struct<Schema.Struct.Fields>
  /** Request headers the route reads besides credentials and Domain, e.g. If-Match, Idempotency-Key. */
  readonly headers?: ReadonlyArray<"If-Match" | "Idempotency-Key" | "X-Master-Password" | "App-Event-Position" | "Authorization">
  readonly body?: BodyDeclaration<B>
  readonly responses: Readonly<Record<number, ResponseDeclaration>>
  readonly handler: (input: RouteInput<P, A, B>) => HttpResponse | Promise<HttpResponse>
}

// Handlers are contravariant in their input; a table holds routes of every shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDeclaration<string, Access, any>

/** Declares one route; the generics give the handler typed params, principal and body. */
export const route = <const P extends string, const A extends Access, B = undefined>(declaration: RouteDeclaration<P, A, B>): AnyRoute =>
  declaration as unknown as AnyRoute
