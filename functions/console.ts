import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { httpStack, type HttpResult } from '../lib/http/middleware';

/**
 * The web console's static files (console/dist, built by `npm install`'s prepare script), served
 * under /console/. Every file is read once at cold start into a map keyed by its URL path, so a
 * request can only ever name a built file: no path from the URL reaches the file system.
 */
/**
 * Deployed, the files are in the function's package (LAMBDA_TASK_ROOT); locally serverless-offline
 * points LAMBDA_TASK_ROOT at its build folder, and the files are in the project (the working folder).
 */
const CONSOLE_ROOT =
  [process.env.LAMBDA_TASK_ROOT, process.cwd()]
    .filter((root): root is string => root !== undefined)
    .map((root) => join(root, 'console', 'dist'))
    .find((root) => existsSync(join(root, 'index.html'))) ?? join(process.cwd(), 'console', 'dist');

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: string;
  mediaType: string;
}

const filesUnder = (directory: string): string[] =>
  readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(directory, entry.name)) : [join(directory, entry.name)],
  );

const loadFiles = (): Map<string, StaticFile> => {
  const files = new Map<string, StaticFile>();
  let paths: string[];
  try {
    paths = filesUnder(CONSOLE_ROOT);
  } catch {
    return files; // not built: every request gets the "not built" page
  }
  for (const path of paths) {
    const mediaType = MEDIA_TYPES[extname(path)];
    if (mediaType) files.set(relative(CONSOLE_ROOT, path).split('\\').join('/'), { body: readFileSync(path, 'utf8'), mediaType });
  }
  return files;
};

const files = loadFiles();

const NOT_BUILT =
  '<!doctype html><title>ecsbox console</title><p>The console is not built. Run <code>npm run build:console</code> ' +
  '(npm install and npm start build it), then reload.</p>';

/** Hashed assets never change under their name; the page itself is revalidated on every load. */
const cacheControl = (path: string) => (path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');

const answer = (statusCode: number, file: StaticFile, path: string): HttpResult => ({
  statusCode,
  headers: {
    'Content-Type': file.mediaType,
    'Cache-Control': cacheControl(path),
    'X-Content-Type-Options': 'nosniff',
    // The console talks only to its own origin's API.
    'Content-Security-Policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  },
  body: file.body,
});

export const handler = httpStack('rest', 'public').handler(async (event) => {
  // "/console" and "/console/" are the page (its asset URLs are absolute: Vite's base is /console/).
  const proxy = event.pathParameters?.proxy;
  const path = proxy && proxy !== '' ? proxy : 'index.html';
  const file = files.get(path);
  if (file) return answer(200, file, path);
  const index = files.get('index.html');
  if (!index) return answer(503, { body: NOT_BUILT, mediaType: MEDIA_TYPES['.html'] }, path);
  // The console routes by the URL's hash, so any other path is a missing asset.
  return answer(404, { body: 'Not found', mediaType: MEDIA_TYPES['.txt'] }, path);
});
