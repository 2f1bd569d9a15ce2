/**
 * The Temporal dev server `npm start` embeds when TEMPORAL_ADDRESS is unset: @temporalio/testing's createLocal with
 * the Web UI, a SQLite file under TEMPORAL_DATA_DIR (authorizations survive restarts) and our search attributes
 * registered. The CLI binary is TEMPORAL_CLI_PATH, else the one `scripts/provision-temporal.sh` installed into
 * .temporal/bin (npm start runs it first), else the SDK's download (which needs internet access).
 *
 * Where it cannot start, startEmbeddedTemporal throws EmbeddedTemporalUnavailableError whose message is one line
 * naming the ways out.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { locateTemporalBinary, PROVISION_COMMAND } from './temporalBinaries';
import { SEARCH_ATTRIBUTES } from './workflows/definitions';

export class EmbeddedTemporalUnavailableError extends Error {
  override readonly name = 'EmbeddedTemporalUnavailableError';
}

export interface EmbeddedTemporal {
  readonly env: TestWorkflowEnvironment;
  /** host:port of the frontend (gRPC). */
  readonly address: string;
  readonly uiUrl: string;
  teardown(): Promise<void>;
}

export interface EmbeddedTemporalOptions {
  readonly dataDir: string;
  readonly namespace: string;
  readonly cliPath?: string;
  /** The API's codec endpoint, pre-filled in the dev server's Web UI so payloads are readable after a codec login. */
  readonly uiCodecEndpoint?: string;
}

/** The preferred port when free (the usual dev setup, matching CODEC_CORS_ORIGIN's default), else any free one. */
export async function freePort(preferred: number, host = '127.0.0.1'): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((done) => {
      const server = createServer();
      server.once('error', () => done(undefined));
      server.listen(port, host, () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : undefined;
        server.close(() => done(bound));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

/** Why the server did not start, in a few words (the SDK's message is a long URL-laden chain). */
function reasonOf(error: unknown, cliPath: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  // With a local binary nothing is downloaded, whatever the SDK's message chain says.
  if (cliPath) return `the Temporal CLI at ${cliPath} could not be started (${message.split('\n')[0]!.slice(0, 120)})`;
  if (/download/i.test(message)) return `no Temporal CLI in .temporal/bin (run \`${PROVISION_COMMAND}\`) and the SDK could not download one`;
  return message.split('\n')[0]!.slice(0, 160);
}

export function unavailableMessage(reason: string): string {
  return `antom-auth: cannot start the embedded Temporal dev server: ${reason}. Run \`${PROVISION_COMMAND}\`, or set TEMPORAL_ADDRESS=host:port to use a running Temporal server, or TEMPORAL_CLI_PATH=/path/to/temporal to use a local Temporal CLI binary.`;
}

export async function startEmbeddedTemporal(options: EmbeddedTemporalOptions): Promise<EmbeddedTemporal> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort(7233);
  const uiPort = await freePort(8233);
  // Only the provisioned copy here: TEMPORAL_CLI_PATH arrives as options.cliPath through the validated config.
  const cliPath = options.cliPath ?? locateTemporalBinary('cli', {})?.path;
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        ui: true,
        port,
        uiPort,
        namespace: options.namespace,
        dbFilename: join(dataDir, 'temporal.sqlite'),
        searchAttributes: Object.values(SEARCH_ATTRIBUTES),
        ...(cliPath ? { executable: { type: 'existing-path', path: cliPath } } : {}),
        ...(options.uiCodecEndpoint ? { extraArgs: ['--ui-codec-endpoint', options.uiCodecEndpoint] } : {}),
      },
    });
  } catch (error) {
    throw new EmbeddedTemporalUnavailableError(unavailableMessage(reasonOf(error, cliPath)));
  }
  return {
    env,
    address: `127.0.0.1:${port}`,
    uiUrl: `http://localhost:${uiPort}`,
    teardown: () => env.teardown(),
  };
}
