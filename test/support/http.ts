/** A small HTTP client for end-to-end tests against the local stack. */
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export const apiUrl = (): string => {
  const url = process.env.ECSBOX_TEST_API_URL;
  if (!url) throw new Error('The local stack is not running: run this test through jest, which starts it');
  return url;
};

export const request = async <T = any>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> => {
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
};

export const api = {
  get: <T = any>(path: string) => request<T>('GET', path),
  post: <T = any>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T = any>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  delete: <T = any>(path: string) => request<T>('DELETE', path),
};

export { fargateTaskDefinition } from './fixtures';
