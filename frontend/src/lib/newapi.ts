// Links to new-api's admin console pages that manage a user, a token or a channel, under NEWAPI_URL.
export type Entity = 'user' | 'token' | 'channel';

// new-api's console routes (web/src/App.jsx): the lists where an admin edits, disables or deletes each kind.
const PAGES: Record<Entity, string> = { user: '/console/user', token: '/console/token', channel: '/console/channel' };

// The page's address, or null when NEWAPI_URL is unset.
export function newApiLink(base: string, kind: Entity): string | null {
  return base ? `${base.replace(/\/+$/, '')}${PAGES[kind]}` : null;
}
