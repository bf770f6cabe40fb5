import type { ApiPlugin } from '../server.ts';

export const notificationRoutes: ApiPlugin = async () => {};
