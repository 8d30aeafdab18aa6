#!/usr/bin/env node
// npm "bin" entry: runs the compiled CLI (build first with `npm run build`).
import "../dist/bin/tonearm.js";
