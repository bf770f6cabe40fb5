import { statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../core/context.ts';
import type { ApiPlugin } from '../context.ts';

/** Where `npm run build:web` writes the dashboard (vite build of web/). */
export const DASHBOARD_DIR = path.resolve(import.meta.dirname, '../../../dist/web');

/**
 * Paths that belong to the API and operations: a miss there stays a JSON 404 and never becomes
 * the dashboard's index.html.
 */
const API_PREFIXES = ['/v1', '/docs', '/openapi.json', '/metrics', '/healthz', '/readyz'];

/** Vite names everything under assets/ by content hash: a changed file gets a new name. */
const HASHED_ASSETS = '/assets/';
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * The dashboard is a same-origin single-page app: scripts and styles only from Hestia (no inline
 * script), images also from tenants' logo URLs (https) and data: URIs, the live feed over ws(s).
 * Preact and uPlot set styles through the CSSOM, which style-src does not restrict, so no
 * 'unsafe-inline' is needed; the browser tests fail on any CSP violation. The camera player
 * (hls.js) plays through blob: URLs and fetches HLS from the media servers' playback origins,
 * which are added to media-src and connect-src as they are registered.
 */
export function dashboardCsp(mediaOrigins: readonly string[] = []): string {
  const media = mediaOrigins.length > 0 ? ` ${mediaOrigins.join(' ')}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    `media-src 'self' blob:${media}`,
    `connect-src 'self' ws: wss:${media}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The policy while no media server is registered. */
export const DASHBOARD_CSP = dashboardCsp();

/** The origins players fetch HLS from: every registered media server's playback URL. */
async function mediaOrigins(ctx: AppContext): Promise<string[]> {
  const origins = new Set<string>();
  for (const server of await ctx.store.media.servers.list()) {
    try {
      origins.add(new URL(server.playbackUrl).origin);
    } catch {
      // not a URL: registration validates it, so only a hand-edited row gets here
    }
  }
  return [...origins].sort();
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hestia</title></head>
<body>
<h1>Hestia</h1>
<p>The web dashboard has not been built. Run <code>npm run build:web</code> (or <code>npm install</code>, which builds it) and reload this page.</p>
<p>The API is available at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

export interface DashboardOptions {
  /** The built dashboard (index.html and assets/); DASHBOARD_DIR unless a test says otherwise. */
  root?: string;
}

function isApiPath(pathname: string): boolean {
  return API_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/** A regular file of the build at this URL path, or undefined (also for paths leaving the root). */
function builtFile(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined; // malformed escape: not a file of ours
  }
  if (decoded.includes('\0')) return undefined;
  const file = path.resolve(root, `.${decoded}`);
  if (!file.startsWith(root + path.sep)) return undefined;
  try {
    return statSync(file).isFile() ? path.relative(root, file).split(path.sep).join('/') : undefined;
  } catch {
    return undefined; // absent
  }
}

/** The security headers of every HTML answer (the reply itself is thenable: it is not returned). */
async function setHtmlHeaders(reply: FastifyReply, ctx: AppContext): Promise<void> {
  const csp = dashboardCsp(await mediaOrigins(ctx));
  reply
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

/**
 * Builds the plugin that serves the web dashboard at `/`: its hashed assets with a year-long
 * immutable cache, index.html revalidated on every load (so a new build is picked up at once),
 * and index.html for every other page the app routes itself (`/login`, `/homes/…`), i.e. GET
 * requests that accept HTML outside the API's paths. Without a build, `/` says how to make one.
 * The build is looked up per request, so `npm run build:web` while Hestia runs takes effect.
 */
export function dashboardRoutes(options: DashboardOptions = {}): ApiPlugin {
  return async (app, { ctx }) => {
    if (!ctx.config.http.dashboard) return;
    const configured = ctx.config.http.dashboardDir;
    const root = options.root ?? (configured ? path.resolve(configured) : DASHBOARD_DIR);
    if (builtFile(root, '/index.html') === undefined) {
      ctx.logger.warn(
        { dashboardDir: root },
        'the web dashboard is not built (run `npm run build:web`); the API works without it',
      );
    }
    // serve: false: the routes below decide what is a file, the app's page or an API 404.
    await app.register(fastifyStatic, {
      root,
      serve: false,
      suppressWarning: true,
      dotfiles: 'deny',
      // dist/web/*.gz and *.br are written by scripts/build-web.js next to each text file.
      preCompressed: true,
    });

    const serveIndex = async (reply: FastifyReply) => {
      await setHtmlHeaders(reply, ctx);
      if (builtFile(root, '/index.html') === undefined)
        return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    };

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = request.url.split('?')[0] ?? '/';
      if (isApiPath(pathname)) return reply.callNotFound();
      if (pathname === '/' || pathname === '/index.html') return serveIndex(reply);
      const file = builtFile(root, pathname);
      if (file !== undefined) {
        const cacheControl = pathname.startsWith(HASHED_ASSETS)
          ? `public, max-age=${ONE_YEAR_SECONDS}, immutable`
          : 'no-cache';
        return reply
          .header('cache-control', cacheControl)
          .header('x-content-type-options', 'nosniff')
          .sendFile(file, { cacheControl: false });
      }
      // A missing hashed asset is a stale page asking for an old build: index.html would not help.
      if (!pathname.startsWith(HASHED_ASSETS) && acceptsHtml(request)) return serveIndex(reply);
      return reply.callNotFound();
    };
    app.get('/', { schema: { hide: true } }, handler);
    app.get('/*', { schema: { hide: true } }, handler);
  };
}

/** The dashboard from dist/web, as `buildApi` registers it. */
export const webRoutes: ApiPlugin = dashboardRoutes();
