/**
 * docker-compose.yml, statically: it parses (`docker-compose config -q`, Debian's docker-compose v1), and the parts the
 * service relies on are wired — a Temporal server with update-with-start (>= 1.26), search attributes registered
 * exactly as the workflow defines them in the configured namespace (the setup script is also run against a stand-in
 * `temporal` CLI), every published port on 127.0.0.1 only, pinned images, Redis with AOF, the UI's codec endpoint on
 * the API (sending the operator's session cookie), the sandbox only under the dev profile, the image's commands exist.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../src/workflows/definitions';

/** A search attribute type as `temporal operator search-attribute create --type` spells it (KEYWORD_LIST → KeywordList). */
const cliTypeName = (type: string) => type.split('_').map((word) => word.charAt(0) + word.slice(1).toLowerCase()).join('');

const ROOT = join(__dirname, '..');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
/** Never skipped: npm test's pretest installs docker-compose; without it each check fails naming the fix. */
const composeTest = (title: string, body: (t: import('ava').ExecutionContext) => unknown): void =>
  test(title, (t) => (hasCompose ? body(t) : t.fail('docker-compose is not installed: run `npm run provision` (apt-get install docker-compose)')));

// TEMPORAL_NAMESPACE empty, unless a test sets it: the file's `${TEMPORAL_NAMESPACE:-default}` then resolves to
// `default` whatever the developer's shell or an .env file says.
const composeWith = (env: Record<string, string>, ...args: string[]) =>
  execFileSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ENCRYPTION_KEYS: '', API_KEYS: '', TEMPORAL_NAMESPACE: '', ...env },
  });
const compose = (...args: string[]) => composeWith({}, ...args);

type Port = string | { host_ip?: string; published?: number | string; target?: number | string };
interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: Port[];
  volumes?: Array<string | { source?: string; target?: string }>;
}
/**
 * The resolved config (`--profile dev`) as data. Debian's docker-compose v1 prints YAML only; it is a Python program
 * depending on PyYAML (python3-yaml), which turns it into JSON here.
 */
function resolvedConfig(env: Record<string, string> = {}): { services: Record<string, Service> } {
  const yaml = composeWith(env, '--profile', 'dev', 'config');
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: yaml, encoding: 'utf8' });
  return JSON.parse(json) as { services: Record<string, Service> };
}
/** temporal-setup's script as the container's shell gets it (the config output keeps compose's `$$` escape). */
const setupScript = (config: { services: Record<string, Service> }): string => {
  const command = config.services['temporal-setup']?.command;
  return (Array.isArray(command) ? command.join('\n') : command ?? '').replaceAll('$$', '$');
};

type Version = [number, number, number];
const versionOf = (image: string | undefined, repository: string): Version | undefined => {
  const match = new RegExp(`^${repository.replace('/', '\\/')}:(\\d+)\\.(\\d+)\\.(\\d+)(?:[-.@]|$)`).exec(image ?? '');
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
};
const atLeast = (version: Version, minimum: Version): boolean => {
  for (let i = 0; i < 3; i += 1) {
    if (version[i]! !== minimum[i]!) return version[i]! > minimum[i]!;
  }
  return true;
};
/** Update-with-start (ExecuteMultiOperation), which every link uses: frontend.enableExecuteMultiOperation is on by default from 1.26. */
const UPDATE_WITH_START_SINCE: Version = [1, 26, 0];

composeTest('docker-compose config -q accepts the file', (t) => {
  t.notThrows(() => compose('config', '-q'));
});

composeTest('services: Temporal with persistence, its UI, Redis, worker, API; the sandbox under the dev profile', (t) => {
  const services = compose('--profile', 'dev', 'config', '--services').trim().split('\n').sort();
  t.deepEqual(services, ['api', 'postgresql', 'redis', 'sandbox', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  // docker-compose v1 lists profiled services regardless of --profile; the profile itself is what keeps it out.
  const sandbox = compose('--profile', 'dev', 'config').split(/\n {2}(?=\S)/).find((block) => block.startsWith('sandbox:'));
  t.regex(sandbox ?? '', /profiles:\s*\n\s*- dev/);
});

composeTest('the resolved config wires persistence, AOF, the codec endpoint and every search attribute', (t) => {
  const resolved = compose('--profile', 'dev', 'config');
  t.regex(resolved, /POSTGRES_SEEDS: postgresql/);
  t.regex(resolved, /--appendonly\s*\n?\s*- ['"]?yes/);
  t.regex(resolved, /TEMPORAL_CODEC_ENDPOINT: http:\/\/localhost:8080\/codec/);
  t.regex(resolved, /CODEC_CORS_ORIGIN: http:\/\/localhost:8233/);
  // The UI authenticates to the codec with the operator's session cookie (/codec/login), so it must send credentials;
  // it has no OIDC token to pass, and would skip decoding rather than pass one to an http:// endpoint.
  const ui = resolved.split(/\n {2}(?=\S)/).find((block) => block.startsWith('temporal-ui:')) ?? '';
  t.regex(ui, /TEMPORAL_CODEC_INCLUDE_CREDENTIALS: ['"]?true['"]?\n/);
  t.regex(ui, /TEMPORAL_CODEC_PASS_ACCESS_TOKEN: ['"]?false['"]?\n/);
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    const type = cliTypeName(key.type);
    t.true(resolved.includes(`${key.name}:${type}`), `${key.name} registered as ${type}`);
  }
  t.regex(resolved, /condition: service_completed_successfully/);
});

test('the version check rejects a server without update-with-start by default', (t) => {
  t.false(atLeast(versionOf('temporalio/auto-setup:1.25.2', 'temporalio/auto-setup')!, UPDATE_WITH_START_SINCE));
  t.true(atLeast(versionOf('temporalio/auto-setup:1.26.0', 'temporalio/auto-setup')!, UPDATE_WITH_START_SINCE));
  t.true(atLeast(versionOf('temporalio/server:2.0.0', 'temporalio/server')!, UPDATE_WITH_START_SINCE));
  t.is(versionOf('temporalio/auto-setup:latest', 'temporalio/auto-setup'), undefined);
});

composeTest('Temporal serves update-with-start: server >= 1.26, no dynamic config turns ExecuteMultiOperation off', (t) => {
  const { services } = resolvedConfig();
  const temporal = services.temporal;
  const server = versionOf(temporal?.image, 'temporalio/auto-setup') ?? versionOf(temporal?.image, 'temporalio/server');
  t.truthy(server, `the server image is pinned to a release: ${temporal?.image}`);
  t.true(atLeast(server!, UPDATE_WITH_START_SINCE), `${temporal?.image}: ExecuteMultiOperation is off by default before 1.26`);
  // The CLI that registers the search attributes comes from the same release.
  t.deepEqual(versionOf(services['temporal-setup']?.image, 'temporalio/admin-tools'), server, `${services['temporal-setup']?.image}`);
  // A dynamic config file mounted into the server (replacing the image's) must keep the API on explicitly.
  const mounted = (temporal?.volumes ?? [])
    .map((volume) => (typeof volume === 'string' ? volume.split(':')[0]! : volume.source ?? ''))
    .filter((source) => source.startsWith('/') && existsSync(source))
    .flatMap((source) => (statSync(source).isDirectory() ? readdirSync(source).map((name) => join(source, name)) : [source]))
    .filter((file) => /\.ya?ml$/.test(file));
  for (const file of mounted) {
    const text = readFileSync(file, 'utf8');
    t.regex(text, /frontend\.enableExecuteMultiOperation:\s*\n\s*- value: true\b/, `${file} enables frontend.enableExecuteMultiOperation`);
    t.notRegex(text, /frontend\.enableExecuteMultiOperation:[^]*?value: false/, `${file} does not turn it off`);
  }
  const dynamicConfig = temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH;
  if (dynamicConfig) t.true(mounted.length > 0, `DYNAMIC_CONFIG_FILE_PATH=${dynamicConfig} comes from a file checked here`);
});

composeTest('the UI image is present and pinned to a release', (t) => {
  const { services } = resolvedConfig();
  t.truthy(versionOf(services['temporal-ui']?.image, 'temporalio/ui'), `temporal-ui image: ${services['temporal-ui']?.image}`);
  for (const [name, service] of Object.entries(services)) {
    if (service.image?.startsWith('temporalio/')) t.regex(service.image, /:\d+\.\d+\.\d+/, `${name}: ${service.image} is pinned`);
  }
});

composeTest('every published port is bound to 127.0.0.1', (t) => {
  const { services } = resolvedConfig();
  const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port })));
  // Temporal, its UI, the API and the sandbox publish ports: the check is not vacuous.
  t.deepEqual([...new Set(published.map(({ name }) => name))].sort(), ['api', 'sandbox', 'temporal', 'temporal-ui']);
  for (const { name, port } of published) {
    const hostIp = typeof port === 'string' ? (/^(\d+\.\d+\.\d+\.\d+):\d+:/.exec(port)?.[1] ?? '') : port.host_ip ?? '';
    t.is(hostIp, '127.0.0.1', `${name}: ${JSON.stringify(port)}`);
  }
  // Whoever exposes one reads first what must be in front of it.
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  t.regex(text, /mTLS and an authorizer/);
  t.regex(text, /behind TLS/);
});

composeTest('the namespace follows TEMPORAL_NAMESPACE: created, search attributes registered in it, worker and API use it', (t) => {
  const custom = resolvedConfig({ TEMPORAL_NAMESPACE: 'merchant-a' });
  const script = setupScript(custom);
  t.regex(script, /temporal operator namespace create --address "\$address" --namespace "merchant-a"/);
  t.regex(script, /search-attribute create --address "\$address" --namespace "merchant-a" /);
  t.regex(script, /wait_for "namespace merchant-a" temporal operator search-attribute list --address "\$address" --namespace "merchant-a"/);
  t.deepEqual([...new Set(script.match(/--namespace \S+/g))], ['--namespace "merchant-a"'], 'no command goes to another namespace');
  for (const name of ['worker', 'api']) t.is(custom.services[name]?.environment?.TEMPORAL_NAMESPACE, 'merchant-a', name);
  t.is(custom.services['temporal-ui']?.environment?.TEMPORAL_DEFAULT_NAMESPACE, 'merchant-a');

  const unset = resolvedConfig();
  t.deepEqual([...new Set(setupScript(unset).match(/--namespace \S+/g))], ['--namespace "default"']);
  for (const name of ['worker', 'api']) t.is(unset.services[name]?.environment?.TEMPORAL_NAMESPACE, 'default', name);
});

/**
 * Runs temporal-setup's resolved script with a stand-in `temporal` on PATH that logs its arguments: the server is
 * healthy, the namespace exists when `exists` says so, `attributes` are registered already; `failing` commands
 * (`group:verb`, e.g. `namespace:create`) exit 1.
 */
function runSetup(namespace: string, options: { exists?: boolean; attributes?: string[]; failing?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-setup-'));
  try {
    const log = join(dir, 'log');
    writeFileSync(join(dir, 'temporal'), [
      '#!/bin/sh',
      'echo "$*" >> "$FAKE_LOG"',
      'for failing in $FAKE_FAILING; do [ "$2:$3" = "$failing" ] && exit 1; done',
      'case "$1 $2 $3" in',
      '  "operator cluster health") exit 0 ;;',
      '  "operator namespace describe") [ -n "$FAKE_NAMESPACE_EXISTS" ] ;;',
      '  "operator namespace create") exit 0 ;;',
      '  "operator search-attribute list") echo "Name Type"; for name in $FAKE_ATTRIBUTES; do echo "$name Keyword"; done ;;',
      '  "operator search-attribute create") exit 0 ;;',
      '  *) exit 2 ;;',
      'esac',
      '',
    ].join('\n'));
    chmodSync(join(dir, 'temporal'), 0o755);
    const result = spawnSync('/bin/sh', ['-c', setupScript(resolvedConfig({ TEMPORAL_NAMESPACE: namespace }))], {
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        FAKE_LOG: log,
        FAKE_NAMESPACE_EXISTS: options.exists ? 'yes' : '',
        FAKE_ATTRIBUTES: (options.attributes ?? []).join(' '),
        FAKE_FAILING: (options.failing ?? []).join(' '),
      },
    });
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    return { status: result.status, stderr: result.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const registrations = (calls: string[]) => calls.filter((call) => call.startsWith('operator search-attribute create'));

composeTest('the setup script creates a missing namespace and registers every attribute there, once', (t) => {
  const fresh = runSetup('merchant-a');
  t.is(fresh.status, 0, fresh.stderr);
  t.true(fresh.calls.includes('operator namespace create --address temporal:7233 --namespace merchant-a'));
  t.deepEqual(registrations(fresh.calls).sort(), Object.values(SEARCH_ATTRIBUTES).map((key) => {
    const type = cliTypeName(key.type);
    return `operator search-attribute create --address temporal:7233 --namespace merchant-a --name ${key.name} --type ${type}`;
  }).sort());

  // A restart: namespace and one attribute exist already; only the others are registered.
  const again = runSetup('merchant-a', { exists: true, attributes: [SEARCH_ATTRIBUTES.wallet.name] });
  t.is(again.status, 0, again.stderr);
  t.false(again.calls.some((call) => call.startsWith('operator namespace create')));
  t.is(registrations(again.calls).length, Object.keys(SEARCH_ATTRIBUTES).length - 1);
  t.false(registrations(again.calls).some((call) => call.includes(`--name ${SEARCH_ATTRIBUTES.wallet.name} `)));

  // `default` is auto-setup's to create.
  const byDefault = runSetup('');
  t.is(byDefault.status, 0, byDefault.stderr);
  t.false(byDefault.calls.some((call) => call.startsWith('operator namespace')));
  t.true(registrations(byDefault.calls).every((call) => call.includes('--namespace default ')));
});

composeTest('the setup script fails loudly: namespace not creatable, attribute not registrable', (t) => {
  const noNamespace = runSetup('merchant-a', { failing: ['namespace:create'] });
  t.not(noNamespace.status, 0);
  t.deepEqual(registrations(noNamespace.calls), []);
  const noAttribute = runSetup('merchant-a', { exists: true, failing: ['search-attribute:create'] });
  t.not(noAttribute.status, 0);
  t.is(registrations(noAttribute.calls).length, 1, 'stops at the first failure');
});

test('temporal-setup waits for the configured namespace (auto-setup creates `default` after the server is up) and fails loudly', (t) => {
  // The file itself: `docker-compose config` folds the script into a quoted scalar.
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const setup = text.slice(text.indexOf('\n  temporal-setup:'), text.indexOf('\n  temporal-ui:'));
  t.regex(setup, /\n\s+set -e\n/, 'a failed registration fails the service, so worker and API do not start without it');
  const waitsForNamespace = setup.search(/wait_for [^\n]*temporal operator search-attribute list[^\n]*--namespace "\$\{TEMPORAL_NAMESPACE:-default\}"/);
  t.true(waitsForNamespace >= 0, 'waits until the namespace exists and the frontend knows it');
  t.true(waitsForNamespace < setup.indexOf('search-attribute create'), 'before registering into it');
  t.regex(setup, /gave up waiting[^\n]*exit 1/, 'the wait is bounded');
  // The worker and the API get the same namespace.
  t.regex(text, /x-antom-auth-env:[^]*?\n {2}TEMPORAL_NAMESPACE: \$\{TEMPORAL_NAMESPACE:-default\}\n/);
});

test('the image runs entry points that exist', (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  for (const entry of ['src/worker.ts', 'src/api/server.ts', 'src/cli.ts']) {
    t.true(composeText.includes(entry) || dockerfile.includes(entry), entry);
    t.true(existsSync(join(ROOT, entry)), `${entry} exists`);
  }
});
