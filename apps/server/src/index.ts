export * from "./config.js"
export * from "./Server.js"
export * from "./bootstrapAdmin.js"
export * from "./roles.js"
