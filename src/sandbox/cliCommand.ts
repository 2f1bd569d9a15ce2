/**
 * `antom-auth sandbox` (also `npm run sandbox`): runs the sandbox in the foreground until SIGINT/SIGTERM and prints
 * where it listens and the public key clients must trust.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseCommandArgs } from '../cli/args';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../cli/command';
import { loadPrivateKeyFile, loadPublicKeyFile } from '../antom/keys';
import { startSandbox, type MerchantRegistration, type SandboxOptions, type WalletPolicy } from './index';

const USAGE = `Usage:
  antom-auth sandbox [--port <n>] [--admin-port <n>] [--host <addr>] [--public-origin <url>] [--private-key <file>]
                     [--merchant <client-id>=<public-key-file> ...] [--notify-url <url>]
                     [--config <file.json>] [--public-key-out <file>] [--log-level <level>]

Starts the Antom / Alipay+ sandbox: /ams/api/v1/..., /ams/sandbox/api/v1/..., /aps/api/v1/... and the wallet
consent page on --port, and the admin API (loopback only) on --admin-port.

Options:
  --port <n>              API port (default 4010; 0 picks a free one)
  --admin-port <n>        admin API port (default 4011)
  --host <addr>           API bind address (default 127.0.0.1)
  --public-origin <url>   origin the consent URLs are built on, when browsers reach the sandbox through another
                          address than it binds (e.g. http://localhost:4010 in docker-compose); default its own URL
  --private-key <file>    the sandbox's signing key (default: a fresh RSA 2048 key for this run)
  --merchant <id>=<file>  register a merchant client-id with its public key (repeatable)
  --notify-url <url>      notification URL for the merchants given with --merchant
  --config <file.json>    { "merchants": [{ "clientId", "publicKeyFile", "notifyUrl"?, "status"? }],
                            "walletPolicies": { "<WALLET>": { ... } }, "authCodeLifetimeMs", "refreshTokenGraceMs",
                            "repeats": { "authCode": "fail"|"replay", ... }, "requestTimeWindowMs", ... }
  --public-key-out <file> also write the sandbox's public key (PEM) to this file
  --log-level <level>     pino level (default info)
  -h, --help              this text`;

const OPTIONS = {
  port: { type: 'string' },
  'admin-port': { type: 'string' },
  host: { type: 'string' },
  'public-origin': { type: 'string' },
  'private-key': { type: 'string' },
  merchant: { type: 'string', multiple: true },
  'notify-url': { type: 'string' },
  config: { type: 'string' },
  'public-key-out': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${name} must be a port number`);
  return port;
}

/** An http(s) origin: consent URLs are `<origin>/wallet/...`, so a path, query or fragment would be dropped or broken. */
function originOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--public-origin must be an http(s) URL such as http://localhost:4010, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--public-origin must be an http(s) URL, got "${value}"`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`--public-origin must be an origin only (scheme://host[:port]), got "${value}"`);
  }
  return url.origin;
}

interface ConfigMerchant {
  clientId?: unknown;
  publicKeyFile?: unknown;
  publicKey?: unknown;
  notifyUrl?: unknown;
  status?: unknown;
  allowedEndpoints?: unknown;
}

/** Reads the JSON config; key files are resolved relative to the config file. */
function readConfig(path: string): Partial<SandboxOptions> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--config ${path}: must be a JSON object`);
  if (parsed.merchants !== undefined && !Array.isArray(parsed.merchants)) throw new UsageError(`--config ${path}: merchants must be an array`);
  const base = dirname(resolve(path));
  const merchants = ((parsed.merchants ?? []) as (ConfigMerchant | null)[]).map((m): MerchantRegistration => {
    if (typeof m?.clientId !== 'string') throw new UsageError(`--config ${path}: every merchant needs a clientId`);
    const publicKey =
      typeof m.publicKeyFile === 'string' ? loadPublicKeyFile(resolve(base, m.publicKeyFile)) : typeof m.publicKey === 'string' ? m.publicKey : undefined;
    if (publicKey === undefined) throw new UsageError(`--config ${path}: merchant ${m.clientId} needs publicKeyFile or publicKey`);
    return {
      clientId: m.clientId,
      publicKey,
      ...(typeof m.notifyUrl === 'string' ? { notifyUrl: m.notifyUrl } : {}),
      ...(m.status === 'SUSPENDED' ? { status: 'SUSPENDED' as const } : {}),
      ...(Array.isArray(m.allowedEndpoints) ? { allowedEndpoints: m.allowedEndpoints as string[] } : {}),
    };
  });
  const { merchants: _ignored, ...rest } = parsed;
  return { ...(rest as Partial<SandboxOptions>), merchants, walletPolicies: (parsed.walletPolicies ?? {}) as Record<string, WalletPolicy> };
}

/** Runs until `stop` resolves; exported so tests can drive it in-process. */
export async function runSandbox(args: readonly string[], io: CliIo, stop: Promise<unknown>): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  const publicOrigin = originOption(values['public-origin']);
  const config = values.config === undefined ? {} : readConfig(values.config);
  const merchants: MerchantRegistration[] = [...(config.merchants ?? [])];
  for (const spec of values.merchant ?? []) {
    const separator = spec.indexOf('=');
    if (separator <= 0 || separator === spec.length - 1) throw new UsageError(`--merchant must be <client-id>=<public-key-file>, got "${spec}"`);
    merchants.push({
      clientId: spec.slice(0, separator),
      publicKey: loadPublicKeyFile(spec.slice(separator + 1)),
      ...(values['notify-url'] === undefined ? {} : { notifyUrl: values['notify-url'] }),
    });
  }
  const sandbox = await startSandbox({
    ...config,
    merchants,
    port: portOption(values.port, 'port', config.port ?? 4010),
    adminPort: portOption(values['admin-port'], 'admin-port', config.adminPort ?? 4011),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(publicOrigin === undefined ? {} : { publicOrigin }),
    ...(values['private-key'] === undefined ? {} : { privateKey: loadPrivateKeyFile(values['private-key']) }),
    logLevel: values['log-level'] ?? 'info',
  });
  // Whatever fails from here on, the listening servers must go: they would keep the process alive, and the SIGINT
  // handler the command installed would stop Ctrl-C from ending it.
  try {
    if (values['public-key-out'] !== undefined) writeFileSync(values['public-key-out'], sandbox.publicKeyPem);
    io.stdout.write(
      `Antom sandbox listening\n  API:    ${sandbox.url}\n  admin:  ${sandbox.adminUrl}\n` +
        (publicOrigin === undefined ? '' : `  consent pages on: ${publicOrigin}\n`) +
        `  merchants: ${merchants.map((m) => m.clientId).join(', ') || '(none; POST ' + sandbox.adminUrl + '/merchants)'}\n` +
        `  public key (trust this as Antom's):\n${sandbox.publicKeyPem}`,
    );
    await stop;
  } finally {
    await sandbox.close();
  }
  return ExitCode.ok;
}

export const sandboxCommand: CliCommand = {
  summary: 'run the local Antom / Alipay+ sandbox (consent page, notifications, admin API)',
  usage: USAGE,
  run(args, io) {
    const stop = new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
    return runSandbox(args, io, stop);
  },
};
