// Types for receiver-side.mjs.
export function verifyV1a(publicKey: string, id: string, timestamp: string | number, body: string, header: string): boolean;
export function validateOpenApi(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }>;
export function generateAndCompile(doc: unknown, code: string): Promise<{ types: string; errors: string }>;
