/**
 * Credentials never reach storage or customers: adapters strip the fields their provider is known
 * to send, and this pass removes any key that names a credential, at any depth, from bodies and
 * refetched states alike.
 */
const CREDENTIAL_KEY = /^(password|passwd|pass|secret|client_?secret|api_?key|apikey|access_?token|refresh_?token|id_?token|client_?access_?token|authorization|private_?key)$/i;

export function redactCredentials(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => redactCredentials(v, depth + 1));
  if (typeof value === "object" && value !== null) {
    // Defined, not assigned: a "__proto__" key stays a key instead of replacing the prototype.
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (CREDENTIAL_KEY.test(k) ? [] : [[k, redactCredentials(v, depth + 1)]])));
  }
  return value;
}
