#!/usr/bin/env node
// The `machhub` bin: the compiled CLI (`npm run build` first). A committed, executable shim, so the
// bin keeps its mode however dist/ is rebuilt.
import "../dist/main.js"
