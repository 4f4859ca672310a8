import { useState } from 'preact/hooks';
import { setSession } from './api';
import { signRequest } from './sigv4';

/**
 * Hosted mode's sign-in: the sandbox keys sign POST /v1/session (SigV4, service "ecs") in the
 * browser; the answer's bearer token then goes on every REST call. The secret key is used here
 * and forgotten; only the token (short-lived) is kept, in sessionStorage.
 */
export const SignIn = ({ onSignedIn }: { onSignedIn: () => void }) => {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <section class="signin">
      <h1>Sign in to ecsbox</h1>
      <p>This ecsbox is hosted: sign in with your sandbox's access keys (from <code>POST /v1/sandboxes</code>).</p>
      <form
        class="panel"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const signed = await signRequest(
              { method: 'POST', url: new URL('/v1/session', location.href).href, body: '{}', headers: { 'content-type': 'application/json' } },
              { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() },
              region.trim(),
              'ecs',
            );
            const response = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body });
            const body = (await response.json().catch(() => ({}))) as { token?: string; expiresAt?: string; __type?: string; message?: string };
            if (!response.ok || !body.token || !body.expiresAt) {
              throw new Error(body.message ? `${body.__type ?? response.status}: ${body.message}` : `The sign-in was refused (HTTP ${response.status}).`);
            }
            setSession({ token: body.token, expiresAt: body.expiresAt });
            setSecretAccessKey('');
            onSignedIn();
          } catch (caught) {
            setError((caught as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>Access key ID <input autocomplete="username" value={accessKeyId} onInput={(e) => setAccessKeyId(e.currentTarget.value)} required /></label>
        <label>
          Secret access key
          <input type="password" autocomplete="current-password" value={secretAccessKey} onInput={(e) => setSecretAccessKey(e.currentTarget.value)} required />
        </label>
        <label>Region <input value={region} onInput={(e) => setRegion(e.currentTarget.value)} required /></label>
        {error && <p class="banner error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </section>
  );
};
