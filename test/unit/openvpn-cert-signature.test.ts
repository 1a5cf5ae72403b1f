import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { weakCertificateDigest } from '../../shared/profiles/openvpn/cert-signature.js';

// Made with openssl for this test: a CA (SHA-256) and client certificates it signed with SHA-1 and
// SHA-256, and a self-signed SHA-1 one. openvpn 2.6 on OpenSSL 3 refuses the first ("ca md too
// weak") and loads the others (checked against the real openvpn by the differential test's corpus).
const CA_SIGNED_SHA1 = `-----BEGIN CERTIFICATE-----
MIICpTCCAY0CFC1yq6UHSX7rrPMSRzHBAse6a53WMA0GCSqGSIb3DQEBBQUAMA0x
CzAJBgNVBAMMAmNhMB4XDTI2MTIwMjA0Mjk1N1oXDTM2MTEyOTA0Mjk1N1owETEP
MA0GA1UEAwwGY2xpZW50MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
k08pGR51zraWCDn2ysGhmqkdjpxS2GH494h1sp4Gxa+cXQY1PdNchnBcXMhq+qIX
jaXbjQeC2JwfiZKUarkVfZZ6+LhVyKsFFt4LVYEd+ogIzhzySnMkn5Poc9JRKXvn
ZaiHVzaSHsShAXsC/bjGMge7nQ/bvSji9HhN6KcfZUH1kU5kiByhNZAVKx6Zrssp
D7e2aeQG7HEpDnpzeUzd7LZtRY6iOIncehMo7H5Y1vRlDSuSZovQ6mqlH04hGxpS
ACgIihn4+PG7+1r/5EXt7NOqBxdb4jAEIPGV3wsetGnHth2gHgb/gJkzV0YJxHod
H73r3quSg4AtJXOcxKpiaQIDAQABMA0GCSqGSIb3DQEBBQUAA4IBAQBv0uFuBLgV
3OBDfKDqw8q9OlI62wnZajb7n/POOdWRIhIq6xtcU293oJ0b8WPrP8HYQ8MvMWax
5Qf3tX84NYOjGtgSMQWdxOcdVJ4gMVxdnS++7+xYvNe1IybUOhPhCuCCqOmFOxZ2
uSj+B0T3Cv7hbVHMz1ydPTXLWCX28v+QmZDWrp7TS95W0eSvYskKya5yTlCdZjQh
xTVWjQmJVWtn+7JS+iHGBgc14OiWO8UL2z+YVP0PNGEbVm9+wCTF4c/Fj0W5I8PL
8+WRNE+xkS7KXLVSY3mO59oBkJvCUDQknm1xy7bKVq8lP83/jr88fUi3Qrx0rukO
+HbSOu2sBgSL
-----END CERTIFICATE-----
`;
const SELF_SIGNED_SHA1 = `-----BEGIN CERTIFICATE-----
MIIC/zCCAeegAwIBAgIUNfL3mNASqd+5goJbHJVx2bg1vbcwDQYJKoZIhvcNAQEF
BQAwDzENMAsGA1UEAwwEc2VsZjAeFw0yNjEyMDIwNDMyNDlaFw0zNjExMjkwNDMy
NDlaMA8xDTALBgNVBAMMBHNlbGYwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK
AoIBAQDLob0cBqMJq/qlQdjhP92NEGPAsYO+yOfbMTcXKUbhDhdSKXhr6wUV5oEY
Wt0mRu2VbsDWm/BXDZl+s4iXSa1cpwvXau8v8M8/DNLcDxsqlRyuyOOb1bRhNQAc
46x+o6xgUCnKfF6ALtFqdkGBq6FT1jjgFAeJqb37m/mk9Fb0k7H3MZUrZdmQtym9
ESpZPjwN28dZSEiyKWRj/j0o10cEqNnrRqXkWiV6iqgdJOEHKcbvMH03YUyjmKW0
8S80M0vwnIouBDQDMHV9R671qrXc67AR3++mcFmPANVAzd80G1H6VcU0dXUOKPI7
O/9hTNPUbB7/sjRgopf+/OkFJYg5AgMBAAGjUzBRMB0GA1UdDgQWBBRIwXk3jfxW
fN0pBXkKsUgszj60AzAfBgNVHSMEGDAWgBRIwXk3jfxWfN0pBXkKsUgszj60AzAP
BgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBBQUAA4IBAQCwHZd1mAryL13F87ni
cSg4CfYaKu1NUv6+eIZi5KytoqEld6sAkEpMCdhTQW4vTvq/+IOYn0GT5whjSoFp
W0jRkhCUOhCfdchM8kleRXKMjGML3q6FUCTvtcHlWdHJWL67J8po9QCLrpyc4iUW
BTnr03EZmptJgzWYva/vSrjVsi7Bnit54PRvD8649+QOCmAYObJIuEIxLbMs4tNR
z5YI8soTyiixGf8NaXKxYVGqJH6X9RGxgWL9ip/77EpaU2cKHaxhxC2rRqWYUpQe
6ZZXeO+bvhjvcMkhk8KTn8UlHz6i35wE5bVihUdCiYcjZm0mpGVW6O1SsxbvM9pc
TGAJ
-----END CERTIFICATE-----
`;
const CA_SIGNED_SHA256 = `-----BEGIN CERTIFICATE-----
MIICpTCCAY0CFC1yq6UHSX7rrPMSRzHBAse6a53XMA0GCSqGSIb3DQEBCwUAMA0x
CzAJBgNVBAMMAmNhMB4XDTI2MTIwMjA0MzI1M1oXDTM2MTEyOTA0MzI1M1owETEP
MA0GA1UEAwwGY2xpZW50MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
k08pGR51zraWCDn2ysGhmqkdjpxS2GH494h1sp4Gxa+cXQY1PdNchnBcXMhq+qIX
jaXbjQeC2JwfiZKUarkVfZZ6+LhVyKsFFt4LVYEd+ogIzhzySnMkn5Poc9JRKXvn
ZaiHVzaSHsShAXsC/bjGMge7nQ/bvSji9HhN6KcfZUH1kU5kiByhNZAVKx6Zrssp
D7e2aeQG7HEpDnpzeUzd7LZtRY6iOIncehMo7H5Y1vRlDSuSZovQ6mqlH04hGxpS
ACgIihn4+PG7+1r/5EXt7NOqBxdb4jAEIPGV3wsetGnHth2gHgb/gJkzV0YJxHod
H73r3quSg4AtJXOcxKpiaQIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQCUBQq90HvD
apgbkdjTgCYFkgBaGimXXsUvQixT+QRVZp5/8Crl8AcBns88cDulfwDrt7unSFtY
a5hcGqUxn4vhYdNMZ9Prwqrj3SwEfJKgvAqzNgsA9t9v6nq37GOuyUdPG9XtJJdP
vU6Qn5qflgfyui84G+Rmb2YFo565Kj5BS9/X+JWJq3aDhVIQ2iuX2zFZ2QzL+gL4
Ftk4KKhWKWbkiZS8yB40sHuwDb5g81XBeXIC+ta3z/TS3Pg1H9cTot1EvgE+TVOX
ZShVzll+XVRTHnFAZ5R7KZZaQ7O2jc6yYZQnGVKCRSXCjzlfx8PCZV6EXSCK+iSL
3lBKom95RwVC
-----END CERTIFICATE-----
`;

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const profile = (cert: string, extra = '') => `client\ndev tun\nremote vpn.example.test 1194\nremote-cert-tls server\n<ca>\n${CA}</ca>\n<cert>\n${cert}</cert>\n<key>\n${KEY}</key>\n${extra}`;

describe('client certificates OpenSSL 3 refuses to load', () => {
  it('reads the signature digest, and exempts a self-signed certificate as OpenSSL does', () => {
    expect(weakCertificateDigest(CA_SIGNED_SHA1)).toBe('SHA-1');
    expect(weakCertificateDigest(`Bag Attributes\n    friendlyName: x\n${CA_SIGNED_SHA1}`)).toBe('SHA-1');
    expect(weakCertificateDigest(SELF_SIGNED_SHA1)).toBeNull();
    expect(weakCertificateDigest(CA_SIGNED_SHA256)).toBeNull();
    expect(weakCertificateDigest(CA)).toBeNull();
  });

  it('refuses a SHA-1 client certificate on its line, unless the profile lowers the security level', () => {
    const r = inspectProfile(profile(CA_SIGNED_SHA1));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_CERT_WEAK_SIGNATURE', 10]]);
    expect(r.errors[0]?.message.en).toContain('Line 10: the client certificate in <cert> is signed with SHA-1');
    expect(inspectProfile(profile(CA_SIGNED_SHA1, 'tls-cipher "DEFAULT:@SECLEVEL=0"\n')).ok).toBe(true);
    expect(inspectProfile(profile(CA_SIGNED_SHA1, 'tls-cert-profile insecure\n')).ok).toBe(true);
    expect(inspectProfile(profile(CA_SIGNED_SHA256)).ok).toBe(true);
    expect(inspectProfile(profile(SELF_SIGNED_SHA1)).ok).toBe(true);
  });
});
