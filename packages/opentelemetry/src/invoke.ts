/** Calls the next step; a synchronous throw becomes a rejection, so callers handle one path. */
export function invoke<A>(next: (arg: A) => Promise<void>, arg: A): Promise<void> {
  try {
    return next(arg);
  } catch (error) {
    return Promise.reject(error);
  }
}
