// The case object's own SQLite schema (one database per case, in its Durable Object).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/db/case/schema.ts",
  out: "./migrations/case",
});
