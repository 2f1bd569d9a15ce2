import test from 'ava';
import { connect, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyConfigurationError } from '../../src/antom/keys';
import { startSandbox } from '../../src/sandbox';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';

async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)));
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves with the connection error code, or 'CONNECTED' when something is listening on the port. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('CONNECTED');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

test('a merchant public key that does not parse fails start-up and leaves nothing running: no port, no notifier polling', async (t) => {
  const [port, adminPort] = [await freePort(), await freePort()];
  // The notifier reads the clock on every poll; a clock nobody reads any more means its timer is stopped.
  let clockReads = 0;
  const clock = {
    now: () => {
      clockReads++;
      return Date.now();
    },
  };
  await t.throwsAsync(
    startSandbox({
      port,
      adminPort,
      privateKey: antomKeys.privateKey,
      clock,
      notificationPollIntervalMs: 5,
      merchants: [
        { clientId: 'GOOD_MERCHANT', publicKey: merchantKeys.publicKey },
        { clientId: 'BAD_KEY_MERCHANT', publicKey: 'this is not a public key' },
      ],
    }),
    { instanceOf: KeyConfigurationError, message: /BAD_KEY_MERCHANT/ },
  );

  await sleep(30); // anything already scheduled runs out
  const readsAfterFailure = clockReads;
  await sleep(150); // 30 poll intervals
  t.is(clockReads, readsAfterFailure, 'the notifier no longer polls');
  t.is(await probe(port), 'ECONNREFUSED', 'the API port is not listening');
  t.is(await probe(adminPort), 'ECONNREFUSED', 'the admin port is not listening');
});
