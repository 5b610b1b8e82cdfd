export { type ServiceProxy, startServiceProxy } from '../../src/drill/runtime/service-proxy.js';
