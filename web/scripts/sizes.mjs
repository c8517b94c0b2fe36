// Gzip sizes of what each app loads before it can show its first page: the entry's JavaScript
// and everything it imports statically (dynamic imports, such as the player, load later and are
// counted apart), from Vite's manifest. Prints JSON; the web benchmark (cli/benches/web.rs)
// writes it into docs/benchmarks.md.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));

const gzip = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

/** The chunk keys `key` loads at once (itself and its static imports, transitively). */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const next of manifest[key].imports ?? []) staticClosure(next, seen);
  return seen;
}

function measure(entry) {
  const chunks = staticClosure(entry);
  const js = [...chunks].map((k) => manifest[k].file);
  const css = [...new Set([...chunks].flatMap((k) => manifest[k].css ?? []))];
  // Everything reachable later through dynamic imports, at any depth (the player chunk imports
  // shaka-player dynamically in its turn).
  const lazy = new Set();
  const pending = [...chunks];
  while (pending.length > 0) {
    for (const dynamic of manifest[pending.pop()].dynamicImports ?? []) {
      for (const k of staticClosure(dynamic)) {
        if (!chunks.has(k) && !lazy.has(k)) {
          lazy.add(k);
          pending.push(k);
        }
      }
    }
  }
  return {
    js_gzip_bytes: js.reduce((sum, f) => sum + gzip(f), 0),
    css_gzip_bytes: css.reduce((sum, f) => sum + gzip(f), 0),
    files: js.length,
    lazy_js_gzip_bytes: [...lazy].reduce((sum, k) => sum + gzip(manifest[k].file), 0),
  };
}

const result = { viewer: measure('index.html'), console: measure('admin/index.html') };
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
