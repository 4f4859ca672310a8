import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (DynamoDB Local) that can freeze: while paused it accepts
 * connections and holds every byte in both directions, as a stalled network or server would; on
 * resume it delivers what it held, so a request sent during the stall may still land afterwards.
 */
export interface FaultProxy {
  endpoint: string;
  pause(): void;
  /** Freezes at the first request that contains `marker` (e.g. "TransactWriteItems"), holding it. */
  pauseAt(marker: string): void;
  resume(): void;
  close(): Promise<void>;
}

export const startFaultProxy = async (target: string): Promise<FaultProxy> => {
  const { hostname, port } = new URL(target);
  let paused = false;
  let pauseMarker: string | undefined;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();

  const relay = (from: Socket, to: Socket, inspect: boolean) => {
    from.on('data', (chunk: Buffer) => {
      if (inspect && pauseMarker !== undefined && chunk.includes(pauseMarker)) {
        pauseMarker = undefined;
        paused = true;
      }
      if (paused) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on('end', () => (paused ? held.push(() => to.end()) : to.end()));
    from.on('error', () => to.destroy());
    from.on('close', () => sockets.delete(from));
    sockets.add(from);
  };

  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    relay(client, upstream, true);
    relay(upstream, client, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('fault proxy has no address');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    pause: () => {
      paused = true;
    },
    pauseAt: (marker) => {
      pauseMarker = marker;
    },
    resume: () => {
      paused = false;
      pauseMarker = undefined;
      for (const deliver of held.splice(0)) deliver();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
