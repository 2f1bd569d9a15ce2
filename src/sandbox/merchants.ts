/**
 * Registered merchants (client-ids) and the public keys their requests are verified with. A request's keyVersion
 * selects the key; a registered merchant without that key version gets KEY_NOT_FOUND, an unknown client-id
 * UNKNOWN_CLIENT (antom-api.md §3 codes).
 */
import type { KeyObject } from 'node:crypto';
import { loadPublicKey } from '../antom/keys';

/** ACTIVE serves requests; SUSPENDED answers INVALID_CLIENT_STATUS, like a merchant whose contract is on hold. */
export type MerchantStatus = 'ACTIVE' | 'SUSPENDED';

export interface MerchantRegistration {
  readonly clientId: string;
  /** PEM/base64 text or a KeyObject; registered under keyVersion "1" unless `publicKeys` is used. */
  readonly publicKey?: KeyObject | string;
  /** Several key versions (key rotation); the header's keyVersion picks one. */
  readonly publicKeys?: Readonly<Record<string, KeyObject | string>>;
  /** Default notification URL (the dashboard setting); consult's authNotifyUrl overrides it. */
  readonly notifyUrl?: string;
  readonly status?: MerchantStatus;
  /** Endpoints this client may call (e.g. ['consult']); others answer CLIENT_FORBIDDEN_ACCESS_API. Default: all. */
  readonly allowedEndpoints?: readonly string[];
}

export interface Merchant {
  readonly clientId: string;
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly notifyUrl: string | undefined;
  readonly status: MerchantStatus;
  readonly allowedEndpoints: readonly string[] | undefined;
}

function toKey(key: KeyObject | string, label: string): KeyObject {
  return typeof key === 'string' ? loadPublicKey(key, label) : key;
}

export class MerchantRegistry {
  private readonly merchants = new Map<string, Merchant>();

  register(registration: MerchantRegistration): Merchant {
    if (!registration.clientId) throw new TypeError('clientId is required');
    const keys = new Map<string, KeyObject>();
    if (registration.publicKey !== undefined) {
      keys.set('1', toKey(registration.publicKey, `merchant ${registration.clientId}`));
    }
    for (const [version, key] of Object.entries(registration.publicKeys ?? {})) {
      keys.set(version, toKey(key, `merchant ${registration.clientId} keyVersion ${version}`));
    }
    const merchant: Merchant = {
      clientId: registration.clientId,
      publicKeys: keys,
      notifyUrl: registration.notifyUrl,
      status: registration.status ?? 'ACTIVE',
      allowedEndpoints: registration.allowedEndpoints,
    };
    this.merchants.set(merchant.clientId, merchant);
    return merchant;
  }

  /**
   * Changes which key versions a registered merchant's requests are accepted under (a merchant's key rotation: the
   * new version is added first, the old one retired once nothing signs with it). At least one version must remain.
   */
  updateKeys(clientId: string, change: { add?: Readonly<Record<string, KeyObject | string>>; retire?: readonly string[] }): Merchant {
    const merchant = this.merchants.get(clientId);
    if (merchant === undefined) throw new RangeError(`no merchant ${clientId}`);
    const keys = new Map(merchant.publicKeys);
    for (const [version, key] of Object.entries(change.add ?? {})) keys.set(version, toKey(key, `merchant ${clientId} keyVersion ${version}`));
    for (const version of change.retire ?? []) keys.delete(version);
    if (keys.size === 0) throw new RangeError(`merchant ${clientId} would have no key version left`);
    const updated: Merchant = { ...merchant, publicKeys: keys };
    this.merchants.set(clientId, updated);
    return updated;
  }

  get(clientId: string): Merchant | undefined {
    return this.merchants.get(clientId);
  }

  remove(clientId: string): boolean {
    return this.merchants.delete(clientId);
  }

  list(): Merchant[] {
    return [...this.merchants.values()];
  }

  clear(): void {
    this.merchants.clear();
  }
}
