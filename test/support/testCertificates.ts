// Throwaway X.509 material for TLS tests, made with the openssl CLI (provisioned for tests) at test time: a CA, a
// server certificate for a given DNS name signed by it, a client certificate (mTLS) from a second CA, and an
// unrelated CA to prove a wrong trust anchor is refused. EC P-256 keys, valid for two days. Nothing is checked in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  readonly dir: string;
  /** Paths of PEM files. */
  readonly serverCa: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here. */
  readonly otherCa: string;
  /** An expired client certificate (for clientKey's key). */
  readonly expiredClientCert: string;
  read(path: string): Buffer;
  remove(): void;
}

export function makeTestCertificates(serverName: string): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'antom-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));
  const ca = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl('req', '-x509', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, keyName: string, caName: string, cn: string, extensions: string, validity: string[]) => {
    openssl('req', '-new', '-key', file(keyName), '-out', file(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${caName}.crt`), '-CAkey', file(`${caName}.key`), '-CAcreateserial',
      '-out', file(`${name}.crt`), ...validity, '-extfile', file(`${name}.ext`));
  };
  ca('server-ca', 'antom-auth test server CA');
  ca('client-ca', 'antom-auth test client CA');
  ca('other-ca', 'antom-auth test unrelated CA');
  key('server.key');
  leaf('server', 'server.key', 'server-ca', serverName,
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${serverName}\n`, ['-days', '2']);
  key('client.key');
  const clientExtensions = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  leaf('client', 'client.key', 'client-ca', 'antom-auth-worker', clientExtensions, ['-days', '2']);
  // -days -1: it ended a day ago (notAfter before notBefore, which no verifier accepts either).
  leaf('client-expired', 'client.key', 'client-ca', 'antom-auth-worker', clientExtensions, ['-days', '-1']);
  return {
    dir,
    serverCa: file('server-ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key'),
    clientCa: file('client-ca.crt'), clientCert: file('client.crt'), clientKey: file('client.key'),
    otherCa: file('other-ca.crt'),
    expiredClientCert: file('client-expired.crt'),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
