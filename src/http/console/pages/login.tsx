/** Login and logout: the admin token is checked once and exchanged for a signed session cookie. */
import type { Context } from "hono";
import { timingSafeEqualStrings } from "../../../lib/crypto";
import { Layout, render } from "../layout";
import { clearSessionCookie, newSessionValue, readSessionCookie, setSessionCookie, verifySessionValue, type ConsoleEnv } from "../session";
import { Notice, noticeText } from "../ui";

/** Where to go after logging in: only a console path of this origin (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(?:[/?][\x21-\x7e]*)?$/.test(next) ? next : "/console";
}

const LoginPage = ({ next, error, notice }: { next: string; error?: string; notice?: string | null }) => (
  <Layout title="Log in">
    <div class="card login">
      <h1>Operator console</h1>
      <p class="muted">Log in with the relay's admin token (the ADMIN_TOKEN secret).</p>
      <Notice text={notice ?? null} />
      {error ? <p class="error">{error}</p> : null}
      <form method="post" action="/console/login" class="stack">
        <input type="hidden" name="next" value={next} />
        <label>
          Admin token
          <input type="password" name="token" autocomplete="current-password" required autofocus />
        </label>
        <button type="submit">Log in</button>
      </form>
    </div>
  </Layout>
);

export async function loginForm(c: Context<ConsoleEnv>) {
  const next = safeNext(c.req.query("next"));
  if (await verifySessionValue(c.var.config, readSessionCookie(c))) return c.redirect(next, 303);
  return render(c, <LoginPage next={next} notice={noticeText(c.req.query("done"), undefined)} />);
}

export async function login(c: Context<ConsoleEnv>) {
  const form = await c.req.parseBody();
  const next = safeNext(form.next);
  const token = typeof form.token === "string" ? form.token : "";
  if (!(await timingSafeEqualStrings(token, c.var.config.adminToken))) {
    return render(c, <LoginPage next={next} error="That token is not the admin token." />, 401);
  }
  // A new session id on every login, so a cookie planted before login is never promoted.
  setSessionCookie(c, await newSessionValue(c.var.config));
  return c.redirect(next, 303);
}

export function logout(c: Context<ConsoleEnv>) {
  clearSessionCookie(c);
  return c.redirect("/console/login?done=logged-out", 303);
}
