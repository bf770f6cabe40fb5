import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { dashboardCsp, dashboardRoutes, DASHBOARD_CSP } from '../../src/api/routes/web.ts';
import type { ApiContext } from '../../src/api/context.ts';
import { loadConfig } from '../../src/core/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * How Hestia serves the dashboard, on a build made up for the test (no Vite, no browser): the
 * cache policy of hashed assets and of index.html, pre-compressed copies, the app's own paths
 * answered with index.html, API paths and path tricks not, and what happens without a build or
 * with the dashboard turned off.
 */

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-3f2a1b.js"></script></head></html>';
const SCRIPT = `export const app = ${JSON.stringify('x'.repeat(4000))};\n`;

/** A Fastify with the dashboard plugin and the API's JSON 404, as buildApi sets them up. */
async function serverFor(root: string, options: { dashboard?: boolean; playbackUrls?: string[] } = {}) {
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        lines.push(line);
      },
    },
  );
  const config = loadConfig({ env: {}, overrides: { http: { dashboard: options.dashboard ?? true } } });
  const app: FastifyInstance = Fastify();
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'HESTIA_NOT_FOUND', message: 'No route' } }),
  );
  app.get('/v1/me', async () => ({ me: true }));
  // The registered media servers, whose playback origins the camera player may fetch from.
  const servers = (options.playbackUrls ?? []).map((playbackUrl) => ({ playbackUrl }));
  const store = { media: { servers: { list: async () => servers } } };
  const api = { ctx: { config, logger, store }, services: {}, isReady: () => true } as unknown as ApiContext;
  await app.register(dashboardRoutes({ root }), api);
  return { app, warnings: lines };
}

describe('serving the web dashboard', () => {
  let parent: string;
  let built: string;
  let app: FastifyInstance;

  before(async () => {
    // The build in a directory of its own, so that the file beside it (which must never be
    // served) is this run's and is removed with it.
    parent = mkdtempSync(path.join(tmpdir(), 'hestia-web-'));
    built = path.join(parent, 'web');
    mkdirSync(path.join(built, 'assets'), { recursive: true });
    writeFileSync(path.join(built, 'index.html'), INDEX);
    writeFileSync(path.join(built, 'assets', 'app-3f2a1b.js'), SCRIPT);
    writeFileSync(path.join(built, 'assets', 'app-3f2a1b.js.gz'), gzipSync(SCRIPT));
    writeFileSync(path.join(built, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
    writeFileSync(path.join(built, '.env'), 'SECRET=1\n');
    writeFileSync(path.join(parent, 'outside.txt'), 'outside\n');
    ({ app } = await serverFor(built));
  });

  after(async () => {
    await app?.close();
    rmSync(parent, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = { accept: 'text/html' }) =>
    app.inject({ method: 'GET', url, headers });

  it('answers / with index.html, revalidated on every load, with the security headers', async () => {
    const reply = await get('/');
    assert.equal(reply.statusCode, 200);
    assert.equal(reply.body, INDEX);
    assert.match(reply.headers['content-type'] as string, /^text\/html/);
    assert.equal(reply.headers['cache-control'], 'no-cache');
    assert.equal(reply.headers['content-security-policy'], DASHBOARD_CSP);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    assert.match(DASHBOARD_CSP, /frame-ancestors 'none'/);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-(inline|eval)/);
  });

  it('serves hashed assets for a year, immutable, pre-compressed when the browser accepts it', async () => {
    const plain = await get('/assets/app-3f2a1b.js', { accept: '*/*' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, SCRIPT);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(plain.headers['content-type'] as string, /javascript/);
    const gzipped = await get('/assets/app-3f2a1b.js', { accept: '*/*', 'accept-encoding': 'gzip' });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.equal(gzipped.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(gzipped.rawPayload.length < SCRIPT.length);
    const head = await app.inject({ method: 'HEAD', url: '/assets/app-3f2a1b.js' });
    assert.equal(head.statusCode, 200);
    // Other files of the build may change under the same name: revalidated.
    assert.equal((await get('/robots.txt', { accept: '*/*' })).headers['cache-control'], 'no-cache');
  });

  it("answers the app's own paths with index.html, for pages only", async () => {
    for (const url of ['/login', '/homes/1f0c', '/devices/abc?tab=week', '/some/deep/path']) {
      const reply = await get(url);
      assert.equal(reply.statusCode, 200, url);
      assert.equal(reply.body, INDEX, url);
      assert.equal(reply.headers['content-security-policy'], DASHBOARD_CSP, url);
    }
    // A script or an image that is not there is a 404, not a page.
    assert.equal((await get('/favicon.ico', { accept: 'image/*' })).statusCode, 404);
    // A missing hashed asset (a page of an older build) is a 404 even for a browser tab.
    assert.equal((await get('/assets/app-000000.js')).statusCode, 404);
    // Other methods are not the dashboard's.
    const post = await app.inject({ method: 'POST', url: '/login', headers: { accept: 'text/html' } });
    assert.equal(post.statusCode, 404);
  });

  it("leaves the API's paths to the API: a miss there is a JSON 404, also for a browser", async () => {
    assert.deepEqual((await get('/v1/me')).json(), { me: true });
    for (const url of [
      '/v1',
      '/v1/nothing',
      '/docs/nothing',
      '/openapi.json',
      '/metrics',
      '/healthz',
      '/readyz/x',
    ]) {
      const reply = await get(url);
      assert.equal(reply.statusCode, 404, url);
      assert.equal(reply.json().error.code, 'HESTIA_NOT_FOUND', url);
    }
    // Names that only begin like an API path are the app's.
    assert.equal((await get('/v1beta')).body, INDEX);
  });

  it('never serves a file outside the build or a dotfile', async () => {
    for (const url of [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/assets/%2e%2e/%2e%2e/outside.txt',
      '/.env',
      '/%00',
    ]) {
      const reply = await get(url, { accept: '*/*' });
      assert.ok(reply.statusCode >= 400, `${url}: ${reply.statusCode}`);
      assert.doesNotMatch(reply.body, /outside|SECRET/, url);
    }
  });

  it('without a build, says how to make one (and the process warns at start)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'hestia-web-none-'));
    const { app: bare, warnings } = await serverFor(path.join(empty, 'web'));
    try {
      const reply = await bare.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      assert.equal(reply.statusCode, 503);
      assert.match(reply.body, /npm run build:web/);
      assert.equal((await bare.inject({ method: 'GET', url: '/v1/me' })).statusCode, 200);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /npm run build:web/);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the dashboard turned off (http.dashboard=false)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ http: { port: 0, host: '127.0.0.1', dashboard: false } });
  });
  after(async () => app?.stop());

  it('leaves only the API: / is a JSON 404', async () => {
    const reply = await app.hestia.api.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    assert.equal(reply.statusCode, 404);
    assert.equal(reply.json().error.code, 'HESTIA_NOT_FOUND');
    assert.equal((await app.request('GET', '/healthz')).status, 200);
  });
});

describe('the dashboard’s policy and the camera player', () => {
  it('lets the player fetch HLS from the registered media servers’ origins only', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'hestia-web-csp-'));
    writeFileSync(path.join(root, 'index.html'), INDEX);
    const { app } = await serverFor(root, {
      playbackUrls: ['https://media-1.example/hls', 'http://10.0.0.5:8080', 'https://media-1.example'],
    });
    try {
      const reply = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      const csp = String(reply.headers['content-security-policy']);
      assert.match(csp, /media-src 'self' blob: http:\/\/10\.0\.0\.5:8080 https:\/\/media-1\.example;/);
      assert.match(csp, /connect-src 'self' ws: wss: http:\/\/10\.0\.0\.5:8080 https:\/\/media-1\.example;/);
      assert.equal(csp, dashboardCsp(['http://10.0.0.5:8080', 'https://media-1.example']));
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
