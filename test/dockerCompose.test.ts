/**
 * docker-compose.yml, statically: it parses (`docker-compose config -q`, Debian's docker-compose v1), and the parts the
 * service relies on are wired — search attributes registered exactly as the workflow defines them, Redis with AOF,
 * the UI's codec endpoint on the API (sending the operator's session cookie), the sandbox only under the dev profile,
 * the image's commands exist.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../src/workflows/definitions';

const ROOT = join(__dirname, '..');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const composeTest = hasCompose ? test : test.skip;
if (!hasCompose) console.log('docker-compose not installed: skipping the compose validation (apt-get install docker-compose)');

const compose = (...args: string[]) => execFileSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ENCRYPTION_KEYS: '', API_KEYS: '' } });

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
    const type = key.type.charAt(0) + key.type.slice(1).toLowerCase();
    t.true(resolved.includes(`${key.name}:${type}`), `${key.name} registered as ${type}`);
  }
  t.regex(resolved, /condition: service_completed_successfully/);
});

test('temporal-setup waits for the default namespace (auto-setup creates it after the server is up) and fails loudly', (t) => {
  // The file itself: `docker-compose config` folds the script into a quoted scalar.
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const setup = text.slice(text.indexOf('\n  temporal-setup:'), text.indexOf('\n  temporal-ui:'));
  t.regex(setup, /\n\s+set -e\n/, 'a failed registration fails the service, so worker and API do not start without it');
  const waitsForNamespace = setup.search(/until temporal operator search-attribute list[^\n]*--namespace default/);
  t.true(waitsForNamespace >= 0, 'waits until the namespace exists and the frontend knows it');
  t.true(waitsForNamespace < setup.indexOf('search-attribute create'), 'before registering into it');
});

test('the image runs entry points that exist', (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  for (const entry of ['src/worker.ts', 'src/api/server.ts', 'src/cli.ts']) {
    t.true(composeText.includes(entry) || dockerfile.includes(entry), entry);
    t.true(existsSync(join(ROOT, entry)), `${entry} exists`);
  }
});
