import { useState } from 'preact/hooks';
import { api } from '../api';
import { usePoll } from '../poll';
import { href } from '../router';
import { ActionButton, Badge, Empty, ErrorBanner, Loading } from '../ui';

export const ClustersPage = () => {
  const clusters = usePoll(api.listClusters, 'clusters');
  const [name, setName] = useState('default');
  return (
    <section>
      <h1>Clusters</h1>
      <ErrorBanner error={clusters.error} />
      {!clusters.data ? (
        !clusters.error && <Loading />
      ) : clusters.data.length === 0 ? (
        <Empty>No clusters yet. Create one below, or with <code>aws ecs create-cluster</code>.</Empty>
      ) : (
        <ul class="cards">
          {clusters.data.map((cluster) => (
            <li key={cluster.clusterArn} class="card">
              <h2>
                <a href={href.cluster(cluster.clusterName)}>{cluster.clusterName}</a> <Badge status={cluster.status} />
              </h2>
              <dl class="counts">
                <div><dt>Services</dt><dd>{cluster.activeServicesCount}</dd></div>
                <div><dt>Running tasks</dt><dd>{cluster.runningTasksCount}</dd></div>
                <div><dt>Pending tasks</dt><dd>{cluster.pendingTasksCount}</dd></div>
              </dl>
            </li>
          ))}
        </ul>
      )}
      <form class="inline" onSubmit={(event) => event.preventDefault()}>
        <label>
          New cluster name <input value={name} onInput={(event) => setName(event.currentTarget.value)} required />
        </label>
        <ActionButton
          label="Create cluster"
          kind="primary"
          action={async () => {
            await api.createCluster(name);
            clusters.refresh();
          }}
        />
      </form>
    </section>
  );
};
