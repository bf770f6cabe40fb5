import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginAsync,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { AppContext } from '../core/context.ts';
import type { Services } from '../services/index.ts';

/** What every API plugin receives. */
export interface ApiContext {
  ctx: AppContext;
  services: Services;
  /** False while starting or shutting down (readiness). */
  isReady: () => boolean;
}

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
export type ApiPlugin = FastifyPluginAsync<ApiContext, RawServerDefault, TypeBoxTypeProvider>;
