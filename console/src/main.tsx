import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSignInNeeded, setSession, signedIn } from './api';
import { ClusterPage } from './pages/cluster';
import { ClustersPage } from './pages/clusters';
import { ServicePage } from './pages/service';
import { TaskPage } from './pages/task';
import { FamilyPage, TaskDefinitionsPage } from './pages/task-definitions';
import { href, useRoute, type Route } from './router';
import { SignIn } from './signin';
import { Empty } from './ui';
import './style.css';

const Page = ({ route }: { route: Route }) => {
  switch (route.page) {
    case 'clusters':
      return <ClustersPage />;
    case 'cluster':
      return <ClusterPage key={route.cluster} cluster={route.cluster} />;
    case 'service':
      return <ServicePage key={`${route.cluster}/${route.service}`} cluster={route.cluster} service={route.service} />;
    case 'task':
      return <TaskPage key={route.task} cluster={route.cluster} task={route.task} />;
    case 'task-definitions':
      return <TaskDefinitionsPage />;
    case 'family':
      return <FamilyPage key={route.family} family={route.family} />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <Empty>Nothing lives at {route.path}. <a href={href.clusters()}>Go to the clusters</a>.</Empty>
        </section>
      );
  }
};

const App = () => {
  const route = useRoute();
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [session, setSessionShown] = useState(signedIn());
  useEffect(() => onSignInNeeded(() => setNeedsSignIn(true)), []);
  // Moving to another page puts the keyboard focus on its heading, as a page load would.
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('main h1');
    heading?.setAttribute('tabindex', '-1');
    if (document.activeElement !== document.body) heading?.focus();
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header>
        <a class="brand" href={href.clusters()}>ecsbox</a>
        <nav aria-label="Main">
          <a href={href.clusters()} aria-current={route.page === 'clusters' || route.page === 'cluster' || route.page === 'service' || route.page === 'task' ? 'page' : undefined}>Clusters</a>
          <a href={href.taskDefinitions()} aria-current={route.page === 'task-definitions' || route.page === 'family' ? 'page' : undefined}>Task definitions</a>
          <a href="/v1/openapi.json">API</a>
        </nav>
        {session && (
          <button type="button" class="secondary" onClick={() => { setSession(undefined); setSessionShown(false); setNeedsSignIn(true); }}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {needsSignIn ? (
          <SignIn onSignedIn={() => { setNeedsSignIn(false); setSessionShown(true); }} />
        ) : (
          <Page route={route} />
        )}
      </main>
    </>
  );
};

render(<App />, document.getElementById('app')!);
