// Copies the viewer's static files next to the compiled code (tsc only emits .js from .ts).
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'src', 'viewer', 'assets');
const to = path.join(__dirname, '..', 'dist', 'viewer', 'assets');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
