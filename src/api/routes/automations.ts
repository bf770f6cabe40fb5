import type { ApiPlugin } from '../server.ts';

export const automationRoutes: ApiPlugin = async () => {};
