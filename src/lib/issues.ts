/** zod issues as `{ path, message }` pairs that name the offending field (the API's error details, and logs). */
export type ErrorDetail = { path: string; message: string };

export type IssueLike = { path: PropertyKey[]; message: string; code?: string; errors?: readonly (readonly IssueLike[])[] };

/** An option of a failed union that did not even match its shape: wrong type, or no matching discriminator. */
const missedOption = (option: readonly IssueLike[]) => option.every((i) => i.path.length === 0 || (i.code === "invalid_union" && !i.errors?.length));

/**
 * A failed union's issues from the one option that came close, when every other option missed
 * its shape, so the caller reads "verify.secret: must be ..." rather than "verify: Invalid input".
 */
function unwrapUnion(issue: IssueLike): readonly IssueLike[] {
  if (issue.code !== "invalid_union" || !issue.errors?.length) return [issue];
  const near = issue.errors.filter((option) => !missedOption(option));
  if (near.length !== 1) return [issue];
  return near[0]!.flatMap((i) => unwrapUnion({ ...i, path: [...issue.path, ...i.path] }));
}

/** Turns zod issues into `{ path, message }` pairs that name the offending field. */
export function issuesToDetails(issues: readonly IssueLike[]): ErrorDetail[] {
  return issues.flatMap(unwrapUnion).map((i) => ({ path: i.path.length ? i.path.map(String).join(".") : "(root)", message: i.message }));
}
