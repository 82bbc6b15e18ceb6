import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import type { HttpResponse, Router } from "@machhub/adapters"
import { declaredRoutes } from "../api/mount.js"
import { openApiDocument } from "../api/openapi.js"
import { content, ok, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"

/**
 * Documentation area: `GET /openapi.json`, generated from the route declarations mounted on the
 * router, and `GET /docs`, which renders it with Swagger UI served from the swagger-ui-dist package
 * (no CDN: the page works offline and loads nothing from elsewhere). Swagger UI over Scalar: its
 * browser bundle and stylesheet are some 1.9 MB from a package with one dependency, against a 3+ MB
 * bundle from a package with dozens.
 */

const packageDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"))
const viewerVersion = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version
// The version is in the path, so browsers may keep the files for good and a new version is a new URL.
const ASSETS = `/docs/assets/${viewerVersion}`
const IMMUTABLE = { "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff" }

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>machhub API</title>
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="${ASSETS}/docs.js"></script>
</body>
</html>
`

// No validator badge: it would send the document to validator.swagger.io.
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis] });\n`

/** A file of the viewer's package, read once on first request and kept. */
const packageFile = (file: string, contentType: string): (() => HttpResponse) => {
  let response: HttpResponse | undefined
  return () => (response ??= { status: 200, contentType, body: readFileSync(join(packageDir, file)), headers: IMMUTABLE })
}

export const documentationRoutes = (router: Router): ReadonlyArray<AnyRoute> => {
  let document: HttpResponse | undefined
  const page: HttpResponse = { status: 200, contentType: "text/html; charset=utf-8", body: PAGE, headers: { "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" } }
  const init: HttpResponse = { status: 200, contentType: "text/javascript; charset=utf-8", body: INIT, headers: IMMUTABLE }
  const css = packageFile("swagger-ui.css", "text/css; charset=utf-8")
  const bundle = packageFile("swagger-ui-bundle.js", "text/javascript; charset=utf-8")
  const area = { tag: "documentation", access: publicRoute } as const
  return [
    route({
      ...area,
      method: "GET",
      path: "/openapi.json",
      summary: "This document: every route, generated from the route declarations",
      responses: { 200: ok("The OpenAPI 3.1 document") },
      // Built on first request, once every route is mounted; the routes do not change afterwards.
      handler: () =>
        (document ??= {
          status: 200,
          contentType: "application/json; charset=utf-8",
          body: JSON.stringify(openApiDocument(declaredRoutes(router), {
            title: "machhub",
            version: "0.1.0",
            description: "The HTTP API of machhub. Errors are plain text saying what to do next, except on SSH machine routes, which answer the { status, message, data } envelope.",
            ungated: DOCUMENTATION_PATHS
          }))
        })
    }),
    route({ ...area, method: "GET", path: "/docs", summary: "The API document rendered for reading", responses: { 200: content("text/html", "The viewer's page") }, handler: () => page }),
    route({ ...area, method: "GET", path: `${ASSETS}/swagger-ui.css`, summary: "The viewer's stylesheet", responses: { 200: content("text/css", "Stylesheet") }, handler: css }),
    route({ ...area, method: "GET", path: `${ASSETS}/swagger-ui-bundle.js`, summary: "The viewer", responses: { 200: content("text/javascript", "Script") }, handler: bundle }),
    route({ ...area, method: "GET", path: `${ASSETS}/docs.js`, summary: "The viewer's settings: which document to show", responses: { 200: content("text/javascript", "Script") }, handler: () => init })
  ]
}

/** Answered outside the read-model gate: none of them depends on this node's data. */
export const DOCUMENTATION_PATHS: ReadonlyArray<string> = [
  "/openapi.json",
  "/docs",
  `${ASSETS}/swagger-ui.css`,
  `${ASSETS}/swagger-ui-bundle.js`,
  `${ASSETS}/docs.js`
]
