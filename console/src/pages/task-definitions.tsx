import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, familyRevision, type TaskDefinition } from '../api';
import { sideBySide } from '../diff';
import { usePoll } from '../poll';
import { registrationInput } from '../presets';
import { href } from '../router';
import { Empty, ErrorBanner, Loading } from '../ui';
import { fieldOf } from '../fields';
import { useFamilies } from './cluster';

const STARTER = {
  family: 'web',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'public.ecr.aws/nginx/nginx:latest', essential: true, portMappings: [{ containerPort: 80 }] }],
};

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

type Draft = Record<string, unknown> & { containerDefinitions?: Array<Record<string, unknown>> };

/**
 * Registers a new revision from an edited copy: the JSON is the draft, and the main fields are
 * inputs bound to it. ECS's refusal is shown on the field it names, or on the JSON otherwise.
 */
export const RegisterEditor = ({ initial, onRegistered }: { initial: Record<string, unknown>; onRegistered: (arn: string) => void }) => {
  const [text, setText] = useState(() => pretty(initial));
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setText(pretty(initial)), [initial]);
  const draft = useMemo((): Draft | undefined => {
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Draft) : undefined;
    } catch {
      return undefined;
    }
  }, [text]);
  const errorField = error instanceof ApiError ? fieldOf(error.message) : undefined;
  const update = (change: (draft: Draft) => void) => {
    if (!draft) return;
    const next = structuredClone(draft);
    change(next);
    setText(pretty(next));
  };
  const fieldProps = (field: string) => {
    const matches = errorField !== undefined && (errorField === field || errorField.startsWith(`${field}.`) || errorField.startsWith(`${field}[`));
    return matches ? { 'aria-invalid': true as const, 'aria-describedby': 'register-error', class: 'invalid' } : {};
  };
  const fieldError = (field: string) =>
    errorField !== undefined && (errorField === field || errorField.startsWith(`${field}.`) || errorField.startsWith(`${field}[`)) ? (
      <span id="register-error" class="field-error" role="alert">{error!.message}</span>
    ) : null;
  const shownOnField = errorField !== undefined && ['family', 'cpu', 'memory', ...(draft?.containerDefinitions ?? []).flatMap((_, i) => [`containerDefinitions[${i}].image`, `containerDefinitions[${i}].name`])].some(
    (field) => errorField === field || errorField.startsWith(`${field}.`) || errorField.startsWith(`${field}[`),
  );
  const text_ = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  return (
    <form
      class="panel editor"
      aria-labelledby="register-title"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(undefined);
        if (!draft) return setError(new Error('The JSON is not a valid object.'));
        setBusy(true);
        try {
          const { taskDefinition } = await api.registerTaskDefinition(draft);
          onRegistered(taskDefinition.taskDefinitionArn);
        } catch (caught) {
          setError(caught as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="register-title">Register a new revision</h2>
      <div class="grid">
        <label>Family <input name="family" value={text_(draft?.family)} onInput={(e) => update((d) => (d.family = e.currentTarget.value))} {...fieldProps('family')} /></label>
        {fieldError('family')}
        <label>CPU <input name="cpu" value={text_(draft?.cpu)} onInput={(e) => update((d) => (d.cpu = e.currentTarget.value))} {...fieldProps('cpu')} /></label>
        {fieldError('cpu')}
        <label>Memory <input name="memory" value={text_(draft?.memory)} onInput={(e) => update((d) => (d.memory = e.currentTarget.value))} {...fieldProps('memory')} /></label>
        {fieldError('memory')}
        {(draft?.containerDefinitions ?? []).map((container, index) => (
          <>
            <label key={`image-${index}`}>
              Image of container {text_(container.name) || index + 1}
              <input
                name={`containerDefinitions[${index}].image`}
                value={text_(container.image)}
                onInput={(e) => update((d) => (d.containerDefinitions![index].image = e.currentTarget.value))}
                {...fieldProps(`containerDefinitions[${index}].image`)}
              />
            </label>
            {fieldError(`containerDefinitions[${index}].image`)}
            {fieldError(`containerDefinitions[${index}].name`)}
          </>
        ))}
      </div>
      <label for="register-json">Task definition (JSON)</label>
      <textarea
        id="register-json"
        rows={18}
        spellcheck={false}
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
        aria-invalid={!draft || (error !== undefined && !shownOnField)}
        aria-describedby={error && !shownOnField ? 'register-json-error' : undefined}
      />
      {!draft && <span class="field-error">Not valid JSON yet.</span>}
      {error && !shownOnField && (
        <span id="register-json-error" class="field-error" role="alert">
          {error instanceof ApiError ? `${error.type}: ` : ''}
          {error.message}
        </span>
      )}
      <button type="submit" class="primary" disabled={busy || !draft}>{busy ? 'Registering…' : 'Register revision'}</button>
    </form>
  );
};

export const TaskDefinitionsPage = () => {
  const families = useFamilies();
  return (
    <section>
      <h1>Task definitions</h1>
      <ErrorBanner error={families.error} />
      {!families.data ? (
        !families.error && <Loading />
      ) : families.data.length === 0 ? (
        <Empty>No task definitions yet. Register the first one below.</Empty>
      ) : (
        <ul class="chips">
          {families.data.map((family) => <li key={family}><a href={href.family(family)}>{family}</a></li>)}
        </ul>
      )}
      <RegisterEditor initial={STARTER} onRegistered={(arn) => (location.hash = href.family(familyRevision(arn).split(':')[0]))} />
    </section>
  );
};

const JsonView = ({ value }: { value: unknown }) => <pre class="json" tabIndex={0}>{pretty(value)}</pre>;

const DiffView = ({ left, right }: { left: TaskDefinition; right: TaskDefinition }) => {
  const rows = useMemo(() => sideBySide(pretty(registrationInput(left)), pretty(registrationInput(right))), [left, right]);
  return (
    <div class="scroll">
      <table class="diff">
        <caption>
          {familyRevision(left.taskDefinitionArn)} ↔ {familyRevision(right.taskDefinitionArn)}: {rows.filter((row) => row.kind !== 'same').length} changed lines
        </caption>
        <thead><tr><th scope="col">{familyRevision(left.taskDefinitionArn)}</th><th scope="col">{familyRevision(right.taskDefinitionArn)}</th></tr></thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index} class={row.kind}>
              <td><pre>{row.left ?? ''}</pre></td>
              <td><pre>{row.right ?? ''}</pre></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

export const FamilyPage = ({ family }: { family: string }) => {
  const revisions = usePoll(() => api.listRevisions(family), `revisions:${family}`, 5000);
  const [selected, setSelected] = useState<string>();
  const [other, setOther] = useState<string>();
  const arns = revisions.data ?? [];
  const current = selected ?? (arns.length ? familyRevision(arns[arns.length - 1]) : undefined);
  const compared = other ?? (arns.length > 1 ? familyRevision(arns[arns.length - 2]) : undefined);
  const shown = usePoll(() => (current ? api.describeTaskDefinition(current) : Promise.resolve(undefined)), `td:${current}`, 30_000);
  const against = usePoll(() => (compared ? api.describeTaskDefinition(compared) : Promise.resolve(undefined)), `td:${compared}`, 30_000);
  const copy = useMemo(() => (shown.data ? registrationInput(shown.data) : undefined), [shown.data]);
  return (
    <section>
      <nav aria-label="Breadcrumb" class="crumbs"><a href={href.taskDefinitions()}>Task definitions</a> /</nav>
      <h1>Family {family}</h1>
      <ErrorBanner error={revisions.error ?? shown.error} />
      {!revisions.data ? (
        !revisions.error && <Loading />
      ) : arns.length === 0 ? (
        <Empty>No ACTIVE revisions in this family.</Empty>
      ) : (
        <>
          <div class="inline">
            <label>
              Revision
              <select value={current} onChange={(event) => setSelected(event.currentTarget.value)}>
                {arns.map((arn) => <option key={arn} value={familyRevision(arn)}>{familyRevision(arn)}</option>)}
              </select>
            </label>
            <label>
              Compare with
              <select value={compared} onChange={(event) => setOther(event.currentTarget.value)}>
                {arns.map((arn) => <option key={arn} value={familyRevision(arn)}>{familyRevision(arn)}</option>)}
              </select>
            </label>
          </div>
          {shown.data && against.data && current !== compared && (
            <>
              <h2>Differences</h2>
              <DiffView left={against.data} right={shown.data} />
            </>
          )}
          <h2>JSON of {current}</h2>
          {shown.data ? <JsonView value={shown.data} /> : <Loading />}
          {copy && (
            <RegisterEditor
              initial={copy}
              onRegistered={(arn) => {
                setSelected(familyRevision(arn));
                revisions.refresh();
              }}
            />
          )}
        </>
      )}
    </section>
  );
};
