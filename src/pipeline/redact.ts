/**
 * Credentials never reach storage or customers: adapters strip the fields their provider is known
 * to send, and this pass removes any key that names a credential, at any depth, from bodies and
 * refetched states alike.
 */

/**
 * Key names that carry credentials, compared without case and without "-", "_", "." or spaces, so
 * `api_key`, `API-Key`, `apiKey` and `x-api-key` (as `xapikey`) are all caught.
 */
const CREDENTIAL_NAMES = new Set([
  // passwords
  "password",
  "passwd",
  "pass",
  "passphrase",
  // secrets and keys
  "secret",
  "clientsecret",
  "apisecret",
  "secretkey",
  "secretaccesskey",
  "signingsecret",
  "webhooksecret",
  "privatekey",
  "apikey",
  "xapikey",
  "credential",
  "credentials",
  // tokens
  "token",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "authtoken",
  "xauthtoken",
  "sessiontoken",
  "apitoken",
  "clientaccesstoken",
  "bearer",
  "bearertoken",
  // headers
  "authorization",
  "proxyauthorization",
]);

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_NAMES.has(key.toLowerCase().replace(/[-_.\s]/g, ""));
}

export function redactCredentials(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => redactCredentials(v, depth + 1));
  if (typeof value === "object" && value !== null) {
    // Defined, not assigned: a "__proto__" key stays a key instead of replacing the prototype.
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (isCredentialKey(k) ? [] : [[k, redactCredentials(v, depth + 1)]])));
  }
  return value;
}
