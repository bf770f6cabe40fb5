import type { ApiPlugin } from '../server.ts';

export const liveRoutes: ApiPlugin = async () => {};
