/**
 * `antom-auth signature sign|verify`: for people debugging Antom signatures by hand. Prints the exact string that is
 * signed (JSON-escaped, so newlines, trailing spaces and CRs are visible) and the header / the verdict, using the same
 * code the service uses (src/antom/signing.ts).
 */
import { readFile } from 'node:fs/promises';
import { SANDBOX_CLIENT_ID_PREFIX } from '../antom/endpoints';
import { loadPrivateKeyFile, loadPublicKeyFile } from '../antom/keys';
import { signParts, stringToSign, verifyParts, type SignedParts } from '../antom/signing';
import { formatSignatureHeader, parseSignatureHeader } from '../antom/signatureHeader';
import { parseCommandArgs, requireOption } from './args';
import { ExitCode, UsageError, type CliCommand, type CliIo } from './command';

const USAGE = `Usage:
  antom-auth signature sign   --key <private.pem> --client-id <id> --path <path> [--time <time>]
                              [--key-version <n>] [--body-file <file> | --body <text> | < body]
  antom-auth signature verify --key <public.pem> --client-id <id> --path <path> --time <time>
                              --signature <header or value> [--body-file <file> | --body <text> | < body]

Builds the string to sign, exactly as Antom does:
  POST <path>\\n<client-id>.<time>.<body>

Options:
  --key <file>          sign: your RSA private key (PKCS#8 or PKCS#1, PEM or bare base64)
                        verify: the signer's public key (SPKI PEM or base64; a private key file also works)
  --client-id <id>      the client-id header value
  --path <path>         the request path as sent, without scheme or host, with the query string if any
                        (sandbox client-ids use /ams/sandbox/api/... and that path is what is signed)
  --time <time>         the request-time (requests, notifications) or response-time (responses) header value,
                        exactly as sent; sign defaults to now in epoch milliseconds
  --signature <value>   the whole signature header (algorithm=RSA256,keyVersion=1,signature=...) or just the value
  --key-version <n>     keyVersion to put in the header (sign; default 1)
  --body-file <file>    the exact body bytes; otherwise --body, otherwise standard input
  --body <text>         the body given inline
  -h, --help            this text

Exit status: 0 signed / signature valid, 1 signature invalid, 2 bad arguments or key.`;

const COMMON_OPTIONS = {
  key: { type: 'string' },
  'client-id': { type: 'string' },
  path: { type: 'string' },
  time: { type: 'string' },
  'body-file': { type: 'string' },
  body: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SIGN_OPTIONS = { ...COMMON_OPTIONS, 'key-version': { type: 'string' } } as const;
const VERIFY_OPTIONS = { ...COMMON_OPTIONS, signature: { type: 'string' } } as const;

interface BodyInput {
  readonly text: string;
  readonly warnings: string[];
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The body as exact bytes, plus warnings about the usual reasons a hand-made body does not match the wire. */
async function readBody(values: { 'body-file'?: string; body?: string }, io: CliIo): Promise<BodyInput> {
  if (values['body-file'] !== undefined && values.body !== undefined) {
    throw new UsageError('give the body once: --body-file or --body, not both');
  }
  let bytes: Buffer;
  if (values.body !== undefined) {
    bytes = Buffer.from(values.body, 'utf8');
  } else if (values['body-file'] !== undefined) {
    const path = values['body-file'];
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new UsageError(`cannot read --body-file ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  } else {
    // Waiting on an interactive terminal would look like a hang; ask for the body explicitly instead.
    if (io.stdin.isTTY) throw new UsageError('no body: pass --body-file <file>, --body <text>, or pipe the body on standard input');
    bytes = await readStream(io.stdin);
  }
  const text = bytes.toString('utf8');
  const warnings: string[] = [];
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    warnings.push('the body is not valid UTF-8; Antom signs UTF-8 text, so invalid bytes were replaced by U+FFFD');
  }
  if (text.startsWith('\uFEFF')) warnings.push('the body starts with a byte-order mark, which is part of the signed bytes');
  if (/\r?\n$/.test(text)) {
    warnings.push('the body ends with a newline, which is part of the signed bytes (HTTP clients usually send none)');
  }
  return { text, warnings };
}

function checkPath(path: string, clientId: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new UsageError('--path is the URI path without scheme or host, e.g. /ams/api/v1/authorizations/applyToken');
  }
  if (!path.startsWith('/')) throw new UsageError('--path must start with "/"');
  if (clientId.startsWith(SANDBOX_CLIENT_ID_PREFIX) && path.startsWith('/ams/api/')) {
    return ['a SANDBOX_ client-id normally calls /ams/sandbox/api/...; the path that is signed must be the path requested'];
  }
  return [];
}

function printStringToSign(io: CliIo, parts: SignedParts): void {
  const text = stringToSign(parts);
  io.stdout.write(`string-to-sign (UTF-8, ${Buffer.byteLength(text, 'utf8')} bytes, JSON-escaped):\n${JSON.stringify(text)}\n`);
}

function printWarnings(io: CliIo, warnings: readonly string[]): void {
  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
}

async function runSign(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, SIGN_OPTIONS);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  const keyPath = requireOption(values, 'key');
  const clientId = requireOption(values, 'client-id');
  const path = requireOption(values, 'path');
  const time = values.time ?? String(Date.now());
  const keyVersion = values['key-version'] ?? '1';
  if (!/^[A-Za-z0-9._-]+$/.test(keyVersion)) throw new UsageError('--key-version must be a plain token such as 1');
  const warnings = checkPath(path, clientId);
  // Load the key before reading stdin, so a bad key fails fast instead of after the body has been piped in.
  const privateKey = loadPrivateKeyFile(keyPath);
  const body = await readBody(values, io);
  printWarnings(io, [...warnings, ...body.warnings]);

  const parts: SignedParts = { path, clientId, time, body: body.text };
  printStringToSign(io, parts);
  io.stdout.write(`request-time: ${time}\n`);
  io.stdout.write(`signature: ${formatSignatureHeader({ keyVersion, signature: signParts(privateKey, parts) })}\n`);
  return ExitCode.ok;
}

async function runVerify(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, VERIFY_OPTIONS);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  const keyPath = requireOption(values, 'key');
  const clientId = requireOption(values, 'client-id');
  const path = requireOption(values, 'path');
  const time = requireOption(values, 'time');
  const signatureInput = requireOption(values, 'signature').trim();
  // Accept the header as copied from a log (with or without the "signature:" name) or the bare value.
  const signature = signatureInput.includes('signature=')
    ? parseSignatureHeader(signatureInput)?.signature
    : signatureInput;
  if (!signature) throw new UsageError('--signature has no value after "signature="');
  const warnings = checkPath(path, clientId);
  const publicKey = loadPublicKeyFile(keyPath);
  const body = await readBody(values, io);
  printWarnings(io, [...warnings, ...body.warnings]);

  const parts: SignedParts = { path, clientId, time, body: body.text };
  printStringToSign(io, parts);
  if (verifyParts(publicKey, parts, signature)) {
    io.stdout.write('verdict: VALID (the signature matches this string-to-sign and key)\n');
    return ExitCode.ok;
  }
  io.stdout.write(
    'verdict: INVALID (wrong key, or the path, client-id, time or body differ from what was signed)\n',
  );
  return ExitCode.failure;
}

const ACTIONS: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> = {
  sign: runSign,
  verify: runVerify,
};

export const signatureCommand: CliCommand = {
  summary: 'sign or verify an Antom message signature by hand (prints the string-to-sign)',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === undefined) throw new UsageError('missing action: sign or verify');
    if (action === '-h' || action === '--help' || action === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return ExitCode.ok;
    }
    // hasOwn: a plain lookup would find Object.prototype members ('constructor', 'toString') and call them.
    if (!Object.hasOwn(ACTIONS, action)) throw new UsageError(`unknown action '${action}': expected sign or verify`);
    return ACTIONS[action]!(rest, io);
  },
};
