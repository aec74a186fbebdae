import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Config } from "../lib/config";
import type { Db } from "../db/client";
import type { Principal } from "../services/access";

export type HonoEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    db: Db;
    principal: Principal;
    /** The console session's CSRF token, set on console pages only (src/http/console/session.ts). */
    csrf: string;
  };
};

export type App = OpenAPIHono<HonoEnv>;
