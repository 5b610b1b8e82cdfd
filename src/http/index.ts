export {
  type DrainableServer,
  drainHttpServer,
  type HttpDrainOptions,
  type HttpDrainParticipant,
  httpDrainDefaults,
} from './http-drain.js';
