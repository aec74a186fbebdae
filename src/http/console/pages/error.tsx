import { Layout } from "../layout";

/** A console error: the message is the API's own (ids and rules, never provider data), escaped anyway. */
export const ErrorPage = ({
  title,
  message,
  requestId,
  csrf,
  login,
}: {
  title: string;
  message: string;
  requestId?: string;
  csrf?: string;
  login?: string;
}) => (
  <Layout title={title} csrf={csrf}>
    <div class="card">
      <h1>{title}</h1>
      <p class="error">{message}</p>
      {login ? (
        <p>
          <a href={login}>Log in</a>
        </p>
      ) : (
        <p>
          <a href="/console">Back to the overview</a>
        </p>
      )}
      {requestId ? <p class="muted small">Request id {requestId}</p> : null}
    </div>
  </Layout>
);
