/** Who is asking an HTTP request: found once per request, and a bad credential answered 401. */
import { GraphQLError } from 'graphql';
import { AuthenticationError, type createAuthenticator } from '../auth.ts';
import type { Viewer } from '../context.ts';

export interface Viewers {
  /** The caller of a request, found once (the response cache asks for the role before the context). */
  viewerOf(request: Request): Promise<Viewer>;
  /** The caller of an HTTP request; a bad credential is a 401 GraphQL error, never a 500. */
  authenticateHttp(request: Request): Promise<Viewer>;
}

export function createViewers(authenticator: ReturnType<typeof createAuthenticator>): Viewers {
  const viewers = new WeakMap<Request, Promise<Viewer>>();
  const viewerOf = (request: Request): Promise<Viewer> => {
    let viewer = viewers.get(request);
    if (!viewer) {
      viewer = authenticator.authenticate(request.headers.get('authorization'));
      viewers.set(request, viewer);
    }
    return viewer;
  };
  return {
    viewerOf,
    async authenticateHttp(request) {
      try {
        return await viewerOf(request);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          throw new GraphQLError(error.message, {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
        throw error;
      }
    },
  };
}
