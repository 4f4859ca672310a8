import { useEffect, useState } from 'preact/hooks';

/**
 * Routes live in the URL's hash (#/clusters/web/services/api), so any static host serves the
 * console from one index.html and a page can be bookmarked or shared.
 */
export type Route =
  | { page: 'clusters' }
  | { page: 'cluster'; cluster: string }
  | { page: 'service'; cluster: string; service: string }
  | { page: 'task'; cluster: string; task: string }
  | { page: 'task-definitions' }
  | { page: 'family'; family: string }
  | { page: 'not-found'; path: string };

export const parseRoute = (hash: string): Route => {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'clusters' };
  if (parts[0] === 'clusters' && parts.length === 2) return { page: 'cluster', cluster: parts[1] };
  if (parts[0] === 'clusters' && parts[2] === 'services' && parts.length === 4) return { page: 'service', cluster: parts[1], service: parts[3] };
  if (parts[0] === 'clusters' && parts[2] === 'tasks' && parts.length === 4) return { page: 'task', cluster: parts[1], task: parts[3] };
  if (parts[0] === 'task-definitions' && parts.length === 1) return { page: 'task-definitions' };
  if (parts[0] === 'task-definitions' && parts.length === 2) return { page: 'family', family: parts[1] };
  return { page: 'not-found', path };
};

const e = encodeURIComponent;
export const href = {
  clusters: () => '#/',
  cluster: (cluster: string) => `#/clusters/${e(cluster)}`,
  service: (cluster: string, service: string) => `#/clusters/${e(cluster)}/services/${e(service)}`,
  task: (cluster: string, task: string) => `#/clusters/${e(cluster)}/tasks/${e(task)}`,
  taskDefinitions: () => '#/task-definitions',
  family: (family: string) => `#/task-definitions/${e(family)}`,
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
};
