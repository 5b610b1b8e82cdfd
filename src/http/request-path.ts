/**
 * The path of an HTTP request target, for logs: without the query or fragment (tokens travel
 * there) and, for an absolute-form target (`http://user:pass@host/path`, RFC 9112 section 3.2.2),
 * without the scheme, credentials and host. Called when a request is described, not per request.
 */
export function requestPath(target: string): string {
  const queryAt = target.search(/[?#]/);
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const authorityAt = path.startsWith('/') ? -1 : path.indexOf('://');
  if (authorityAt === -1) return path;
  const pathAt = path.indexOf('/', authorityAt + 3);
  return pathAt === -1 ? '/' : path.slice(pathAt);
}
