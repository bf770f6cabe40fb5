import type { ApiPlugin } from '../server.ts';

export const commandRoutes: ApiPlugin = async () => {};
