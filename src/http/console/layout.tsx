import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { STYLESHEET_PATH } from "./assets";
import type { ConsoleEnv } from "./session";
import { CsrfField } from "./ui";

/** Every console page: a header with navigation and logout (when logged in), then the page. */
export const Layout = ({ title, csrf, children }: { title: string; csrf?: string; children: Child }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{title} · caserelay console</title>
      <link rel="stylesheet" href={STYLESHEET_PATH} />
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/console">
          caserelay <span>console</span>
        </a>
        {csrf ? (
          <nav>
            <a href="/console">Overview</a>
            <a href="/console/events">Events</a>
            <a href="/console/issues">Issues</a>
            <form method="post" action="/console/logout" class="inline">
              <CsrfField token={csrf} />
              <button type="submit" class="link">
                Log out
              </button>
            </form>
          </nav>
        ) : null}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

/** Renders a page (a <Layout>) as a complete HTML document. */
export async function render(
  c: Context<ConsoleEnv>,
  page: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}
