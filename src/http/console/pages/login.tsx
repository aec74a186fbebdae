/**
 * Login and logout: the admin token is checked once and exchanged for a signed session cookie whose
 * session lives in D1; logout revokes it there. Failed logins are throttled per client.
 */
import type { Context } from "hono";
import { timingSafeEqualStrings } from "../../../lib/crypto";
import { Layout, render } from "../layout";
import { clearSessionCookie, liveSession, readSessionCookie, revokeSession, setSessionCookie, startSession, type ConsoleEnv } from "../session";
import { clearLoginFailures, loginClient, takeLoginAttempt } from "../throttle";
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
  if (await liveSession(c.var.db, c.var.config, readSessionCookie(c))) return c.redirect(next, 303);
  return render(c, <LoginPage next={next} notice={noticeText(c.req.query("done"), undefined)} />);
}

export async function login(c: Context<ConsoleEnv>) {
  const form = await c.req.parseBody();
  const next = safeNext(form.next);
  const client = loginClient(c);
  // Counted before the comparison, so a throttled client learns nothing about its guess.
  const attempt = await takeLoginAttempt(c.var.db, client);
  if (!attempt.allowed) {
    c.header("retry-after", String(attempt.retryAfterSeconds));
    const minutes = Math.ceil(attempt.retryAfterSeconds / 60);
    return render(
      c,
      <LoginPage next={next} error={`Too many failed logins from your address: try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`} />,
      429,
    );
  }
  const token = typeof form.token === "string" ? form.token : "";
  if (!(await timingSafeEqualStrings(token, c.var.config.adminToken))) {
    return render(c, <LoginPage next={next} error="That token is not the admin token." />, 401);
  }
  await clearLoginFailures(c.var.db, client);
  // A new session id on every login, so a cookie planted before login is never promoted.
  setSessionCookie(c, await startSession(c.var.db, c.var.config));
  return c.redirect(next, 303);
}

/** Behind requireSession: the session is live; it ends on the server, then in the browser. */
export async function logout(c: Context<ConsoleEnv>) {
  const sessionId = await liveSession(c.var.db, c.var.config, readSessionCookie(c));
  if (sessionId) await revokeSession(c.var.db, c.var.config, sessionId);
  clearSessionCookie(c);
  return c.redirect("/console/login?done=logged-out", 303);
}
