/**
 * The value of header `lowerName` (lower case) in a request's `rawHeaders`. Node builds
 * `req.headers` lazily; finding one header this way avoids building it on every request, and
 * comparing in place avoids a lower-cased copy of every name of the same length.
 */
export function rawHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && equalsIgnoringCase(name, lowerName)) return rawHeaders[i + 1];
  }
  return undefined;
}

// ASCII case folding is enough: header names are tokens (RFC 9110 section 5.1).
function equalsIgnoringCase(name: string, lowerName: string): boolean {
  if (name.length !== lowerName.length) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const lowerCode = lowerName.charCodeAt(i);
    if (code !== lowerCode && !(code >= 0x41 && code <= 0x5a && code + 0x20 === lowerCode)) {
      return false;
    }
  }
  return true;
}
