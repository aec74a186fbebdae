// What a receiver does in Node, for test/e2e/receiver.test.ts: verify v1a with Node's own crypto
// (exactly as the README shows), check the OpenAPI document against the OpenAPI 3.1 schema, and
// generate types from it with openapi-typescript, then compile code that uses them.
import { Validator } from "@seriousme/openapi-schema-validator";
import openapiTS from "openapi-typescript";
import { execFileSync } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** True when a v1a signature in `header` verifies with the whpk_ public key (the README's snippet). */
export function verifyV1a(publicKey, id, timestamp, body, header) {
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey.slice("whpk_".length), "base64").toString("base64url") },
    format: "jwk",
  });
  const signed = Buffer.from(`${id}.${timestamp}.${body}`);
  return header.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    return version === "v1a" && signature !== undefined && verify(null, signed, key, Buffer.from(signature, "base64"));
  });
}

export async function validateOpenApi(doc) {
  const validator = new Validator();
  const result = await validator.validate(doc);
  return { valid: result.valid, version: validator.version, errors: result.errors ?? null };
}

/** openapi-typescript's output for `doc`, then `code` (which imports it from "./caserelay") type-checked with strict tsc. */
export async function generateAndCompile(doc, code) {
  const types = await openapiTS(doc);
  const dir = mkdtempSync(join(tmpdir(), "caserelay-types-"));
  try {
    writeFileSync(join(dir, "caserelay.ts"), types);
    writeFileSync(join(dir, "receiver.ts"), code);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "es2022", moduleResolution: "bundler", skipLibCheck: true, types: [] },
        include: ["*.ts"],
      }),
    );
    let errors = "";
    try {
      execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", dir], { encoding: "utf8", stdio: "pipe", timeout: 60_000 });
    } catch (err) {
      errors = `${err.stdout ?? ""}${err.stderr ?? ""}` || String(err);
    }
    return { types, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
