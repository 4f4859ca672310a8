/**
 * The local stack serves the web console at /console/ (functions/console.ts, from console/dist,
 * which npm install builds), and answers REST GETs conditionally, which is what makes the
 * console's polling cheap on the wire.
 */
import { api, apiUrl, request } from '../support/http';

describe('the web console on the local stack', () => {
  it('serves the page at /console/ and /console, with hashed assets cached for good', async () => {
    for (const path of ['/console/', '/console']) {
      const page = await fetch(`${apiUrl()}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await page.text();
      const script = html.match(/src="(\/console\/assets\/index-[\w-]+\.js)"/)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${apiUrl()}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('answers 404 for anything it did not build, traversal attempts included', async () => {
    for (const path of ['/console/assets/missing.js', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/src/main.tsx']) {
      const answer = await fetch(`${apiUrl()}${path}`);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(await answer.text()).not.toContain('"name": "ecsbox"');
    }
  });

  it('answers a REST GET with an ETag, 304 while unchanged, and the new body after a change', async () => {
    const first = await api.get('/v1/clusters');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await request('GET', '/v1/clusters', undefined, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    await api.post('/v1/clusters', { clusterName: `etag-${Date.now()}` });
    const changed = await request('GET', '/v1/clusters', undefined, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});
