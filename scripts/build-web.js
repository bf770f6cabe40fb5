#!/usr/bin/env node
// Builds the web dashboard (web/ → dist/web) with Vite, then writes gzip and brotli copies of
// the text files next to them, which Hestia serves to browsers that accept them.
//
// Run by `npm run build:web` and by npm's postinstall, so `npm install && npm start` serves the
// dashboard. It never fails an install for want of the dashboard's sources or of Vite (a
// production install without dev dependencies, or a package without web/): it says so and
// exits 0. A real build error does fail it.
//
//   node scripts/build-web.js            build
//   node scripts/build-web.js --if-stale build only when a file under web/ is newer than the build
//   node scripts/build-web.js --out-dir <dir>   build into <dir> instead (serve it with http.dashboardDir)
import console from 'node:console';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const projectDir = path.resolve(import.meta.dirname, '..');
const webDir = path.join(projectDir, 'web');
const configFile = path.join(webDir, 'vite.config.ts');
const outDirFlag = process.argv.indexOf('--out-dir');
const outDir =
  outDirFlag > 0 && process.argv[outDirFlag + 1]
    ? path.resolve(process.argv[outDirFlag + 1])
    : path.join(projectDir, 'dist', 'web');
const relativeOut = path.relative(projectDir, outDir);
const outName = relativeOut && !relativeOut.startsWith('..') ? relativeOut : outDir;
const builtIndex = path.join(outDir, 'index.html');
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|webmanifest)$/;
/** Files smaller than this are sent as they are (compression would not pay for itself). */
const MIN_COMPRESS_BYTES = 1024;

/** Every file under dir, recursively, skipping dependencies and build output. */
function filesUnder(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

/** True when there is no build, or a source of web/ changed after it. */
function buildIsStale() {
  if (!existsSync(builtIndex)) return true;
  const builtAt = statSync(builtIndex).mtimeMs;
  return filesUnder(webDir).some((file) => statSync(file).mtimeMs > builtAt);
}

function precompress() {
  // Copies from an earlier build (vite may not empty dist/web) would shadow the new files.
  for (const file of filesUnder(outDir)) if (/\.(gz|br)$/.test(file)) rmSync(file);
  let count = 0;
  for (const file of filesUnder(outDir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const content = readFileSync(file);
    if (content.length < MIN_COMPRESS_BYTES) continue;
    writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(content, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      }),
    );
    count++;
  }
  return count;
}

async function main() {
  if (!existsSync(configFile)) {
    console.log(`hestia: no ${path.relative(projectDir, configFile)}; the web dashboard is not built.`);
    return;
  }
  if (process.argv.includes('--if-stale') && !buildIsStale()) {
    console.log(`hestia: the web dashboard is up to date (${outName}).`);
    return;
  }
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.log('hestia: Vite is not installed (dev dependencies omitted?); the web dashboard is not built.');
    return;
  }
  await vite.build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const compressed = precompress();
  console.log(`hestia: web dashboard built into ${outName} (${compressed} files pre-compressed).`);
}

main().catch((error) => {
  console.error('hestia: building the web dashboard failed:', error);
  process.exit(1);
});
