import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api';

export const ErrorBanner = ({ error }: { error: Error | undefined }) =>
  error ? (
    <div class="banner error" role="alert">
      {error instanceof ApiError ? <strong>{error.type}: </strong> : <strong>Cannot reach the API: </strong>}
      {error.message}
    </div>
  ) : null;

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

export const Loading = () => (
  <p class="empty" aria-busy="true">
    Loading…
  </p>
);

const statusTone: Record<string, string> = {
  RUNNING: 'ok',
  ACTIVE: 'ok',
  COMPLETED: 'ok',
  HEALTHY: 'ok',
  PRIMARY: 'info',
  IN_PROGRESS: 'info',
  FAILED: 'bad',
  UNHEALTHY: 'bad',
  STOPPED: 'muted',
  INACTIVE: 'muted',
  DRAINING: 'warn',
  // Application Auto Scaling's activity statuses
  Successful: 'ok',
  InProgress: 'info',
  Pending: 'info',
  Failed: 'bad',
};

export const Badge = ({ status }: { status: string | undefined }) =>
  status ? <span class={`badge ${statusTone[status] ?? 'warn'}`}>{status}</span> : null;

export const time = (iso: string | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '');

/** A button that runs an API action, shows it is busy, and reports the action's refusal. */
export const ActionButton = ({
  label,
  action,
  kind = 'secondary',
  disabled,
}: {
  label: string;
  action: () => Promise<unknown>;
  kind?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
}) => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={busy || disabled}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await action();
          } catch (caught) {
            setError(caught as Error);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? `${label}…` : label}
      </button>
      <ErrorBanner error={error} />
    </span>
  );
};

/** The lifecycle timestamps of a task, in order, as a vertical timeline. */
export const Timeline = ({ steps }: { steps: Array<[string, string | undefined]> }) => (
  <ol class="timeline">
    {steps.map(([label, at]) => (
      <li key={label} class={at ? 'done' : 'todo'}>
        <span class="dot" aria-hidden="true" />
        <span class="label">{label}</span>
        <time dateTime={at}>{at ? time(at) : '—'}</time>
      </li>
    ))}
  </ol>
);
