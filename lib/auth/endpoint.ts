import type { SandboxSettings } from '../config';
import type { HttpEvent } from '../http/middleware';

/**
 * The endpoint a sandbox's owner is told to use: the stage's PUBLIC_ENDPOINT, else the address the
 * request came to (API Gateway sets X-Forwarded-Proto; a named stage is part of the path).
 */
export const endpointOf = (event: HttpEvent, settings: Pick<SandboxSettings, 'publicEndpoint'>): string => {
  if (settings.publicEndpoint) return settings.publicEndpoint.replace(/\/+$/, '');
  const protocol = event.headers['x-forwarded-proto'] ?? 'http';
  const stage = event.requestContext.stage;
  const stagePath = stage && stage !== '$default' && event.rawPath.startsWith(`/${stage}/`) ? `/${stage}` : '';
  return `${protocol}://${event.headers.host ?? 'localhost'}${stagePath}`;
};
