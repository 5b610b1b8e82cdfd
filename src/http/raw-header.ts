/**
 * The value of header `lowerName` (lower case) in a request's `rawHeaders`. Node builds
 * `req.headers` lazily; finding one header this way avoids building it on every request.
 */
export function rawHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (
      name !== undefined &&
      name.length === lowerName.length &&
      name.toLowerCase() === lowerName
    ) {
      return rawHeaders[i + 1];
    }
  }
  return undefined;
}
