/**
 * Which data-channel ciphers OpenVPN 2.6 can use here. It loads OpenSSL 3's default provider
 * only, and OpenSSL 3 moved these families to its legacy provider: `openvpn --show-ciphers`
 * no longer lists them, and a profile that needs one stops with "Cipher ... not supported"
 * (the differential test compares this list with the real `--show-ciphers`).
 */
const LEGACY_ONLY = /^(BF|CAST5?|DES|DESX|IDEA|RC2|RC4|RC5|SEED)(-|$)/i;
/** Triple DES stayed in the default provider. */
const STILL_DEFAULT = /^DES-EDE/i;

export function openSslProvides(cipher: string): boolean {
  return !LEGACY_ONLY.test(cipher) || STILL_DEFAULT.test(cipher);
}
