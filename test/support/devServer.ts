/**
 * The real Temporal dev server (`temporal server start-dev`, the provisioned CLI or TEMPORAL_CLI_PATH) for tests
 * that must run on the real engine: free ports, in-memory persistence unless a SQLite file is given, and by default
 * antom-auth's search attributes registered as `npm start` registers them.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/embeddedTemporal';
import { locateTemporalBinary, missingBinaryMessage } from '../../src/temporalBinaries';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';

export interface DevServerOptions {
  /** Register antom-auth's search attributes on `namespace` (default true). */
  searchAttributes?: boolean;
  namespace?: string;
  /** Further namespaces to create (without search attributes). */
  extraNamespaces?: readonly string[];
  /** Persist to this SQLite file (restart tests); default in memory. */
  dbFilename?: string;
  /** Serve the Web UI (default false: tests that need it ask). */
  ui?: boolean;
  uiCodecEndpoint?: string;
  port?: number;
}

export interface DevServer {
  readonly env: TestWorkflowEnvironment;
  readonly address: string;
  readonly namespace: string;
  readonly uiUrl: string | undefined;
  teardown(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = locateTemporalBinary('cli');
  if (!cli) throw new Error(missingBinaryMessage('cli'));
  const port = options.port ?? (await freePort(0));
  const uiPort = options.ui ? await freePort(0) : undefined;
  const namespace = options.namespace ?? 'default';
  const extraArgs = [
    ...(options.extraNamespaces ?? []).flatMap((name) => ['--namespace', name]),
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
  ];
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      port,
      namespace,
      // Quiet: the server's own log would drown ava's output.
      log: { format: 'pretty', level: 'error' },
      ui: Boolean(options.ui),
      ...(uiPort ? { uiPort } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      ...(options.searchAttributes === false ? {} : { searchAttributes: Object.values(SEARCH_ATTRIBUTES) }),
      extraArgs,
    },
  });
  return {
    env,
    address: `127.0.0.1:${port}`,
    namespace,
    uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
    teardown: () => env.teardown(),
  };
}
