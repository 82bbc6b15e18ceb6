import { defineConfig } from "vite"

// Served by the edge at /console (apps/server/src/routes/console.ts): every URL in the built page
// starts there, and files under assets/ carry their content hash, so the edge may cache them for good.
export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // Pages are loaded on demand (pages/registry.ts); the terminal, chart and player libraries are large.
    chunkSizeWarningLimit: 1500
  }
})
