// Retry rules for actions. The broker retries a call that failed transiently (timed out, its
// node vanished) on the next node — right for reads and for writes that set a state, wrong for
// writes that create something or spend something: the first attempt may have landed, and a
// second one would then register twice, or replay a spent refresh token (which revokes the
// session). Such actions carry NOT_RETRIED; the flag travels with the action to remote callers.
export const NOT_RETRIED = { enabled: false } as const;

/** Marks a response as "201 Created" with the new resource's address. */
export function created(meta: object, location: string): void {
  Object.assign(meta, { $statusCode: 201, $location: location });
}
