/** The GraphiQL page: placeholder until the GraphiQL bundle is served from a package. */
export const graphiqlPage = (): string => "<!doctype html><title>GraphQL</title><p>POST /graphql</p>"
