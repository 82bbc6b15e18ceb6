import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import type { HttpResponse } from "@machhub/adapters"
import { content, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"

/**
 * GraphiQL on `GET /graphql`, served from packages (no CDN: the page loads nothing from elsewhere):
 * graphiql 3.x, the last line shipping a browser bundle (`graphiql.min.js`, which takes React and
 * ReactDOM as globals), with React 18's browser builds (React 19 ships none).
 */
const require = createRequire(import.meta.url)
const dirOf = (name: string) => dirname(require.resolve(`${name}/package.json`))
const versionOf = (name: string) => (JSON.parse(readFileSync(join(dirOf(name), "package.json"), "utf8")) as { version: string }).version

// The versions are in the path, so browsers may keep the files for good and an upgrade is a new URL.
const ASSETS = `/graphql/assets/${versionOf("graphiql")}-${versionOf("react")}`
const IMMUTABLE = { "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff" }

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>machhub GraphQL</title>
<style>body { margin: 0; } #graphiql { height: 100vh; }</style>
<link rel="stylesheet" href="${ASSETS}/graphiql.min.css">
</head>
<body>
<div id="graphiql"></div>
<script src="${ASSETS}/react.production.min.js"></script>
<script src="${ASSETS}/react-dom.production.min.js"></script>
<script src="${ASSETS}/graphiql.min.js"></script>
<script src="${ASSETS}/graphiql-init.js"></script>
</body>
</html>
`

// The caller's credentials go in the headers editor; nothing is kept unless the caller asks.
const INIT = `const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, {
  fetcher,
  defaultEditorToolsVisibility: "headers",
  defaultHeaders: JSON.stringify({ Authorization: "Bearer <token or API key>", Domain: "domains:<domain>" }, null, 2),
  defaultQuery: "{\\n  machines {\\n    name\\n    currentStates { metricKey value timestamp }\\n  }\\n}\\n"
}));
`

const file = (path: string, contentType: string): (() => HttpResponse) => {
  let response: HttpResponse | undefined
  return () => (response ??= { status: 200, contentType, body: readFileSync(path), headers: IMMUTABLE })
}

const JS = "text/javascript; charset=utf-8"

export const graphiqlRoutes = (): ReadonlyArray<AnyRoute> => {
  const area = { tag: "reporting", access: publicRoute } as const
  const page: HttpResponse = { status: 200, contentType: "text/html; charset=utf-8", body: PAGE, headers: { "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" } }
  const init: HttpResponse = { status: 200, contentType: JS, body: INIT, headers: IMMUTABLE }
  const assets: Array<[string, string, () => HttpResponse]> = [
    ["graphiql.min.css", "GraphiQL's stylesheet", file(join(dirOf("graphiql"), "graphiql.min.css"), "text/css; charset=utf-8")],
    ["graphiql.min.js", "GraphiQL", file(join(dirOf("graphiql"), "graphiql.min.js"), JS)],
    ["react.production.min.js", "React, which GraphiQL runs on", file(join(dirOf("react"), "umd", "react.production.min.js"), JS)],
    ["react-dom.production.min.js", "ReactDOM, which GraphiQL runs on", file(join(dirOf("react-dom"), "umd", "react-dom.production.min.js"), JS)],
    ["graphiql-init.js", "GraphiQL's settings: the endpoint and the headers to fill in", () => init]
  ]
  return [
    route({
      ...area,
      method: "GET",
      path: "/graphql",
      summary: "GraphiQL: a page to write and run queries against POST /graphql (fill the Authorization and Domain headers in)",
      responses: { 200: content("text/html", "The GraphiQL page") },
      handler: () => page
    }),
    ...assets.map(([name, summary, handler]) =>
      route({ ...area, method: "GET", path: `${ASSETS}/${name}`, summary, responses: { 200: content(name.endsWith(".css") ? "text/css" : "text/javascript", summary) }, handler })
    )
  ]
}
