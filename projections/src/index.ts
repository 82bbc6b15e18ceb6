export * from "./runner/Projection.js"
export * from "./runner/ReadModelDatabase.js"
export * from "./runner/ProjectionRunner.js"
export * from "./users/UsersProjection.js"
