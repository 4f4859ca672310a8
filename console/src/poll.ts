import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** How often an open page asks again (docs/console.md: what this costs per tab). */
export const POLL_MS = 1500;

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Ask now (after an action), instead of at the next tick. */
  refresh: () => void;
}

/**
 * Live data by polling: `load` runs at once, then POLL_MS after each answer (never two at a time),
 * and not at all while the tab is hidden. A change of `key` starts over.
 */
export const usePoll = <T>(load: () => Promise<T>, key: string, intervalMs = POLL_MS): Polled<T> => {
  const [state, setState] = useState<{ data?: T; error?: Error; key: string }>({ key });
  const loadRef = useRef(load);
  loadRef.current = load;
  const wake = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const tick = async () => {
      if (stopped || running) return;
      clearTimeout(timer);
      if (document.hidden) return; // visibilitychange resumes
      running = true;
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data, key });
      } catch (error) {
        if (!stopped) setState((previous) => ({ data: previous.key === key ? previous.data : undefined, error: error as Error, key }));
      } finally {
        running = false;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      }
    };
    wake.current = () => void tick();
    const onVisibility = () => !document.hidden && void tick();
    document.addEventListener('visibilitychange', onVisibility);
    setState((previous) => (previous.key === key ? previous : { key }));
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, intervalMs]);

  const refresh = useCallback(() => wake.current(), []);
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, refresh };
};
