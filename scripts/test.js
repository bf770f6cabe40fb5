#!/usr/bin/env node
// Runs Hestia's test files: the last step of `npm test` (`npm run test:only`).
//
// The files run side by side, each in a process of its own (node:test's run()): they are
// independent by construction (every app on free ports, every PostgreSQL suite in a database
// of its own, temporary directories), and most of a file's time is spent waiting for sockets,
// child processes and the browser, so running only one at a time leaves the machine idle.
// What they share is prepared here once, before any of them starts: the dashboard build the
// browser tests serve (a rebuild by one file would empty the directory another one serves).
//
//   node --import tsx scripts/test.js                    every test file
//   node --import tsx scripts/test.js <file>...          only these
//   node --import tsx scripts/test.js --concurrency 1    one file at a time (default: TEST_CONCURRENCY, else 3)
//
// `--import tsx` is passed on to the test files' processes (run() gives them this process's flags).
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const projectDir = path.resolve(import.meta.dirname, '..');
const TEST_DIRS = ['test/unit', 'test/store', 'test/media', 'test/integration', 'test/browser', 'web/test'];
/**
 * Files at once. Measured on the 2-core CI machine, where node --test's default (cores - 1) runs
 * one file at a time: at 2 the cores still idle while files wait on sockets, timers and child
 * processes; 3 keeps them busy; 4 was no faster and spent more CPU on contention.
 */
const DEFAULT_CONCURRENCY = 3;

function parseArgs(argv) {
  const files = [];
  let concurrency = Number(process.env.TEST_CONCURRENCY || DEFAULT_CONCURRENCY);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--concurrency') concurrency = Number(argv[++i]);
    else files.push(path.resolve(argv[i]));
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`test: --concurrency (or TEST_CONCURRENCY) must be a positive integer`);
    process.exit(2);
  }
  return { files, concurrency };
}

function allTestFiles() {
  return TEST_DIRS.flatMap((dir) =>
    readdirSync(path.join(projectDir, dir))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => path.join(projectDir, dir, name)),
  );
}

/**
 * The dashboard the browser tests serve, built once for the whole run when a file under web/ is
 * newer than it (scripts/build-web.js --if-stale); the files are told not to build it themselves.
 */
function buildDashboard() {
  const outDir = process.env.HESTIA_TEST_DASHBOARD_DIR
    ? path.resolve(process.env.HESTIA_TEST_DASHBOARD_DIR)
    : path.join(projectDir, 'dist', 'web');
  const build = spawnSync(
    process.execPath,
    [path.join(projectDir, 'scripts/build-web.js'), '--if-stale', '--out-dir', outDir],
    { cwd: projectDir, stdio: 'inherit' },
  );
  if (build.status !== 0 || !existsSync(path.join(outDir, 'index.html'))) {
    console.error(`test: building the dashboard into ${outDir} failed (${build.status})`);
    process.exit(1);
  }
  process.env.HESTIA_TEST_DASHBOARD_BUILT = '1';
}

const { files, concurrency } = parseArgs(process.argv.slice(2));
const testFiles = files.length > 0 ? files : allTestFiles();
if (testFiles.some((file) => file.includes(`${path.sep}browser${path.sep}`))) buildDashboard();
// Longest first, so that the run does not end waiting for a long file started last; the size of
// a test file is a rough but free measure of how long it runs.
testFiles.sort((a, b) => statSync(b).size - statSync(a).size);

const stream = run({ files: testFiles, concurrency });
stream.on('test:fail', (event) => {
  // A failing `todo` test is an expected failure (a known bug), as with node --test.
  if (event.todo === undefined || event.todo === false) process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
