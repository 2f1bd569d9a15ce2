/**
 * A free port held until the caller is ready to listen on it. `freePort(0)` releases the port at once, so a server
 * started in between (the sandbox, a dev server: each listening on port 0) may be handed the same port, and the API's
 * listen then fails with EADDRINUSE. Holding it open closes that window to the instant between release and listen.
 */
import { createServer, type Server } from 'node:net';

export interface ReservedPort {
  readonly port: number;
  /** Frees the port; call right before listening on it. Idempotent. */
  release(): Promise<void>;
}

export async function reservePort(host = '127.0.0.1'): Promise<ReservedPort> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('reservePort: no address');
  let released: Promise<void> | undefined;
  return {
    port: address.port,
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}
