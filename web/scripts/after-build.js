// After `vite build`: precompressed siblings (.br, .gz) of every text file of the build, which
// `devforum serve` sends to browsers that accept them; then the size of the JavaScript
// index.html loads (the shell: Svelte, the router, the API client), gzipped, against the
// budget (60 kB), and of the CSS it loads (the design system and the shell's styles) against
// its own (20 kB). Each page is a chunk of its own (1-5 kB gzipped) fetched when first visited.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const BUDGET = 60 * 1024;
const CSS_BUDGET = 20 * 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

for (const path of files(dist)) {
  if (!/\.(js|css|html|svg|json)$/.test(path)) continue;
  const body = readFileSync(path);
  if (body.length < 1024) continue;
  writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
  writeFileSync(
    `${path}.br`,
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}

const index = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [...index.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map(
  (m) => m[1],
);
const total = scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file))).length, 0);
console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} kB gzipped (${scripts.join(', ')}; budget 60 kB)`);
if (scripts.length === 0 || total > BUDGET) {
  console.error(scripts.length === 0 ? 'no script found in index.html' : 'over the budget');
  process.exit(1);
}

const sheets = [...index.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="\/(assets\/[^"]+\.css)"/g)].map((m) => m[1]);
const css = sheets.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file))).length, 0);
console.log(`initial CSS: ${(css / 1024).toFixed(1)} kB gzipped (${sheets.join(', ')}; budget 20 kB)`);
if (sheets.length === 0 || css > CSS_BUDGET) {
  console.error(sheets.length === 0 ? 'no stylesheet found in index.html' : 'CSS over the budget');
  process.exit(1);
}
