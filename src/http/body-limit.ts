/**
 * A cap on request bodies, answered in the error envelope: 413 `payload_too_large`, saying what
 * is limited to how many bytes ("Webhook bodies are limited to 262144 bytes.").
 */
import { bodyLimit } from "hono/body-limit";
import { RelayError } from "../lib/errors";

export const limitBody = (maxSize: number, what: string) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new RelayError("payload_too_large", `${what} are limited to ${maxSize} bytes.`);
    },
  });
