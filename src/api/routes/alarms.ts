import type { ApiPlugin } from '../server.ts';

export const alarmRoutes: ApiPlugin = async () => {};
